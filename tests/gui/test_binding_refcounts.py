"""PySide6 6.12.0 returned None/True from void methods and emits without a new reference, which aborts
CPython < 3.12 ("none_dealloc") after a few thousand scanned images. pyproject.toml pins PySide6 below
6.12; these tests fail (or abort) if a defective binding is ever installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItem
from PySide6.QtWidgets import QLabel


class _Sender(QObject):
    plain = Signal()


def test_void_calls_and_emits_keep_singleton_refcounts(qapp) -> None:  # noqa: ANN001
    sender = _Sender()
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(256):
        sender.setObjectName("probe")
        sender.plain.emit()
    assert sys.getrefcount(None) >= before_none - 8
    assert sys.getrefcount(True) >= before_true - 8


def test_many_void_calls_and_emits_survive(qapp) -> None:  # noqa: ANN001
    """200,000 calls: more than a day of scanning; aborted the interpreter with the defective binding."""
    label, item, sender = QLabel(), QStandardItem(), _Sender()
    for i in range(100_000):
        label.setText("x")
        item.setData(i, 257)
        sender.plain.emit()
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000
