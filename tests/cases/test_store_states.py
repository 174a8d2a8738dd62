"""Issue 23: the store opens in one of three states, each said plainly: writable; read-only (a read-only mount,
no write permission on the folder or the database, a lock file it cannot open); damaged. Every state is
checked in a child process run as an unprivileged user (tests/unprivileged.py): as root, permissions would
not stop a single write. The read-only mount is a bind mount in a user namespace (`unshare`), skipped with the
reason where the kernel does not allow one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cases.storage import LOCK_NAME
from cases.store import DB_NAME, Store
from inference.result import Result
from tests.conftest import ROOT
from tests.unprivileged import as_user, give, user_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="permissions, setpriv and mounts are POSIX")

PROBE = r"""
import json, sys
from pathlib import Path
from cases.storage import DamagedError, LockedError, open_store
from cases.store_state import store_state
from cases.store import StoreError
folder = Path(sys.argv[1])
out = {"state": str(store_state(folder))}
try:
    o = open_store(folder)
    out.update(read_only=o.read_only, n=len(o.store.load_cases()))
    try:
        o.store.set_review_status(1, "reviewed")
        out["write"] = "ok"
    except StoreError as e:
        out["write"] = type(e).__name__ + ": " + str(e)
    o.store.close()
except DamagedError as e:
    out.update(damaged=str(e), unreadable=e.health.unreadable)
except StoreError as e:
    out.update(error=str(e))
if len(sys.argv) > 2:  # the window's recovery: start with an empty queue
    from gui.dialogs.recovery import FRESH, Choice, open_data_folder
    class Fresh:
        def locked(self, holder): return "quit"
        def damaged(self, db, problem, backups): return Choice(FRESH)
    try:
        opened = open_data_folder(folder, Fresh())
        out["fresh"] = "opened"
        opened.store.close()
    except StoreError as e:
        out["fresh"] = "StoreError: " + str(e)
print(json.dumps(out))
"""


def _fill(db: Path, n: int = 3) -> None:
    store = Store(db)
    for i in range(n):
        store.ingest(Result(f"/clinic/P{i:03d}/lesion {i}.jpg", "ok", sha256=f"{i:064x}", model_name="m",
                            model_version="1", probabilities={"mel": 0.1}, top_class="mel", priority="routine"),
                     f"P{i:03d}")
    store.close()


def _read_only_mount(folder: Path, cmd: list[str]) -> list[str]:
    """`cmd` run as the unprivileged user with `folder` bind-mounted read-only in a private mount namespace:
    as root, the namespace is made first and privileges dropped inside it; otherwise in a user namespace."""
    d = str(folder)
    mount = f'mount --bind "{d}" "{d}" && mount -o remount,bind,ro "{d}" && exec "$@"'
    if os.geteuid() == 0:
        return ["unshare", "--mount", "sh", "-c", mount, "sh", *as_user(cmd)]
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, "sh", *cmd]


def _probe(folder: Path, home: Path, *extra: str, mount_ro: bool = False) -> dict:
    cmd = [sys.executable, "-c", PROBE, str(folder), *extra]
    give(home)
    proc = subprocess.run(_read_only_mount(folder, cmd) if mount_ro else as_user(cmd), capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env=user_env(home, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def data(user_tmp: Path) -> Path:
    folder = user_tmp / "data"
    folder.mkdir(mode=0o700)
    _fill(folder / DB_NAME)
    give(user_tmp)
    return folder


def test_writable(data: Path, user_tmp: Path) -> None:
    out = _probe(data, user_tmp)
    assert out["state"] == "writable" and out["read_only"] == "" and out["n"] == 3 and out["write"] == "ok"


def test_chmod_500_folder_is_read_only_and_stays_500(data: Path, user_tmp: Path) -> None:
    data.chmod(0o500)
    out = _probe(data, user_tmp)
    assert out["state"].startswith("read-only") and "not writable" in out["read_only"], out
    assert out["n"] == 3 and out["write"].startswith("StoreWriteError") and "read-only" in out["write"]
    assert data.stat().st_mode & 0o777 == 0o500  # the user's chmod is respected, not reverted to 0700
    # data_dir() (the window's start) does not revert it either
    code = "from cases.store import data_dir; data_dir()"
    subprocess.run(as_user([sys.executable, "-c", code]), check=True, timeout=60, cwd=ROOT,
                   env=user_env(user_tmp, PYTHONPATH=str(ROOT), DERMTRIAGE_DATA_DIR=str(data)))
    assert data.stat().st_mode & 0o777 == 0o500


def test_lock_file_that_cannot_be_opened_is_read_only_not_a_crash(data: Path, user_tmp: Path) -> None:
    lock = data / LOCK_NAME
    lock.write_text("")
    give(user_tmp)
    lock.chmod(0o400)
    out = _probe(data, user_tmp)
    assert "lock file" in out["read_only"] and "chmod 600" in out["read_only"], out
    assert out["n"] == 3 and out["write"].startswith("StoreWriteError")
    assert lock.stat().st_mode & 0o777 == 0o400


def test_read_only_database_file_is_read_only_not_damaged(data: Path, user_tmp: Path) -> None:
    (data / DB_NAME).chmod(0o400)
    out = _probe(data, user_tmp)
    assert "damaged" not in out and "database file is read-only" in out["read_only"], out
    assert out["state"].startswith("read-only") and out["n"] == 3 and out["write"].startswith("StoreWriteError")
    assert (data / DB_NAME).stat().st_mode & 0o777 == 0o400


def _userns_mount_works(tmp: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    cmd = _read_only_mount(tmp, ["sh", "-c", f'! touch "{tmp}/.probe" 2>/dev/null'])
    return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0


def test_read_only_mount_is_read_only_not_damaged(data: Path, user_tmp: Path) -> None:
    if not _userns_mount_works(data):
        pytest.skip("this kernel does not allow a bind mount in an unprivileged user namespace")
    out = _probe(data, user_tmp, mount_ro=True)
    assert "damaged" not in out, out
    assert "read-only file system" in out["read_only"] and out["state"].startswith("read-only")
    assert out["n"] == 3 and out["write"].startswith("StoreWriteError")


def test_damaged_database_on_a_read_only_mount_start_fresh_is_a_message(data: Path, user_tmp: Path) -> None:
    if not _userns_mount_works(data):
        pytest.skip("this kernel does not allow a bind mount in an unprivileged user namespace")
    db = data / DB_NAME
    raw = bytearray(db.read_bytes())
    raw[:16] = b"not a database!!"
    db.write_bytes(bytes(raw))
    out = _probe(data, user_tmp, "fresh", mount_ro=True)
    assert out["state"].startswith("damaged") and "damaged" in out["damaged"], out
    assert out["fresh"].startswith("StoreError") and "read-only" in out["fresh"], out
    assert db.read_bytes() == bytes(raw)  # nothing moved, nothing lost


def test_damaged_database_in_a_writable_folder_start_fresh_works(data: Path, user_tmp: Path) -> None:
    db = data / DB_NAME
    db.write_bytes(b"not a database at all" * 100)
    out = _probe(data, user_tmp, "fresh")
    assert out["state"].startswith("damaged") and out["fresh"] == "opened", out
    assert list(data.glob(f"{DB_NAME}.damaged-*"))
