"""A clinic's own figures and its own operating point, from confirmed outcomes (Qt-free).

Why this exists: the shipped model ranks lesions from unseen dermatoscopes well, but its fixed threshold,
chosen on validation images from four sources, over-refers a new device's benign lesions (the scores of
a whole device shift together). The clinic's confirmed outcomes are the only honest evidence of where its
own threshold should sit, so everything here is computed from them, with exact intervals, and a proposal
never claims more than its melanoma count supports.

The operating point (issue 21): referral is `P(mel) >= urgent or P(malignant) >= soon`; the card's
urgent cut-off is far above its soon cut-off, so who is referred at all is decided by `soon` on
P(malignant). The site fit sets `soon` at a melanoma order statistic of the clinic's confirmed
melanomas (a conformal bound: with n exchangeable melanomas, a threshold at the k-th lowest score refers
a new melanoma with probability at least (n + 1 - k) / (n + 1)); with fewer melanomas than the target
needs it keeps the card's threshold and says so. `urgent` follows the card's own definition (at most 10%
of the other lesions are urgent), measured on the clinic's confirmed non-melanomas when there are
enough of them. The method was chosen from simulated clinics (training/site_simulation.py, README).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from cases.intervals import beta_ppf, clopper_pearson
from inference.referral import Thresholds
from inference.vocab import Priority

BENIGN = "benign"
MALIGNANT = "malignant"
MALIGNANT_CODES = ("mel", "bcc", "akiec")
DEFAULT_TARGET = 0.95
URGENT_OTHER_SHARE = 0.10  # the card's urgent rule: at most 10% of the other lesions urgent
MIN_OTHERS_FOR_URGENT = 50  # confirmed non-melanomas needed before the urgent cut-off moves
MIN_MELANOMAS_TO_CONCLUDE = 20  # below this a sensitivity interval is too wide to act on (said in words)
CSV_TOLERANCE = 2e-6  # scan CSVs carry 6 decimals: a fitted melanoma must stay referred after rounding
METHOD_CONFORMAL = "melanoma order statistic (conformal)"


@dataclass(frozen=True)
class Rate:
    """k of n, with its exact 95% interval; `words` says it plainly, including when n is too small."""

    label: str
    k: int
    n: int
    low: float = 0.0
    high: float = 1.0

    @classmethod
    def of(cls, label: str, k: int, n: int) -> Rate:
        lo, hi = clopper_pearson(k, n)
        return cls(label, k, n, lo, hi)

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    def words(self) -> str:
        if not self.n:
            return f"{self.label}: no confirmed cases yet"
        return f"{self.label}: {self.k}/{self.n} = {self.k / self.n:.1%} (95% CI {self.low:.1%}-{self.high:.1%})"

    def to_dict(self) -> dict:
        return {"label": self.label, "k": self.k, "n": self.n, "value": self.value,
                "ci95": [self.low, self.high] if self.n else None}


# ---- outcomes ------------------------------------------------------------------------------------
def outcome_group(diagnosis: str) -> str:
    """'mel', 'cancer' (another malignant diagnosis, or only 'malignant' known) or 'benign'."""
    d = diagnosis.strip().lower()
    if d == "mel":
        return "mel"
    if d in MALIGNANT_CODES or d == MALIGNANT:
        return "cancer"
    return BENIGN


@dataclass(frozen=True)
class Scored:
    """One case with a confirmed outcome: its stored scores and the diagnosis."""

    p_mel: float | None  # None: the quality gate refused the image (never referred by the tool)
    p_malignant: float | None
    diagnosis: str

    @property
    def group(self) -> str:
        return outcome_group(self.diagnosis)

    @property
    def assessed(self) -> bool:
        return self.p_mel is not None and self.p_malignant is not None


def referred(thr: Thresholds, p_mel: float | None, p_malignant: float | None) -> bool:
    """Whether the policy refers an assessed image (urgent or soon); False for a refused one."""
    if p_mel is None or p_malignant is None:
        return False
    return thr.priority(p_malignant, p_mel) in (Priority.URGENT, Priority.SOON)


def urgent(thr: Thresholds, c: Scored) -> bool:
    return c.assessed and thr.priority(c.p_malignant, c.p_mel) == Priority.URGENT


@dataclass(frozen=True)
class Performance:
    """The clinic's figures under one policy, on its cases with confirmed outcomes."""

    melanoma: Rate
    cancer: Rate
    benign: Rate
    urgent_ppv: Rate
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"melanomas_referred": self.melanoma.to_dict(), "cancers_referred": self.cancer.to_dict(),
                "benign_referred": self.benign.to_dict(), "urgent_ppv_melanoma": self.urgent_ppv.to_dict(),
                "notes": list(self.notes)}

    def lines(self) -> list[str]:
        return [r.words() for r in (self.melanoma, self.cancer, self.benign, self.urgent_ppv)] + list(self.notes)


