"""The case store's confirmed outcomes and policy history (issue 21), kept apart from cases/store.py so each
module holds one room; `Store` inherits these methods (cases.outcomes holds the vocabulary, cases.site
what the outcomes mean)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class OutcomesMixin:
    conn: sqlite3.Connection
    user: str
    transaction: Callable[[], AbstractContextManager[Any]]
    _audit: Callable[..., None]

    def outcomes(self) -> dict[int, tuple[str, str, str, str]]:
        """case id -> (diagnosis, source, confirmed on, note) of every case with a confirmed outcome."""
        return {int(r[0]): (str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in self.conn.execute(
            "SELECT case_id, diagnosis, source, confirmed_on, note FROM outcomes")}

    def set_outcomes(self, outcomes: dict[int, tuple[str, str, str, str] | None], how: str = "entered") -> int:
        """Record (or with None clear) confirmed outcomes in one transaction, each audited with the old and
        new diagnosis; returns how many changed. An import is all of its rows or none of them."""
        changed = 0
        with self.transaction() as tx:
            for case_id, value in outcomes.items():
                old = tx.execute("SELECT diagnosis, source, confirmed_on FROM outcomes WHERE case_id = ?",
                                 (case_id,)).fetchone()
                before = "none" if old is None else f"{old[0]} ({old[1]}, {old[2]})"
                if value is None:
                    if old is None:
                        continue
                    tx.execute("DELETE FROM outcomes WHERE case_id = ?", (case_id,))
                    self._audit(tx, case_id, "outcome cleared", f"{before} -> none ({how})")
                else:
                    dx, source, on, note = value
                    tx.execute("INSERT INTO outcomes (case_id, diagnosis, source, confirmed_on, note, set_at, set_by) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET diagnosis = "
                               "excluded.diagnosis, source = excluded.source, confirmed_on = excluded.confirmed_on, "
                               "note = excluded.note, set_at = excluded.set_at, set_by = excluded.set_by",
                               (case_id, dx, source, on, note, _now(), self.user))
                    self._audit(tx, case_id, "outcome recorded", f"{before} -> {dx} ({source}, {on}) ({how})")
                changed += 1
        return changed

    def policy_history(self, model_name: str, model_version: str) -> list[dict]:
        """Every policy row of one model, newest first: who set what, when, and how."""
        rows = self.conn.execute("SELECT urgent, soon, set_at, set_by, method, evidence FROM policy WHERE "
                                 "model_name = ? AND model_version = ? ORDER BY id DESC", (model_name, model_version))
        return [dict(zip(("urgent", "soon", "set_at", "set_by", "method", "evidence"), tuple(r), strict=True))
                for r in rows]
