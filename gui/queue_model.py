"""The patient queue: a C++-backed item model mirroring the store, and a proxy sorting by urgency.

Why QStandardItemModel and not a Python `data()`: painting, sorting and filtering call `data()`
thousands of times, and each call into Python must take the GIL, which the scan threads hold most of
the time; measured, a Python model made each repaint 3-4x slower during a scan. Here every value the
view needs (text, icon, sort key, filter text) is computed once when a result arrives and stored in
C++, so painting and sorting never enter Python. Only edits (`setData`) do, and they go to the store
first, where they are audited. Rows are only ever appended; order is the proxy's job, and its
persistent indexes keep the user's selection on the same case while results stream in.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QPixmap, QStandardItem, QStandardItemModel

from cases.policy import TriagePolicy, triage_key, triage_state
from cases.recent import RecentFolders
from cases.records import CaseRecord
from cases.storage import refresh_backups
from cases.store import Store, StoreError
from cases.vocab import UNASSIGNED, Review, Triage
from gui.icons import priority_icon

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FILTER_ROLE = Qt.ItemDataRole.UserRole + 2
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 3
THUMB_LIMIT = 3000  # thumbnails kept in memory (about 10 kB each)


class Col(IntEnum):
    """Column order: what decides the referral (priority, P(malignant)) first, so a narrow pane never
    scrolls it out of view; the class name and the dates give way first."""

    PRIORITY = 0
    MALIGNANT = 1
    THUMB = 2
    CASE_ID = 3
    FILE = 4
    TOP_CLASS = 5
    REVIEW = 6
    ADDED = 7
    OUTCOME = 8  # the confirmed outcome (issue 21): last, so a narrow pane never loses the priority for it


HEADERS = {
    Col.CASE_ID: "Case ID", Col.THUMB: "", Col.FILE: "File", Col.TOP_CLASS: "Most likely",
    Col.MALIGNANT: "P(malignant)", Col.PRIORITY: "Priority", Col.REVIEW: "Review", Col.ADDED: "Added",
    Col.OUTCOME: "Outcome",
}
HEADER_TIPS = {
    Col.CASE_ID: "Patient or case identifier (double-click to edit; the per-patient sub-folder's name when a "
                 "folder of such folders was scanned, otherwise Unassigned)",
    Col.MALIGNANT: "Calibrated probability of melanoma + basal cell carcinoma + actinic keratosis",
    Col.PRIORITY: "Referral priority from the model card's thresholds (or the clinic's, see Settings)",
    Col.REVIEW: "Set by the clinician: new / reviewed / referred / dismissed (double-click to change)",
    Col.OUTCOME: "The confirmed diagnosis (histopathology, follow-up or consensus), entered in the case panel "
                 "or imported (Clinic > Import outcomes)",
}
OutcomeValue = tuple[str, str, str, str]  # (diagnosis, source, confirmed on, note), as Store.outcomes() gives
WITH_OUTCOME = "with outcome"  # filter words (the filter box matches them), kept in FILTER_ROLE
AWAITING_OUTCOME = "awaiting outcome"


def outcome_label(outcome: OutcomeValue | None, names: dict[str, str]) -> str:
    """The diagnosis as the queue shows it: the card's full name where it has one, else the code."""
    if outcome is None:
        return ""
    name = names.get(outcome[0], outcome[0])
    return name[:1].upper() + name[1:]



def format_added(iso: str) -> str:
    """Local time, with the date unless it is today (for panels that are refreshed when shown)."""
    try:
        t = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return t.strftime("%H:%M") if t.date() == datetime.now().date() else t.strftime("%Y-%m-%d %H:%M")


