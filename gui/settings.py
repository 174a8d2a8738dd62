"""User settings (QSettings) and loading the chosen model with them.

Referral thresholds are not a user setting: they are the triage policy, kept in the audited case store
per model name and version (`cases.policy`), so the window, the exports and `dermtriage scan` agree. Older
versions kept them in QSettings; `load_model` moves such an override into the store once.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings

from cases.policy import TriagePolicy, set_policy
from cases.store import Store
from inference.card import DEFAULT_MODEL, ModelCard, available_models, card_path_for
from inference.errors import ModelError
from inference.session import DEFAULT_THREADS, Model, cpu_count

THEMES = ("system", "light", "dark")


def default_model_name() -> str:
    """The package's default when it is shipped, else the first shipped model (no name hard-coded here)."""
    names = available_models()
    if DEFAULT_MODEL in names or not names:
        return DEFAULT_MODEL
    return names[0]


class AppSettings:
    """Typed access to the keys this app stores; one place that knows their names and defaults."""

    MODEL = "model/name"
    THREADS = "inference/threads"
    THEME = "ui/theme"
    GEOMETRY = "ui/geometry"
    STATE = "ui/splitter"
    LAST_DIR = "ui/last_dir"
    RECENT = "ui/recent_folders"
    NOTICE_SEEN = "ui/intended_use_seen"

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qs = qsettings or QSettings()

    @property
    def model_name(self) -> str:
        name = str(self.qs.value(self.MODEL, "") or "")
        return name if name and name in available_models() else default_model_name()

    @model_name.setter
    def model_name(self, name: str) -> None:
        self.qs.setValue(self.MODEL, name)

    @property
    def threads(self) -> int:
        try:
            n = int(self.qs.value(self.THREADS, DEFAULT_THREADS))
        except (TypeError, ValueError):
            n = DEFAULT_THREADS
        return max(1, min(n, cpu_count()))

    @threads.setter
    def threads(self, n: int) -> None:
        self.qs.setValue(self.THREADS, int(n))

    @property
    def theme(self) -> str:
        t = str(self.qs.value(self.THEME, "system"))
        return t if t in THEMES else "system"

    @theme.setter
    def theme(self, t: str) -> None:
        self.qs.setValue(self.THEME, t if t in THEMES else "system")

    @staticmethod
    def _thr_key(card: ModelCard) -> str:
        return f"thresholds/{card.name}-{card.version}"

    def threshold_override(self, card: ModelCard) -> tuple[float, float] | None:
        """(urgent, soon) that an older version stored in QSettings for this model (moved to the store)."""
        key = self._thr_key(card)
        try:
            urgent = self.qs.value(f"{key}/urgent")
            soon = self.qs.value(f"{key}/soon")
            if urgent is None or soon is None:
                return None
            u, s = float(urgent), float(soon)
        except (TypeError, ValueError):
            return None
        return (u, s) if 0.0 <= s <= u <= 1.0 else None

    def set_threshold_override(self, card: ModelCard, values: tuple[float, float] | None) -> None:
        key = self._thr_key(card)
        if values is None or (abs(values[0] - card.thresholds.urgent) < 1e-9
                              and abs(values[1] - card.thresholds.soon) < 1e-9):
            self.qs.remove(key)
        else:
            self.qs.setValue(f"{key}/urgent", float(values[0]))
            self.qs.setValue(f"{key}/soon", float(values[1]))

    def bytes_value(self, key: str) -> QByteArray | None:
        v = self.qs.value(key)
        return v if isinstance(v, QByteArray) else None

    def sync(self) -> None:
        self.qs.sync()


@dataclass
class ModelState:
    """The loaded model, or why there is none (the window still opens; scanning is disabled)."""

    name: str
    model: Model | None = None
    card: ModelCard | None = None  # readable even when the ONNX file is not, for the About dialog
    error: str = ""
    threads: int = DEFAULT_THREADS
    thresholds_overridden: bool = False
    policy: TriagePolicy | None = None  # the triage policy in force for every known model

    @property
    def label(self) -> str:
        if self.model is None:
            return f"{self.name}: not loaded"
        return f"{self.model.name} {self.model.version}"


def load_model(settings: AppSettings, store: Store) -> ModelState:
    """Load the configured model with the store's triage policy; a ModelError becomes a message, never a
    fallback to made-up numbers."""
    name, threads = settings.model_name, settings.threads
    state = ModelState(name=name, threads=threads)
    try:
        state.card = ModelCard.load(card_path_for(name))
    except ModelError as exc:
        state.error = str(exc)
        state.policy = TriagePolicy.from_store(store)
        return state
    legacy = settings.threshold_override(state.card)
    if legacy is not None and not getattr(store, "read_only", ""):
        # an override from before the policy lived in the store: move it there, audited
        if (state.card.name, state.card.version) not in store.policy_overrides():
            set_policy(store, state.card, legacy)
        settings.set_threshold_override(state.card, None)
    state.policy = TriagePolicy.from_store(store)
    try:
        model = Model(state.card, threads=threads)
    except ModelError as exc:
        state.error = str(exc)
        return state
    model.card = state.policy.card_for_model(model.card)
    state.thresholds_overridden = state.policy.overridden(model.card)
    state.model = model
    return state
