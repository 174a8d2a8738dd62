"""The case vocabulary: a queue row's triage state and the clinician's review state.

Each member carries what every view needs (label, headline, colour, rank), so the queue, the case panel,
the icons, the theme and the PDF report all read one table. Colours are plain hex strings (no Qt here).
"""

from __future__ import annotations

import re

from inference.vocab import StrEnum

DISCLAIMER = "For research use; not a medical device; does not replace a clinician's diagnosis."
UNASSIGNED = "Unassigned"  # shown for a case without a case ID (the stored value stays empty)

INTENDED_USE_TITLE = "Intended use and limitations"
NO_CARD = "unknown: the model card could not be read"


def training_summary(training_data: str) -> str:
    """The card's `training_data` in one line for the start-up notice: its sources, without the counts,
    splits and asides that the About dialog shows in full."""
    text = re.sub(r"\s*\([^)]*\)", "", training_data or "")
    text = re.split(r"[:;]", text, maxsplit=1)[0].strip().rstrip(".")
    return text or NO_CARD


def intended_use(model: str = "", training_data: str = "") -> tuple[tuple[str, str], ...]:
    """One text for the first-start notice, Help > Intended use, the About dialog and the PDF report.

    What the model learned from is the model card's `training_data` (issue 22: a hard-coded "HAM10000"
    outlived the model trained on four sources); the rest holds for any model trained on public
    dermoscopy collections."""
    learned = f"{model}: {training_data}" if model and training_data else (training_data or NO_CARD)
    return (
        ("Intended use",
         "DermTriage sorts dermoscopic images of skin lesions by how soon a clinician should look at them. It "
         "is a research tool for people trained in dermoscopy: every result is to be checked by a clinician, "
         "and it does not diagnose. " + DISCLAIMER),
        ("What the model learned from",
         f"{learned}. Public dermoscopy collections like these come mostly from specialist clinics and "
         "fair-skinned adults; lesions of other kinds (nails, mucosa, acral sites), darker skin types and "
         "children are rare or absent there. Help > About lists the model card's sources and scores."),
        ("Performance drops elsewhere",
         "Accuracy is measured on held-back images of the training sources (and, where the model card says "
         "so, on an external source). On other dermatoscopes, cameras, lighting, clinics and populations it "
         "is lower, sometimes much lower; images the quality gate refuses are not assessed at all."),
        ("P(malignant) overstates risk where cancers are rarer",
         "Specialist collections hold far more melanomas and carcinomas than a primary-care or screening "
         "population. The calibrated probabilities reflect that mix, so where cancers are rarer P(malignant) "
         "and the share of urgent and soon referrals overstate the real risk. The referral thresholds are a "
         "policy choice: Settings shows the melanoma sensitivity and benign referral rate they give on "
         "validation images."),
    )


def intended_use_text(model: str = "", training_data: str = "") -> str:
    return "\n\n".join(f"{title}: {body}" for title, body in intended_use(model, training_data))


class Triage(StrEnum):
    """A row's place in the queue. Definition order is the triage order: everything that needs a person
    (urgent, soon, a retake, a broken file) comes before routine cases."""

    label: str
    headline: str
    colour: str

    def __new__(cls, value: str, label: str, headline: str, colour: str) -> Triage:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label, obj.headline, obj.colour = label, headline, colour
        return obj

    URGENT = ("urgent", "Urgent", "Urgent referral", "#c62828")
    SOON = ("soon", "Soon", "Refer soon", "#e08600")
    CANNOT_ASSESS = ("cannot_assess", "Cannot assess", "Cannot assess", "#6d6d6d")
    ERROR = ("error", "Error", "Error: not analysed", "#5d4037")
    ROUTINE = ("routine", "Routine", "Routine", "#2e7d32")

    @property
    def rank(self) -> int:
        return _TRIAGE_RANK[self]


_TRIAGE_RANK = {t: i for i, t in enumerate(Triage)}


class Review(StrEnum):
    """Set by the clinician, audit-logged; definition order is the menu order (Ctrl+1..4)."""

    NEW = "new"
    REVIEWED = "reviewed"
    REFERRED = "referred"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return _REVIEW_RANK[self]

    @classmethod
    def parse(cls, text: object) -> Review | None:
        """A review state from user text ("Reviewed", " referred "), or None when it names none."""
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            return None


_REVIEW_RANK = {r: i for i, r in enumerate(Review)}
