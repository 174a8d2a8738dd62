"""One case as a PDF report (the queue's CSV export is Qt-free: cases/export_csv.py).

Written only where the user chose in a save dialog; nothing is ever written next to the original images
or into the install folder.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF, Qt, QUrl
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

from cases.policy import triage_state
from cases.records import CaseRecord
from cases.store import current_user
from cases.vocab import DISCLAIMER, INTENDED_USE_TITLE, UNASSIGNED, intended_use
from gui.heatmap import legend_image, with_heatmap
from gui.image_loader import load_scaled
from gui.queue_model import QueueModel


def full_time(iso: str) -> str:
    """Date, time and time zone, in the reader's local zone: "2026-11-29 14:05:09 CET (UTC+0100)"."""
    if not iso:
        return "—"
    try:
        t = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return t.strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")


HEATMAP_LEGEND = ("Legend (bar above): clear = the least evidence in this image, yellow to red = the most; scaled "
                  "within this image, from its own minimum to its own maximum. It is the model's class "
                  "activation map: not a lesion outline and not a probability.")


def clinic_lines(queue: QueueModel, rec: CaseRecord) -> list[str]:
    """"This clinic's figures" for the model version that analysed `rec` (ModelReport.lines), or [] while
    the clinic has no confirmed outcome: without outcomes there are no figures of its own to show.

    From the queue's own mirror of the store (records under the policy in force, outcomes): the PDF is
    written on the GUI thread, so it neither re-reads every case from the database nor reports on model
    versions the PDF is not about."""
    if not queue.outcomes or queue.policy is None:
        return []
    from cases.policy import shipped_cards
    from cases.site_report import build_report

    key = (rec.result.model_name, rec.result.model_version)
    cards = [c for c in shipped_cards() if (c.name, c.version) == key]
    records = [r for r in queue.records() if (r.result.model_name, r.result.model_version) == key]
    reports = build_report(records, {cid: v[0] for cid, v in queue.outcomes.items()}, cards, queue.policy,
                           history={key: queue.store.policy_history(*key)})
    return reports[0].lines() if reports else []


def _outcome_html(outcome: tuple[str, str, str, str] | None, class_names: dict[str, str]) -> str:
    e = html.escape
    if outcome is None:
        return "<h3>Confirmed outcome</h3><p><i>none recorded yet</i></p>"
    dx, source, on, note = outcome
    name = class_names.get(dx, dx)
    name = name[:1].upper() + name[1:]
    extra = ", ".join(x for x in (source, on and f"confirmed {on}") if x)
    return (f"<h3>Confirmed outcome</h3><p><b>{e(name)}</b> ({e(dx)}){' · ' + e(extra) if extra else ''}"
            f"{'<br>' + e(note) if note else ''}</p>")


def _clinic_html(lines: list[str]) -> str:
    if not lines:
        return ""
    body = "<br>".join(html.escape(x).replace("  ", "&nbsp;&nbsp;") for x in lines)
    return ("<h3>This clinic's figures</h3><p style='font-size: 8pt'>Measured on this clinic's cases with confirmed "
            f"outcomes (exact 95% intervals), not on the model card's validation.</p><p style='font-size: 8pt'>"
            f"{body}</p>")


