"""Clinic performance: the clinic's own figures, its inflow and its proposed operating point (issue 21).

Why a window of its own: a threshold chosen on validation images from four sources does not transfer to a
new dermatoscope, and only the clinic's confirmed outcomes say where its own threshold should sit. Per
model version this shows the figures with counts and exact intervals (plain words when there are too few),
the referral curve of the clinic against the card's validation with the operating point in force marked
(pyqtgraph: a plotting library made for Qt), the label-free inflow notices, and the site fit's proposal,
which is put in force only through the Adopt button and an explicit confirmation (the window's
`ClinicCommands` does the audited write). Everything shown comes from `cases.site_report.ModelReport`,
computed off the GUI thread.
"""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cases.site import Rate
from cases.site_report import ModelReport

VALIDATION_PEN = {"color": "#808080", "width": 2, "style": Qt.PenStyle.DashLine}
SITE_PEN = {"color": "#1f6fb2", "width": 2}


def _label(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)  # every text given is escaped HTML
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def _pct(v: float | None) -> float | None:
    return None if v is None else 100.0 * v


def more_benign_words(report: ModelReport) -> str:
    """Plain words when the proposal refers more of the clinic's own benign lesions than the policy in force
    (few melanomas can only guarantee the target with a low threshold): said before anyone adopts it."""
    p = report.proposal
    if p is None or p.before is None or p.after is None or not p.before.benign.n:
        return ""
    a, b = p.before.benign, p.after.benign
    if b.k <= a.k:
        return ""
    return (f"Note: this proposal refers MORE of this clinic's benign lesions than the policy in force "
            f"({a.value:.0%} -> {b.value:.0%}): that is what guaranteeing {p.target:.0%} of melanomas costs with "
            f"{p.n_melanoma} confirmed melanomas.")


