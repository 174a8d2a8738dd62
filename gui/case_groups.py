"""Patients: the queue grouped by case ID in a tree, each group under its worst priority.

Built from the queue as shown (the proxy's filter and order), so grouping never hides or reorders what
the filter decided; a group takes the worst priority of its images and the highest P(malignant), and
groups are ordered like rows (urgent first). Rebuilt when the queue changes, keeping which groups are
open and which case is selected.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel

from cases.policy import triage_key, triage_state
from cases.records import CaseRecord
from cases.vocab import UNASSIGNED
from gui.icons import priority_icon
from gui.queue_model import CASE_ID_ROLE

GROUP_ROLE = Qt.ItemDataRole.UserRole + 10  # the group's case ID on group rows
HEADERS = ("Priority", "P(malignant)", "Case / file", "Most likely", "Review", "Added")


def _score(rec: CaseRecord) -> float | None:
    res = rec.result
    return res.malignant_score if res.ok else None


class GroupModel(QStandardItemModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setHorizontalHeaderLabels(list(HEADERS))

    def rebuild(self, records: list[CaseRecord]) -> None:
        """`records` in the order shown; one group per case ID, worst priority first."""
        groups: dict[str, list[CaseRecord]] = {}
        for rec in records:
            groups.setdefault(rec.patient_id, []).append(rec)
        ordered = sorted(groups.items(), key=lambda kv: (min(triage_key(r.result) for r in kv[1]), kv[0]))
        self.removeRows(0, self.rowCount())
        bold = QFont()
        bold.setBold(True)
        for pid, recs in ordered:
            worst = min((triage_state(r.result) for r in recs), key=lambda t: t.rank)
            scores = [s for s in (_score(r) for r in recs) if s is not None]
            head = [QStandardItem() for _ in HEADERS]
            head[0].setText(worst.label)
            head[0].setIcon(priority_icon(worst))
            head[1].setText(f"{max(scores):.0%}" if scores else "—")
            head[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            head[2].setText(f"{pid or UNASSIGNED}  ({len(recs)} image{'s' if len(recs) != 1 else ''})")
            for item in head:
                item.setEditable(False)
                item.setFont(bold)
                item.setData(pid, GROUP_ROLE)
            for rec in recs:
                state = triage_state(rec.result)
                score = _score(rec)
                row = [QStandardItem() for _ in HEADERS]
                row[0].setText(state.label)
                row[0].setIcon(priority_icon(state))
                row[1].setText("—" if score is None else f"{score:.0%}")
                row[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                row[2].setText(rec.file_name)
                row[2].setToolTip(rec.path)
                row[3].setText(rec.result.top_name or "—" if rec.result.ok else "—")
                row[4].setText(rec.review_status.label)
                row[5].setText(rec.added[:16].replace("T", " "))
                for item in row:
                    item.setEditable(False)
                    item.setData(rec.id, CASE_ID_ROLE)
                head[0].appendRow(row)
            self.appendRow(head)