def report_html(rec: CaseRecord, class_names: dict[str, str], has_image: bool, has_heatmap: bool = False,
                training_data: str = "", outcome: tuple[str, str, str, str] | None = None,
                clinic: list[str] | None = None, model_notice: str = "") -> str:
    """The report as HTML for QTextDocument (kept simple: QTextDocument supports a subset of CSS).
    `training_data`: the model card's, of the model that produced this result ("" when its card is not at
    hand: the report then says it is unknown rather than naming another model's data). `outcome`: the
    case's confirmed outcome; `clinic`: `clinic_lines` (the section is left out when empty); `model_notice`
    (inference.shipped.result_notice) says when a custom model made the result."""
    e = html.escape
    res = rec.result
    state = triage_state(res)
    rows = ""
    if res.ok and res.probabilities:
        for code, p in sorted(res.probabilities.items(), key=lambda kv: -kv[1]):
            rows += (f"<tr><td>{e(class_names.get(code, code))}</td><td>{e(code)}</td>"
                     f"<td align='right'>{p:.1%}</td></tr>")
        probs = (
            "<h3>Class probabilities</h3><table cellspacing='0' cellpadding='4' border='1' width='100%'>"
            "<tr><th align='left'>Class</th><th align='left'>Code</th><th align='right'>Probability</th></tr>"
            f"{rows}</table><p>P(malignant) = {res.malignant_score or 0:.1%}</p>"
        )
    else:
        probs = f"<h3>No probabilities</h3><p>{e(res.message or 'The image was not analysed.')}</p>"
    image = "<p><img src='dermtriage:case-image' width='360'></p>" if has_image else \
        "<p><i>The image file could not be read for this report.</i></p>"
    if has_image and has_heatmap:
        top = class_names.get(res.top_class or "", res.top_class or "the top class")
        image = ("<table cellspacing='0' cellpadding='2'><tr><td><img src='dermtriage:case-image' width='300'></td>"
                 "<td><img src='dermtriage:case-heatmap' width='300'></td></tr></table>"
                 f"<p style='font-size: 8pt'>Right: heat map of where the evidence for {e(top)} lay.<br>"
                 "<img src='dermtriage:heatmap-legend' width='300' height='12'><br>"
                 "least evidence &#8594; most evidence<br>"
                 f"{e(HEATMAP_LEGEND)}</p>")
    rule = res.priority_rule if res.ok else res.message
    timing = " · ".join(
        f"{k} {v:.1f} ms"
        for k, v in (
            ("decode", res.decode_ms),
            ("preprocess", res.preprocess_ms),
            ("inference", res.inference_ms),
        )
        if v is not None
    )
    meta = [
        ("Case ID", rec.patient_id or UNASSIGNED),
        ("File", rec.path),
        ("SHA-256", rec.sha256 or "—"),
        ("Added", full_time(rec.added)),
        ("Analysed", full_time(rec.analysed)),
        ("Model", f"{res.model_name} {res.model_version}".strip() or "—"),
        ("Timings", timing or "—"),
        ("Review status", str(rec.review_status)),
    ]
    meta_rows = "".join(f"<tr><td><b>{e(k)}</b></td><td>{e(str(v))}</td></tr>" for k, v in meta)
    note = e(rec.note).replace("\n", "<br>") if rec.note else "<i>none</i>"
    model = f"{rec.result.model_name} {rec.result.model_version}".strip()
    uses = intended_use(model, training_data)
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")
    return f"""<html><body style='font-family: sans-serif; font-size: 10pt'>
    <h2>DermTriage case report</h2>
    <p style='border: 1px solid #c62828; padding: 6px'><b>{e(DISCLAIMER)}</b></p>
    {image}
    <h3>Priority: {e(state.headline)}</h3><p>{e(rule or '')}</p>
    {f"<p style='border: 1px solid #e65100; padding: 6px'><b>{e(model_notice)}</b></p>" if model_notice else ""}
    {probs}
    <h3>Clinician's note</h3><p>{note}</p>
    {_outcome_html(outcome, class_names)}
    {_clinic_html(clinic or [])}
    <h3>{e(INTENDED_USE_TITLE)}</h3>
    {"".join(f"<p style='font-size: 8pt'><b>{e(t)}.</b> {e(b)}</p>" for t, b in uses)}
    <h3>Details</h3><table cellspacing='0' cellpadding='3'>{meta_rows}</table>
    <p style='color: #555555; font-size: 8pt'>Generated {e(generated)} by {e(current_user())}.
    {e(DISCLAIMER)}</p>
    </body></html>"""


def export_pdf(rec: CaseRecord, path: str | Path, class_names: dict[str, str], training_data: str = "",
               outcome: tuple[str, str, str, str] | None = None, clinic: list[str] | None = None,
               model_notice: str = "") -> None:
    """One case on A4: image (and its heat map), probabilities, priority and rule, note, model version;
    `model_notice` (inference.shipped.result_notice) says when a custom model made the result."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(f"DermTriage case report {rec.patient_id}")
    writer.setCreator("DermTriage")
    doc = QTextDocument()
    img, _ = load_scaled(rec.path, QSize(1200, 1200))
    heat = not img.isNull() and rec.result.ok and bool(rec.result.attention)
    if not img.isNull():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("dermtriage:case-image"), img)
    if heat:
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("dermtriage:case-heatmap"),
                        with_heatmap(img, rec.result.attention))
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("dermtriage:heatmap-legend"), legend_image())
    doc.setHtml(report_html(rec, class_names, not img.isNull(), heat, training_data, outcome, clinic, model_notice))
    _print_with_header(doc, writer, f"DermTriage case report · Case ID: {rec.patient_id or UNASSIGNED} · "
                                    f"{rec.file_name}")
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        raise OSError(f"the PDF could not be written to {path}")


def _print_with_header(doc: QTextDocument, writer: QPdfWriter, header: str) -> None:
    """Lay `doc` out page by page with `header` (the case ID) and "page i of n" on every page."""
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    w, h = float(rect.width()), float(rect.height())
    band = writer.resolution() * 0.3  # 0.3 inch for the header line and its gap
    doc.documentLayout().setPaintDevice(writer)
    doc.setPageSize(QSizeF(w, h - band))
    pages = doc.pageCount()
    painter = QPainter(writer)
    font = QFont("sans-serif")
    font.setPointSizeF(8)
    try:
        for i in range(pages):
            if i:
                writer.newPage()
            painter.setFont(font)
            painter.setPen(Qt.GlobalColor.darkGray)
            painter.drawText(QRectF(0, 0, w, band * 0.7), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                             header)
            painter.drawText(QRectF(0, 0, w, band * 0.7), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
                             f"page {i + 1} of {pages}")
            painter.save()
            painter.translate(0, band - i * (h - band))
            doc.drawContents(painter, QRectF(0, i * (h - band), w, h - band))
            painter.restore()
    finally:
        painter.end()
