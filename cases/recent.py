"""Recent folders and the last folder opened, kept in the private data folder (issue 23).

Folder names are patient-derived (the app's own convention makes a patient's sub-folder name the case ID),
so they belong with the cases: in the 0700 data folder, in a 0600 file, and gone after a purge. They used
to live in the per-user settings (`~/.config/DermTriage/DermTriage.conf`, 0644), outside the private folder,
where a purge never reached them. Qt-free; the window's Intake reads and writes through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cases.store import private
from inference import strict_json

RECENT_FILE = "recent_folders.json"
RECENT_MAX = 8


class RecentFolders:
    """`recent` (newest first) and `last_dir` of one data folder. A folder that cannot be written (a
    read-only window) keeps the list in memory for the session and writes nothing."""

    def __init__(self, data_folder: Path) -> None:
        self.path = Path(data_folder) / RECENT_FILE
        self.recent: list[str] = []
        self.last_dir = ""
        try:
            doc = strict_json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
        except (OSError, ValueError):
            doc = {}
        if isinstance(doc, dict):
            self.recent = [str(v) for v in doc.get("recent_folders") or [] if v][:RECENT_MAX]
            self.last_dir = str(doc.get("last_dir") or "")

    def remember(self, folders: list[str]) -> None:
        for folder in folders:
            if folder in self.recent:
                self.recent.remove(folder)
            self.recent.insert(0, folder)
        del self.recent[RECENT_MAX:]
        self.save()

    def set_last_dir(self, folder: str | os.PathLike[str]) -> None:
        self.last_dir = str(folder)
        self.save()

    def save(self) -> bool:
        """Written atomically, 0600; False (kept in memory only) when the data folder cannot be written."""
        text = strict_json.dumps({"recent_folders": self.recent, "last_dir": self.last_dir}, indent=1)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{RECENT_FILE}.", dir=self.path.parent)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            private(Path(tmp), 0o600)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return False
        return True

    def clear(self) -> None:
        """After a purge: no folder name of any case stays behind."""
        self.recent, self.last_dir = [], ""
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            self.save()  # cannot remove it (odd permissions): at least empty it