def performance(cases: Sequence[Scored], thr: Thresholds) -> Performance:
    """Melanomas referred, all cancers referred, benign referred, and urgent PPV (confirmed melanoma among
    urgent cases), each k/n with its exact interval, plus plain words where the counts cannot conclude.
    Over the cases the model assessed; refused ones are counted in a note (the tool sent them nowhere)."""
    refused = [c for c in cases if not c.assessed]
    cases = [c for c in cases if c.assessed]
    mel = [c for c in cases if c.group == "mel"]
    cancer = [c for c in cases if c.group != BENIGN]
    benign = [c for c in cases if c.group == BENIGN]
    urgent_cases = [c for c in cases if urgent(thr, c)]
    notes = []
    if refused:
        n_ref_mel = sum(c.group == "mel" for c in refused)
        notes.append(f"{len(refused)} case(s) with an outcome could not be assessed by the model ({n_ref_mel} "
                     "melanoma(s)); the figures above are over the assessed cases, and these need a clinician's "
                     "own look.")
    if len(mel) < MIN_MELANOMAS_TO_CONCLUDE:
        notes.append(f"Only {len(mel)} confirmed melanoma(s): too few to conclude how many melanomas this clinic "
                     f"refers (at least {MIN_MELANOMAS_TO_CONCLUDE} are needed for a useful interval). "
                     "Keep recording outcomes.")
    if len(benign) < 30:
        notes.append(f"Only {len(benign)} confirmed benign lesion(s): the benign referral rate is not yet "
                     "reliable.")
    return Performance(
        Rate.of("Melanomas referred", sum(referred(thr, c.p_mel, c.p_malignant) for c in mel), len(mel)),
        Rate.of("All skin cancers referred", sum(referred(thr, c.p_mel, c.p_malignant) for c in cancer),
                len(cancer)),
        Rate.of("Benign lesions referred", sum(referred(thr, c.p_mel, c.p_malignant) for c in benign),
                len(benign)),
        Rate.of("Urgent cases confirmed melanoma (PPV)", sum(c.group == "mel" for c in urgent_cases),
                len(urgent_cases)),
        tuple(notes))


def referral_curve(p_malignant: Sequence[float], diagnosis_groups: Sequence[str]) -> tuple[list[float], list[float]]:
    """(benign referred, melanoma sensitivity) at every soon threshold, the curve a clinic reads its
    operating point from. Points run from refer-nobody to refer-everybody."""
    pairs = sorted(zip(p_malignant, diagnosis_groups, strict=True), key=lambda t: -t[0])
    n_mel = sum(g == "mel" for _, g in pairs)
    n_ben = sum(g == BENIGN for _, g in pairs)
    xs, ys = [0.0], [0.0]
    mel = ben = 0
    for i, (score, g) in enumerate(pairs):
        mel += g == "mel"
        ben += g == BENIGN
        if i + 1 < len(pairs) and pairs[i + 1][0] == score:
            continue
        xs.append(ben / n_ben if n_ben else 0.0)
        ys.append(mel / n_mel if n_mel else 0.0)
    return xs, ys


