"""The inference vocabulary: what happened to an image (Status) and the card rule's priority (Priority).

Str-valued enums: they compare equal to, serialise as and format as their plain values ("ok", "urgent"),
so CSV, JSON and SQLite see the same words as before, while code can no longer misspell them.
"""

from __future__ import annotations

from enum import Enum


class StrEnum(str, Enum):
    """`str` and `format` give the value (enum.StrEnum is Python 3.11+; the app supports 3.10)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(StrEnum):
    """What became of one image: classified, refused by the quality gate, or not readable at all."""

    OK = "ok"
    REJECTED = "rejected"
    ERROR = "error"


class Priority(StrEnum):
    """The referral priority the model card's rule gives a classified image."""

    URGENT = "urgent"
    SOON = "soon"
    ROUTINE = "routine"
