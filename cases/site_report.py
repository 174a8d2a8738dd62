"""The clinic's report, per model version: its figures on confirmed outcomes, its inflow against the card's
validation, and the operating point its evidence supports (Qt-free: the window, the PDF and
`dermtriage site report` all print this one object)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cases.policy import TriagePolicy
from cases.records import CaseRecord
from cases.site import (
    DEFAULT_TARGET,
    Performance,
    Rate,
    Scored,
    SiteProposal,
    fit_site_thresholds,
    outcome_group,
    performance,
    referral_curve,
    referred,
)
from cases.store import Store
from inference.card import ModelCard
from inference.referral import Thresholds
from inference.vocab import Status

MIN_INFLOW = 30  # images before the inflow is compared with validation at all
SHIFT_POINTS = 0.10  # a referral rate this far from validation's, outside its interval, is a notice


@dataclass(frozen=True)
class Inflow:
    """The referral rate and score distribution of one group of images (the clinic, or one folder)."""

    label: str
    rate: Rate  # referred of assessed
    expected: float | None  # what validation predicts under the same thresholds
    median_score: float | None
    validation_median: float | None
    ks: float | None  # Kolmogorov-Smirnov distance of P(malignant) from validation's
    notice: str = ""

    def to_dict(self) -> dict:
        return {"label": self.label, "referral": self.rate.to_dict(), "validation_referral": self.expected,
                "median_p_malignant": self.median_score, "validation_median_p_malignant": self.validation_median,
                "ks_distance": self.ks, "notice": self.notice}


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.sort(np.concatenate([a, b]))
    ca = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.max(np.abs(ca - cb)))


def validation_referral(thr: Thresholds, val_mel: np.ndarray, val_mal: np.ndarray) -> float | None:
    """The share of the card's validation images `thr` refers: what an inflow like validation's would give."""
    if not len(val_mal):
        return None
    return float(np.mean([referred(thr, m, s) for m, s in zip(val_mel, val_mal, strict=True)]))


def inflow(label: str, p_mel: Sequence[float], p_mal: Sequence[float], thr: Thresholds, val_mel: np.ndarray,
           val_mal: np.ndarray, expected: float | None = None) -> Inflow:
    """How this inflow is referred against what the card's validation predicts, with a notice in plain words
    when it differs by more than SHIFT_POINTS and the difference is outside the exact interval. `expected`:
    `validation_referral` when the caller compares several groups under one policy (computed once)."""
    k = sum(referred(thr, m, s) for m, s in zip(p_mel, p_mal, strict=True))
    rate = Rate.of(f"{label}: referred", k, len(p_mal))
    if not len(val_mal) or not len(p_mal):
        return Inflow(label, rate, None, float(np.median(p_mal)) if len(p_mal) else None, None, None)
    if expected is None:
        expected = validation_referral(thr, val_mel, val_mal)
    site = np.asarray(p_mal, dtype=float)
    notice = ""
    if len(site) >= MIN_INFLOW and abs(rate.value - expected) > SHIFT_POINTS and not rate.low <= expected <= rate.high:
        more = rate.value > expected
        notice = (f"{label}: {rate.value:.0%} of assessed images are referred (95% CI {rate.low:.0%}-{rate.high:.0%}), "
                  f"{'far more' if more else 'far fewer'} than the {expected:.0%} the model card's validation "
                  f"predicts. This may mean a different dermatoscope (a device shifts every score "
                  f"{'up' if more else 'down'}) or a different case mix. What to do: record confirmed outcomes "
                  "(import them from a pathology CSV, or enter them in the case panel) so the clinic's own "
                  "figures and operating point can be measured; until then the thresholds are the card's, not "
                  "this clinic's.")
    return Inflow(label, rate, expected, float(np.median(site)), float(np.median(val_mal)), _ks(site, val_mal),
                  notice)


@dataclass
class ModelReport:
    """Everything the clinic sees for one model version."""

    model: str
    version: str
    thresholds: Thresholds
    policy_origin: str
    n_cases: int
    n_outcomes: int
    perf: Performance
    site_curve: tuple[list[float], list[float]]
    validation_curve: tuple[list[float], list[float]]
    site_point: tuple[float | None, float | None]  # (benign referred, melanomas referred) under thr
    validation_point: tuple[float | None, float | None]
    inflow: Inflow
    folders: list[Inflow] = field(default_factory=list)  # per device (EXIF) or, without one, per folder
    proposal: SiteProposal | None = None
    history: list[dict] = field(default_factory=list)

    @property
    def notices(self) -> list[str]:
        return [i.notice for i in [self.inflow, *self.folders] if i.notice]

    def lines(self) -> list[str]:
        thr = self.thresholds
        out = [f"{self.model} {self.version}: {self.n_cases} case(s), {self.n_outcomes} with a confirmed outcome",
               f"Policy in force ({self.policy_origin}): urgent if {thr.urgent_score} >= {thr.urgent:.2%}; soon if "
               f"P(malignant) >= {thr.soon:.2%}"]
        out += ["", "On cases with confirmed outcomes (exact 95% intervals):"] + ["  " + x for x in self.perf.lines()]
        v = self.validation_point
        if v[0] is not None:
            out.append(f"  (the card's validation under this policy: melanomas referred {v[1]:.1%}, benign "
                       f"referred {v[0]:.1%})")
        out += ["", "Inflow (label-free, all assessed images):", "  " + self.inflow.rate.words()]
        if self.inflow.expected is not None:
            out.append(f"  validation predicts {self.inflow.expected:.1%} referred; median P(malignant) "
                       f"{self.inflow.median_score:.3f} vs validation {self.inflow.validation_median:.3f}")
        for g in self.folders:
            expected = "" if g.expected is None else f" (validation predicts {g.expected:.1%})"
            out.append("  " + g.rate.words() + expected)
        out += ["  NOTICE: " + n for n in self.notices]
        if self.proposal is not None:
            out += ["", "Site operating point (proposal; adopt with `dermtriage site fit ... --adopt` or in the "
                        "window):"]
            out += ["  " + x for x in self.proposal.lines()]
        return out

    def to_dict(self) -> dict:
        return {"model": self.model, "model_version": self.version, "policy_origin": self.policy_origin,
                "urgent": self.thresholds.urgent, "soon": self.thresholds.soon, "n_cases": self.n_cases,
                "n_outcomes": self.n_outcomes, "performance": self.perf.to_dict(),
                "operating_point": {"benign_referred": self.site_point[0], "melanomas_referred": self.site_point[1]},
                "validation_operating_point": {"benign_referred": self.validation_point[0],
                                               "melanomas_referred": self.validation_point[1]},
                "inflow": self.inflow.to_dict(), "groups": [f.to_dict() for f in self.folders],
                "notices": self.notices, "proposal": self.proposal.to_dict() if self.proposal else None,
                "policy_history": self.history}


def scored(rec: CaseRecord, diagnosis: str) -> Scored | None:
    """A case with an outcome as the statistics need it; None when it was never analysed (an error)."""
    res = rec.result
    if res.status == Status.OK and res.probabilities and res.malignant_score is not None:
        return Scored(float(res.probabilities.get("mel", 0.0)), float(res.malignant_score), diagnosis)
    if res.status == Status.REJECTED:
        return Scored(None, None, diagnosis)
    return None


def validation_scores(card: ModelCard) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The card's pooled validation scores (P(mel), P(malignant), diagnosis): empty without them."""
    vs = card.doc.thresholds.validation_scores if card.doc else None
    return (np.asarray(vs.p_mel if vs else (), dtype=float), np.asarray(vs.p_malignant if vs else (), dtype=float),
            list(vs.dx) if vs else [])


