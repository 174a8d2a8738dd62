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
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cases.store import CaseRecord
from cases.vocab import Review, Triage
from gui.icons import priority_pixmap
from gui.image_loader import THUMB_SIZE, ImageLoader
from gui.queue_model import CASE_ID_ROLE, Col, QueueModel, QueueProxy


class ReviewDelegate(QStyledItemDelegate):
    """A combo box for the review column, so only the four allowed statuses can be entered."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:
        box = QComboBox(parent)
        box.addItems([r.label for r in Review])
        box.activated.connect(lambda _i: self.commitData.emit(box))
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        status = Review.parse(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, QComboBox) and status is not None:
            editor.setCurrentIndex(status.rank)

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:  # noqa: ANN001
        if isinstance(editor, QComboBox):
            model.setData(index, list(Review)[editor.currentIndex()].value, Qt.ItemDataRole.EditRole)


class EmptyState(QWidget):
    """First start: what to do, with buttons mirroring the File actions (enabled state included)."""

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        title = QLabel("The queue is empty")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Drop dermoscopic images or whole folders onto this window.\n"
                      "Per-patient folders become case IDs; sub-folders are scanned too.")
        hint.setObjectName("muted")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        lay.addWidget(hint)
        self.buttons: list[QPushButton] = []
        for action in actions:
            b = QPushButton(action.text().replace("&", ""))
            b.setMinimumWidth(220)
            b.clicked.connect(action.trigger)

            def sync(b: QPushButton = b, a: QAction = action) -> None:
                b.setEnabled(a.isEnabled())
                b.setToolTip(a.toolTip())

            action.changed.connect(sync)
            sync()
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(b)
            row.addStretch(1)
            lay.addLayout(row)
            self.buttons.append(b)
        lay.addStretch(3)


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
        self.filter.setPlaceholderText("Filter by case ID, file name or class  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAcceptDrops(False)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.counts = QHBoxLayout()
        self.count_labels: dict[Triage, QLabel] = {}
        for state in Triage:
            icon = QLabel()
            icon.setPixmap(priority_pixmap(state, 14))
            label = QLabel()
            label.setObjectName("counts")
            self.counts.addWidget(icon)
            self.counts.addWidget(label)
            self.counts.addSpacing(8)
            self.count_labels[state] = label
        self.counts.addStretch(1)

        self.view = QTableView()
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
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        for col, width in ((Col.CASE_ID, 100), (Col.THUMB, 60), (Col.FILE, 120), (Col.TOP_CLASS, 150),
                           (Col.MALIGNANT, 90), (Col.PRIORITY, 128), (Col.REVIEW, 76), (Col.ADDED, 100)):
            self.view.setColumnWidth(col, width)
        header.setSectionResizeMode(Col.THUMB, QHeaderView.ResizeMode.Fixed)
        # The class name gives way first when the pane is narrow, so every column stays in view.
        header.setSectionResizeMode(Col.TOP_CLASS, QHeaderView.ResizeMode.Stretch)
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
            self.proxy.modelReset,
        ):
            sig.connect(self._thumb_timer.start)

        self.empty = EmptyState(empty_actions)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 4, 4)
        lay.addWidget(self.filter)
        lay.addLayout(self.counts)
        lay.addWidget(self.stack, 1)
        model.countsChanged.connect(self._update_counts)
        self._update_counts()

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
        for state, label in self.count_labels.items():
            label.setText(f"{state.label} {self.model.counts.get(state, 0)}")
        self.stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty)

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
    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        cid = current.data(CASE_ID_ROLE) if current.isValid() else None
        pid = previous.data(CASE_ID_ROLE) if previous.isValid() else None
        if cid != pid:
            self.currentCaseChanged.emit(cid if cid is not None else -1)

    def current_case_id(self) -> int | None:
        idx = self.view.currentIndex()
        return idx.data(CASE_ID_ROLE) if idx.isValid() else None

    def selected_case_ids(self) -> list[int]:
        rows = self.view.selectionModel().selectedRows()
        return [r.data(CASE_ID_ROLE) for r in sorted(rows, key=lambda i: i.row())]

    def visible_case_ids(self) -> list[int]:
        """Case IDs in the order shown (sorted and filtered), for exports of "the queue as shown"."""
        return [self.proxy.index(r, 0).data(CASE_ID_ROLE) for r in range(self.proxy.rowCount())]

    def select_case(self, case_id: int) -> bool:
        row = self.model.row_of(case_id)
        if row is None:
            return False
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if not idx.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(idx)
        return True

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def step(self, delta: int) -> None:
        """Next/previous case in the order shown."""
        n = self.proxy.rowCount()
        if not n:
            return
        cur = self.view.currentIndex()
        row = 0 if not cur.isValid() else max(0, min(n - 1, cur.row() + delta))
        cid = self.proxy.index(row, 0).data(CASE_ID_ROLE)
        self.select_case(cid)
