"""Issue 23: the viewer and the thumbnails decode only what the scanner would (its pixel budget, checked on the
header before any decode), so a decompression bomb the scanner refuses is not decoded by the window either."""

from __future__ import annotations

from PySide6.QtCore import QSize

import inference.image
from gui.image_loader import THUMB_SIZE, load_scaled
from tests.bad_images import png_claiming_size
from tests.gui.helpers import full_images


def test_thumbnail_and_viewer_refuse_what_the_scanner_refuses(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    image = str(full_images(1)[0])  # 600 x 450
    img, err = load_scaled(image, THUMB_SIZE)
    assert not img.isNull() and err == ""
    monkeypatch.setattr(inference.image, "MAX_PIXELS", 100_000)  # a budget this image is over
    for bound in (THUMB_SIZE, QSize(1200, 1200), None):
        img, err = load_scaled(image, bound)
        assert img.isNull() and "too large to decode safely" in err, (bound, err)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming_size(50000, 50000))
    monkeypatch.undo()
    img, err = load_scaled(str(bomb), THUMB_SIZE)
    assert img.isNull() and "50000x50000" in err
