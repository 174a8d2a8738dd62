"""The image viewer: fit-to-window, 1:1, zoom by wheel or keys, pan by dragging, EXIF orientation.

The full-resolution image is decoded on a worker thread (a dermatoscope photo can be 24 MP), and a
stale load never replaces the case the user has since moved to. For models that return class
activation maps the viewer can lay the top class's map over the image (H): it shows where the
evidence for the prediction lay, so a clinician can see when the model looked at a ruler, a hair or
the vignette instead of the lesion.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cases.vocab import Triage
from gui.heatmap import OVERLAY_OPACITY, attention_layer
from gui.icons import priority_pixmap
from gui.image_loader import ImageLoader
from gui.widgets import ElidedLabel

MIN_ZOOM, MAX_ZOOM, STEP = 0.02, 16.0, 1.25
OVERLAY_MAX_SIDE = 1024


class ImageViewer(QGraphicsView):
    """`zoomChanged(factor)` whenever the scale changes; `imageShown(ok)` when a load completes."""

    zoomChanged = Signal(float)
    imageShown = Signal(bool)
    attentionToggleRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._item)
        self._overlay = QGraphicsPixmapItem(self._item)  # child: follows the image's geometry
        self._overlay.setOpacity(OVERLAY_OPACITY)  # the heat map's own opacity, shared with the PDF report
        self._overlay.setVisible(False)
        self._overlay.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._attention: list[list[float]] | None = None
        self.show_attention = False
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QColor("#1e1e1e"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._fit = True
        self._token = 0
        self._message = "No case selected"
        self._loader = ImageLoader(self)
        self._loader.loaded.connect(self._on_loaded)
        self.path: str | None = None

    # ---- loading -----------------------------------------------------------------------------------
    def load(self, path: str | None) -> None:
        """Show the image at `path` (None clears). Returns at once; the decode runs off the GUI thread."""
        self._token += 1
        self.path = path
        self._item.setPixmap(QPixmap())
        self._overlay.setPixmap(QPixmap())
        self._message = "Loading…" if path else "No case selected"
        self.viewport().update()
        if path:
            self._loader.clear()  # a load not started yet is already stale
            self._loader.request(self._token, path)

    def _on_loaded(self, token: int, img: QImage, error: str) -> None:
        if token != self._token:
            return  # the user has moved on to another case
        if img.isNull():
            self._message = f"Image cannot be displayed: {error or 'unreadable file'}"
            self.viewport().update()
            self.imageShown.emit(False)
            return
        self._message = ""
        self._item.setPixmap(QPixmap.fromImage(img))
        self._update_overlay()
        self.scene().setSceneRect(self._item.boundingRect())
        self.fit()
        self.imageShown.emit(True)

    @property
    def has_image(self) -> bool:
        return not self._item.pixmap().isNull()

    # ---- activation-map overlay ---------------------------------------------------------------------
    def set_attention(self, attention: list[list[float]] | None) -> None:
        """The map for the case on screen (None when its model has none); shown if the toggle is on."""
        self._attention = attention or None
        self._update_overlay()

    @property
    def has_attention(self) -> bool:
        return self._attention is not None

    @property
    def overlay_visible(self) -> bool:
        return self._overlay.isVisible() and not self._overlay.pixmap().isNull()

    def set_show_attention(self, on: bool) -> None:
        self.show_attention = on
        self._overlay.setVisible(on and not self._overlay.pixmap().isNull())

    def _update_overlay(self) -> None:
        size = self._item.pixmap().size()
        if self._attention is None or size.isEmpty():
            self._overlay.setPixmap(QPixmap())
            self._overlay.setVisible(False)
            return
        # A map of a few cells needs no more than screen resolution: draw it at most OVERLAY_MAX_SIDE px and
        # let the item's transform stretch it over the image (a 24 MP photo would otherwise cost ~100 MB).
        layer = attention_layer(self._attention, size.scaled(OVERLAY_MAX_SIDE, OVERLAY_MAX_SIDE,
                                                             Qt.AspectRatioMode.KeepAspectRatio)
                                if max(size.width(), size.height()) > OVERLAY_MAX_SIDE else size)
        self._overlay.setPixmap(QPixmap.fromImage(layer))
        self._overlay.setTransform(QTransform.fromScale(size.width() / layer.width(), size.height() / layer.height()))
        self._overlay.setVisible(self.show_attention)

    # ---- zoom --------------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self._fit = True
        if self.has_image:
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoomChanged.emit(self.zoom)

    def actual_size(self) -> None:
        self._set_zoom(1.0)

    def fit_zoom(self) -> float:
        """The zoom at which the whole image fits the viewport (1.0 without an image)."""
        if not self.has_image:
            return 1.0
        rect = self._item.boundingRect()
        vp = self.viewport().rect()
        return min(vp.width() / max(rect.width(), 1.0), vp.height() / max(rect.height(), 1.0))

    def zoom_in(self) -> None:
        self._set_zoom(self.zoom * STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self.zoom / STEP)

    def _set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self._fit = False
        self.scale(factor / self.zoom, factor / self.zoom)
        self.zoomChanged.emit(self.zoom)

    # ---- events ------------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.has_image:
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self._set_zoom(self.zoom * (STEP ** steps))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key == Qt.Key.Key_Minus:
            self.zoom_out()
        elif key in (Qt.Key.Key_0, Qt.Key.Key_F):
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        elif key == Qt.Key.Key_H:
            self.attentionToggleRequested.emit()
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    def drawForeground(self, painter: QPainter, rect) -> None:  # noqa: ANN001 - QRectF from Qt
        if not self._message:
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(QColor("#bdbdbd"))
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self._message)
        painter.restore()

    def shutdown(self) -> None:
        self._loader.shutdown()


class ViewerPanel(QWidget):
    """The viewer with its zoom controls and a caption naming the case on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = ImageViewer(self)
        # The priority badge: icon and word, so the image on screen always says how urgent it is.
        self.badge = QFrame()
        self.badge.setObjectName("priorityBadge")
        self.badge_icon, self.badge_text = QLabel(), QLabel()
        badge_lay = QHBoxLayout(self.badge)
        badge_lay.setContentsMargins(6, 1, 8, 1)
        badge_lay.setSpacing(4)
        badge_lay.addWidget(self.badge_icon)
        badge_lay.addWidget(self.badge_text)
        self.badge.setVisible(False)
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        # A long file name must never widen the pane (that made the splitter jump on every selection).
        self.caption = ElidedLabel("")
        self.caption.setObjectName("viewerCaption")
        # The zoom figure sits with the zoom tools under the image and says what it is: beside the priority
        # badge a bare "59%" read like a probability (issue 22).
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("muted")
        self.zoom_label.setMinimumWidth(80)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.zoom_label.setToolTip("Image scale on screen (100% = one image pixel per screen pixel)")
        head = QHBoxLayout()
        head.setContentsMargins(6, 4, 6, 4)
        head.addWidget(self.badge)
        head.addWidget(self.caption, 1)
        bar = QHBoxLayout()  # the viewer's tools under the image, so the header keeps room for the case
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addStretch(1)
        bar.addWidget(self.zoom_label)
        bar.addSpacing(6)
        for text, tip, slot in (("−", "Zoom out (−, Ctrl+−, wheel)", self.viewer.zoom_out),
                                ("+", "Zoom in (+, Ctrl++, wheel)", self.viewer.zoom_in),
                                ("Fit", "Fit to window (F, Ctrl+0)", self.viewer.fit),
                                ("1:1", "Actual size (1, Ctrl+Alt+0)", self.viewer.actual_size)):
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            bar.addWidget(b)
        self.attention_button = QToolButton(self)
        self.attention_button.setText("Heat map")
        self.attention_button.setCheckable(True)
        self.attention_button.setAutoRaise(True)
        self.attention_button.toggled.connect(self.viewer.set_show_attention)
        self.viewer.attentionToggleRequested.connect(self.toggle_attention)
        bar.addWidget(self.attention_button)
        bar.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(head)
        lay.addWidget(self.viewer, 1)
        lay.addLayout(bar)
        self.viewer.zoomChanged.connect(
            lambda z: self.zoom_label.setText(f"Zoom {z:.0%}" if self.viewer.has_image else "")
        )

    def set_badge(self, state: Triage | None) -> None:
        if state is None:
            self.badge.setVisible(False)
            return
        self.badge_icon.setPixmap(priority_pixmap(state, 16))
        self.badge_text.setText(state.label)
        self.badge.setStyleSheet(f"QFrame#priorityBadge {{ border: 1px solid {state.colour}; border-radius: 4px; }}"
                                 f" QLabel {{ color: {state.colour}; font-weight: bold; border: none; }}")
        self.badge.setToolTip(state.headline)
        self.badge.setVisible(True)

    def show_case(self, path: str | None, caption: str = "",
                  attention: list[list[float]] | None = None, state: Triage | None = None) -> None:
        self.set_badge(state)
        self.caption.setText(caption)
        self.caption.setToolTip(caption)
        self.zoom_label.setText("")
        self.viewer.load(path)
        self.set_attention(attention)

    def set_attention(self, attention: list[list[float]] | None) -> None:
        self.viewer.set_attention(attention)
        self.attention_button.setEnabled(attention is not None)
        self.attention_button.setToolTip(
            "Show where the evidence for the top class lay (H). Relative within this image; not a lesion outline."
            if attention is not None else "This result has no activation map (its model does not provide one)")

    def toggle_attention(self) -> None:
        if self.attention_button.isEnabled():
            self.attention_button.toggle()
