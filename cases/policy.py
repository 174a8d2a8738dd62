"""The triage policy: the clinic's audited threshold overrides and the queue's triage order.

The rule itself (`inference.referral.Thresholds`) stays in inference because the batch runner applies it to
every image; this module decides which thresholds are in force and where a stored result sits in the
queue. Qt-free, so the window, the exports and the tests all use the same policy.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cases.records import CaseRecord
from cases.site import SiteProposal
from cases.storage import folder_read_only_reason
from cases.store import Store, read_policy_overrides
from cases.vocab import Triage
from inference import strict_json
from inference.card import ModelCard, available_models, card_path_for
from inference.card_schema import ValidationScores
from inference.errors import ModelError, NamedFileError
from inference.files import read_named_file
from inference.referral import Thresholds
from inference.result import Result
from inference.vocab import Priority, Status

POLICY_FORMAT = "dermtriage-policy/1"
SENSITIVITY_FLOOR = 0.90  # below this melanoma sensitivity on the card's validation data, the dialog warns
MALIGNANT_DX = ("mel", "bcc", "akiec")


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


def policy_thresholds(card: ModelCard, override: tuple[float, float] | None) -> Thresholds:
    """The one place that turns (card, the clinic's stored override) into the thresholds in force."""
    return card.thresholds if override is None else clinic_thresholds(card, *override)


def apply_thresholds(result: Result, thr: Thresholds) -> Result:
    """The result re-prioritised from its stored probabilities (no re-inference); others unchanged.

    Uses the same floats as the runner (the summed malignant score and P(mel)), so the window, the exports
    and `dermtriage scan` give one image the same priority under one policy."""
    if result.status != Status.OK or result.malignant_score is None:
        return result
    p_mel = (result.probabilities or {}).get("mel")
    priority = thr.priority(result.malignant_score, p_mel)
    rule = thr.explain(result.malignant_score, p_mel)
    if priority == result.priority and rule == result.priority_rule:
        return result
    return dataclasses.replace(result, priority=priority, priority_rule=rule)


class TriagePolicy:
    """The thresholds in force for every model whose card is known: the card's, or the clinic's override
    from the store. Results of models without a known card keep the priority they were stored with."""

    def __init__(self, cards: Iterable[ModelCard], overrides: dict[tuple[str, str], tuple[float, float]]) -> None:
        self.cards = {(c.name, c.version): c for c in cards}
        self.overrides = dict(overrides)
        self._thresholds = {key: policy_thresholds(card, self.overrides.get(key))
                            for key, card in self.cards.items()}

    @classmethod
    def from_store(cls, store: Store, cards: Iterable[ModelCard] | None = None) -> TriagePolicy:
        return cls(shipped_cards() if cards is None else cards, store.policy_overrides())

    def thresholds(self, model_name: str, model_version: str) -> Thresholds | None:
        return self._thresholds.get((model_name, model_version))

    def overridden(self, card: ModelCard) -> bool:
        return (card.name, card.version) in self.overrides

    def apply(self, result: Result) -> Result:
        thr = self.thresholds(result.model_name, result.model_version)
        return result if thr is None else apply_thresholds(result, thr)

    def apply_record(self, rec: CaseRecord) -> CaseRecord:
        rec.result = self.apply(rec.result)
        return rec

    def card_for_model(self, card: ModelCard) -> ModelCard:
        """The card the runner should use: the same card with the thresholds in force."""
        thr = self._thresholds.get((card.name, card.version))
        return card if thr is None or thr is card.thresholds else dataclasses.replace(card, thresholds=thr)


def shipped_cards() -> list[ModelCard]:
    """Every readable shipped card (an unreadable one is the model loader's problem to report)."""
    cards = []
    for name in available_models():
        try:
            cards.append(ModelCard.load(card_path_for(name)))
        except ModelError:
            continue
    return cards


def set_policy(store: Store, card: ModelCard, thresholds: tuple[float, float] | None) -> bool:
    """Store the clinic's thresholds for `card`'s model (None or the card's own values: follow the card).
    Audited with the old and new values; returns False when nothing changed."""
    key = (card.name, card.version)
    if thresholds is not None and (abs(thresholds[0] - card.thresholds.urgent) < 1e-9
                                   and abs(thresholds[1] - card.thresholds.soon) < 1e-9):
        thresholds = None
    old = store.policy_overrides().get(key)
    if old == thresholds or (old is not None and thresholds is not None
                             and all(abs(a - b) < 1e-9 for a, b in zip(old, thresholds, strict=True))):
        return False

    def words(v: tuple[float, float] | None) -> str:
        if v is None:
            return f"model card (urgent {card.thresholds.urgent:.2%}, soon {card.thresholds.soon:.2%})"
        return f"urgent {v[0]:.2%}, soon {v[1]:.2%}"

    detail = f"{card.name} {card.version} ({card.thresholds.kind}): {words(old)} -> {words(thresholds)}"
    store.set_policy(card.name, card.version, card.thresholds.kind, thresholds, detail)
    return True


def adopt_site_policy(store: Store, card: ModelCard, proposal: SiteProposal) -> bool:
    """Put a site fit in force for `card`'s model: an explicit action, audited with who, the counts and the
    method, reversible with `set_policy(store, card, None)`. An unsupported proposal changes nothing (the
    card's thresholds stay): the caller says so rather than adopting a policy below its target."""
    if not proposal.supported:
        return False
    evidence = json.dumps({k: v for k, v in proposal.to_dict().items() if k not in ("before", "after")},
                          allow_nan=False)
    detail = f"{card.name} {card.version} ({card.thresholds.kind}): site fit adopted: {proposal.summary()}"
    store.set_policy(card.name, card.version, card.thresholds.kind, (proposal.urgent, proposal.soon), detail,
                     method=proposal.method, evidence=evidence)
    return True


# ---- the policy as a file (`dermtriage scan --policy FILE`) and read from the store by `scan` ---------
def policy_document(card: ModelCard, override: tuple[float, float] | None, user: str = "") -> dict:
    thr = policy_thresholds(card, override)
    return {"format": POLICY_FORMAT, "model": card.name, "model_version": card.version, "rule": thr.kind,
            "urgent": thr.urgent, "soon": thr.soon, "clinic_override": override is not None,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "exported_by": user}


def write_policy_file(path: str | Path, card: ModelCard, override: tuple[float, float] | None,
                      user: str = "") -> None:
    Path(path).write_text(strict_json.dumps(policy_document(card, override, user), indent=2) + "\n", encoding="utf-8")


class PolicyFileError(ValueError):
    """A policy file that is unreadable or written for another model."""


POLICY_MAX_BYTES = 1024 * 1024  # a policy file is a few hundred bytes


def read_policy_file(path: str | Path, card: ModelCard) -> tuple[float, float] | None:
    """The override a policy file sets for `card` (None: the card's own thresholds); refuses a file written
    for another model, version or rule, because thresholds only mean something for one calibration."""
    try:  # the guarded reader: `--policy /dev/zero` or a FIFO is refused at once, never read without end
        data = read_named_file(path, "policy file", max_bytes=POLICY_MAX_BYTES)
    except NamedFileError as exc:
        raise PolicyFileError(str(exc)) from exc
    try:
        doc = strict_json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyFileError(f"policy file {path} is not readable JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != POLICY_FORMAT:
        raise PolicyFileError(f"{path} is not a DermTriage policy file (format {POLICY_FORMAT})")
    if (doc.get("model"), doc.get("model_version")) != (card.name, card.version):
        raise PolicyFileError(f"policy file {path} is for {doc.get('model')} {doc.get('model_version')}, "
                              f"not {card.name} {card.version}")
    if doc.get("rule") != card.thresholds.kind:
        raise PolicyFileError(f"policy file {path} uses rule {doc.get('rule')!r}; the card's is "
                              f"{card.thresholds.kind!r}")
    try:
        urgent, soon = float(doc["urgent"]), float(doc["soon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyFileError(f"policy file {path} lacks numeric urgent/soon thresholds") from exc
    if not (0.0 <= urgent <= 1.0 and 0.0 <= soon <= 1.0):
        raise PolicyFileError(f"policy file {path}: thresholds must lie in 0..1")
    if abs(urgent - card.thresholds.urgent) < 1e-9 and abs(soon - card.thresholds.soon) < 1e-9:
        return None
    return urgent, soon


def read_store_override(db_path: str | Path, card: ModelCard) -> tuple[float, float] | None:
    """The window's override for `card`, read-only (never creates or locks the database); None when there
    is no database or no override. Raises sqlite3.Error when the database exists but cannot be read."""
    db_path = Path(db_path)
    if not db_path.is_file():
        return None
    immutable = "&immutable=1" if folder_read_only_reason(db_path.parent) else ""  # see cases.storage._connect_ro
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro{immutable}", uri=True, timeout=10.0)
    try:
        has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'policy'").fetchone()
        return read_policy_overrides(conn).get((card.name, card.version)) if has_table else None
    finally:
        conn.close()


# ---- what a policy does on the card's validation images ---------------------------------------------
@dataclass(frozen=True)
class PolicyEffect:
    melanoma_sensitivity: float | None  # melanomas referred (urgent or soon)
    melanoma_urgent: float | None
    benign_referral: float | None  # benign images (not mel/bcc/akiec) referred
    n_melanoma: int
    n_benign: int

    @property
    def below_floor(self) -> bool:
        return self.melanoma_sensitivity is not None and self.melanoma_sensitivity < SENSITIVITY_FLOOR


def policy_effect(p_mel: Sequence[float], p_malignant: Sequence[float], dx: Sequence[str], thr: Thresholds,
                  malignant: Sequence[str] = MALIGNANT_DX) -> PolicyEffect:
    """Melanoma sensitivity and the benign referral rate of `thr` on pooled validation scores."""
    if not (len(p_mel) == len(p_malignant) == len(dx)):
        raise ValueError("p_mel, p_malignant and dx must have one entry per image")
    n_mel = n_benign = mel_ref = mel_urg = ben_ref = 0
    for pm, ps, d in zip(p_mel, p_malignant, dx, strict=True):
        pr = thr.priority(ps, pm)
        referred = pr in (Priority.URGENT, Priority.SOON)
        if d == "mel":
            n_mel += 1
            mel_ref += referred
            mel_urg += pr == Priority.URGENT
        elif d not in malignant:
            n_benign += 1
            ben_ref += referred
    return PolicyEffect(mel_ref / n_mel if n_mel else None, mel_urg / n_mel if n_mel else None,
                        ben_ref / n_benign if n_benign else None, n_mel, n_benign)


def card_policy_effect(card: ModelCard, thr: Thresholds) -> PolicyEffect | None:
    """`policy_effect` on the card's `thresholds.validation_scores`, or None when the card has none."""
    scores: ValidationScores | None = card.doc.thresholds.validation_scores if card.doc else None
    if scores is None or not scores.dx:
        return None
    return policy_effect(scores.p_mel, scores.p_malignant, scores.dx, thr)


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
    """Sort key of the queue: triage order first, then the most suspicious first -- within "urgent" by
    P(mel) (suspected melanoma is what the urgent pathway is for), elsewhere by P(malignant)."""
    state = triage_state(result)
    score = result.malignant_score if result.status == Status.OK and result.malignant_score is not None else 0.0
    if state == Triage.URGENT and result.probabilities and "mel" in result.probabilities:
        score = result.probabilities["mel"]
    return state.rank * 2.0 + (1.0 - score)
