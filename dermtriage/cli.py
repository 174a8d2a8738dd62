"""`dermtriage` (and `python main.py`): the app (default), `scan DIR --out FILE`, or `--selftest`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "scan":
        from cases.scan import run_scan

        return run_scan(argv[1:])
    if "--selftest" in argv:
        from inference.selftest import run_selftest

        return run_selftest()
    from gui.app import run_app

    return run_app(argv)
