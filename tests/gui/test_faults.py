"""The window over issue 12's fault corpus: every entry its own row, thumbnails and the viewer never block,
a name that is not UTF-8 is shown (U+FFFD) and analysed, and the window closes promptly afterwards."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.bad_images import fault_corpus
from tests.gui.helpers import full_images, run_scan

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and byte names are POSIX")


def test_window_scans_the_fault_corpus_without_freezing(qtbot, window, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "P042"
    expected = fault_corpus(folder, full_images(1)[0])
    expected.pop("dir.jpg")  # a folder: walked, not a row
    summary = run_scan(qtbot, window, [folder], timeout=90_000)
    assert summary.fatal == "" and summary.total == len(expected)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == len(expected), timeout=10_000)
    recs = {r.file_name: r for r in window.queue_model.records()}
    assert "latin1_\ufffdt\ufffd.jpg" in recs
    bad = recs["latin1_\ufffdt\ufffd.jpg"]
    assert os.path.exists(bad.path) and bad.result.status == recs["good.jpg"].result.status
    assert bad.result.message == ""
    assert "named pipe" in recs["fifo.jpg"].result.message
    assert "character device" in recs["zero.jpg"].result.message
    # Thumbnails for every row, the FIFO's included, come back (null or not) instead of blocking a thread.
    window.queue.request_visible_thumbnails()
    qtbot.waitUntil(lambda: not window.queue._thumbs_loading, timeout=10_000)
    # The viewer on the FIFO, then on the non-UTF-8 name: both answer at once.
    for name, shown in (("fifo.jpg", False), ("latin1_\ufffdt\ufffd.jpg", True)):
        assert window.queue.select_case(recs[name].id)
        qtbot.waitUntil(lambda shown=shown: window.viewer.viewer.has_image == shown
                        and window.viewer.viewer._message != "Loading…", timeout=10_000)
    # The store round-trips the exact name (bytes), so a re-analysis opens the same file.
    from cases.store import Store

    store = Store(window.store.path)
    try:
        again = store.get_case(bad.id)
        assert again is not None and again.path == bad.path
    finally:
        store.close()
    t0 = time.perf_counter()
    window.close()
    assert time.perf_counter() - t0 < 5


def test_loader_stuck_on_a_dead_share_does_not_hold_up_closing(qtbot, monkeypatch) -> None:  # noqa: ANN001
    """A read that never returns (a dead network mount) blocks only its daemon thread: shutdown and exit
    go on (a QThreadPool's destructor used to wait for it forever)."""
    import threading

    from gui import image_loader

    release = threading.Event()
    started = threading.Event()

    def stuck(path, bound=None):  # noqa: ANN001, ANN202
        started.set()
        release.wait(60)
        return image_loader.QImage(), "late"

    monkeypatch.setattr(image_loader, "load_scaled", stuck)
    loader = image_loader.ImageLoader()
    loader.request(1, "/mnt/dead/share/x.jpg")
    assert started.wait(10)
    t0 = time.perf_counter()
    loader.shutdown(timeout_ms=200)
    assert time.perf_counter() - t0 < 2
    assert loader._thread is not None and loader._thread.daemon
    release.set()
