"""The case vocabulary: a queue row's triage state and the clinician's review state.

Each member carries what every view needs (label, headline, colour, rank), so the queue, the case panel,
the icons, the theme and the PDF report all read one table. Colours are plain hex strings (no Qt here).
"""

from __future__ import annotations

from inference.vocab import StrEnum

DISCLAIMER = "For research use; not a medical device; does not replace a clinician's diagnosis."
UNASSIGNED = "Unassigned"  # shown for a case without a case ID (the stored value stays empty)

INTENDED_USE_TITLE = "Intended use and limitations"
# One text for the first-start notice, Help > Intended use, the About dialog and the PDF report.
INTENDED_USE = (
    ("Intended use",
     "DermTriage sorts dermoscopic images of skin lesions by how soon a clinician should look at them. It is "
     "a research tool for people trained in dermoscopy: every result is to be checked by a clinician, and it "
     "does not diagnose. " + DISCLAIMER),
    ("What the models learned from",
     "HAM10000: about 10,000 dermoscopic images from two sites (the Medical University of Vienna, Austria, "
     "and a skin cancer practice in Queensland, Australia), mostly fair-skinned adults, seven diagnoses. "
     "Lesions of other kinds (nails, mucosa, acral sites), darker skin types and children are rare or absent "
     "there."),
    ("Performance drops elsewhere",
     "Accuracy is measured on held-back images of the same sources. On other dermatoscopes, cameras, "
     "lighting, clinics and populations it is lower, sometimes much lower; images the quality gate refuses "
     "are not assessed at all."),
    ("P(malignant) overstates risk where cancers are rarer",
     "HAM10000 holds far more melanomas and carcinomas (about 1 in 5 images) than a primary-care or screening "
     "population. The calibrated probabilities reflect that mix, so where cancers are rarer P(malignant) and "
     "the share of urgent and soon referrals overstate the real risk. The referral thresholds are a policy "
     "choice: Settings shows the melanoma sensitivity and benign referral rate they give on validation "
     "images."),
)


def intended_use_text() -> str:
    return "\n\n".join(f"{title}: {body}" for title, body in INTENDED_USE)


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
