"""The Clinic performance window (issue 21), opened and clicked as a user would: the figures with counts and
exact intervals, the referral curves (pyqtgraph) with the operating point in force, the proposal adopted only
through its confirmation (audited, the queue re-prioritised at once), and the return to the card."""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from cases.site import Rate
from gui.queue_model import Col
from inference.vocab import Priority
from tests.gui.clinic_helpers import default_card, seed_clinic


def _open(qtbot, window):  # noqa: ANN001, ANN202
    """Clinic > Clinic performance…, found in the menu bar as a user finds it (Help stays last)."""
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[-2:] == ["Clinic", "Help"], titles
    clinic = window.menuBar().actions()[-2].menu()
    action = next(a for a in clinic.actions() if a.text().replace("&", "").startswith("Clinic performance"))
    action.trigger()
    dlg = window.clinic.performance
    qtbot.waitUntil(lambda: bool(dlg.views) and dlg.refresh_button.isEnabled(), timeout=20_000)
    return dlg


def _refreshed(qtbot, dlg, before) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: dlg.views and dlg.views[0] is not before and dlg.refresh_button.isEnabled(),
                    timeout=20_000)


def _answer(monkeypatch, answer: QMessageBox.StandardButton) -> list[str]:  # noqa: ANN001
    asked: list[str] = []

    def question(_parent, title, text, *_a, **_k):  # noqa: ANN001, ANN202
        asked.append(f"{title}\n{text}")
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_adopt_the_site_operating_point_and_return_to_the_card(qtbot, make_window, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    ids = seed_clinic(tmp_path / "clinic")
    window = make_window()
    card = default_card()
    nevus, waiting, mel = ids["nv"][0], ids["open"][0], ids["mel"][0]
    assert window.queue_model.record(nevus).result.priority == Priority.SOON  # the card over-refers this device
    dlg = _open(qtbot, window)
    assert dlg.isVisible() and dlg.tabs.tabText(0) == f"{card.name} {card.version}"
    view = dlg.views[0]

    # The figures: counts and exact intervals, as ModelReport gives them.
    report = view.report
    assert report.n_outcomes == 90
    mel_rate = Rate.of("Melanomas referred", 25, 25)
    assert [view.figures.item(0, c).text() for c in range(4)] == [
        "Melanomas referred", "25 of 25", "100.0%", f"{mel_rate.low:.1%} – {mel_rate.high:.1%}"]
    assert view.figures.item(2, 1).text() == "60 of 60"  # every confirmed nevus referred under the card
    # The plot: both curves from the report, and the policy in force marked on each.
    assert isinstance(view.plot, pg.PlotWidget)
    vx, vy = view.curves["validation"].getData()
    sx, sy = view.curves["site"].getData()
    assert len(vx) > 100 and list(sx) == [100 * x for x in report.site_curve[0]]
    assert list(sy) == [100 * y for y in report.site_curve[1]] and sy[-1] == 100.0
    px, py = (float(v[0]) for v in view.points["site_point"].getData())
    assert (px, py) == (100.0 * 60 / 60, 100.0)
    assert "validation_point" in view.points and "proposal" in view.points
    assert view.plot.getPlotItem().getAxis("bottom").labelText.startswith("Benign lesions referred")
    # The inflow is referred far more than validation predicts: said, with what to do.
    assert view.notices.isVisible() and "record confirmed outcomes" in view.notices.text()
    assert "Method: melanoma order statistic (conformal)" in view.proposal_text.text()
    assert view.adopt_button.isEnabled() and not view.reset_button.isEnabled()

    p = report.proposal
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)  # a No changes nothing
    QTest.mouseClick(view.adopt_button, Qt.MouseButton.LeftButton)
    assert asked and window.store.policy_overrides() == {}
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    QTest.mouseClick(view.adopt_button, Qt.MouseButton.LeftButton)
    assert f"Soon if P(malignant) ≥ {p.soon:.2%}" in asked[0] and "urgent" in asked[0].lower()
    assert "25 confirmed melanoma(s), 5 other cancer(s), 60 benign lesion(s)" in asked[0]
    assert window.store.policy_overrides() == {(card.name, card.version): (p.urgent, p.soon)}
    adopted = [a for a in window.store.audit_log() if a[3] == "site policy adopted"]
    assert len(adopted) == 1 and "conformal" in adopted[0][4] and "25 confirmed melanoma(s)" in adopted[0][4]
    # The queue is re-prioritised at once from the stored probabilities (as after Settings).
    for cid, expected in ((nevus, Priority.ROUTINE), (waiting, Priority.ROUTINE), (mel, Priority.SOON)):
        assert window.queue_model.record(cid).result.priority == expected, cid
    row = window.queue_model.row_of(nevus)
    assert window.queue_model.index(row, Col.PRIORITY).data() == "Routine"
    assert "clinic thresholds" in window.model_label.text()
    assert window.store.result_count(nevus) == 1  # no re-analysis

    _refreshed(qtbot, dlg, view)
    view = dlg.views[0]
    assert view.report.policy_origin.startswith("site fit: melanoma order statistic")
    assert not view.adopt_button.isEnabled() and "already in force" in view.adopt_state.text()
    assert view.figures.item(2, 1).text() == "0 of 60" and view.figures.item(0, 1).text() == "25 of 25"

    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert view.reset_button.isEnabled()
    QTest.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    assert "model card's thresholds" in asked[0]
    assert window.store.policy_overrides() == {}
    assert any(a[3] == "policy changed" and "-> model card" in a[4] for a in window.store.audit_log())
    assert window.queue_model.record(nevus).result.priority == Priority.SOON
    _refreshed(qtbot, dlg, view)
    assert dlg.views[0].report.policy_origin == "model card" and dlg.views[0].adopt_button.isEnabled()
    dlg.close()


