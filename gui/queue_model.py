"""The patient queue: a table model mirroring the store, and a proxy that sorts by urgency and filters.

Rows are only ever appended to the source model; order is the proxy's job. Because the proxy keeps
persistent indexes, the selected case stays selected while results stream in and re-sort the view.
Every edit (case ID, review status) goes to the store first and is audited there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from gui.icons import PRIORITY_STYLE, priority_icon
from gui.qtcompat import emit
from gui.store import REVIEW_STATUSES, CaseRecord, Store
from gui.thumbnails import ThumbnailCache

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FILTER_ROLE = Qt.ItemDataRole.UserRole + 2
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 3
RECORD_ROLE = Qt.ItemDataRole.UserRole + 4

# Everything that needs a person before routine cases: a retake (cannot assess) or a broken file.
TRIAGE_ORDER = ("urgent", "soon", "cannot_assess", "error", "routine")
_RANK = {k: i for i, k in enumerate(TRIAGE_ORDER)}


class Col(IntEnum):
    CASE_ID = 0
    THUMB = 1
    FILE = 2
    TOP_CLASS = 3
    MALIGNANT = 4
    PRIORITY = 5
    REVIEW = 6
    ADDED = 7


HEADERS = {
    Col.CASE_ID: "Case ID", Col.THUMB: "", Col.FILE: "File", Col.TOP_CLASS: "Most likely",
    Col.MALIGNANT: "P(malignant)", Col.PRIORITY: "Priority", Col.REVIEW: "Review", Col.ADDED: "Added",
}
HEADER_TIPS = {
    Col.CASE_ID: "Patient or case identifier (double-click to edit; defaults to the image's folder name)",
    Col.MALIGNANT: "Calibrated probability of melanoma + basal cell carcinoma + actinic keratosis",
    Col.PRIORITY: "Referral priority from the model card's thresholds (or the clinic's, see Settings)",
    Col.REVIEW: "Set by the clinician: new / reviewed / referred / dismissed (double-click to change)",
}


def triage_state(rec: CaseRecord) -> str:
    """urgent / soon / routine for a result, cannot_assess when the quality gate refused the image."""
    if rec.status == "ok" and rec.priority in ("urgent", "soon", "routine"):
        return rec.priority
    if rec.status == "rejected":
        return "cannot_assess"
    return "error"


def format_added(iso: str) -> str:
    try:
        t = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return t.strftime("%H:%M") if t.date() == datetime.now().date() else t.strftime("%Y-%m-%d %H:%M")


class QueueModel(QAbstractTableModel):
    """Source model: one row per case, in insertion order. `caseEdited(case_id)` after an edit."""

    caseEdited = Signal(int)
    countsChanged = Signal()

    def __init__(self, store: Store, thumbnails: ThumbnailCache | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.thumbnails = thumbnails
        self._rows: list[CaseRecord] = []
        self._index: dict[int, int] = {}
        self.counts: Counter[str] = Counter()
        if thumbnails is not None:
            thumbnails.ready.connect(self._thumb_ready)

    # ---- Qt model API ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Col)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Col(section)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(Col(section))
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (Col.CASE_ID, Col.REVIEW):
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        rec = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(rec, col)
        if role == SORT_ROLE:
            return self._sort_key(rec, col)
        if role == Qt.ItemDataRole.DecorationRole:
            if col == Col.PRIORITY:
                return priority_icon(triage_state(rec))
            if col == Col.THUMB and self.thumbnails is not None:
                return self.thumbnails.get(rec.id, rec.path)
            return None
        if role == Qt.ItemDataRole.EditRole:
            return rec.patient_id if col == Col.CASE_ID else rec.review_status if col == Col.REVIEW else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(rec, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == Col.MALIGNANT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == FILTER_ROLE:
            return f"{rec.patient_id}\n{rec.file_name}\n{rec.top_name or ''}\n{rec.top_class or ''}"
        if role == CASE_ID_ROLE:
            return rec.id
        if role == RECORD_ROLE:
            return rec
        return None

    def _display(self, rec: CaseRecord, col: int) -> str | None:
        if col == Col.CASE_ID:
            return rec.patient_id
        if col == Col.FILE:
            return rec.file_name
        if col == Col.TOP_CLASS:
            return rec.top_name if rec.status == "ok" else "—"
        if col == Col.MALIGNANT:
            return (
                f"{rec.malignant_score:.0%}"
                if rec.status == "ok" and rec.malignant_score is not None
                else "—"
            )
        if col == Col.PRIORITY:
            return PRIORITY_STYLE[triage_state(rec)][0]
        if col == Col.REVIEW:
            return rec.review_status.capitalize()
        if col == Col.ADDED:
            return format_added(rec.added)
        return None

    @staticmethod
    def _sort_key(rec: CaseRecord, col: int) -> object:
        if col in (Col.PRIORITY, Col.THUMB):
            # Within one priority, the higher malignant probability first.
            return _RANK[triage_state(rec)] * 2.0 + (1.0 - (rec.malignant_score or 0.0))
        if col == Col.MALIGNANT:
            return rec.malignant_score if rec.malignant_score is not None else -1.0
        if col == Col.CASE_ID:
            return rec.patient_id.lower()
        if col == Col.FILE:
            return rec.file_name.lower()
        if col == Col.TOP_CLASS:
            return (rec.top_name or "~").lower()
        if col == Col.REVIEW:
            return REVIEW_STATUSES.index(rec.review_status) if rec.review_status in REVIEW_STATUSES else 9
        return rec.added

    @staticmethod
    def _tooltip(rec: CaseRecord, col: int) -> str | None:
        if col == Col.FILE:
            return rec.path
        if col == Col.PRIORITY:
            return rec.priority_rule if rec.status == "ok" else rec.message
        if col == Col.TOP_CLASS:
            return rec.top_name if rec.status == "ok" else rec.message
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        rec = self._rows[index.row()]
        text = str(value).strip()
        if index.column() == Col.CASE_ID:
            if text == rec.patient_id:
                return False
            self.store.set_patient_id(rec.id, text)
            rec.patient_id = text
        elif index.column() == Col.REVIEW:
            text = text.lower()
            if text not in REVIEW_STATUSES or text == rec.review_status:
                return False
            self.store.set_review_status(rec.id, text)
            rec.review_status = text
        else:
            return False
        self._row_changed(index.row())
        emit(self.caseEdited, rec.id)
        return True

    # ---- mirror of the store -----------------------------------------------------------------------
    def reset(self, records: Iterable[CaseRecord]) -> None:
        self.beginResetModel()
        self._rows = list(records)
        self._index = {r.id: i for i, r in enumerate(self._rows)}
        self.counts = Counter(triage_state(r) for r in self._rows)
        self.endResetModel()
        emit(self.countsChanged)

    def upsert(self, records: Iterable[CaseRecord]) -> None:
        """Insert new cases in one block at the end; replace cases already shown (a re-analysis)."""
        fresh: dict[int, CaseRecord] = {}
        for rec in records:
            row = self._index.get(rec.id)
            if row is None:
                fresh[rec.id] = rec  # a later record of the same case in this burst wins
                continue
            self.counts[triage_state(self._rows[row])] -= 1
            self.counts[triage_state(rec)] += 1
            self._rows[row] = rec
            self._row_changed(row)
        new = list(fresh.values())
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for i, rec in enumerate(new):
                self._rows.append(rec)
                self._index[rec.id] = first + i
                self.counts[triage_state(rec)] += 1
            self.endInsertRows()
        emit(self.countsChanged)

    def remove(self, case_ids: Iterable[int]) -> None:
        """Take cases out of the queue (the store keeps them and their audit trail)."""
        ids = set(case_ids)
        ids &= set(self._index)
        if not ids:
            return
        self.store.remove_cases(sorted(ids))
        self.reset([r for r in self._rows if r.id not in ids])

    def update_note(self, case_id: int, note: str) -> None:
        row = self._index.get(case_id)
        if row is not None and self._rows[row].note != note:
            self.store.set_note(case_id, note)
            self._rows[row].note = note

    def set_review(self, case_id: int, status: str) -> bool:
        row = self._index.get(case_id)
        return row is not None and self.setData(self.index(row, Col.REVIEW), status)

    def record(self, case_id: int) -> CaseRecord | None:
        row = self._index.get(case_id)
        return self._rows[row] if row is not None else None

    def records(self) -> list[CaseRecord]:
        return list(self._rows)

    def row_of(self, case_id: int) -> int | None:
        return self._index.get(case_id)

    def _row_changed(self, row: int) -> None:
        emit(self.dataChanged, self.index(row, 0), self.index(row, len(Col) - 1))

    def _thumb_ready(self, case_id: int) -> None:
        row = self._index.get(case_id)
        if row is not None:
            idx = self.index(row, Col.THUMB)
            emit(self.dataChanged, idx, idx, [Qt.ItemDataRole.DecorationRole])


class QueueProxy(QSortFilterProxyModel):
    """Sorts on SORT_ROLE (numbers compared in C++, no Python lessThan) and filters on ID/file/class."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(Col.CASE_ID)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)
