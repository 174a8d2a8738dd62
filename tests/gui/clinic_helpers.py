"""A synthetic clinic for the issue 21 window tests: stored results of the default model whose scores sit
where a new dermatoscope puts them (every nevus above the card's soon threshold), so that a site fit has a
known effect: with 25 confirmed melanomas the soon cut-off moves to the lowest melanoma score and every
nevus (and every nevus-like case awaiting an outcome) drops from soon to routine."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cases.policy import shipped_cards
from cases.store import DB_NAME, Store, data_dir
from inference.card import DEFAULT_MODEL, ModelCard
from inference.result import Result
from inference.vocab import Status


def default_card() -> ModelCard:
    return next(c for c in shipped_cards() if c.name == DEFAULT_MODEL)


def _result(card: ModelCard, path: str, mel: float, bcc: float) -> Result:
    probs = {"akiec": 0.01, "bcc": bcc, "bkl": 0.02, "df": 0.01, "mel": mel, "vasc": 0.01}
    probs["nv"] = 1.0 - sum(probs.values())
    top = max(probs, key=probs.__getitem__)
    mal = sum(probs[c] for c in card.malignant)
    names = {c.code: c.name for c in card.classes}
    return Result(path=path, status=Status.OK, probabilities=probs, top_class=top, top_name=names[top],
                  malignant_score=mal, priority=card.thresholds.priority(mal, mel),
                  priority_rule=card.thresholds.explain(mal, mel), model_name=card.name,
                  model_version=card.version, sha256=hashlib.sha256(path.encode()).hexdigest(), width=600,
                  height=450)


def seed_clinic(folder: Path, n_mel: int = 25, n_nv: int = 60, n_bcc: int = 5, n_open: int = 10,
                outcomes: bool = True, starts: dict[str, float] | None = None) -> dict[str, list[int]]:
    """Ingest the clinic into the app's store (DERMTRIAGE_DATA_DIR) before the window opens; case ids by
    kind ("mel", "nv", "bcc" with outcomes when `outcomes`, "open" never). `starts`: another lowest P(mel)
    for a kind (its scores rise from there)."""
    card = default_card()
    store = Store(data_dir() / DB_NAME)
    ids: dict[str, list[int]] = {"mel": [], "nv": [], "bcc": [], "open": []}
    try:
        for kind, n, mel, bcc, step in (("mel", n_mel, 0.35, 0.02, 0.02), ("nv", n_nv, 0.08, 0.02, 0.003),
                                        ("bcc", n_bcc, 0.05, 0.60, 0.0), ("open", n_open, 0.10, 0.02, 0.005)):
            for i in range(n):
                res = _result(card, str(folder / f"{kind}_{i:03d}.jpg"), (starts or {}).get(kind, mel) + step * i,
                              bcc)
                outcome = store.ingest(res, patient_id=f"P{kind}{i:03d}")
                assert outcome.record is not None
                ids[kind].append(outcome.record.id)
        if outcomes:
            store.set_outcomes({cid: (kind, "histopathology", "2026-11-02", "") for kind in ("mel", "nv", "bcc")
                                for cid in ids[kind]}, how="entered")
    finally:
        store.close()
    return ids
