"""Issue 12's hostile files, read the way the runner reads them: every one fails fast into its own message.

A FIFO or a link to /dev/zero used to read as "empty file" and freeze the window's loaders; a name that
is not UTF-8 crashed the CSV. Each test here has a hard deadline, so a regression fails instead of hanging.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from inference.errors import ImageError
from inference.files import read_bytes, regular_file_size
from inference.image import MAX_DECODE_BYTES, decode_bytes, decode_cost
from inference.paths import display_path
from tests.bad_images import NON_UTF8_NAME, fault_corpus, png_header

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and byte names are POSIX")


def _within(seconds: float, fn, *args):  # noqa: ANN001, ANN202
    """Run fn(*args) on a daemon thread; fail (not hang) when it takes longer than `seconds`."""
    out: dict = {}

    def go() -> None:
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn.__name__}{args} blocked for more than {seconds} s"
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture
def corpus(tmp_path, fullsize_images):
    return tmp_path / "c", fault_corpus(tmp_path / "c", fullsize_images[0])


def test_every_bad_entry_fails_fast_with_its_own_message(corpus):
    folder, expected = corpus
    for name, needle in expected.items():
        path = folder / name
        if not needle:
            assert len(_within(10, read_bytes, path)) > 1000, name
            continue
        with pytest.raises(ImageError, match=needle):
            data = _within(10, read_bytes, path)
            decode_bytes(data)


def test_fifo_is_refused_before_open(corpus):
    folder, _ = corpus
    with pytest.raises(ImageError, match="named pipe"):
        _within(5, regular_file_size, folder / "fifo.jpg")
    with pytest.raises(ImageError, match=r"character device \(a link to /dev/zero\)"):
        _within(5, read_bytes, folder / "zero.jpg")


def test_read_deadline(corpus):
    folder, _ = corpus
    with pytest.raises(ImageError, match="longer than"):
        read_bytes(folder / "good.jpg", timeout_s=-1)


def test_non_utf8_name_is_read_and_shown(corpus):
    folder, _ = corpus
    path = os.path.join(str(folder), os.fsdecode(NON_UTF8_NAME))
    assert len(read_bytes(path)) > 1000
    assert display_path(path, escape=True).endswith("latin1_\\xe9t\\xe9.jpg")
    assert display_path(path).endswith("latin1_\ufffdt\ufffd.jpg")
    display_path(path).encode("utf-8")  # valid text for Qt, CSV, JSON and SQLite
    assert display_path("/plain/é.jpg") == "/plain/é.jpg"


def test_pixel_budget_counts_depth_and_channels():
    assert decode_cost(10000, 10000, 3, 2) > MAX_DECODE_BYTES  # 600 MB: refused before decoding
    assert decode_cost(10000, 10000, 3, 1) <= MAX_DECODE_BYTES  # the same size in 8 bits still fits
    with pytest.raises(ImageError, match=r"16-bit, 3 channels: 600 MB"):
        decode_bytes(png_header(10000, 10000, depth=16, colour=2))
    with pytest.raises(ImageError, match=r"8-bit, 4 channels"):
        decode_bytes(png_header(9000, 9000, depth=8, colour=6))
