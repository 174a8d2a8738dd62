"""The case store without Qt: schema versions and migrations, one transaction per image, the audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cases.schema import MIGRATIONS, SCHEMA_VERSION
from cases.store import Store, StoreError
from inference.result import Result


def test_migrations_upgrade_an_old_database_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db)
    for stmt in MIGRATIONS[0].split(";\n"):
        if stmt.strip():
            conn.executescript(stmt + ";")
    conn.execute("INSERT INTO cases (patient_id, path, sha256, added) VALUES ('P1', '/x.jpg', 'abc', 'now')")
    conn.execute("""INSERT INTO results (case_id, model_name, model_version, status, probabilities, top_class,
                    priority, created)
                    VALUES (1, 'paper_cnn', '1.0.0', 'ok', '{"mel": 0.9}', 'mel', 'urgent', 'now')""")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(db)
    assert store.schema_version == SCHEMA_VERSION >= 4  # v4: the triage policy table
    (rec,) = store.load_cases()
    assert rec.patient_id == "P1"  # still in the queue (removed defaulted to 0)
    # data kept, new columns defaulted: an old result has no activation map
    res = rec.result
    assert (res.status, res.top_class, res.priority, res.attention) == ("ok", "mel", "urgent", None)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_a_database_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(db)


def test_one_transaction_per_image_and_an_append_only_audit(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    ok = Result(path="/a/x.jpg", status="ok", sha256="h1", probabilities={"mel": 0.9}, model_name="m",
                model_version="1")
    assert store.ingest(ok, "P1").kind == "added"
    assert store.ingest(Result(path="/b/copy.jpg", status="ok", sha256="h1"), "P2").kind == "duplicate"
    assert store.ingest(Result(path="/a/bad.jpg", status="error", message="empty file"), "P1").kind == "added"
    # The same unreadable path is retried in place, not queued twice.
    assert (
        store.ingest(Result(path="/a/bad.jpg", status="error", message="empty file"), "P1").kind == "updated"
    )
    assert len(store.load_cases()) == 2
    other = Store(tmp_path / "s.sqlite3")  # a second connection sees every committed image at once
    assert len(other.load_cases()) == 2
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit SET action = 'x'")
    store.remove_cases([1])
    assert [c.patient_id for c in other.load_cases()] == ["P1"] and len(other.load_cases()) == 1
    assert [a[3] for a in store.audit_log(1)] == ["added", "removed from queue"]
    # Re-adding removed content brings the case back instead of duplicating it.
    assert store.ingest(ok, "P1").kind == "updated"
    assert len(store.load_cases()) == 2 and store.result_count(1) == 2
    store.close()
    other.close()
