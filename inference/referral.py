"""The referral rule and its cut-offs: what turns calibrated probabilities into urgent / soon / routine."""

from __future__ import annotations

from dataclasses import dataclass

from inference.vocab import Priority

MELANOMA_FIRST = "melanoma_first"
MALIGNANT_SUM = "malignant_sum"
RULES = (MELANOMA_FIRST, MALIGNANT_SUM)


@dataclass(frozen=True)
class Thresholds:
    """The referral rule and its cut-offs.

    `melanoma_first` follows the referral pathways (NICE NG12): suspected melanoma (P(mel) >= urgent) is
    urgent; otherwise P(mel)+P(bcc)+P(akiec) >= soon is soon (suspected BCC, AK / intraepithelial
    carcinoma, less likely melanoma). `malignant_sum` is the older rule of models trained before it
    (both cut-offs on the summed malignant probability), kept so their cards still mean what they say.
    """

    urgent: float
    soon: float
    rule: str = ""  # the card's words for the rule
    kind: str = MALIGNANT_SUM

    @property
    def urgent_score(self) -> str:
        return "P(mel)" if self.kind == MELANOMA_FIRST else "P(malignant)"

    def priority(self, malignant_score: float, p_mel: float | None = None) -> Priority:
        if self.kind == MELANOMA_FIRST:
            if p_mel is not None and p_mel >= self.urgent:
                return Priority.URGENT
        elif malignant_score >= self.urgent:
            return Priority.URGENT
        if malignant_score >= self.soon:
            return Priority.SOON
        return Priority.ROUTINE

    def explain(self, malignant_score: float, p_mel: float | None = None) -> str:
        p = self.priority(malignant_score, p_mel)
        if self.kind == MELANOMA_FIRST:
            mel = 0.0 if p_mel is None else p_mel
            if p == Priority.URGENT:
                return f"suspected melanoma: P(mel) {mel:.1%} >= urgent threshold {self.urgent:.1%}"
            if p == Priority.SOON:
                return (f"P(malignant) {malignant_score:.1%} >= soon threshold {self.soon:.1%} "
                        f"(P(mel) {mel:.1%} < urgent {self.urgent:.1%})")
            return (f"P(malignant) {malignant_score:.1%} < soon threshold {self.soon:.1%} and P(mel) {mel:.1%} "
                    f"< urgent {self.urgent:.1%}")
        if p == Priority.URGENT:
            return f"malignant probability {malignant_score:.1%} >= urgent threshold {self.urgent:.1%}"
        if p == Priority.SOON:
            return (f"malignant probability {malignant_score:.1%} >= soon threshold {self.soon:.1%} "
                    f"(< urgent {self.urgent:.1%})")
        return f"malignant probability {malignant_score:.1%} < soon threshold {self.soon:.1%}"


# ---- the card file's schema: what training writes (training/export.write_card) and the app reads ----------
