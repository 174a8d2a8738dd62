"""The triage policy and vocabulary, and the queue's CSV export, without Qt."""

from __future__ import annotations

import csv

from cases.export_csv import EXTRA_COLUMNS, export_csv
from cases.policy import clinic_thresholds, triage_key, triage_state, with_clinic_thresholds
from cases.store import Store
from cases.vocab import Review, Triage
from inference.card import ModelCard, card_path_for
from inference.result import Result
from inference.vocab import Priority, Status
from tests.csv_contract import CODES, CSV_COLUMNS


def test_triage_order_and_states() -> None:
    assert [t.value for t in Triage] == ["urgent", "soon", "cannot_assess", "error", "routine"]
    assert [t.rank for t in Triage] == [0, 1, 2, 3, 4]
    ok = Result("/x.jpg", Status.OK, priority=Priority.SOON, malignant_score=0.3)
    assert triage_state(ok) is Triage.SOON and triage_state(Result("/x", "rejected")) is Triage.CANNOT_ASSESS
    assert triage_state(Result("/x", "error")) is Triage.ERROR
    urgent = Result("/u.jpg", Status.OK, priority=Priority.URGENT, malignant_score=0.6)
    more = Result("/v.jpg", Status.OK, priority=Priority.URGENT, malignant_score=0.9)
    assert triage_key(more) < triage_key(urgent) < triage_key(ok) < triage_key(Result("/y", "error"))
    # within "urgent", the likelier melanoma first, even below a higher summed malignant score (a BCC)
    mel = Result("/m.jpg", Status.OK, priority=Priority.URGENT, malignant_score=0.7,
                 probabilities={"mel": 0.65, "bcc": 0.05, "nv": 0.30})
    bcc_heavy = Result("/b.jpg", Status.OK, priority=Priority.URGENT, malignant_score=0.95,
                       probabilities={"mel": 0.50, "bcc": 0.45, "nv": 0.05})
    assert triage_key(mel) < triage_key(bcc_heavy) < triage_key(ok)


def test_vocabulary_reads_and_writes_plain_words() -> None:
    assert Review.parse(" Referred ") is Review.REFERRED and Review.parse("cured") is None
    assert f"{Status.OK}" == str(Status.OK) == "ok" and Priority.URGENT == "urgent"
    assert [r.label for r in Review] == ["New", "Reviewed", "Referred", "Dismissed"]
    assert Triage.CANNOT_ASSESS.label == "Cannot assess" and Triage.URGENT.headline == "Urgent referral"


def test_clinic_thresholds_say_so_and_keep_the_cards_rule() -> None:
    card = ModelCard.load(card_path_for("paper_cnn"))
    thr = clinic_thresholds(card, 0.5, 0.2)
    assert thr.kind == card.thresholds.kind and thr.priority(0.55) == Priority.URGENT
    assert "clinic setting" in thr.explain(0.3)
    assert with_clinic_thresholds(card, 0.5, 0.2).thresholds == thr


def test_csv_export_without_a_window(tmp_path) -> None:  # noqa: ANN001
    store = Store(tmp_path / "s.sqlite3")
    probs = dict.fromkeys(CODES, 1 / len(CODES))
    store.ingest(Result("/a/x.jpg", Status.OK, sha256="h1", probabilities=probs, top_class="nv",
                        priority=Priority.ROUTINE, model_name="m", model_version="1"), "=P1")
    store.ingest(Result("/a/y.jpg", Status.ERROR, message="empty file"), "P2")
    store.set_review_status(1, Review.REVIEWED)
    out = tmp_path / "q.csv"
    assert export_csv(store.load_cases(), out, CODES) == 2
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == CSV_COLUMNS + EXTRA_COLUMNS
        rows = list(reader)
    assert rows[0]["status"] == "ok" and rows[0]["priority"] == "routine" and rows[0]["review_status"] == "reviewed"
    assert rows[0]["case_id"] == "'=P1" and float(rows[0]["p_mel"]) > 0
    assert rows[1]["status"] == "error" and rows[1]["p_mel"] == "" and rows[1]["message"] == "empty file"
    store.close()