# ---- the site operating point -------------------------------------------------------------------------
def order_statistic_rank(n: int, target: float) -> int:
    """The k (1-based) of the k-th lowest melanoma score that keeps the expected referral of a new
    melanoma >= target: (n + 1 - k) / (n + 1) >= target. 0 when n melanomas cannot support the target."""
    return int(math.floor((n + 1) * (1.0 - target) + 1e-9))


def melanomas_needed(target: float) -> int:
    """The fewest confirmed melanomas with which the order statistic can support `target`."""
    return max(1, math.ceil(1.0 / (1.0 - target) - 1.0 - 1e-9))


def coverage_interval(n: int, k: int, confidence: float = 0.80) -> tuple[float, float]:
    """The central interval of the melanoma referral a threshold at the k-th of n melanomas gives on the
    clinic's future melanomas: it is Beta(n + 1 - k, k) distributed (conformal prediction)."""
    alpha = (1 - confidence) / 2
    return beta_ppf(alpha, n + 1 - k, k), beta_ppf(1 - alpha, n + 1 - k, k)


def conformal_soon(melanoma_scores: Sequence[float], target: float) -> tuple[float | None, int, str]:
    """(soon threshold, rank k, why not) from the assessed confirmed melanomas' P(malignant).

    Images the quality gate refused are not in it: the tool makes no referral decision on them (the queue
    marks them "cannot assess" for a clinician's own look), and the figures report them apart."""
    n = len(melanoma_scores)
    k = order_statistic_rank(n, target)
    if k < 1:
        return None, 0, (f"{n} confirmed melanoma(s) cannot support referring {target:.0%} of melanomas: at least "
                         f"{melanomas_needed(target)} are needed")
    return max(0.0, sorted(melanoma_scores)[k - 1] - CSV_TOLERANCE), k, ""


