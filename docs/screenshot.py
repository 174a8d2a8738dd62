"""Take docs/screenshot.png: the app after scanning ~20 real full-size HAM10000 images.

`--size 1024x700` sets the window size; `--fit` under a virtual screen of a given size shows what the app
does on that screen (the README shows 1024x700, 1366x768 and 1920x1080 screens that way); the
window's first-start notice is dismissed beforehand unless `--notice` asks for it.

Run under a virtual display (`xvfb-run -a .venv/bin/python docs/screenshot.py`) or headless
(`QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshot.py`). Everything the app writes (its
database, its settings, the per-patient copies of the images) goes to a temporary folder; the user's
data and settings are never touched.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULLSIZE = ROOT.parent / "shared" / "data" / "ham10000_fullsize"


def pick_images(count: int) -> list[tuple[str, Path]]:
    """A mix of diagnoses (round robin over classes) so the queue shows every priority."""
    by_dx: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    with open(FULLSIZE / "metadata.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            img = FULLSIZE / "images" / f"{row['image_id']}.jpg"
            if img.is_file():
                by_dx[row["dx"]].append((row["lesion_id"], img))
    chosen: list[tuple[str, Path]] = []
    while len(chosen) < count and any(by_dx.values()):
        for dx in sorted(by_dx):
            if by_dx[dx] and len(chosen) < count:
                chosen.append(by_dx[dx].pop(0))
    return chosen


def wait(app, predicate, timeout: float) -> bool:  # noqa: ANN001 - QApplication
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.02)
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--theme", default="light", choices=["system", "light", "dark"])
    ap.add_argument("--heatmap", action="store_true", help="show the viewer's activation-map overlay")
    ap.add_argument("--size", default="1600x960", help="window size WIDTHxHEIGHT (default 1600x960)")
    ap.add_argument("--fit", action="store_true",
                    help="no --size: the window sizes itself to the screen as the app does, and the image is the "
                         "whole screen (run under `xvfb-run -s '-screen 0 1024x700x24'` to see what a 1024x700 "
                         "screen shows)")
    ap.add_argument("--notice", action="store_true", help="keep the first-start intended-use notice")
    ap.add_argument("--group", action="store_true",
                    help="images in per-patient folders of 3, the queue grouped by case ID (View > Group)")
    ap.add_argument("--compare", type=Path, help="also save the compare dialog (two images of one patient) here")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    tmp = Path(tempfile.mkdtemp(prefix="dermtriage-screenshot-"))
    sys.path.insert(0, str(ROOT))
    from gui.app import create_main_window, isolated_app
    from gui.theme import apply_theme

    app = isolated_app(tmp)
    apply_theme(app, args.theme)
    if not args.notice:
        from PySide6.QtCore import QSettings

        from gui.settings import AppSettings

        QSettings().setValue(AppSettings.NOTICE_SEEN, True)
    try:
        # Per-patient folders, as a clinic would have them: the folder name becomes the case ID.
        cases = tmp / "cases"
        for i, (lesion, img) in enumerate(pick_images(args.count)):
            folder = cases / (f"PT-{1001 + i // 3}" if args.group or args.compare else lesion)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(img, folder / img.name)
        window = create_main_window()
        if not args.fit:
            window.resize(width, height)
        window.show()
        if window.state.model is None:
            print(f"model not loaded: {window.state.error}", file=sys.stderr)
        else:
            window.start_scan([cases])
            if not wait(app, lambda: not window.controller.busy and window.queue_model.rowCount() > 0, 180):
                print("scan did not finish in time", file=sys.stderr)
                return 1
            recs = window.queue_model.records()
            target = next((r for p in ("urgent", "soon") for r in recs if r.result.priority == p), recs[0])
            window.queue_model.update_note(target.id, "Irregular pigment network at 2 o'clock; compare with "
                                                      "previous visit.")
            window.queue.select_case(target.id)
            wait(app, lambda: window.viewer.viewer.has_image, 20)
            if args.heatmap:
                window.act.heatmap.trigger()
            if args.group:
                window.act.group.trigger()
                window.queue.select_case(target.id)
            wait(app, lambda: False, 1.0)  # thumbnails and layout settle
            if args.compare:
                pair = [r for r in recs if r.patient_id == target.patient_id][:2]
                from gui.dialogs.compare import CompareDialog

                dlg = CompareDialog(pair, window)
                dlg.resize(1100, 560)
                dlg.show()
                wait(app, lambda: all(v.has_image for v in dlg.viewers), 20)
                dlg.viewers[0].zoom_in()
                dlg.viewers[0].zoom_in()
                wait(app, lambda: False, 0.5)
                dlg.grab().save(str(args.compare))
                print(f"wrote {args.compare}")
                dlg.close()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shot = window.screen().grabWindow(0) if args.fit else window.grab()  # --fit: the screen, as a user sees it
        if not shot.save(str(args.out)):
            print(f"could not write {args.out}", file=sys.stderr)
            return 1
        print(f"wrote {args.out}")
        window.close()
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
