"""`dermtriage` (and `python main.py`): the app (default, optionally with files/folders to scan),
`scan DIR --out FILE`, or `--selftest`. `--help` works without a display: nothing here imports Qt
before the arguments are parsed.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """commands:
  dermtriage [FILES_OR_FOLDERS ...]   open the window and queue these images (folders recursively)
  dermtriage scan FOLDER --out FILE   classify a folder without a window (see `dermtriage scan --help`)
  dermtriage site fit RESULTS OUTCOMES  the clinic's operating point from confirmed outcomes (see `site --help`)
  dermtriage site report | reset       the clinic's own figures; back to the model card's thresholds
  dermtriage --selftest               load every shipped model and check the bundled samples

For research use; not a medical device; does not replace a clinician's diagnosis."""


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="dermtriage", description="DermTriage: offline triage of dermoscopic skin-lesion images.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", metavar="FILE_OR_FOLDER",
                    help="images or folders to scan when the window opens")
    ap.add_argument("--selftest", action="store_true", help="check every shipped model and exit")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Exit status of the command; Ctrl+C ends with status 130 and the command's own message, no traceback
    (the scan has already said what it kept and how to resume)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args)
    except KeyboardInterrupt:
        if not (args and args[0] == "scan"):  # the scan says itself what it kept
            print("\ninterrupted", file=sys.stderr)
        return 130


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "scan":
        from cases.scan import run_scan

        return run_scan(argv[1:])
    if argv and argv[0] == "site":
        from cases.site_cli import run_site

        return run_site(argv[1:])
    # Unknown options (Qt's own, e.g. -platform offscreen) are left to QApplication.
    args, qt_args = build_parser().parse_known_args(argv)
    if args.selftest:
        from cases.scan import store_path_without_creating
        from cases.store_state import store_state
        from inference.selftest import run_selftest

        code = run_selftest()
        folder = store_path_without_creating().parent  # said, never created or changed
        print(f"case store {folder}: {store_state(folder) if folder.is_dir() else 'none: not created yet'}")
        return code
    from gui.app import run_app

    return run_app(qt_args, paths=args.paths)
