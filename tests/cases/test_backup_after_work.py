"""Issue 23: backups worth restoring. The day's first start backs up what is there (often an empty queue);
closing the store after work replaces today's backup, so restoring it gives back the day's cases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cases.storage import backup_after_work, list_backups, open_store
from cases.store import DB_NAME, Store
from inference.result import Result


def _cases_in(backup: Path) -> int:
    conn = sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
    finally:
        conn.close()


def _ingest(store: Store, n: int) -> None:
    for i in range(n):
        store.ingest(Result(f"/clinic/P{i:03d}/x{i}.jpg", "ok", sha256=f"{i:064x}", model_name="m", model_version="1",
                            probabilities={"mel": 0.1}, top_class="mel", priority="routine"), f"P{i:03d}")


def test_closing_after_work_replaces_todays_empty_backup(tmp_path: Path) -> None:
    opened = open_store(tmp_path)
    (first,) = list_backups(tmp_path / DB_NAME)
    assert _cases_in(first) == 0  # the morning's backup: an empty queue
    _ingest(opened.store, 3)
    opened.store.close()
    (after,) = list_backups(tmp_path / DB_NAME)
    assert after == first and _cases_in(after) == 3  # today's backup now holds the day's work


def test_a_session_without_changes_does_not_rewrite_the_backup(tmp_path: Path) -> None:
    opened = open_store(tmp_path)
    _ingest(opened.store, 2)
    opened.store.close()
    (backup,) = list_backups(tmp_path / DB_NAME)
    stamp = backup.stat().st_mtime_ns
    again = open_store(tmp_path)
    again.store.close()
    assert backup.stat().st_mtime_ns == stamp


def test_backup_after_a_scan(tmp_path: Path) -> None:
    """The window calls backup_after_work when a scan added cases (its worker writes on its own connection)."""
    opened = open_store(tmp_path)
    worker = Store(tmp_path / DB_NAME)
    _ingest(worker, 4)
    worker.close()
    (backup,) = list_backups(tmp_path / DB_NAME)
    assert _cases_in(backup) == 0
    backup_after_work(tmp_path / DB_NAME)
    assert _cases_in(backup) == 4
    opened.store.close()
