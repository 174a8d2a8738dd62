"""Typed errors, so callers can tell an unusable model (stop everything) from a bad image (one row)."""


class DermTriageError(Exception):
    """Base class for every error this package raises on purpose."""


class ModelError(DermTriageError):
    """The model cannot be used; no result may be produced with it."""


class ModelMissingError(ModelError):
    """The ONNX file or its model card is not where it should be."""


class ModelTamperedError(ModelError):
    """The ONNX file's sha256 differs from the one in its model card."""


class ModelShapeError(ModelError):
    """The graph's inputs or outputs disagree with the model card."""


class CardError(ModelError):
    """The model card is unreadable or lacks a field the app needs."""


class ImageError(DermTriageError):
    """One image could not be read or decoded; the batch goes on."""


class NamedFileError(DermTriageError):
    """A file the user named (`--policy`, `--model`, an existing `--out`, an import) is refused: not a regular
    file, too large, unreadable or not what it claims to be. `missing` is True when it does not exist."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing
