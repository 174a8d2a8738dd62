"""DermTriage from a source checkout (and PyInstaller's entry script): the same as the `dermtriage` command.

`main.py` (no arguments) starts the app; `main.py scan DIR --out FILE`; `main.py --selftest`.
"""

from __future__ import annotations

import sys

from dermtriage.cli import main

if __name__ == "__main__":
    sys.exit(main())
