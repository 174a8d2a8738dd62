"""Help > About: the model card rendered for a clinician, not as JSON.

A user deciding how far to trust a number needs the model's measured accuracy, how it was trained, on
what data, under which licence, and the disclaimer — all of which the card carries, so all of it is
shown here rather than hidden in a file.
"""

from __future__ import annotations

import html
import math
from typing import Any

from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from cases.vocab import DISCLAIMER, intended_use
from gui.screen_fit import place
from inference.card import ModelCard
from inference.card_schema import CardFile, ConfusionMatrix, SourceMetrics
from inference.versions import runtime_line

CONFUSION_URL = "dermtriage:confusion"


def _num(v: Any, pct: bool = True) -> str:
    if not isinstance(v, int | float) or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.1%}" if pct else f"{v:.3f}"


def _row(label: str, value: str) -> str:
    return f"<tr><td style='padding-right:14px'><b>{html.escape(label)}</b></td><td>{value}</td></tr>"


def _confusion_table(card: ModelCard, cm: ConfusionMatrix) -> str:
    labels = cm.labels or tuple(card.codes)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in labels)
    body = "".join(
        "<tr><th align='left'>"
        + html.escape(str(labels[i]))
        + "</th>"
        + "".join(f"<td align='right'>{v}</td>" for v in row)
        + "</tr>"
        for i, row in enumerate(cm.rows_true_cols_pred)
    )
    return (f"<p>Rows: true class; columns: predicted class.</p><table border='1' cellspacing='0' "
            f"cellpadding='3'><tr><th></th>{head}</tr>{body}</table>")


SOURCE_COLUMNS = (
    ("n", "Images", None), ("refused_fraction", "Refused", True), ("accuracy", "Accuracy", True),
    ("balanced_accuracy", "Balanced acc.", True), ("melanoma_auc", "Melanoma AUC", False),
    ("melanoma_vs_nevus_auc", "Mel vs nevus AUC", False), ("macro_auc", "Macro AUC", False),
    ("ece", "ECE", False), ("melanoma_referred", "Melanomas referred", True),
    ("melanoma_urgent", "Melanomas urgent", True), ("malignant_referred", "Malignant referred", True),
    ("benign_referred", "Benign referred", True), ("nevus_referred", "Nevi referred", True),
)


def _sources_table(sources: dict[str, SourceMetrics]) -> str:
    """One row per image source, measured through the app's own path; external sources marked."""
    e = html.escape
    head = "".join(f"<th>{e(label)}</th>" for _, label, _ in SOURCE_COLUMNS)
    rows = []
    for key, src in sources.items():
        name = e(src.label or key) + (" <b>(external)</b>" if src.external else "")
        cells = "".join(
            f"<td align='right'>{'—' if src.n is None else src.n}</td>" if pct is None
            else f"<td align='right'>{_num(getattr(src, attr), pct=pct)}</td>"
            for attr, _, pct in SOURCE_COLUMNS
        )
        rows.append(f"<tr><td>{name}</td>{cells}</tr>")
    return ("<h4>By image source (the app's decode, quality gate and referral rule; refused images count as "
            "not referred)</h4><table border='1' cellspacing='0' cellpadding='3'>"
            f"<tr><th>Source</th>{head}</tr>{''.join(rows)}</table>")


def _test_metrics(card: ModelCard, doc: CardFile, has_confusion_png: bool) -> list[str]:
    test = doc.metrics.test
    if test is None:
        return []
    e = html.escape
    parts = [f"<h3>Measured performance (test split, n = {'—' if test.n is None else test.n})</h3>",
             f"<p>{e(doc.metrics.split)}</p><table>"]
    parts.append(_row("Accuracy", _num(test.accuracy)))
    parts.append(_row("Balanced accuracy", _num(test.balanced_accuracy)))
    parts.append(_row("Melanoma recall (top class)", _num(test.melanoma_recall)))
    parts.append(_row("Macro AUC", _num(test.macro_auc, pct=False)))
    if test.ece_15_bins_after_temperature is not None:
        parts.append(_row("Calibration error (ECE)", _num(test.ece_15_bins_after_temperature, pct=False)))
    cam = doc.cam_in_lesion_mask
    if cam is not None:
        parts.append(_row("Heat map peak inside the lesion",
                          f"{_num(cam.fraction)} of {'—' if cam.n is None else cam.n} test images (HAM10000 masks)"))
    for key, val in test.referral.items():
        parts.append(_row(key.replace("_", " ").capitalize(), _num(val)))
    parts.append("</table>")
    if test.per_class:
        parts.append(
            "<h4>Per class</h4><table border='1' cellspacing='0' cellpadding='3'><tr><th>Class</th>"
            "<th>Precision</th><th>Recall</th><th>F1</th><th>AUC</th><th>Test images</th></tr>"
        )
        for code, m in test.per_class.items():
            parts.append(
                f"<tr><td>{e(card.full_name(code))}</td><td>{_num(m.precision)}</td>"
                f"<td>{_num(m.recall)}</td><td>{_num(m.f1)}</td><td>{_num(m.auc, pct=False)}</td>"
                f"<td align='right'>{'—' if m.support is None else m.support}</td></tr>"
            )
        parts.append("</table>")
    if doc.metrics.sources:
        parts.append(_sources_table(doc.metrics.sources))
    parts.append("<h4>Confusion matrix (test split)</h4>")
    if has_confusion_png:
        parts.append(f"<p><img src='{CONFUSION_URL}' width='460'></p>")
    elif test.confusion_matrix is not None and test.confusion_matrix.rows_true_cols_pred:
        parts.append(_confusion_table(card, test.confusion_matrix))
    else:
        parts.append("<p>Not provided by the model card.</p>")
    return parts