def _stable_time(iso: str) -> str:
    """Table text computed once per row, so it must not depend on today's date: "27 Nov 14:05"."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d %b %H:%M")
    except ValueError:
        return iso


def _cells(rec: CaseRecord, outcome: OutcomeValue | None = None,
           names: dict[str, str] | None = None) -> list[dict[int, object]]:
    """Every role of every column for one case: the only place the table's content is decided."""
    res = rec.result
    ok = res.ok
    state = triage_state(res)
    score = res.malignant_score if ok and res.malignant_score is not None else None
    display = Qt.ItemDataRole.DisplayRole
    tip = Qt.ItemDataRole.ToolTipRole
    cells: list[dict[int, object]] = [{} for _ in Col]
    cells[Col.CASE_ID] = {
        display: rec.patient_id or UNASSIGNED,
        SORT_ROLE: rec.patient_id.lower() if rec.patient_id else "\uffff",  # unassigned last
        CASE_ID_ROLE: rec.id,
        # The filter box matches case ID, file, class, priority and review status ("urgent", "new").
        FILTER_ROLE: (f"{rec.patient_id or UNASSIGNED}\n{rec.file_name}\n{res.top_name or ''}\n"
                      f"{res.top_class or ''}\n{state.label}\n{rec.review_status.label}\n"
                      f"{AWAITING_OUTCOME if outcome is None else WITH_OUTCOME}"),
    }
    if not rec.patient_id:
        cells[Col.CASE_ID][Qt.ItemDataRole.ForegroundRole] = QColor("#8a8a8a")
        cells[Col.CASE_ID][tip] = "No case ID yet: double-click to set one, or Case > Set case ID for many rows"
    else:
        cells[Col.CASE_ID][Qt.ItemDataRole.ForegroundRole] = None
    priority_key = triage_key(res)  # within a priority, most suspicious first
    cells[Col.THUMB] = {SORT_ROLE: priority_key}
    cells[Col.FILE] = {display: rec.file_name, SORT_ROLE: rec.file_name.lower(), tip: rec.path}
    cells[Col.TOP_CLASS] = {display: res.top_name if ok else "—", SORT_ROLE: (res.top_name or "~").lower(),
                            tip: res.top_name if ok else res.message}
    # Urgent rows are ordered by P(mel) (cases.policy.triage_key): they show it under P(malignant), or
    # the column would look unsorted (87, 86, 83, 82, 84%: issue 22).
    mel = res.probabilities.get("mel") if ok and state == Triage.URGENT and res.probabilities else None
    text = "—" if score is None else f"{score:.0%}"
    if mel is not None:
        text += f"\nmel {mel:.0%}"
    cells[Col.MALIGNANT] = {display: text,
                            tip: None if mel is None else
                            f"P(malignant) {score:.1%}; P(melanoma) {mel:.1%}: urgent cases are ordered by "
                            "P(melanoma), the most likely melanoma first",
                            SORT_ROLE: -1.0 if score is None else score,
                            Qt.ItemDataRole.TextAlignmentRole: int(Qt.AlignmentFlag.AlignRight
                                                                   | Qt.AlignmentFlag.AlignVCenter)}
    cells[Col.PRIORITY] = {display: state.label, SORT_ROLE: priority_key,
                           Qt.ItemDataRole.DecorationRole: priority_icon(state),
                           tip: res.priority_rule if ok else res.message}
    # QStandardItem keeps EditRole and DisplayRole in one slot: the editor parses the label back.
    cells[Col.REVIEW] = {display: rec.review_status.label, SORT_ROLE: rec.review_status.rank}
    cells[Col.ADDED] = {display: _stable_time(rec.added), SORT_ROLE: rec.added, tip: format_added(rec.added)}
    label = outcome_label(outcome, names or {})
    cells[Col.OUTCOME] = {display: label or "—", SORT_ROLE: label.lower() or "\uffff",  # awaiting last
                          tip: (f"{label} ({', '.join(x for x in outcome[1:3] if x)})" if outcome
                                else "No confirmed outcome yet")}
    return cells


