"""File names as the OS gives them, shown and written as valid Unicode.

On POSIX a file name is any byte sequence; Python hands names that are not UTF-8 over with the bad
bytes surrogate-escaped (PEP 383), and such a str cannot be encoded for CSV, JSON, SQLite or Qt. The
file is always opened by its real (surrogate-escaped) name; only what is shown or written is converted.
"""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str | Path, escape: bool = False) -> str:
    """A path as valid Unicode text: names that are not UTF-8 reach Python surrogate-escaped (os.fsdecode)
    and cannot be encoded for CSV, JSON, SQLite or Qt as they are.

    `escape=True` writes each undecodable byte as `\\xNN` (the bytes stay readable: for CSV and JSON);
    otherwise it is shown as U+FFFD (for the window). The file itself is always opened by its real name.
    """
    s = os.fspath(path)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        raw = os.fsencode(s)
        return raw.decode("utf-8", "backslashreplace" if escape else "replace")