def test_too_few_melanomas_are_said_and_nothing_can_be_adopted(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    seed_clinic(tmp_path / "clinic", n_mel=5, n_nv=12, n_bcc=1, n_open=3)
    window = make_window()
    view = _open(qtbot, window).views[0]
    assert "Only 5 confirmed melanoma(s): too few to conclude" in view.notes.text()
    assert not view.adopt_button.isEnabled() and "Not enough evidence" in view.adopt_state.text()
    assert "cannot support referring 95% of melanomas" in view.proposal_text.text()
    assert "proposal" not in view.points and "site" in view.curves
    assert not view.notices.isVisible()  # 21 images: too few to compare the inflow with validation


def test_no_outcomes_shows_the_validation_curve_and_plain_words(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    seed_clinic(tmp_path / "clinic", n_mel=0, n_nv=0, n_bcc=0, n_open=40, outcomes=False)
    window = make_window()
    view = _open(qtbot, window).views[0]
    assert "validation" in view.curves and "site" not in view.curves
    assert view.figures.item(0, 3).text() == "no confirmed cases yet"
    assert "No proposal yet" in view.proposal_text.text() and not view.adopt_button.isEnabled()
    assert view.notices.isVisible()  # 40 images all referred: far more than validation predicts


def test_a_read_only_window_changes_no_policy(qtbot, make_window, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    seed_clinic(tmp_path / "clinic")
    window = make_window()
    view = _open(qtbot, window).views[0]
    monkeypatch.setattr(window.store, "read_only", "another window holds the folder")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: warned.append(text))
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    QTest.mouseClick(view.adopt_button, Qt.MouseButton.LeftButton)
    assert warned and "read-only" in warned[0] and not asked
    monkeypatch.setattr(window.store, "read_only", "")
    assert window.store.policy_overrides() == {}


def test_a_proposal_that_refers_more_benign_lesions_says_so(qtbot, make_window, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    # Melanomas from P(malignant) 4%: the target can only be kept by referring nevi the card sends home.
    seed_clinic(tmp_path / "clinic", n_open=0, starts={"mel": 0.01, "nv": 0.0})
    window = make_window()
    view = _open(qtbot, window).views[0]
    before, after = view.report.proposal.before.benign, view.report.proposal.after.benign
    assert after.k > before.k
    assert view.adopt_button.isEnabled()
    assert html.escape(f"refers MORE of this clinic's benign lesions than the policy in force ({before.value:.0%} -> "
                       f"{after.value:.0%})") in view.adopt_state.text()
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    QTest.mouseClick(view.adopt_button, Qt.MouseButton.LeftButton)
    assert "refers MORE" in asked[0] and window.store.policy_overrides() == {}


def test_status_bar_says_when_the_inflow_is_referred_far_more_than_validation(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    """Before any outcome: 40 cases all referred -> a notice in the status bar (no need to open the Clinic
    window), whose link opens Clinic performance; under a policy that refers nobody, here and on validation
    alike, the notice goes at once."""
    seed_clinic(tmp_path / "clinic", n_mel=0, n_nv=0, n_bcc=0, n_open=40, outcomes=False)
    window = make_window()
    label = window.inflow_label
    assert label.isVisible() and "far above" in label.text() and "different dermatoscope" in label.toolTip()
    label.linkActivated.emit("#clinic")
    qtbot.waitUntil(lambda: window.clinic.performance is not None and window.clinic.performance.isVisible(),
                    timeout=20_000)
    window.clinic.performance.close()
    from cases.policy import set_policy

    card = default_card()
    set_policy(window.store, card, (0.99, 0.99))  # refers (almost) nobody, on validation too
    window.reload_model()
    assert label.isHidden()


def test_no_status_bar_notice_for_a_small_or_ordinary_inflow(qtbot, make_window, tmp_path) -> None:  # noqa: ANN001
    seed_clinic(tmp_path / "clinic", n_mel=0, n_nv=0, n_bcc=0, n_open=20, outcomes=False)
    window = make_window()
    assert not window.inflow_label.isVisible() and window.inflow_label.text() == ""
