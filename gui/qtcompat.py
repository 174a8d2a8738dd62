"""A guard against a PySide6 reference-count bug: every signal in `gui/` is emitted through `emit()`.

PySide6 6.12.0 (seen with CPython 3.11) returns `True` from `SignalInstance.emit()` without taking a
new reference. Every discarded result then lowers the refcount of the `True` singleton by one, and a
few thousand emits later CPython aborts with "Fatal Python error: bool_dealloc: deallocating True or
False" — in a scan of 10,000 images, mid-session. `emit()` measures the defect once at import and, only
when present, gives back the reference each call takes. On a fixed PySide6 (or CPython >= 3.12, where
True is immortal) it measures nothing to repair and is a plain `signal.emit(*args)`.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    fired = Signal()


def _emit_steals_true(trials: int = 16) -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(trials):
        probe.fired.emit()  # the one raw emit in gui/: it measures the defect
    return sys.getrefcount(True) - before <= -trials // 2


EMIT_STEALS_TRUE = _emit_steals_true()


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, repairing True's refcount where PySide6 takes a reference it does not own."""
    result = signal.emit(*args)
    if EMIT_STEALS_TRUE and isinstance(result, bool):
        _incref(result)
