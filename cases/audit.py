"""The audit log's hash chain: each entry carries the hash of the one before, so an entry changed,
removed or inserted around the app, or a dropped append-only trigger, is found at start."""

from __future__ import annotations

import hashlib
import json
import sqlite3

PURGED = "[purged]"  # what a purge leaves of an audit entry's detail
GENESIS = "0" * 64
AUDIT_TRIGGERS = ("audit_no_update", "audit_no_delete")
_AUDIT_NO_UPDATE = ("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
                    "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END")


def audit_entry_hash(prev_hash: str, entry_id: int, at: str, user: str, case_id: int | None, action: str,
                     detail_sha256: str) -> str:
    text = json.dumps([prev_hash, entry_id, at, user, case_id, action, detail_sha256], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def verify_audit_chain(conn: sqlite3.Connection) -> list[str]:
    """Problems with the audit log: a missing append-only trigger, an entry changed, removed or inserted
    (the hash chain), a detail changed. Empty when the log is intact."""
    problems = []
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for trig in AUDIT_TRIGGERS:
        if trig not in names:
            problems.append(f"the audit log's protection {trig} was removed")
    cols = {r[1] for r in conn.execute("PRAGMA table_info(audit)")}
    if "hash" not in cols:
        return problems
    prev, chained = GENESIS, False
    for r in conn.execute("SELECT id, at, user, case_id, action, detail, detail_sha256, prev_hash, hash "
                          "FROM audit ORDER BY id"):
        entry_id, at, user, case_id, action, detail, dsha, prev_hash, own = r
        if own is None:
            if chained:
                problems.append(f"audit entry {entry_id} has no hash (written around the app)")
                break
            continue
        chained = True
        if prev_hash != prev or own != audit_entry_hash(prev, entry_id, at, user, case_id, action, dsha or ""):
            problems.append(f"the audit log was changed at entry {entry_id} (hash chain broken)")
            break
        if detail != PURGED and text_sha256(detail) != dsha:
            problems.append(f"audit entry {entry_id}'s detail was changed")
            break
        prev = own
    return problems
