"""DermTriage from a source checkout (and PyInstaller's entry script): the same as the `dermtriage` command.

`main.py [FILES_OR_FOLDERS...]` starts the app (and scans them); `main.py scan DIR --out FILE`;
`main.py --selftest`; `main.py --help`.
"""

from __future__ import annotations

import sys

from dermtriage.cli import main

if __name__ == "__main__":
    sys.exit(main())
