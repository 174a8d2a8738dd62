"""A guard against a PySide6 reference-count defect that aborts the app on CPython 3.10/3.11.

PySide6 6.12.0 returns `None` from void methods (`QLabel.setText`, `QStandardItem.setData`, ...) and
`True` from `SignalInstance.emit()` without taking a new reference. Every call then lowers the
refcount of that singleton by one, and after some tens of thousands of calls (a scan of a few
thousand images) CPython aborts with "Fatal Python error: none_dealloc: deallocating None".
CPython >= 3.12 is immune: its None/True/False are immortal (PEP 683) and ignore refcounts.

`install_guard()` measures the defect with a few calls; only where it is present on a pre-3.12
interpreter does it do what PEP 683 does: give None, True and False so many references (2**40) that
the count can never reach zero. They are static singletons that are never freed anyway, so this
changes nothing else. The real fix is a venv on Python >= 3.12 or a PySide6 without the defect.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

HEADROOM = 1 << 40
_SINGLETONS = (None, True, False)


class _Probe(QObject):
    fired = Signal()


def measure_defects(trials: int = 64) -> dict[str, int]:
    """References lost per `trials` calls: a void method (to None) and an emit (to True)."""
    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(trials):
        probe.setObjectName("probe")
    none_lost = before - sys.getrefcount(None)
    before = sys.getrefcount(True)
    for _ in range(trials):
        probe.fired.emit()
    true_lost = before - sys.getrefcount(True)
    return {"none": none_lost, "true": true_lost}


def _add_references(obj: object, n: int) -> None:
    # ob_refcnt is the first field of every CPython object; id() is its address.
    ctypes.c_ssize_t.from_address(id(obj)).value += n


GUARDED = False


def install_guard() -> bool:
    """Idempotent; returns True when the guard is active (defect found on a mortal-singleton CPython)."""
    global GUARDED
    if GUARDED or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return GUARDED
    lost = measure_defects()
    if max(lost.values()) >= 32:
        for obj in _SINGLETONS:
            _add_references(obj, HEADROOM)
        GUARDED = True
    return GUARDED
