"""Take docs/screenshot_clinic_performance.png: Clinic > Clinic performance at 1366x768, on Derm7pt as a new clinic.

160 Derm7pt images (40 melanomas, 100 nevi, 10 benign keratoses, 10 BCCs; seed 7; a dermatoscope the model
never saw) are scanned in the window, their diagnoses recorded as confirmed outcomes, and the window opened.

Run under a virtual display: `xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python docs/screenshot_clinic.py`.
The app's database and settings go to a temporary folder; the user's are never touched.
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DERM7PT = ROOT.parent / "shared" / "data" / "derm7pt_384px"
OUT = ROOT / "docs" / "screenshot_clinic_performance.png"


def pick(seed: int = 7) -> dict[str, str]:
    """image path -> diagnosis, stratified."""
    by_dx: dict[str, list[str]] = {}
    with open(DERM7PT / "metadata.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_dx.setdefault(row["dx"], []).append(row["image_id"])
    rng = random.Random(seed)
    return {str(DERM7PT / "images" / f"{i}.jpg"): dx
            for dx, n in (("mel", 40), ("nv", 100), ("bkl", 10), ("bcc", 10)) for i in rng.sample(by_dx[dx], n)}


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="dermtriage_shot_"))
    os.environ["DERMTRIAGE_DATA_DIR"] = str(tmp / "data")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QCoreApplication, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = QApplication(sys.argv)
    QCoreApplication.setOrganizationName("DermTriageScreenshot")
    QCoreApplication.setApplicationName("DermTriageScreenshot")
    from gui.app import create_main_window

    dx_of = pick()
    window = create_main_window()
    window.resize(1366, 740)
    window.show()

    def scanned(_summary: object) -> None:
        window.queue_model.set_outcomes({r.id: (dx_of[r.path], "histopathology", "2026-11-20", "")
                                         for r in window.queue_model.records() if r.path in dx_of}, how="screenshot")
        dlg = window.clinic.show_performance()

        def wait() -> None:
            if not dlg.views:
                QTimer.singleShot(200, wait)
                return
            QTimer.singleShot(700, lambda: (dlg.grab().save(str(OUT)), print(OUT), app.quit()))

        wait()

    window.controller.finished.connect(scanned)
    window.start_scan(list(dx_of))
    QTimer.singleShot(180_000, app.quit)
    app.exec()
    window.close()
    return 0 if OUT.is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
