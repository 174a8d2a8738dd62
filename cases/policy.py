"""The triage policy: the clinic's audited threshold overrides and the queue's triage order.

The rule itself (`inference.card.Thresholds`) stays in inference because the batch runner applies it to
every image; this module decides which thresholds are in force and where a stored result sits in the
queue. Qt-free, so the window, the exports and the tests all use the same policy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cases.vocab import Triage
from inference.card import ModelCard, Thresholds
from inference.result import Result
from inference.vocab import Status


@dataclass(frozen=True)
class ClinicThresholds(Thresholds):
    """The clinic's cut-offs; every explanation says so, because the card's validation no longer applies."""

    card_urgent: float = 0.0
    card_soon: float = 0.0

    def explain(self, malignant_score: float, p_mel: float | None = None) -> str:
        return (
            f"{super().explain(malignant_score, p_mel)} (clinic setting; model card: urgent {self.card_urgent:.1%}, "
            f"soon {self.card_soon:.1%})"
        )


def clinic_thresholds(card: ModelCard, urgent: float, soon: float) -> Thresholds:
    thr = card.thresholds
    return ClinicThresholds(urgent, soon, rule=(
        f"clinic setting: urgent if {thr.urgent_score} >= {urgent:.1%}; soon if P(malignant) >= {soon:.1%}; "
        f"otherwise routine (model card: urgent {thr.urgent:.1%}, soon {thr.soon:.1%})"),
        kind=thr.kind, card_urgent=thr.urgent, card_soon=thr.soon)


def with_clinic_thresholds(card: ModelCard, urgent: float, soon: float) -> ModelCard:
    """The runner reads thresholds from the card, so an override is the same card with other thresholds."""
    return dataclasses.replace(card, thresholds=clinic_thresholds(card, urgent, soon))


def triage_state(result: Result) -> Triage:
    """urgent / soon / routine for a classified image, cannot_assess when the quality gate refused it,
    error otherwise (unreadable, or no result recorded)."""
    if result.status == Status.OK and result.priority is not None:
        try:
            return Triage(str(result.priority))
        except ValueError:
            return Triage.ERROR
    if result.status == Status.REJECTED:
        return Triage.CANNOT_ASSESS
    return Triage.ERROR


def triage_key(result: Result) -> float:
    """Sort key of the queue: triage order first, then the most suspicious (highest P(malignant)) first."""
    score = result.malignant_score if result.status == Status.OK and result.malignant_score is not None else 0.0
    return triage_state(result).rank * 2.0 + (1.0 - score)
