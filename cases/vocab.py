"""The case vocabulary: a queue row's triage state and the clinician's review state.

Each member carries what every view needs (label, headline, colour, rank), so the queue, the case panel,
the icons, the theme and the PDF report all read one table. Colours are plain hex strings (no Qt here).
"""

from __future__ import annotations

from inference.vocab import StrEnum

DISCLAIMER = "For research use; not a medical device; does not replace a clinician's diagnosis."


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
