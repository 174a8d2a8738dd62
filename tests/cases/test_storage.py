"""Storage that fails safe (issue 12): damaged and 0-byte databases, backups and recovery, two instances,
a read-only folder, a full disk, file permissions, a real purge and the hash-chained audit log."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from cases import storage
from cases.audit import PURGED, verify_audit_chain
from cases.storage import DamagedError, InstanceLock, LockedError, check_database, open_store
from cases.store import DB_NAME, Store, StoreWriteError
from inference.result import Result


def _fill(db: Path, n: int = 40) -> None:
    store = Store(db)
    for i in range(n):
        store.ingest(Result(f"/clinic/P{i:03d}/lesion {i}.jpg", "ok", sha256=f"{i:064x}", model_name="m",
                            model_version="1", probabilities={"mel": 0.1}, top_class="mel", priority="routine"),
                     f"P{i:03d}")
    store.set_note(1, "seen in clinic, " * 20)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def _open(folder: Path, **kw) -> storage.Opened:  # noqa: ANN003
    opened = open_store(folder, **kw)
    return opened


def _close(opened: storage.Opened) -> None:
    opened.store.close()  # releases the lock
    assert opened.lock is None or not opened.lock.held


def test_zero_byte_database_is_not_an_empty_queue(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"")
    with pytest.raises(DamagedError, match="empty file"):
        open_store(tmp_path)
    aside = storage.start_fresh(tmp_path / DB_NAME)
    assert aside is not None and aside.exists() and aside.name.startswith(DB_NAME + ".damaged-")
    opened = _open(tmp_path)
    assert opened.store.load_cases() == []
    _close(opened)


def test_damaged_page_is_caught_and_a_backup_restores_the_queue(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    _fill(db)
    opened = _open(tmp_path)  # healthy: today's backup is taken
    assert opened.backup is not None and len(storage.list_backups(db)) == 1
    _close(opened)
    data = bytearray(db.read_bytes())
    page = 4096
    data[2 * page : 2 * page + 900] = os.urandom(900)  # garbage in a middle page
    db.write_bytes(bytes(data))
    health = check_database(db)
    assert not health.ok and ("damaged" in health.problem or "not a database" in health.problem)
    with pytest.raises(DamagedError):
        open_store(tmp_path)
    (backup,) = storage.list_backups(db)
    aside = storage.restore_backup(db, backup)
    assert aside is not None and aside.exists()  # the damaged file is kept
    opened = _open(tmp_path)
    assert len(opened.store.load_cases()) == 40
    _close(opened)


def test_not_a_database(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DamagedError, match="not a database"):
        open_store(tmp_path)


def test_rolling_backups_keep_seven(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    _fill(db, 3)
    for day in range(1, 11):
        assert storage.backup_now(db, stamp=f"202611{day:02d}") is not None
    assert storage.backup_now(db, stamp="20261110") is None  # one a day
    names = [p.name for p in storage.list_backups(db)]
    assert names == [f"dermtriage-202611{d:02d}.sqlite3" for d in range(10, 3, -1)]
    assert all(check_database(p).ok for p in storage.list_backups(db))
    if os.name == "posix":
        assert stat.S_IMODE(storage.backup_dir(db).stat().st_mode) == 0o700
        assert {stat.S_IMODE(p.stat().st_mode) for p in storage.list_backups(db)} == {0o600}


def test_two_instances_second_is_read_only(tmp_path: Path) -> None:
    first = _open(tmp_path)
    with pytest.raises(LockedError, match="another DermTriage window"):
        open_store(tmp_path)
    second = _open(tmp_path, allow_read_only_second=True)
    assert second.read_only.startswith("open in another window") and second.lock is None
    first.store.ingest(Result("/a/x.jpg", "error", message="empty file"), "P1")
    assert [r.path for r in second.store.load_cases()] == ["/a/x.jpg"]  # sees the first window's work
    with pytest.raises(StoreWriteError, match="read-only"):
        second.store.set_note(1, "typed in the second window")
    assert first.store.get_case(1).note == ""
    _close(second)
    _close(first)
    third = _open(tmp_path)  # the lock is free again
    assert third.read_only == ""
    _close(third)


def test_lock_across_processes(tmp_path: Path) -> None:
    import subprocess

    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    code = ("import sys; from pathlib import Path; from cases.storage import InstanceLock; "
            f"sys.exit(0 if not InstanceLock(Path({str(tmp_path)!r})).acquire() else 1)")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, timeout=60).returncode == 0
    lock.release()


def test_read_only_folder_opens_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / DB_NAME
    _fill(db, 2)
    monkeypatch.setattr(storage, "folder_writable", lambda folder: False)
    opened = _open(tmp_path)
    assert opened.read_only == "the data folder is read-only" and opened.lock is None
    assert len(opened.store.load_cases()) == 2
    with pytest.raises(StoreWriteError, match="read-only"):
        opened.store.set_review_status(1, "reviewed")
    _close(opened)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_really_read_only_folder(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    _fill(db, 2)
    tmp_path.chmod(0o500)
    try:
        opened = _open(tmp_path)
        assert opened.read_only and len(opened.store.load_cases()) == 2
        _close(opened)
    finally:
        tmp_path.chmod(0o700)


def test_full_disk_is_a_clear_write_error_and_nothing_half_written(tmp_path: Path) -> None:
    """SQLITE_FULL, for real: the database may not grow past its current pages (a full disk to SQLite)."""
    db = tmp_path / DB_NAME
    _fill(db, 2)
    store = Store(db)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreWriteError, match="disk is full"):
        store.set_note(2, "x" * 200_000)
    assert store.get_case(2).note == ""
    assert not store.conn.in_transaction
    store.close()


def test_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.name != "posix":
        pytest.skip("POSIX modes")
    from cases.store import data_dir

    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "data"))
    folder = data_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    Store(folder / DB_NAME).close()
    assert stat.S_IMODE((folder / DB_NAME).stat().st_mode) == 0o600


def test_uncreatable_data_folder_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cases.store import StoreError, data_dir

    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "file" / "data"))
    with pytest.raises(StoreError, match="cannot create the data folder"):
        data_dir()


def test_purge_removes_everything_but_a_clean_audit_entry(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    _fill(db, 3)
    store = Store(db)
    store.set_patient_id(2, "Jane Doe 1970-01-01")
    store.set_note(2, "Secret clinical note")
    assert store.purge_cases([2]) == 1
    assert [r.id for r in store.load_cases()] == [1, 3]
    assert store.conn.execute("SELECT COUNT(*) FROM results WHERE case_id = 2").fetchone()[0] == 0
    details = [d for _, _, cid, _, d in store.audit_log() if cid == 2]
    assert details and set(details) == {PURGED}
    assert store.audit_log()[-1][3:] == ("purged", "1 case(s)")
    assert store.verify_audit() == []
    store.close()
    raw = db.read_bytes() + (Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b"")
    for secret in (b"Jane Doe", b"Secret clinical note", b"lesion 1.jpg", b"P001"):
        assert secret not in raw, secret
    storage.backup_now(db, stamp="20260101")
    fresh = storage.refresh_backups(db)
    assert storage.list_backups(db) == [fresh]


def test_audit_chain_detects_tampering(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    _fill(db, 4)
    conn = sqlite3.connect(db)
    assert verify_audit_chain(conn) == []
    conn.execute("DROP TRIGGER audit_no_update")
    assert any("audit_no_update was removed" in p for p in verify_audit_chain(conn))
    conn.execute("UPDATE audit SET detail = 'nothing to see' WHERE id = 2")
    conn.commit()
    assert any("detail was changed" in p for p in verify_audit_chain(conn))
    conn.close()
    other = tmp_path / "other" / DB_NAME
    other.parent.mkdir()
    _fill(other, 4)
    conn = sqlite3.connect(other)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id = 3")
    conn.commit()
    assert any("hash chain broken" in p for p in verify_audit_chain(conn))
    conn.close()
    opened = _open(tmp_path)
    assert any(w.startswith("audit log:") for w in opened.warnings)
    _close(opened)
