"""What is shown is what commands act on (issue 22: a case ID went to another image than the one on screen).

Driven as a user does it: mouse clicks on the queue's viewport and key presses, then the selection
commands through their actions, with the dialogs answered by the test.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from cases.vocab import Review
from gui.queue_model import Col
from gui.queue_panel import COLUMN_WIDTHS, FILE_MIN
from tests.gui.helpers import run_scan, small_images

CTRL, SHIFT, NONE = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier,
                     Qt.KeyboardModifier.NoModifier)


class Answers:
    """Records the questions the commands ask and answers them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.case_id = "P-SHOWN"
        self.yes = True
        self.asked: list[str] = []

        def get_text(_parent, _title, label, *_a, **_k):  # noqa: ANN001, ANN202
            self.asked.append(label)
            return self.case_id, True

        def question(_parent, _title, text, *_a, **_k):  # noqa: ANN001, ANN202
            self.asked.append(text)
            return QMessageBox.StandardButton.Yes if self.yes else QMessageBox.StandardButton.Cancel

        monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
        monkeypatch.setattr(QMessageBox, "question", staticmethod(question))


@pytest.fixture
def queue(qtbot, window):  # noqa: ANN001, ANN201
    run_scan(qtbot, window, small_images(8))
    window.queue.view.setFocus()
    return window


def _ids(window) -> list[int]:  # noqa: ANN001
    return window.queue.visible_case_ids()


def _click(qtbot, window, row: int, mods: Qt.KeyboardModifier = NONE) -> None:  # noqa: ANN001
    view = window.queue.view
    rect = view.visualRect(window.queue.proxy.index(row, Col.FILE))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, mods, rect.center())
    qtbot.wait(5)  # the rule is checked once the click has been handled


def _key(qtbot, window, key: Qt.Key, mods: Qt.KeyboardModifier = NONE) -> None:  # noqa: ANN001
    QTest.keyClick(window.queue.view, key, mods)
    qtbot.wait(5)


def _shown(window) -> int:  # noqa: ANN001
    """The case on screen: the case panel and the viewer's caption must agree."""
    cid = window.case_panel.case_id
    rec = window.queue_model.record(cid)
    assert rec is not None and rec.file_name in window.viewer.caption.text()
    return cid


def _name(window, cid: int) -> str:  # noqa: ANN001
    return window.queue_model.record(cid).file_name


def test_ctrl_arrows_select_what_they_show_and_set_case_id_acts_on_it(qtbot, queue, monkeypatch) -> None:  # noqa: ANN001
    w, ids, answers = queue, _ids(queue), Answers(monkeypatch)
    _click(qtbot, w, 1)
    assert _shown(w) == ids[1] and w.queue.selected_case_ids() == [ids[1]]
    _key(qtbot, w, Qt.Key.Key_Down, CTRL)
    _key(qtbot, w, Qt.Key.Key_Down, CTRL)
    assert _shown(w) == ids[3]
    assert w.queue.selected_case_ids() == [ids[3]]  # the highlight moved with it
    w.act.set_case_id.trigger()
    assert _name(w, ids[3]) in answers.asked[-1]  # the dialog names the case it is about
    assert w.queue_model.record(ids[3]).patient_id == "P-SHOWN"
    assert w.queue_model.record(ids[1]).patient_id == ""  # not the row clicked first
    assert "P-SHOWN" in w.viewer.caption.text()
    # Ctrl+Home / Ctrl+End, Home / End: the first and last case (not the first or last column).
    _key(qtbot, w, Qt.Key.Key_End, CTRL)
    assert _shown(w) == ids[-1] and w.queue.selected_case_ids() == [ids[-1]]
    _key(qtbot, w, Qt.Key.Key_Home, CTRL)
    assert _shown(w) == ids[0] and w.queue.selected_case_ids() == [ids[0]]
    _key(qtbot, w, Qt.Key.Key_End)
    assert _shown(w) == ids[-1] and w.queue.selected_case_ids() == [ids[-1]]
    assert w.queue.view.horizontalScrollBar().value() == 0  # Priority and P(malignant) still in view
    _key(qtbot, w, Qt.Key.Key_Home)
    assert _shown(w) == ids[0] and w.queue.selected_case_ids() == [ids[0]]
    # Ctrl+Space on the case shown would un-highlight it: it stays the one acted on.
    _key(qtbot, w, Qt.Key.Key_Space, CTRL)
    assert w.queue.selected_case_ids() == [_shown(w)]


