"""The heat map: a model's class activation map drawn over the case image (viewer and PDF report).

One drawing for both so the report shows exactly what the clinician saw on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter

OVERLAY_OPACITY = 0.55


def attention_image(attention: list[list[float]]) -> QImage:
    """The activation map as a small ARGB image: transparent where evidence is low, yellow to red above.

    Min-max scaled per image (the map's absolute values are logit contributions, not probabilities), so
    it says where the model looked relative to the rest of this image, not how sure it was.
    """
    rows, cols = len(attention), len(attention[0]) if attention else 0
    img = QImage(max(cols, 1), max(rows, 1), QImage.Format.Format_ARGB32)
    img.fill(QColor(0, 0, 0, 0))
    values = [v for row in attention for v in row]
    if not values:
        return img
    lo, hi = min(values), max(values)
    span = hi - lo if hi > lo else 1.0
    for y, row in enumerate(attention):
        for x, v in enumerate(row):
            t = (v - lo) / span
            img.setPixelColor(x, y, QColor(255, int(230 * (1 - t)), 0, int(255 * t**1.5)))
    return img


def attention_layer(attention: list[list[float]], size: QSize) -> QImage:
    """The map scaled to `size`, smoothly (bilinear), as the card's CAM-in-mask figure upsamples it."""
    return attention_image(attention).scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)


def with_heatmap(image: QImage, attention: list[list[float]]) -> QImage:
    """A copy of `image` with the map laid over it at the viewer's opacity."""
    out = image.convertToFormat(QImage.Format.Format_ARGB32)
    painter = QPainter(out)
    painter.setOpacity(OVERLAY_OPACITY)
    painter.drawImage(0, 0, attention_layer(attention, out.size()))
    painter.end()
    return out


def legend_image(width: int = 600, height: int = 24) -> QImage:
    """The colour scale of `attention_image` (low evidence left, the image's most right) over light grey,
    at the viewer's opacity: the PDF report's legend."""
    out = QImage(width, height, QImage.Format.Format_ARGB32)
    out.fill(QColor("#d9d9d9"))
    painter = QPainter(out)
    painter.setOpacity(OVERLAY_OPACITY)
    painter.drawImage(0, 0, attention_layer([[i / 63 for i in range(64)]], out.size()))
    painter.end()
    return out