class QueueModel(QStandardItemModel):
    """Source model: one row per case in arrival order. `caseEdited(case_id)` after an edit."""

    caseEdited = Signal(int)
    writeFailed = Signal(int, str, str)  # case id (0: several), what was edited, why it was not saved
    countsChanged = Signal()

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(0, len(Col), parent)
        self.store = store
        self._records: dict[int, CaseRecord] = {}
        self._rows: dict[int, int] = {}
        self._thumbs: OrderedDict[int, None] = OrderedDict()  # case ids showing a thumbnail, LRU order
        self.counts: Counter[Triage] = Counter()
        self.policy: TriagePolicy | None = None  # applied to every row (stored probabilities, no re-inference)
        self.outcomes: dict[int, OutcomeValue] = {}  # the store's confirmed outcomes, mirrored like the rows
        self.class_names: dict[str, str] = {}  # code -> full name, for the outcome column (the window sets it)
        for col, text in HEADERS.items():
            self.setHeaderData(col, Qt.Orientation.Horizontal, text)
            if col in HEADER_TIPS:
                self.setHeaderData(
                    col, Qt.Orientation.Horizontal, HEADER_TIPS[col], Qt.ItemDataRole.ToolTipRole
                )

    # ---- building rows -----------------------------------------------------------------------------
    def _fill(self, items: list[QStandardItem], rec: CaseRecord) -> None:
        for item, roles in zip(items, _cells(rec, self.outcomes.get(rec.id), self.class_names), strict=True):
            for role, value in roles.items():
                item.setData(value, role)

    def _new_row(self, rec: CaseRecord) -> list[QStandardItem]:
        items = [QStandardItem() for _ in Col]
        for col, item in enumerate(items):
            item.setEditable(col in (Col.CASE_ID, Col.REVIEW))
        self._fill(items, rec)
        return items

    def reset(self, records: Iterable[CaseRecord]) -> None:
        self.removeRows(0, self.rowCount())
        self._records, self._rows, self.counts = {}, {}, Counter()
        self._thumbs.clear()
        self.outcomes = self.store.outcomes()
        self.upsert(records)

    def upsert(self, records: Iterable[CaseRecord]) -> None:
        """Append new cases; refresh cases already shown (a re-analysis). The clinician's fields
        (case ID, review, note) in the queue win over the worker's copy, which may be older."""
        for rec in records:
            if self.policy is not None:
                self.policy.apply_record(rec)
            old = self._records.get(rec.id)
            if old is None:
                self._rows[rec.id] = self.rowCount()
                self.appendRow(self._new_row(rec))
            else:
                rec.patient_id, rec.review_status, rec.note = old.patient_id, old.review_status, old.note
                self.counts[triage_state(old.result)] -= 1
                row = self._rows[rec.id]
                self._fill([self.item(row, c) for c in Col], rec)
            self._records[rec.id] = rec
            self.counts[triage_state(rec.result)] += 1
        self.countsChanged.emit()

    def set_policy(self, policy: TriagePolicy | None) -> int:
        """Re-prioritise every row under `policy` at once; returns how many rows changed priority."""
        self.policy = policy
        if policy is None:
            return 0
        changed = 0
        for case_id, rec in self._records.items():
            before = rec.result
            policy.apply_record(rec)
            if rec.result is not before:
                changed += rec.result.priority != before.priority
                self.counts[triage_state(before)] -= 1
                self.counts[triage_state(rec.result)] += 1
                self._refresh(case_id)
        self.countsChanged.emit()
        return changed

    def _refresh(self, case_id: int) -> None:
        row = self._rows[case_id]
        self._fill([self.item(row, c) for c in Col], self._records[case_id])

    # ---- edits (the only Python entry point Qt calls, and only on edits) ---------------------------
    def setData(self, index: QModelIndex | QPersistentModelIndex, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return super().setData(index, value, role)
        case_id = self.index(index.row(), Col.CASE_ID).data(CASE_ID_ROLE)
        rec = self._records.get(case_id)
        if rec is None:
            return False
        text = str(value).strip()
        review = Review.parse(text)
        if index.column() == Col.CASE_ID and text == UNASSIGNED:
            text = ""  # the placeholder left as it was in the editor
        try:
            if index.column() == Col.CASE_ID and text != rec.patient_id:
                self.store.set_patient_id(rec.id, text)
                rec.patient_id = text
            elif index.column() == Col.REVIEW and review is not None and review != rec.review_status:
                self.store.set_review_status(rec.id, review)
                rec.review_status = review
            else:
                return False
        except StoreError as exc:  # read-only folder or window, full disk: said where the edit was made
            self.writeFailed.emit(rec.id, "case ID" if index.column() == Col.CASE_ID else "review status", str(exc))
            return False
        self._refresh(rec.id)
        self.caseEdited.emit(rec.id)
        return True

    def set_patient_id(self, case_id: int, patient_id: str) -> bool:
        row = self._rows.get(case_id)
        return row is not None and self.setData(self.index(row, Col.CASE_ID), patient_id)

    def set_review(self, case_id: int, status: Review | str) -> bool:
        row = self._rows.get(case_id)
        return row is not None and self.setData(self.index(row, Col.REVIEW), status)

    def update_note(self, case_id: int, note: str) -> None:
        rec = self._records.get(case_id)
        if rec is not None and rec.note != note:
            try:
                self.store.set_note(case_id, note)
            except StoreError as exc:
                self.writeFailed.emit(case_id, "note", str(exc))
                return
            rec.note = note

    def set_outcomes(self, values: dict[int, OutcomeValue | None], how: str = "entered") -> int | None:
        """Record (None: clear) confirmed outcomes through the store in one audited transaction; returns how
        many changed, or None when the store refused (said through `writeFailed`, nothing changed)."""
        try:
            changed = self.store.set_outcomes(values, how=how)
        except StoreError as exc:
            self.writeFailed.emit(next(iter(values)) if len(values) == 1 else 0, "outcome", str(exc))
            return None
        for case_id, value in values.items():
            if value is None:
                self.outcomes.pop(case_id, None)
            else:
                self.outcomes[case_id] = tuple(value)  # type: ignore[assignment]
            if case_id in self._rows:
                self._refresh(case_id)
                self.caseEdited.emit(case_id)
        self.countsChanged.emit()
        return changed

    def set_class_names(self, names: dict[str, str]) -> None:
        """The card's full names for the outcome column; only rows with an outcome are redrawn."""
        self.class_names = dict(names)
        for case_id in self.outcomes:
            if case_id in self._rows:
                self._refresh(case_id)

    def outcome_counts(self) -> tuple[int, int]:
        """(cases in the queue with a confirmed outcome, cases awaiting one)."""
        with_outcome = sum(cid in self.outcomes for cid in self._records)
        return with_outcome, len(self._records) - with_outcome

    def remove(self, case_ids: Iterable[int]) -> None:
        """Take cases out of the queue (the store keeps them and their audit trail)."""
        ids = sorted(set(case_ids) & set(self._records))
        if ids:
            try:
                self.store.remove_cases(ids)
            except StoreError as exc:
                self.writeFailed.emit(0, "removal", str(exc))
                return
            self.reset([r for r in self._records.values() if r.id not in ids])

    def purge(self, case_ids: Iterable[int]) -> bool:
        """Delete cases for real (Store.purge_cases: rows, notes, VACUUM) and replace the backups, which
        still hold them; their thumbnails go with their rows."""
        ids = sorted(set(case_ids) & set(self._records))
        if not ids:
            return False
        try:
            self.store.purge_cases(ids)
        except StoreError as exc:
            self.writeFailed.emit(0, "purge", str(exc))
            return False
        try:
            refresh_backups(self.store.path)
        except StoreError as exc:
            self.writeFailed.emit(0, "backup refresh after the purge", str(exc))
        RecentFolders(self.store.path.parent).clear()  # folder names are patient names: they go too
        self.reset([r for r in self._records.values() if r.id not in ids])
        return True

    # ---- thumbnails (set into the item once loaded, so painting stays in C++) ----------------------
    def needs_thumbnail(self, case_id: int) -> bool:
        if case_id in self._thumbs:
            self._thumbs.move_to_end(case_id)
            return False
        return case_id in self._rows

    def set_thumbnail(self, case_id: int, pixmap: QPixmap) -> None:
        row = self._rows.get(case_id)
        if row is None:
            return
        self.item(row, Col.THUMB).setData(
            pixmap if not pixmap.isNull() else None, Qt.ItemDataRole.DecorationRole
        )
        self._thumbs[case_id] = None
        while len(self._thumbs) > THUMB_LIMIT:
            old, _ = self._thumbs.popitem(last=False)
            if old in self._rows:
                self.item(self._rows[old], Col.THUMB).setData(None, Qt.ItemDataRole.DecorationRole)

    # ---- lookups -----------------------------------------------------------------------------------
    def record(self, case_id: int) -> CaseRecord | None:
        return self._records.get(case_id)

    def records(self) -> list[CaseRecord]:
        return list(self._records.values())

    def row_of(self, case_id: int) -> int | None:
        return self._rows.get(case_id)


class QueueProxy(QSortFilterProxyModel):
    """Sorts on SORT_ROLE and filters on the case ID/file/class text, all inside Qt."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(Col.CASE_ID)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)