@dataclass(frozen=True)
class SiteProposal:
    """What the site fit proposes, with what it rests on; adopted only by an explicit action."""

    supported: bool
    method: str
    target: float
    urgent: float
    soon: float
    card_urgent: float
    card_soon: float
    n_melanoma: int
    n_cancer: int
    n_benign: int
    rank: int = 0  # the order statistic used (k-th lowest melanoma score)
    expected_low: float = 0.0  # 80% interval of the referral of future melanomas
    expected_high: float = 1.0
    before: Performance | None = None  # the clinic's own cases under the current policy
    after: Performance | None = None  # ... and under the proposal
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def changes(self) -> bool:
        return self.supported and (abs(self.urgent - self.card_urgent) > 1e-9 or abs(self.soon - self.card_soon) > 1e-9)

    def counts_words(self) -> str:
        return (f"{self.n_melanoma} confirmed melanoma(s), {self.n_cancer} other cancer(s), "
                f"{self.n_benign} benign lesion(s)")

    def summary(self) -> str:
        """One line for the audit log and the adoption dialog."""
        if not self.supported:
            return f"not supported ({self.counts_words()}): keeps the card's thresholds"
        return (f"{self.method}, target {self.target:.0%}: urgent {self.urgent:.4f}, soon {self.soon:.4f} "
                f"(card: urgent {self.card_urgent:.4f}, soon {self.card_soon:.4f}); {self.counts_words()}; "
                f"threshold at melanoma {self.rank} of {self.n_melanoma}")

    def lines(self) -> list[str]:
        out = [f"Method: {self.method}; target: {self.target:.0%} of melanomas referred.",
               f"Evidence: {self.counts_words()}."]
        out += list(self.reasons)
        if self.supported:
            out.append(f"Proposed thresholds: urgent if P(mel) >= {self.urgent:.2%}; soon if P(malignant) >= "
                       f"{self.soon:.2%} (model card: {self.card_urgent:.2%} / {self.card_soon:.2%}).")
            out.append(f"Expected melanoma referral on this clinic's future cases: about {self.target:.0%} or "
                       f"more on average; 80% interval {self.expected_low:.0%}-{self.expected_high:.0%} "
                       f"(from {self.n_melanoma} melanomas).")
        if self.before is not None and self.after is not None:
            out.append("On this clinic's confirmed cases, now -> proposed:")
            for a, b in ((self.before.melanoma, self.after.melanoma), (self.before.cancer, self.after.cancer),
                         (self.before.benign, self.after.benign)):
                if a.n:
                    out.append(f"  {a.label}: {a.k}/{a.n} ({a.value:.1%}) -> {b.k}/{b.n} ({b.value:.1%})")
            out.append("  (measured on the cases the threshold was fitted on: the melanoma figure is optimistic "
                       "by construction; the expected referral above is the honest one)")
        return out

    def to_dict(self) -> dict:
        return {"supported": self.supported, "method": self.method, "target": self.target,
                "urgent": self.urgent, "soon": self.soon, "card_urgent": self.card_urgent,
                "card_soon": self.card_soon, "n_melanoma": self.n_melanoma, "n_cancer": self.n_cancer,
                "n_benign": self.n_benign, "rank": self.rank,
                "expected_melanoma_referral_80": [self.expected_low, self.expected_high] if self.supported else None,
                "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None, "reasons": list(self.reasons)}


def fit_site_thresholds(cases: Sequence[Scored], card_thr: Thresholds, current: Thresholds | None = None,
                        target: float = DEFAULT_TARGET) -> SiteProposal:
    """The clinic's operating point from its confirmed outcomes (see the module docstring for the method).

    Never below the target silently: with too few melanomas the proposal is `supported=False`, says how
    many are needed, and keeps the card's thresholds."""
    if not 0.5 <= target < 1.0:
        raise ValueError("the melanoma referral target must lie in 50%..99.9%")
    current = current or card_thr
    mel = [c.p_malignant for c in cases if c.group == "mel" and c.p_malignant is not None]
    others_pmel = sorted(c.p_mel for c in cases if c.group != "mel" and c.p_mel is not None)
    n_mel = len(mel)
    n_cancer = sum(c.group == "cancer" and c.assessed for c in cases)
    n_benign = sum(c.group == BENIGN and c.assessed for c in cases)
    base = dict(method=METHOD_CONFORMAL, target=target, card_urgent=card_thr.urgent, card_soon=card_thr.soon,
                n_melanoma=n_mel, n_cancer=n_cancer, n_benign=n_benign)
    soon, k, why_not = conformal_soon(mel, target)
    if soon is None:
        return SiteProposal(False, urgent=card_thr.urgent, soon=card_thr.soon, before=performance(cases, current),
                            reasons=(f"{why_not}. The model card's thresholds stay in force; keep recording "
                                     "outcomes.",), **base)
    reasons = [f"Soon threshold at the {_ordinal(k)} lowest P(malignant) of the {n_mel} confirmed melanomas "
               f"(a new melanoma is referred with probability >= {(n_mel + 1 - k) / (n_mel + 1):.1%})."]
    urgent = card_thr.urgent
    n_others = len(others_pmel)
    if n_others >= MIN_OTHERS_FOR_URGENT:
        idx = min(n_others - 1, int(math.ceil((1 - URGENT_OTHER_SHARE) * n_others)) - 1)
        urgent = others_pmel[idx] + CSV_TOLERANCE
        reasons.append(f"Urgent threshold: at most {URGENT_OTHER_SHARE:.0%} of this clinic's {n_others} confirmed "
                       "other lesions urgent (the card's own rule, on this clinic's device).")
    else:
        reasons.append(f"Urgent threshold: the card's ({n_others} confirmed non-melanomas; "
                       f"{MIN_OTHERS_FOR_URGENT} are needed to refit it).")
    urgent = max(urgent, soon)
    thr = site_thresholds(card_thr, urgent, soon)
    lo, hi = coverage_interval(n_mel, k)
    return SiteProposal(True, urgent=urgent, soon=soon, rank=k, expected_low=lo, expected_high=hi,
                        before=performance(cases, current), after=performance(cases, thr), reasons=tuple(reasons),
                        **base)


def site_thresholds(card_thr: Thresholds, urgent: float, soon: float) -> Thresholds:
    return Thresholds(urgent, soon, rule=card_thr.rule, kind=card_thr.kind)


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"
