"""Issue 23: the window says which state its store opened in, as an unprivileged user (the window runs in a
child process as nobody when the tests run as root: tests/unprivileged.py). Read-only: the title and a
permanent status-bar label say why; a read-only mount is not "damaged"; a damaged database in a folder that
cannot be changed gets a recovery dialog whose restore / start-fresh buttons are disabled, and choosing them
anyway is a message, not a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cases.storage import LOCK_NAME
from cases.store import DB_NAME
from tests.cases.test_store_states import _fill, _read_only_mount, _userns_mount_works
from tests.conftest import ROOT
from tests.unprivileged import as_user, give, user_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="permissions and mounts are POSIX")

WINDOW = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QLabel
tmp = Path(sys.argv[1])
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
app = QApplication(["dermtriage"])
from cases.store import StoreError
from gui.app import configure_app, create_main_window
from gui.dialogs.recovery import FRESH, Choice
configure_app(app)
class Fresh:
    def locked(self, holder): return "quit"
    def damaged(self, db, problem, backups):
        print(json.dumps({"dialog": problem}))
        return Choice(FRESH)
try:
    w = create_main_window(chooser=Fresh())
except StoreError as exc:
    print(json.dumps({"error": str(exc)}))
    raise SystemExit(0)
label = w.findChild(QLabel, "readOnlyLabel")
print(json.dumps({"title": w.windowTitle(), "label": label.text() if label else "", "rows": w.queue_model.rowCount()}))
w.close()
"""


def _window(data: Path, home: Path, mount_ro: bool = False) -> list[dict]:
    cmd = [sys.executable, "-c", WINDOW, str(home)]
    give(home)
    env = user_env(home, PYTHONPATH=str(ROOT), DERMTRIAGE_DATA_DIR=str(data))
    proc = subprocess.run(_read_only_mount(data, cmd) if mount_ro else as_user(cmd), capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


@pytest.fixture
def data(user_tmp: Path) -> Path:
    folder = user_tmp / "data"
    folder.mkdir(mode=0o700)
    _fill(folder / DB_NAME)
    give(user_tmp)
    return folder


@pytest.mark.parametrize("how", ["folder_500", "lock_400", "database_400"])
def test_read_only_states_are_said_in_the_window(data: Path, user_tmp: Path, how: str) -> None:
    if how == "folder_500":
        data.chmod(0o500)
        want = "not writable"
    elif how == "lock_400":
        (data / LOCK_NAME).write_text("")
        give(user_tmp)
        (data / LOCK_NAME).chmod(0o400)
        want = "lock file"
    else:
        (data / DB_NAME).chmod(0o400)
        want = "database file is read-only"
    (out,) = _window(data, user_tmp)
    assert "READ-ONLY" in out["title"] and want in out["label"], out
    assert out["rows"] == 3
    if how == "folder_500":
        assert data.stat().st_mode & 0o777 == 0o500


def test_writable_store_has_no_read_only_label(data: Path, user_tmp: Path) -> None:
    (out,) = _window(data, user_tmp)
    assert "READ-ONLY" not in out["title"] and out["label"] == "" and out["rows"] == 3


def test_read_only_mount_opens_read_only_and_damaged_one_is_a_message(data: Path, user_tmp: Path) -> None:
    if not _userns_mount_works(data):
        pytest.skip("this kernel does not allow a read-only bind mount here")
    (out,) = _window(data, user_tmp, mount_ro=True)
    assert "read-only file system" in out["label"] and out["rows"] == 3, out
    db = data / DB_NAME
    db.write_bytes(b"this is not a database" * 50)
    dialog, error = _window(data, user_tmp, mount_ro=True)
    assert "damaged" in dialog["dialog"] and "cannot be changed" in dialog["dialog"]
    assert "not set aside" in error["error"] and "read-only" in error["error"]
    assert db.read_bytes() == b"this is not a database" * 50


def test_damaged_database_held_by_another_window_is_never_moved(tmp_path: Path) -> None:
    """A second window (read-only: the first holds the lock) that finds the database damaged must not set it
    aside under the first window's feet, whatever the user chooses."""
    from cases.storage import InstanceLock
    from cases.store import StoreError
    from cases.store_state import cannot_change_reason
    from gui.dialogs.recovery import FRESH, READ_ONLY, Choice, open_data_folder

    db = tmp_path / DB_NAME
    db.write_bytes(b"not a database" * 100)
    holder = InstanceLock(tmp_path)
    assert holder.acquire()
    try:
        assert "open in another window" in cannot_change_reason(tmp_path)

        class Chooser:
            def locked(self, holder: str) -> str:
                return READ_ONLY

            def damaged(self, db: Path, problem: str, backups: list[Path]) -> Choice:
                return Choice(FRESH)

        with pytest.raises(StoreError, match="not set aside"):
            open_data_folder(tmp_path, Chooser())
        assert db.read_bytes() == b"not a database" * 100 and not list(tmp_path.glob("*.damaged-*"))
    finally:
        holder.release()
    assert cannot_change_reason(tmp_path) == ""


def test_recovery_dialog_disables_what_cannot_work(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from gui.dialogs.recovery import RecoveryDialog

    backup = tmp_path / "b.sqlite3"
    backup.write_bytes(b"x")
    dlg = RecoveryDialog(tmp_path / DB_NAME, "damaged", [backup], read_only="the data folder is on a read-only "
                                                                           "file system")
    qtbot.addWidget(dlg)
    assert not dlg.restore.isEnabled() and not dlg.fresh.isEnabled() and dlg.quit.isEnabled()
    assert "read-only" in dlg.fresh.toolTip()
    ok = RecoveryDialog(tmp_path / DB_NAME, "damaged", [backup])
    qtbot.addWidget(ok)
    assert ok.restore.isEnabled() and ok.fresh.isEnabled()
