"""Training writes cards only through the app's schema: a card the app could not read fails at write time."""

from __future__ import annotations

import json

import pytest

from inference.card import ModelCard
from inference.errors import CardError
from tests.inference.test_card_schema import new_card

pytest.importorskip("torch")
from training.export import write_card  # noqa: E402 - needs torch


def test_write_card_validates_and_the_app_reads_what_was_written(tmp_path) -> None:  # noqa: ANN001
    card = new_card()
    path = tmp_path / "triage_cnn.json"
    write_card(card, path)
    assert json.loads(path.read_text()) == card
    (tmp_path / "triage_cnn.onnx").write_bytes(b"")  # the card loads without its graph (not verified here)
    assert ModelCard.load(path).doc.metrics.sources["derm7pt"].external
    bad = dict(card, temperature="warm")
    with pytest.raises(CardError, match="temperature"):
        write_card(bad, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()
