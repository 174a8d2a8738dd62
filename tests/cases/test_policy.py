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
    assert rows[0]["patient_id"] == "'=P1" and float(rows[0]["p_mel"]) > 0
    assert rows[1]["status"] == "error" and rows[1]["p_mel"] == "" and rows[1]["message"] == "empty file"
    store.close()
