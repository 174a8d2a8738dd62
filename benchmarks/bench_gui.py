"""Event-loop responsiveness of the real main window during a 1,000-image scan.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--images 1000]

A 5 ms QTimer runs on the GUI thread while the window scans 1,000 distinct HAM10000 images in the
background; the largest gap between two ticks is the longest the window was frozen (target < 100 ms).
Uses a temporary data folder and settings: the user's queue is never touched.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HAM = ROOT.parent / "shared" / "data" / "ham10000" / "images"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dermtriage-bench-gui-"))
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QElapsedTimer, QTimer

    from gui.app import create_main_window, isolated_app

    app = isolated_app(tmp)
    try:
        window = create_main_window()
        window.resize(1400, 900)
        window.show()
        paths = sorted(HAM.glob("*.jpg"))[: args.images]
        gaps: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]

        def tick() -> None:
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        t0 = time.perf_counter()
        window.start_scan([str(p) for p in paths])
        while window.controller.busy or window.queue_model.rowCount() < len(paths):
            app.processEvents()
            if time.perf_counter() - t0 > 600:
                print("scan did not finish in 600 s", file=sys.stderr)
                return 1
            time.sleep(0.001)
        dt = time.perf_counter() - t0
        timer.stop()
        g = np.asarray(gaps)
        print(f"GUI scan of {len(paths)} images: {dt:.1f} s ({len(paths) / dt:.0f} images/s), "
              f"{window.queue_model.rowCount()} rows")
        print(f"event-loop gaps (5 ms timer): max {g.max():.1f} ms, p99 {np.percentile(g, 99):.1f} ms, "
              f"p50 {np.percentile(g, 50):.1f} ms over {len(g)} ticks (target: max < 100 ms)")
        window.close()
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