def card_intended_use(card: ModelCard | None) -> tuple[tuple[str, str], ...]:
    """The intended-use text for this model, from its card (cases.vocab.intended_use)."""
    if card is None or card.doc is None:
        return intended_use()
    return intended_use(f"{card.name} {card.version}", card.doc.training_data)


def card_html(card: ModelCard | None, error: str = "", has_confusion_png: bool = False,
              samples_attribution: str = "", thresholds_in_use: str = "") -> str:
    e = html.escape
    parts = [f"<h2>DermTriage</h2><p style='color:#c62828'><b>{e(DISCLAIMER)}</b></p>",
             "".join(f"<p><b>{e(t)}.</b> {e(body)}</p>" for t, body in card_intended_use(card)),
             f"<p style='font-size: 8pt'><b>Runtime:</b> {e(runtime_line())}</p>"]
    if error:
        parts.append(f"<p style='color:#c62828'><b>The model could not be loaded:</b> {e(error)}</p>")
    if card is None or card.doc is None:
        parts.append("<p>No readable model card.</p>")
        return "".join(parts)
    doc = card.doc
    parts.append(f"<h3>Model: {e(card.name)} version {e(card.version)}</h3><table>")
    parts.append(_row("Classes", e(", ".join(f"{c.name} ({c.code})" for c in card.classes))))
    parts.append(_row("Malignant classes", e(", ".join(card.full_name(c) for c in card.malignant))))
    thr = card.thresholds
    parts.append(_row("Referral (card)", f"urgent ≥ {thr.urgent:.1%}, soon ≥ {thr.soon:.1%}: {e(thr.rule)}"))
    if thresholds_in_use:
        parts.append(_row("Referral (in use)", e(thresholds_in_use)))
    parts.append("</table>")
    parts += _test_metrics(card, doc, has_confusion_png)

    parts.append("<h3>Training data</h3><table>")
    parts.append(_row("Data", e(doc.training_data or "—")))
    training = doc.training
    if training.model_selection not in ("", None):
        parts.append(_row("Model selection", e(str(training.model_selection))))
    parts.append("</table>")
    parts.append(f"<h3>Licence</h3><p><b>{e(doc.license or 'not stated')}</b>. {e(doc.license_note)}</p>")
    if doc.citation:
        parts.append(f"<p><b>Please cite:</b> {e(doc.citation)}</p>")
    if samples_attribution:
        parts.append(f"<h3>Sample images</h3><p>{e(samples_attribution)}</p>")
    if doc.disclaimer:
        parts.append(f"<p><i>{e(doc.disclaimer)}</i></p>")
    parts += _technical(card, doc)
    return "".join(parts)


TECHNICAL_TITLE = "Technical details (for whoever installs or supports the app)"


def _technical(card: ModelCard, doc: CardFile) -> list[str]:
    """Architecture, file hash, preprocessing and how the model was trained: kept last, under their own
    heading, because a nurse reading About needs the scores and the limits, not `cv2 INTER_AREA`."""
    e = html.escape
    parts = [f"<h3 style='color:#666666'>{e(TECHNICAL_TITLE)}</h3><table style='color:#666666'>"]
    parts.append(_row("Architecture", e(doc.architecture or "—")))
    if doc.params:
        parts.append(_row("Size", f"{doc.params:,} parameters, {doc.macs or 0:,} multiply-adds per image"))
    parts.append(_row("File", f"{e(card.onnx_path.name)} ({e(doc.onnx.precision)}), "
                              f"SHA-256 {e(card.onnx_sha256[:16])}…"))
    parts.append(_row("Input", f"{card.spec.width}×{card.spec.height} RGB, {e(doc.input.resize_rule)}"))
    if doc.decode_path:
        parts.append(_row("Decoding", e(doc.decode_path)))
    parts.append(_row("Calibration", f"temperature {card.temperature:g}"))
    training = doc.training
    for value, label in ((training.recipe, "Recipe"), (training.command, "Command"),
                         (training.seed, "Seed"), (training.git_commit, "Commit")):
        if value not in ("", None):
            parts.append(_row(label, e(str(value))))
    if doc.distillation is not None:
        parts.append(_row("Distilled from", e(doc.distillation.teacher or "—")))
    parts.append("</table>")
    return parts


class AboutDialog(QDialog):
    """Scrollable, selectable text: users copy the citation and metrics from here."""

    def __init__(self, card: ModelCard | None, error: str = "", samples_attribution: str = "",
                 thresholds_in_use: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About DermTriage")
        place(self, "about", QSize(720, 760))  # fits the screen; the user's size next time
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        has_png = False
        if card is not None and card.doc is not None and card.doc.confusion_png:
            png = card.card_path.with_name(card.doc.confusion_png)
            img = QImage(str(png)) if png.is_file() else QImage()
            if not img.isNull():
                self.browser.document().addResource(QTextDocument.ResourceType.ImageResource,
                                                    QUrl(CONFUSION_URL), img)
                has_png = True
        self.browser.setHtml(card_html(card, error, has_png, samples_attribution, thresholds_in_use))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)

    def text(self) -> str:
        return self.browser.toPlainText()