def test_ctrl_and_shift_click_name_the_cases_before_acting(qtbot, queue, monkeypatch) -> None:  # noqa: ANN001
    w, ids, answers = queue, _ids(queue), Answers(monkeypatch)
    _click(qtbot, w, 0)
    _click(qtbot, w, 2, CTRL)
    assert _shown(w) == ids[2] and w.queue.selected_case_ids() == [ids[0], ids[2]]
    answers.case_id = "P-TWO"
    w.act.set_case_id.trigger()
    assert _name(w, ids[0]) in answers.asked[-1] and _name(w, ids[2]) in answers.asked[-1]  # named first
    assert [w.queue_model.record(c).patient_id for c in ids[:3]] == ["P-TWO", "", "P-TWO"]
    # Ctrl+click on the case shown un-highlights it: the case shown moves to the case still highlighted.
    _click(qtbot, w, 2, CTRL)
    assert w.queue.selected_case_ids() == [ids[0]] and _shown(w) == ids[0]
    # Shift+click: a range; the review command names the three cases, and Cancel changes nothing.
    _click(qtbot, w, 4)
    _click(qtbot, w, 6, SHIFT)
    assert _shown(w) == ids[6] and w.queue.selected_case_ids() == ids[4:7]
    answers.yes = False
    asked = len(answers.asked)
    w.act.review[Review.REFERRED.rank].trigger()
    assert len(answers.asked) == asked + 1 and all(_name(w, c) in answers.asked[-1] for c in ids[4:7])
    assert {w.queue_model.record(c).review_status for c in ids[4:7]} == {Review.NEW}
    answers.yes = True
    w.act.review[Review.REFERRED.rank].trigger()
    assert {w.queue_model.record(c).review_status for c in ids[4:7]} == {Review.REFERRED}
    assert w.queue_model.record(ids[3]).review_status == Review.NEW
    # One case (the one on screen): no question.
    _click(qtbot, w, 1)
    asked = len(answers.asked)
    w.act.review[Review.REVIEWED.rank].trigger()
    assert len(answers.asked) == asked and w.queue_model.record(ids[1]).review_status == Review.REVIEWED


def test_grouped_queue_follows_the_same_rule(qtbot, queue, monkeypatch) -> None:  # noqa: ANN001
    w, answers = queue, Answers(monkeypatch)
    w.act.group.trigger()
    tree, q = w.queue.tree, w.queue
    first = q.ordered_case_ids()[0]
    q.select_case(first)
    tree.setFocus()
    for _ in range(2):
        QTest.keyClick(tree, Qt.Key.Key_Down, CTRL)
        qtbot.wait(5)
    shown = _shown(w)
    assert shown != first and q.selected_case_ids() == [shown]
    answers.case_id = "P-TREE"
    w.act.set_case_id.trigger()
    assert w.queue_model.record(shown).patient_id == "P-TREE"
    assert w.queue_model.record(first).patient_id == ""


@pytest.mark.parametrize("pane", [460, 1000])
def test_leading_columns_never_scroll_away(qtbot, queue, pane: int) -> None:  # noqa: ANN001
    """Issue 22: clicking a partly visible File cell or pressing End hid Priority, P(malignant), Case ID."""
    w = queue
    w.resize(1900, 860)
    qtbot.wait(10)
    sizes = w.splitter.sizes()
    w.splitter.setSizes([pane, sum(sizes) - pane - sizes[2], sizes[2]])
    qtbot.wait(10)
    view, proxy = w.queue.view, w.queue.proxy
    shown = [c for c in Col if not view.isColumnHidden(c)]
    assert sum(view.columnWidth(c) for c in shown) <= view.viewport().width()  # nothing to scroll to
    everything = sum(COLUMN_WIDTHS.values()) - COLUMN_WIDTHS[Col.FILE] + FILE_MIN
    assert (shown == list(Col)) == (view.viewport().width() >= everything)  # a wide pane shows every column
    assert (shown == list(Col)) == (pane == 1000)

    def leading_in_view() -> bool:
        vp = view.viewport().rect()
        return all(vp.contains(view.visualRect(proxy.index(0, c)).center())
                   for c in (Col.PRIORITY, Col.MALIGNANT, Col.CASE_ID))

    last = max(shown, key=view.columnViewportPosition)
    rect = view.visualRect(proxy.index(2, last))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, NONE, rect.center())
    _key(qtbot, w, Qt.Key.Key_End)
    _key(qtbot, w, Qt.Key.Key_Right)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum() or 100)  # a wheel tilt
    qtbot.wait(5)
    assert view.horizontalScrollBar().value() == 0 and leading_in_view()
    assert _shown(w) == _ids(w)[-1]  # End went to the last case