def assessed_scores(records: Sequence[CaseRecord]) -> tuple[list[CaseRecord], list[float], list[float]]:
    """The records the model assessed, with their P(mel) and P(malignant), in the same order."""
    ok = [r for r in records if r.result.status == Status.OK and r.result.probabilities]
    return (ok, [float(r.result.probabilities.get("mel", 0.0)) for r in ok],
            [float(r.result.malignant_score or 0.0) for r in ok])


def clinic_notice(records: Sequence[CaseRecord], card: ModelCard, thr: Thresholds) -> str:
    """The label-free notice for `card`'s model over these records ("" when too few or nothing to say): what
    the window's status bar says after every scan, from the stored probabilities alone."""
    key = (card.name, card.version)
    _, mel_of, mal_of = assessed_scores([r for r in records if (r.result.model_name, r.result.model_version) == key])
    val_mel, val_mal, _ = validation_scores(card)
    if len(mal_of) < MIN_INFLOW or not len(val_mal):
        return ""
    return inflow("this clinic", mel_of, mal_of, thr, val_mel, val_mal).notice


def _point(perf: Performance) -> tuple[float | None, float | None]:
    return perf.benign.value, perf.melanoma.value


def build_report(records: Sequence[CaseRecord], outcomes: dict[int, str], cards: Sequence[ModelCard],
                 policy: TriagePolicy, target: float = DEFAULT_TARGET,
                 history: dict[tuple[str, str], list[dict]] | None = None) -> list[ModelReport]:
    """One ModelReport per model version that has results in the queue and a known card."""
    by_model: dict[tuple[str, str], list[CaseRecord]] = defaultdict(list)
    for rec in records:
        if rec.result.model_name:
            by_model[(rec.result.model_name, rec.result.model_version)].append(rec)
    card_of = {(c.name, c.version): c for c in cards}
    reports = []
    for key, recs in sorted(by_model.items()):
        card = card_of.get(key)
        thr = policy.thresholds(*key)
        if card is None or thr is None:
            continue
        labelled = [s for r in recs if r.id in outcomes and (s := scored(r, outcomes[r.id])) is not None]
        assessed = [s for s in labelled if s.assessed]
        val_mel, val_mal, val_dx = validation_scores(card)
        val_cases = [Scored(float(m), float(s), d) for m, s, d in zip(val_mel, val_mal, val_dx, strict=True)]
        ok, mel_of, mal_of = assessed_scores(recs)
        groups: dict[str, list[int]] = defaultdict(list)  # per device where EXIF names it, else per folder
        for i, r in enumerate(ok):
            groups[f"device {r.result.device}" if r.result.device else f"folder {Path(r.path).parent}"].append(i)
        expected = validation_referral(thr, val_mel, val_mal)  # once for the clinic and every group
        folder_inflows = [inflow(name, [mel_of[i] for i in idx], [mal_of[i] for i in idx], thr, val_mel, val_mal,
                                 expected) for name, idx in sorted(groups.items()) if len(idx) >= MIN_INFLOW]
        perf = performance(labelled, thr)
        overridden = key in policy.overrides
        origin = "site or clinic setting stored in the app" if overridden else "model card"
        hist = (history or {}).get(key, [])
        if overridden and hist and hist[0].get("method"):
            origin = f"site fit: {hist[0]['method']}, adopted {hist[0]['set_at']} by {hist[0]['set_by']}"
        reports.append(ModelReport(
            model=key[0], version=key[1], thresholds=thr, policy_origin=origin, n_cases=len(recs),
            n_outcomes=len(labelled), perf=perf,
            site_curve=referral_curve([s.p_malignant for s in assessed], [s.group for s in assessed]),
            validation_curve=referral_curve(list(val_mal), [outcome_group(d) for d in val_dx]),
            site_point=_point(perf),
            validation_point=_point(performance(val_cases, thr)) if val_cases else (None, None),
            inflow=inflow("this clinic", mel_of, mal_of, thr, val_mel, val_mal, expected), folders=folder_inflows,
            proposal=fit_site_thresholds(labelled, card.thresholds, thr, target) if labelled else None,
            history=hist))
    return reports


def store_report(store: Store, cards: Sequence[ModelCard] | None = None,
                 target: float = DEFAULT_TARGET) -> list[ModelReport]:
    from cases.policy import shipped_cards

    cards = shipped_cards() if cards is None else list(cards)
    policy = TriagePolicy.from_store(store, cards)
    outcomes = {cid: v[0] for cid, v in store.outcomes().items()}
    history = {(c.name, c.version): store.policy_history(c.name, c.version) for c in cards}
    records = [policy.apply_record(r) for r in store.load_cases()]
    return build_report(records, outcomes, cards, policy, target, history)


__all__ = ["Inflow", "ModelReport", "build_report", "clinic_notice", "inflow", "store_report"]