class ModelReportView(QWidget):
    """One model version's report. `adoptClicked` / `resetClicked` carry the report (the controller confirms)."""

    adoptClicked = Signal(object)
    resetClicked = Signal(object)

    def __init__(self, report: ModelReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        lines = report.lines()
        head = _label(f"<b>{html.escape(lines[0])}</b><br>{html.escape(lines[1])}", "reportHead")

        self.figures = QTableWidget(4, 4)
        self.figures.setObjectName("figures")
        self.figures.setHorizontalHeaderLabels(["On cases with confirmed outcomes", "Count", "Rate",
                                                "95% interval (exact)"])
        self.figures.verticalHeader().hide()
        self.figures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.figures.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        perf = report.perf
        for row, rate in enumerate((perf.melanoma, perf.cancer, perf.benign, perf.urgent_ppv)):
            for col, text in enumerate(self._rate_cells(rate)):
                item = QTableWidgetItem(text)
                item.setToolTip(rate.words())
                self.figures.setItem(row, col, item)
        hh = self.figures.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.figures.setFixedHeight(self.figures.horizontalHeader().sizeHint().height()
                                    + 4 * self.figures.verticalHeader().defaultSectionSize() + 4)
        notes = list(perf.notes)
        v = report.validation_point
        if v[0] is not None and v[1] is not None:
            notes.append(f"The card's validation under this policy: melanomas referred {v[1]:.1%}, benign "
                         f"referred {v[0]:.1%}.")
        self.notes = _label("<br>".join(html.escape(n) for n in notes), "figureNotes")

        inflow = report.inflow
        words = inflow.rate.words()
        if inflow.expected is not None:
            words += (f"; the card's validation predicts {inflow.expected:.1%} referred (median P(malignant) "
                      f"{inflow.median_score:.3f} here, {inflow.validation_median:.3f} on validation).")
        self.inflow = _label(f"<b>Inflow (label-free, every assessed image)</b><br>{html.escape(words)}", "inflow")
        self.notices = _label("<br><br>".join(html.escape(n) for n in report.notices), "inflowNotice")
        self.notices.setStyleSheet("border: 1px solid #c62828; padding: 6px;")
        self.notices.setVisible(bool(report.notices))

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        for w in (head, self.figures, self.notes, self.inflow, self.notices):
            ll.addWidget(w)
        ll.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(left)
        scroll.setMinimumWidth(420)

        self.plot = self._make_plot(report)
        top = QHBoxLayout()
        top.addWidget(scroll, 1)
        top.addWidget(self.plot, 1)

        box = QGroupBox("Site operating point")
        bl = QVBoxLayout(box)
        proposal = report.proposal
        text = proposal.lines() if proposal is not None else [
            "No proposal yet: it needs confirmed outcomes on cases this model analysed."]
        self.proposal_text = _label("<br>".join(html.escape(t).replace("  ", "&nbsp;&nbsp;") for t in text),
                                    "proposal")
        history = [f"{h['set_at']} by {h['set_by']}: " + (f"site fit ({h['method']})" if h.get("method") else
                   ("thresholds set" if h.get("urgent") is not None else "back to the model card"))
                   for h in report.history[:3]]
        self.history = _label(("Policy changes (latest first): " + "; ".join(history)) if history else "",
                              "policyHistory")
        self.history.setVisible(bool(history))
        self.adopt_button = QPushButton("Adopt these thresholds…")
        self.adopt_button.setObjectName("adoptButton")
        self.reset_button = QPushButton("Return to the model card's thresholds…")
        self.reset_button.setObjectName("resetButton")
        self.adopt_state = _label("", "adoptState")
        self.adopt_button.clicked.connect(lambda: self.adoptClicked.emit(self.report))
        self.reset_button.clicked.connect(lambda: self.resetClicked.emit(self.report))
        self._sync_buttons()
        row = QHBoxLayout()
        row.addWidget(self.adopt_state, 1)
        row.addWidget(self.adopt_button)
        row.addWidget(self.reset_button)
        inner = QScrollArea()
        inner.setWidgetResizable(True)
        inner.setFrameShape(QScrollArea.Shape.NoFrame)
        self.proposal_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        inner.setWidget(self.proposal_text)
        inner.setMaximumHeight(140)
        bl.addWidget(inner)
        bl.addWidget(self.history)
        bl.addLayout(row)

        lay = QVBoxLayout(self)
        lay.addLayout(top, 1)
        lay.addWidget(box)

    @staticmethod
    def _rate_cells(rate: Rate) -> list[str]:
        if not rate.n:
            return [rate.label, "0", "—", "no confirmed cases yet"]
        return [rate.label, f"{rate.k} of {rate.n}", f"{rate.k / rate.n:.1%}", f"{rate.low:.1%} – {rate.high:.1%}"]

    @property
    def in_force_is_card(self) -> bool:
        return self.report.policy_origin == "model card"

    def _sync_buttons(self) -> None:
        p, thr = self.report.proposal, self.report.thresholds
        same = p is not None and abs(p.urgent - thr.urgent) < 1e-9 and abs(p.soon - thr.soon) < 1e-9
        self.adopt_button.setEnabled(p is not None and p.supported and p.changes and not same)
        self.reset_button.setEnabled(not self.in_force_is_card)
        if p is None:
            self.adopt_state.setText("")
        elif not p.supported:
            self.adopt_state.setText("Not enough evidence for the target: the model card's thresholds stay.")
        elif same:
            self.adopt_state.setText("These thresholds are already in force.")
        else:
            self.adopt_state.setText(html.escape(more_benign_words(self.report)))
            self.adopt_state.setStyleSheet("color: #b26a00;" if more_benign_words(self.report) else "")

    def _make_plot(self, report: ModelReport) -> pg.PlotWidget:
        """Melanomas referred (y) against benign lesions referred (x), in percent: the card's validation
        (dashed), this clinic's confirmed cases, and where the policy in force sits on each."""
        plot = pg.PlotWidget(background=self.palette().base().color())
        plot.setObjectName("referralPlot")
        plot.setMinimumSize(320, 260)
        item = plot.getPlotItem()
        item.setTitle("Referral curve")
        item.setLabel("bottom", "Benign lesions referred (%)")
        item.setLabel("left", "Melanomas referred (%)")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setRange(xRange=(0, 100), yRange=(0, 100), padding=0.02)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        legend = plot.addLegend(offset=(-10, -10))
        legend.setBrush(pg.mkBrush(self.palette().base().color().red(), self.palette().base().color().green(),
                                   self.palette().base().color().blue(), 210))
        self.curves: dict[str, pg.PlotDataItem] = {}
        vx, vy = report.validation_curve
        if len(vx) > 1:
            self.curves["validation"] = plot.plot([100 * x for x in vx], [100 * y for y in vy],
                                                  pen=pg.mkPen(**VALIDATION_PEN), name="Model card validation")
        sx, sy = report.site_curve
        perf = report.perf
        if perf.melanoma.n and perf.benign.n:
            self.curves["site"] = plot.plot([100 * x for x in sx], [100 * y for y in sy], pen=pg.mkPen(**SITE_PEN),
                                            name=f"This clinic ({perf.melanoma.n} melanomas, {perf.benign.n} benign)")
        self.points: dict[str, pg.ScatterPlotItem] = {}
        for key, (x, y), brush, symbol, name in (
                ("validation_point", report.validation_point, "#808080", "o", "In force, on validation"),
                ("site_point", report.site_point, "#c62828", "star", "In force, on this clinic's cases")):
            if x is not None and y is not None:
                pts = pg.ScatterPlotItem([_pct(x)], [_pct(y)], size=14, symbol=symbol, brush=pg.mkBrush(brush),
                                         pen=pg.mkPen("#202020"), name=name)
                plot.addItem(pts)
                self.points[key] = pts
        p = report.proposal
        if p is not None and p.supported and p.after is not None and p.after.benign.n and p.after.melanoma.n:
            pts = pg.ScatterPlotItem([_pct(p.after.benign.value)], [_pct(p.after.melanoma.value)], size=12,
                                     symbol="t", brush=pg.mkBrush("#2e7d32"), pen=pg.mkPen("#202020"),
                                     name="Proposed, on this clinic's cases")
            plot.addItem(pts)
            self.points["proposal"] = pts
        return plot


class SitePerformanceDialog(QDialog):
    """Non-modal; `set_reports` fills it (called again after an adoption). `refreshRequested` asks for a new
    computation."""

    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic performance — this clinic's own figures")
        self.setObjectName("sitePerformanceDialog")
        self.views: list[ModelReportView] = []
        self.status = _label("Computing the clinic's figures…", "performanceStatus")
        self.tabs = QTabWidget()
        self.tabs.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.refresh_button = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refreshRequested.emit)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(buttons)
        self.resize(1180, 690)

    def set_busy(self) -> None:
        self.status.setText("Computing the clinic's figures…")
        self.refresh_button.setEnabled(False)

    def set_error(self, message: str) -> None:
        self.status.setText(f"The clinic's figures could not be computed: {message}")
        self.refresh_button.setEnabled(True)

    def set_reports(self, reports: list[ModelReport], tab_name: str = "") -> None:
        current = tab_name or (self.tabs.tabText(self.tabs.currentIndex()) if self.tabs.count() else "")
        self.tabs.clear()
        for v in self.views:
            v.deleteLater()
        self.views = [ModelReportView(r) for r in reports]
        for view in self.views:
            self.tabs.addTab(view, f"{view.report.model} {view.report.version}")
        names = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        if current in names:
            self.tabs.setCurrentIndex(names.index(current))
        self.tabs.setVisible(bool(reports))
        self.refresh_button.setEnabled(True)
        n_out = sum(r.n_outcomes for r in reports)
        self.status.setText(
            "No analysed cases of a shipped model yet: scan images first." if not reports else
            f"{n_out} case(s) with a confirmed outcome. Figures are measured on this clinic's cases, each with an "
            "exact (Clopper-Pearson) 95% interval; record more outcomes to narrow them.")
