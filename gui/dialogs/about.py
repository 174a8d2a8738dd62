"""Help > About: the model card rendered for a clinician, not as JSON.

A user deciding how far to trust a number needs the model's measured accuracy, how it was trained, on
what data, under which licence, and the disclaimer — all of which the card carries, so all of it is
shown here rather than hidden in a file.
"""

from __future__ import annotations

import html
import math
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from gui.case_panel import DISCLAIMER
from inference.card import ModelCard

CONFUSION_URL = "dermtriage:confusion"


def _num(v: Any, pct: bool = True) -> str:
    if not isinstance(v, int | float) or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.1%}" if pct else f"{v:.3f}"


def _row(label: str, value: str) -> str:
    return f"<tr><td style='padding-right:14px'><b>{html.escape(label)}</b></td><td>{value}</td></tr>"


def _confusion_table(card: ModelCard, cm: dict[str, Any]) -> str:
    labels = cm.get("labels") or card.codes
    rows = cm.get("rows_true_cols_pred") or []
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in labels)
    body = "".join(
        "<tr><th align='left'>"
        + html.escape(str(labels[i]))
        + "</th>"
        + "".join(f"<td align='right'>{v}</td>" for v in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return (f"<p>Rows: true class; columns: predicted class.</p><table border='1' cellspacing='0' "
            f"cellpadding='3'><tr><th></th>{head}</tr>{body}</table>")


def card_html(card: ModelCard | None, error: str = "", has_confusion_png: bool = False,
              samples_attribution: str = "", thresholds_in_use: str = "") -> str:
    e = html.escape
    parts = [f"<h2>DermTriage</h2><p style='color:#c62828'><b>{e(DISCLAIMER)}</b></p>"]
    if error:
        parts.append(f"<p style='color:#c62828'><b>The model could not be loaded:</b> {e(error)}</p>")
    if card is None:
        parts.append("<p>No readable model card.</p>")
        return "".join(parts)
    raw = card.raw
    parts.append(f"<h3>Model: {e(card.name)} version {e(card.version)}</h3><table>")
    parts.append(_row("Architecture", e(str(raw.get("architecture", "—")))))
    if raw.get("params"):
        parts.append(
            _row("Size", f"{raw['params']:,} parameters, {raw.get('macs', 0):,} multiply-adds per image")
        )
    onnx = raw.get("onnx", {})
    parts.append(_row("File", f"{e(card.onnx_path.name)} ({e(str(onnx.get('precision', '')))}), "
                              f"SHA-256 {e(card.onnx_sha256[:16])}…"))
    parts.append(
        _row(
            "Input",
            f"{card.spec.width}×{card.spec.height} RGB, {e(str(raw['input'].get('resize_rule', '')))}",
        )
    )
    parts.append(_row("Calibration", f"temperature {card.temperature:g}"))
    parts.append(_row("Classes", e(", ".join(f"{c.name} ({c.code})" for c in card.classes))))
    parts.append(_row("Malignant classes", e(", ".join(card.full_name(c) for c in card.malignant))))
    thr = card.thresholds
    parts.append(_row("Referral (card)", f"urgent ≥ {thr.urgent:.1%}, soon ≥ {thr.soon:.1%}: {e(thr.rule)}"))
    if thresholds_in_use:
        parts.append(_row("Referral (in use)", e(thresholds_in_use)))
    parts.append("</table>")

    metrics = raw.get("metrics", {})
    test = metrics.get("test", {})
    if test:
        parts.append(f"<h3>Measured performance (test split, n = {test.get('n', '—')})</h3>")
        parts.append(f"<p>{e(str(metrics.get('split', '')))}</p><table>")
        for key, label in (("accuracy", "Accuracy"), ("balanced_accuracy", "Balanced accuracy"),
                           ("melanoma_recall", "Melanoma recall (top class)")):
            parts.append(_row(label, _num(test.get(key))))
        parts.append(_row("Macro AUC", _num(test.get("macro_auc"), pct=False)))
        ece = test.get("ece_15_bins_after_temperature")
        if ece is not None:
            parts.append(_row("Calibration error (ECE)", _num(ece, pct=False)))
        cam = raw.get("cam_in_lesion_mask")
        if cam:
            parts.append(_row("Heat map peak inside the lesion",
                              f"{_num(cam.get('fraction'))} of {cam.get('n', '—')} test images (HAM10000 masks)"))
        for key, val in (test.get("referral") or {}).items():
            parts.append(_row(key.replace("_", " ").capitalize(), _num(val)))
        parts.append("</table>")
        per = test.get("per_class") or {}
        if per:
            parts.append(
                "<h4>Per class</h4><table border='1' cellspacing='0' cellpadding='3'><tr><th>Class</th>"
                "<th>Precision</th><th>Recall</th><th>F1</th><th>AUC</th><th>Test images</th></tr>"
            )
            for code, m in per.items():
                parts.append(
                    f"<tr><td>{e(card.full_name(code))}</td><td>{_num(m.get('precision'))}</td>"
                    f"<td>{_num(m.get('recall'))}</td><td>{_num(m.get('f1'))}</td>"
                    f"<td>{_num(m.get('auc'), pct=False)}</td>"
                    f"<td align='right'>{m.get('support', '—')}</td></tr>"
                )
            parts.append("</table>")
        parts.append("<h4>Confusion matrix (test split)</h4>")
        if has_confusion_png:
            parts.append(f"<p><img src='{CONFUSION_URL}' width='460'></p>")
        elif test.get("confusion_matrix"):
            parts.append(_confusion_table(card, test["confusion_matrix"]))
        else:
            parts.append("<p>Not provided by the model card.</p>")

    parts.append("<h3>Training data</h3><table>")
    parts.append(_row("Data", e(str(raw.get("training_data", "—")))))
    training = raw.get("training", {})
    for key, label in (
        ("recipe", "Recipe"),
        ("command", "Command"),
        ("seed", "Seed"),
        ("git_commit", "Commit"),
    ):
        if key in training:
            parts.append(_row(label, e(str(training[key]))))
    if raw.get("distillation"):
        parts.append(_row("Distilled from", e(str(raw["distillation"].get("teacher", "—")))))
    parts.append("</table>")
    parts.append(f"<h3>Licence</h3><p><b>{e(str(raw.get('license', 'not stated')))}</b>. "
                 f"{e(str(raw.get('license_note', '')))}</p>")
    if raw.get("citation"):
        parts.append(f"<p><b>Please cite:</b> {e(str(raw['citation']))}</p>")
    if samples_attribution:
        parts.append(f"<h3>Sample images</h3><p>{e(samples_attribution)}</p>")
    if raw.get("disclaimer"):
        parts.append(f"<p><i>{e(str(raw['disclaimer']))}</i></p>")
    return "".join(parts)


class AboutDialog(QDialog):
    """Scrollable, selectable text: users copy the citation and metrics from here."""

    def __init__(self, card: ModelCard | None, error: str = "", samples_attribution: str = "",
                 thresholds_in_use: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About DermTriage")
        self.resize(720, 760)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        has_png = False
        if card is not None and card.raw.get("confusion_png"):
            png = card.card_path.with_name(str(card.raw["confusion_png"]))
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
