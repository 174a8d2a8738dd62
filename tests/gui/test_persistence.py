"""Keeping work: a restart restores the queue from SQLite; schema versions and migrations; audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gui.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, Store, StoreError
from inference.result import Result
from tests.gui.helpers import full_images, patient_folders, run_scan


def test_restart_restores_the_queue_and_the_clinicians_edits(qtbot, make_window, tmp_path: Path,
                                                              isolated_env: Path) -> None:  # noqa: ANN001
    first = make_window()
    folder = patient_folders(tmp_path / "clinic", full_images(5), per_patient=5)
    run_scan(qtbot, first, [folder])
    before = {r.id: r for r in first.queue_model.records()}
    cid = next(iter(before))
    first.queue_model.set_review(cid, "reviewed")
    first.queue_model.update_note(cid, "seen by Dr A")
    first.close()
    assert (isolated_env / DB_NAME).is_file()  # in the data folder, not next to the images
    assert sorted(p.name for p in (folder / "P001").iterdir()) == sorted(f.name for f in full_images(5))

    second = make_window()
    after = {r.id: r for r in second.queue_model.records()}
    assert set(after) == set(before)
    assert second.queue.stack.currentWidget() is second.queue.view  # not the empty state
    for i, r in after.items():
        b = before[i]
        assert (r.path, r.sha256, r.status, r.priority, r.top_class) == (
            b.path,
            b.sha256,
            b.status,
            b.priority,
            b.top_class,
        )
        assert r.probabilities == pytest.approx(b.probabilities)
        assert r.model_name == "paper_cnn" or r.model_name == second.state.model.name
        assert r.model_version == b.model_version != ""
    assert (after[cid].review_status, after[cid].note) == ("reviewed", "seen by Dr A")
    # Sorted by priority again after the restart.
    assert second.queue.visible_case_ids() == first.queue.visible_case_ids()


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
    assert store.schema_version == SCHEMA_VERSION == 3
    (rec,) = store.load_cases()
    assert rec.patient_id == "P1"  # still in the queue (removed defaulted to 0)
    # data kept, new columns defaulted: an old result has no activation map
    assert (rec.status, rec.top_class, rec.priority, rec.attention) == ("ok", "mel", "urgent", None)
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
