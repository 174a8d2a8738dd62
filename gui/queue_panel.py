"""The left pane: filter box, counts by priority, and the queue table (or the first-start empty state).

Inserting a burst keeps the user's place: the selection is held by the proxy's persistent indexes and
the row at the top of the viewport is re-anchored after the insert, so cases sorting above it do not
push what the clinician is reading out of view.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cases.records import CaseRecord
from cases.vocab import Review, Triage
from gui.case_groups import GROUP_ROLE, GroupModel
from gui.icons import priority_pixmap
from gui.image_loader import THUMB_SIZE, ImageLoader
from gui.queue_model import CASE_ID_ROLE, Col, QueueModel, QueueProxy
from gui.queue_views import QueueTable, QueueTree, add_context_actions
from gui.queue_widgets import EmptyState, PriorityCounts, ReviewDelegate

COLUMN_WIDTHS = {Col.PRIORITY: 112, Col.MALIGNANT: 90, Col.THUMB: 60, Col.CASE_ID: 100, Col.FILE: 120,
                 Col.TOP_CLASS: 140, Col.REVIEW: 84, Col.ADDED: 100, Col.OUTCOME: 110}
LEADING = (Col.PRIORITY, Col.MALIGNANT, Col.CASE_ID)  # always shown, never scrolled away
FILE_MIN = 110
OPTIONAL = (Col.THUMB, Col.REVIEW, Col.OUTCOME, Col.TOP_CLASS, Col.ADDED)  # shown while they fit, in this order


def queue_min_width() -> int:
    """The narrowest queue pane that still shows the leading columns and the file name whole (plus the
    vertical scroll bar and margins)."""
    return sum(COLUMN_WIDTHS[c] for c in LEADING) + FILE_MIN + 32


class QueuePanel(QWidget):
    """`currentCaseChanged(case_id or -1)` when the selected case changes (not when rows move)."""

    currentCaseChanged = Signal(int)

    def __init__(
        self, model: QueueModel, empty_actions: Sequence[QAction], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = QueueProxy(self)
        self.proxy.setSourceModel(model)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: case ID, file, class, priority, review  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAcceptDrops(False)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.count_widget = PriorityCounts(self.filter_by_state)
        self.count_buttons = self.count_widget.buttons
        self.filter.textChanged.connect(self.count_widget.sync)

        self.view = QueueTable()
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(Col.PRIORITY, Qt.SortOrder.AscendingOrder)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(48)
        self.view.setIconSize(priority_pixmap(Triage.URGENT, 16).size())
        self.view.setItemDelegateForColumn(Col.REVIEW, ReviewDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(40)
        header.setStretchLastSection(False)
        for col in Col:
            self.view.setColumnWidth(col, COLUMN_WIDTHS[col])
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        self.view.viewportResized.connect(self.fit_columns)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)

        # Thumbnails for the rows in view, requested shortly after anything moves them.
        self.thumbs = ImageLoader(self)
        self.thumbs.loaded.connect(self._thumb_loaded)
        self._thumbs_loading: set[int] = set()
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(60)
        self._thumb_timer.timeout.connect(self.request_visible_thumbnails)
        for sig in (
            self.view.verticalScrollBar().valueChanged,
            self.proxy.layoutChanged,
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,  # a filter narrowing the queue brings other rows into view
            self.proxy.modelReset,
        ):
            sig.connect(self._thumb_timer.start)

        # Patients: the same queue grouped by case ID (View > Group by case ID), collapsible.
        self.groups = GroupModel(self)
        self.tree = QueueTree()
        self.tree.setModel(self.groups)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.header().setStretchLastSection(False)
        for col, width in enumerate((150, 90, 200, 150, 80, 110)):
            self.tree.setColumnWidth(col, width)
        self.tree.selectionModel().currentRowChanged.connect(self._tree_current_changed)
        self.grouped = False
        self._group_timer = QTimer(self)
        self._group_timer.setSingleShot(True)
        self._group_timer.setInterval(150)
        self._group_timer.timeout.connect(self.rebuild_groups)
        for sig in (self.proxy.layoutChanged, self.proxy.rowsInserted, self.proxy.rowsRemoved,
                    self.proxy.modelReset, self.proxy.dataChanged):
            sig.connect(lambda *_a: self._group_timer.start() if self.grouped else None)

        self.empty = EmptyState(empty_actions)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.tree)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 4, 4)
        lay.addWidget(self.filter)
        lay.addWidget(self.count_widget)
        lay.addWidget(self.stack, 1)
        model.countsChanged.connect(self._update_counts)
        self._update_counts()

    def fit_columns(self) -> None:
        """Lay the columns out in the queue's width, never wider (the queue does not scroll sideways):
        the leading columns at their widths, then the file name (at least FILE_MIN), then the optional
        columns in OPTIONAL's order while they fit (the case panel shows them for the case on screen);
        the file name takes the rest."""
        room = self.view.viewport().width() - sum(COLUMN_WIDTHS[c] for c in LEADING) - FILE_MIN
        for col in OPTIONAL:
            show = room >= COLUMN_WIDTHS[col]
            self.view.setColumnHidden(col, not show)
            if show:
                room -= COLUMN_WIDTHS[col]
        self.view.setColumnWidth(Col.FILE, FILE_MIN + max(0, room))

    def request_visible_thumbnails(self) -> None:
        """Ask for thumbnails of the rows on screen that do not have one yet."""
        n = self.proxy.rowCount()
        if not n or not self.view.isVisible():
            return
        first = self.view.rowAt(0)
        last = self.view.rowAt(self.view.viewport().height() - 1)
        first = max(0, first)
        last = n - 1 if last < 0 else last
        for row in range(first, min(last + 2, n)):
            cid = self.proxy.index(row, Col.CASE_ID).data(CASE_ID_ROLE)
            if self.model.needs_thumbnail(cid):
                rec = self.model.record(cid)
                if rec is not None and cid not in self._thumbs_loading:
                    self._thumbs_loading.add(cid)
                    self.thumbs.request(cid, rec.path, THUMB_SIZE)

    def _thumb_loaded(self, case_id: int, img: QImage, _error: str) -> None:
        self._thumbs_loading.discard(case_id)
        self.model.set_thumbnail(case_id, QPixmap.fromImage(img) if not img.isNull() else QPixmap())

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        self._thumb_timer.start()

    def _update_counts(self) -> None:
        self.count_widget.update_counts(self.model.counts, self.width())
        self.stack.setCurrentWidget((self.tree if self.grouped else self.view) if self.model.rowCount()
                                    else self.empty)

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - QResizeEvent
        super().resizeEvent(event)
        self._update_counts()

    def filter_by_state(self, state: Triage | None) -> None:
        """Show only one priority (the filter box shows the word, so the user sees why rows are missing)."""
        self.filter.setText(state.label if state is not None else "")

    def set_context_actions(self, actions: Sequence[QAction | None]) -> None:
        """The queue's right-click menu (flat and grouped), from the window's own actions (None: separator)."""
        for view in (self.view, self.tree):
            add_context_actions(view, actions)

    # ---- bursts ------------------------------------------------------------------------------------
    def insert_burst(self, records: list[CaseRecord]) -> None:
        """Add/replace rows without moving the selection or what is at the top of the viewport."""
        bar = self.view.verticalScrollBar()
        anchor: QPersistentModelIndex | None = None
        anchor_y = 0
        if bar.value() > 0:
            top = self.view.indexAt(QPoint(0, 0))
            if top.isValid():
                anchor = QPersistentModelIndex(top)
                anchor_y = self.view.rowViewportPosition(top.row())
        self.model.upsert(records)
        if anchor is not None and anchor.isValid():
            bar.setValue(bar.value() + self.view.rowViewportPosition(anchor.row()) - anchor_y)

    # ---- selection ---------------------------------------------------------------------------------
    @staticmethod
    def case_id_at(index: QModelIndex) -> int | None:
        """The case of any cell of a row: the id lives in the Case ID column, whichever cell was clicked."""
        if not index.isValid():
            return None
        return index.siblingAtColumn(Col.CASE_ID).data(CASE_ID_ROLE)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        cid, pid = self.case_id_at(current), self.case_id_at(previous)
        if cid != pid:
            self.currentCaseChanged.emit(cid if cid is not None else -1)

    def current_case_id(self) -> int | None:
        if self.grouped:
            idx = self.tree.currentIndex()
            return idx.siblingAtColumn(0).data(CASE_ID_ROLE) if idx.isValid() else None
        return self.case_id_at(self.view.currentIndex())

    def selected_case_ids(self) -> list[int]:
        """The cases the selection commands act on, in the order shown: the highlighted rows, which always
        include the case on screen (gui.queue_views); the case on screen alone if nothing is highlighted."""
        ids = self._highlighted_case_ids()
        current = self.current_case_id()
        return ids if ids or current is None else [current]

    def _highlighted_case_ids(self) -> list[int]:
        if self.grouped:
            ids = [i.data(CASE_ID_ROLE) for i in self.tree.selectionModel().selectedRows(0)]  # not group rows
            order = {cid: k for k, cid in enumerate(self.visible_case_ids())}
            return sorted((i for i in ids if i is not None), key=lambda c: order.get(c, 0))
        rows = self.view.selectionModel().selectedRows(Col.CASE_ID)
        return [r.data(CASE_ID_ROLE) for r in sorted(rows, key=lambda i: i.row())]

    # ---- grouping by case ID -----------------------------------------------------------------------
    def set_grouped(self, on: bool) -> None:
        """Switch between the flat queue and the patients tree, keeping the selected case."""
        current = self.current_case_id()
        self.grouped = bool(on)
        if self.grouped:
            self.rebuild_groups(expand_all=True)
        self._update_counts()
        if current is not None:
            self.select_case(current)

    def _group_order(self) -> list[int]:
        """Case ids in the tree's order (groups, then their rows)."""
        out = []
        for g in range(self.groups.rowCount()):
            head = self.groups.item(g, 0)
            out += [head.child(r, 0).data(CASE_ID_ROLE) for r in range(head.rowCount())]
        return out

    def rebuild_groups(self, expand_all: bool = False) -> None:
        if not self.grouped:
            return
        current = self.current_case_id()
        open_groups = {self.groups.item(g, 0).data(GROUP_ROLE) for g in range(self.groups.rowCount())
                       if self.tree.isExpanded(self.groups.index(g, 0))}
        records = [self.model.record(cid) for cid in self.visible_case_ids()]
        self.tree.selectionModel().blockSignals(True)
        self.groups.rebuild([r for r in records if r is not None])
        for g in range(self.groups.rowCount()):
            if expand_all or self.groups.item(g, 0).data(GROUP_ROLE) in open_groups:
                self.tree.expand(self.groups.index(g, 0))
        self.tree.selectionModel().blockSignals(False)
        if current is not None:
            self._select_in_tree(current, emit=False)

    def _tree_index(self, case_id: int) -> QModelIndex:
        for g in range(self.groups.rowCount()):
            head = self.groups.item(g, 0)
            for r in range(head.rowCount()):
                if head.child(r, 0).data(CASE_ID_ROLE) == case_id:
                    return head.child(r, 0).index()
        return QModelIndex()

    def _select_in_tree(self, case_id: int, emit: bool = True) -> bool:
        idx = self._tree_index(case_id)
        if not idx.isValid():
            return False
        self.tree.expand(idx.parent())
        sm = self.tree.selectionModel()
        if not emit:
            sm.blockSignals(True)
        sm.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
                           | QItemSelectionModel.SelectionFlag.Rows)
        if not emit:
            sm.blockSignals(False)
        self.tree.scrollTo(idx)
        return True

    def _tree_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        cid = current.siblingAtColumn(0).data(CASE_ID_ROLE) if current.isValid() else None
        pid = previous.siblingAtColumn(0).data(CASE_ID_ROLE) if previous.isValid() else None
        if cid != pid:
            self.currentCaseChanged.emit(cid if cid is not None else -1)

    def visible_case_ids(self) -> list[int]:
        """Case IDs in the order shown (sorted and filtered), for exports of "the queue as shown"."""
        return [self.proxy.index(r, Col.CASE_ID).data(CASE_ID_ROLE) for r in range(self.proxy.rowCount())]

    def select_case(self, case_id: int) -> bool:
        if self.grouped:
            return self._select_in_tree(case_id)
        row = self.model.row_of(case_id)
        if row is None:
            return False
        idx = self.proxy.mapFromSource(self.model.index(row, Col.PRIORITY))
        if not idx.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(idx)  # the priority column: scrolling never hides it
        return True

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def ordered_case_ids(self) -> list[int]:
        """Case ids in the order on screen (the tree's when grouped)."""
        return self._group_order() if self.grouped else self.visible_case_ids()

    def next_unreviewed(self) -> bool:
        """Select the next case still marked new, in the order shown (wrapping); False when none is left."""
        order = self.ordered_case_ids()
        n = len(order)
        current = self.current_case_id()
        start = order.index(current) + 1 if current in order else 0
        for k in range(n):
            cid = order[(start + k) % n]
            rec = self.model.record(cid)
            if rec is not None and rec.review_status == Review.NEW and cid != self.current_case_id():
                return self.select_case(cid)
        return False

    def step(self, delta: int) -> None:
        """Next/previous case in the order shown."""
        if self.grouped:
            order = self.ordered_case_ids()
            if order:
                current = self.current_case_id()
                k = order.index(current) + delta if current in order else 0
                self.select_case(order[max(0, min(len(order) - 1, k))])
            return
        n = self.proxy.rowCount()
        if not n:
            return
        cur = self.view.currentIndex()
        row = 0 if not cur.isValid() else max(0, min(n - 1, cur.row() + delta))
        cid = self.proxy.index(row, Col.CASE_ID).data(CASE_ID_ROLE)
        self.select_case(cid)
