"""The case database's schema, as the ordered migrations that build it (cases/store.py applies them)."""

from __future__ import annotations

import sqlite3

# Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL,
        sha256 TEXT UNIQUE,
        added TEXT NOT NULL,
        review_status TEXT NOT NULL DEFAULT 'new',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX cases_path ON cases(path);
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        status TEXT NOT NULL,
        probabilities TEXT,
        top_class TEXT,
        top_name TEXT,
        malignant_score REAL,
        priority TEXT,
        priority_rule TEXT NOT NULL DEFAULT '',
        quality TEXT NOT NULL DEFAULT '{}',
        warnings TEXT NOT NULL DEFAULT '[]',
        message TEXT NOT NULL DEFAULT '',
        width INTEGER,
        height INTEGER,
        decode_ms REAL,
        preprocess_ms REAL,
        inference_ms REAL,
        created TEXT NOT NULL
    );
    CREATE INDEX results_case ON results(case_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        case_id INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    """,
    # v2: cases can leave the queue without losing their history (the audit log keeps pointing at them).
    "ALTER TABLE cases ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;",
    # v3: the predicted class's activation map (JSON rows), for the viewer's "where the model looked".
    "ALTER TABLE results ADD COLUMN attention TEXT;",
    # v4: the triage policy (rule + thresholds) per model name and version, append-only: the latest row of
    # a model is in force; NULL thresholds mean "the model card's". Every change is also in the audit log.
    """
    CREATE TABLE policy (
        id INTEGER PRIMARY KEY,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        rule TEXT NOT NULL DEFAULT '',
        urgent REAL,
        soon REAL,
        set_at TEXT NOT NULL,
        set_by TEXT NOT NULL
    );
    CREATE INDEX policy_model ON policy(model_name, model_version, id);
    """,
    # v5 (issue 12): the audit log hash-chained: each entry carries the hash of the one before, its own hash
    # (over id, time, user, case, action and the detail's sha256) and the detail's sha256 (so a purge can
    # blank a detail without breaking the chain). Entries written before v5 have NULL hashes.
    """
    ALTER TABLE audit ADD COLUMN detail_sha256 TEXT;
    ALTER TABLE audit ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    """,
    # v6 (issue 21): confirmed outcomes, one per case (the latest; every change is in the audit log), and
    # how a policy row was made (a clinician's setting, or a site fit with the evidence it rests on), and the
    # EXIF camera / dermatoscope of each analysed file (the inflow is compared per device).
    """
    CREATE TABLE outcomes (
        case_id INTEGER PRIMARY KEY REFERENCES cases(id),
        diagnosis TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        confirmed_on TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        set_at TEXT NOT NULL,
        set_by TEXT NOT NULL
    );
    ALTER TABLE policy ADD COLUMN method TEXT NOT NULL DEFAULT '';
    ALTER TABLE policy ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
    ALTER TABLE results ADD COLUMN device TEXT NOT NULL DEFAULT '';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    out, buf = [], ""
    for part in script.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out