def test_policy_effect_on_hand_made_validation_scores() -> None:
    from cases.policy import policy_effect
    from inference.referral import MALIGNANT_SUM, MELANOMA_FIRST, Thresholds

    p_mel = [0.50, 0.20, 0.05, 0.01, 0.02, 0.30, 0.01, 0.00]
    p_mal = [0.60, 0.40, 0.10, 0.05, 0.50, 0.35, 0.02, 0.90]
    dx = ["mel", "mel", "mel", "mel", "nv", "bkl", "df", "bcc"]
    thr = Thresholds(0.3, 0.08, kind=MELANOMA_FIRST)
    eff = policy_effect(p_mel, p_mal, dx, thr)
    # melanomas: urgent, soon (0.40), soon (0.10), routine -> 3/4 referred, 1/4 urgent
    assert eff.n_melanoma == 4 and eff.melanoma_sensitivity == 0.75 and eff.melanoma_urgent == 0.25
    # benign (nv, bkl, df; bcc is malignant): nv soon, bkl urgent, df routine -> 2/3
    assert eff.n_benign == 3 and abs(eff.benign_referral - 2 / 3) < 1e-12 and eff.below_floor
    eff2 = policy_effect(p_mel, p_mal, dx, Thresholds(0.5, 0.04, kind=MALIGNANT_SUM))
    assert eff2.melanoma_sensitivity == 1.0 and not eff2.below_floor and abs(eff2.benign_referral - 2 / 3) < 1e-12
    assert policy_effect([], [], [], thr).melanoma_sensitivity is None


def test_policy_lives_in_the_store_audited_and_travels_as_a_file(tmp_path) -> None:  # noqa: ANN001
    import pytest

    from cases.policy import (
        PolicyFileError,
        TriagePolicy,
        read_policy_file,
        read_store_override,
        set_policy,
        write_policy_file,
    )

    card = ModelCard.load(card_path_for("paper_cnn"))
    store = Store(tmp_path / "s.sqlite3")
    assert not set_policy(store, card, (card.thresholds.urgent, card.thresholds.soon))  # the card's: nothing
    assert set_policy(store, card, (0.6, 0.25)) and not set_policy(store, card, (0.6, 0.25))
    assert store.policy_overrides() == {(card.name, card.version): (0.6, 0.25)}
    assert [a[3] for a in store.audit_log()] == ["policy changed"]
    assert read_store_override(tmp_path / "s.sqlite3", card) == (0.6, 0.25)
    assert read_store_override(tmp_path / "missing.sqlite3", card) is None
    res = Result("/x.jpg", Status.OK, probabilities={"mel": 0.1}, malignant_score=0.3, priority=Priority.SOON,
                 model_name=card.name, model_version=card.version)
    policy = TriagePolicy.from_store(store, [card])
    assert policy.apply(res).priority == Priority.SOON and "clinic setting" in policy.apply(res).priority_rule
    set_policy(store, card, (0.6, 0.35))
    assert TriagePolicy.from_store(store, [card]).apply(res).priority == Priority.ROUTINE
    other = Result("/y.jpg", Status.OK, malignant_score=0.9, priority=Priority.ROUTINE, model_name="unknown")
    assert policy.apply(other) is other  # no card for it: the stored priority stands
    f = tmp_path / "policy.json"
    write_policy_file(f, card, (0.6, 0.35), "tester")
    assert read_policy_file(f, card) == (0.6, 0.35)
    with pytest.raises(PolicyFileError):
        read_policy_file(f, ModelCard.load(card_path_for("triage_cnn")))
    set_policy(store, card, None)
    assert store.policy_overrides() == {} and len(store.audit_log()) == 3
    store.close()


def test_scan_refuses_a_policy_file_for_another_model(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from cases.policy import write_policy_file
    from cases.scan import run_scan

    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "data"))
    f = tmp_path / "policy.json"
    write_policy_file(f, ModelCard.load(card_path_for("paper_cnn")), (0.6, 0.3))
    (tmp_path / "imgs").mkdir()
    assert run_scan([str(tmp_path / "imgs"), "--out", str(tmp_path / "o.csv"), "--quiet",
                     "--model", "triage_cnn", "--policy", str(f)]) == 2
    assert not (tmp_path / "data").exists()
