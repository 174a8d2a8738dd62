"""The PySide6 emit() refcount guard: thousands of emits must not drain True's reference count."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from gui.qtcompat import emit
from tests.gui.helpers import REPO


class _Sender(QObject):
    plain = Signal()
    with_args = Signal(int, bool)


def test_emit_keeps_the_refcount_of_true_steady() -> None:
    s = _Sender()
    received = []
    s.with_args.connect(lambda a, b: received.append(a))
    before = sys.getrefcount(True)
    for i in range(400):
        emit(s.plain)
        emit(s.with_args, i, True)
    assert len(received) == 400
    assert sys.getrefcount(True) >= before - 50  # other code may drop a few references meanwhile


def test_gui_never_calls_raw_emit() -> None:
    """Every emit in gui/ goes through the guard (a raw one would reintroduce the crash)."""
    raw = re.compile(r"\.emit\(")
    offenders = [f"{p.relative_to(REPO)}:{n}" for p in (REPO / "gui").rglob("*.py") if p.name != "qtcompat.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if raw.search(line)]
    assert offenders == []


def test_no_file_uses_a_bound_emit_as_callback() -> None:
    offenders = [
        str(p) for p in Path(REPO / "gui").rglob("*.py") if ".emit," in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
