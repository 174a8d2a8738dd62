"""The models this DermTriage ships, pinned in code: a model that claims a shipped name must be that model.

The card's sha256 and its binding (inference/binding.py) only say that a card and an ONNX file belong
together, and whoever edits one can edit the other: issue 23's probe renamed the ONNX binding key, updated
the card's sha256, dropped its binding hash and swapped `mel` and `nv`, and the app ran it as "triage_cnn
4.0.0" with one stderr warning. The table below is recorded from the shipped assets (the ONNX file's sha256
and the card's `onnx.binding_sha256`, the digest of the binding inside that file): a model whose card name
or card file name is a shipped name must match it exactly, or it is refused by name. Any change to the
weights, however small (one bit), changes the sha256; any change to what the card's numbers mean changes
the binding.

A model with another name is a *custom* model: it runs, but every output says what it is (the scan's
`model_binding` column, a line in the PDF, a banner in the window), see `binding_status`.

After retraining or re-binding a shipped model, record it here:
`python -m inference.shipped` prints the table from assets/models (tests/inference/test_shipped.py fails
until it is updated).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from inference.errors import ModelTamperedError


@dataclass(frozen=True)
class ShippedModel:
    version: str
    onnx_sha256: str
    binding_sha256: str


SHIPPED_MODELS: dict[str, ShippedModel] = {
    "triage_cnn": ShippedModel("4.0.0", "203aefb8dc03f6d6c9be58129bd8fcada3a2306565df223b00980708595ceb3f",
                               "a98da1453bd0f5e9f47ca43bcbe3ab5f2b241636a4119bcac439a7cba914ba4b"),
    "paper_cnn": ShippedModel("1.0.0", "33a242f0c5568f69f103eb91cded9477f5cb8f7fc9e67dc43e9ffae9bcac1a0d",
                              "99b32c9bf17dbc1cd3818f41b7d48f380fd5725ce5765708ba9dbfa10c2c8bc1"),
    "paper_cnn_int8": ShippedModel("1.0.0", "aaf0e5a191203f702e3b30321ca9fa29c7424c3077924527d40328dbf28c2699",
                                   "136c4e9834a1c88925632e94da724e094fab81077e817a1d6e16cf82e8b3ab81"),
    "effnet_lite0": ShippedModel("1.0.0", "5151bcb087361b5f60f0bc1667c0804f31506c357be3038d54a7720da575edba",
                                 "b1233d8aae1502b3c355066c3bc1101827517e8f0daa8507e0babea3dd3a62af"),
}

# What the scan's `model_binding` column says (and the PDF and the window, for the last two).
SHIPPED = "shipped"  # one of SHIPPED_MODELS, matched byte for byte
CUSTOM_BOUND = "custom-bound"  # not ours; its card is bound to its weights (inference/binding.py)
CUSTOM_UNBOUND = "custom-unbound"  # not ours; nothing ties its card's class order to its weights


def claimed_name(card_name: str, card_path: Path) -> str | None:
    """The shipped name a model claims (its card's `name`, else its card file's name), or None."""
    for name in (card_name, Path(card_path).stem):
        if name in SHIPPED_MODELS:
            return name
    return None


def check_shipped(card_name: str, card_version: str, card_path: Path, onnx_sha256: str,
                  card_binding_sha256: str, onnx_binding_sha256: str) -> bool:
    """True when the model claims a shipped name and is exactly that model; False for a custom model;
    ModelTamperedError (naming the model) for a model that claims a shipped name and is not it."""
    name = claimed_name(card_name, card_path)
    if name is None:
        return False
    ref = SHIPPED_MODELS[name]
    what = f"model {name!r} ({Path(card_path).name})"
    problems = []
    if card_name != name:
        problems.append(f"its card names it {card_name!r}")
    if card_version != ref.version:
        problems.append(f"version {card_version} (this app ships {ref.version})")
    if onnx_sha256 != ref.onnx_sha256:
        problems.append(f"its weights' sha256 {onnx_sha256[:12]}... is not the {ref.onnx_sha256[:12]}... recorded in "
                        "the app")
    if card_binding_sha256 != ref.binding_sha256 or onnx_binding_sha256 != ref.binding_sha256:
        problems.append("its card's binding to the weights is not the one recorded in the app")
    if problems:
        raise ModelTamperedError(
            f"{what} is not the {name} this DermTriage ships: {'; '.join(problems)}. The model files were changed "
            f"or replaced; it is refused. Reinstall DermTriage, or give a custom model its own name.")
    return True


def result_binding(model_name: str, model_version: str, current: object | None = None) -> str:
    """What a *stored* result's model was (for the window's CSV export and the PDF): SHIPPED when its name and
    version are a shipped model's (any other file under that name is refused at load); the loaded model's
    `binding_status` when it is that model; else "custom"."""
    ref = SHIPPED_MODELS.get(model_name)
    if ref is not None and ref.version == model_version:
        return SHIPPED
    if current is not None and (getattr(current, "name", None), getattr(current, "version", None)) == (
            model_name, model_version):
        return str(getattr(current, "binding_status", "custom"))
    return "custom" if model_name else ""


def result_notice(model_name: str, model_version: str, current: object | None = None) -> str:
    """The line a report prints under a result of a custom model ("" for a shipped one or no model)."""
    status = result_binding(model_name, model_version, current)
    if status in (SHIPPED, ""):
        return ""
    bound = {CUSTOM_BOUND: " Its card is bound to its weights.",
             CUSTOM_UNBOUND: " Its card is NOT bound to its weights: nothing checked its class order."}.get(status, "")
    return (f"Custom model: {model_name} {model_version} is not a model this DermTriage ships; its performance "
            f"was not validated with the app.{bound}")


def table_from_assets(models: Path) -> str:
    """The SHIPPED_MODELS source for the cards in `models` (what `python -m inference.shipped` prints)."""
    import hashlib

    lines = []
    for card in sorted(models.glob("*.json")):
        onnx = card.with_suffix(".onnx")
        if not onnx.is_file():
            continue
        raw = json.loads(card.read_text(encoding="utf-8"))
        digest = hashlib.sha256(onnx.read_bytes()).hexdigest()
        lines.append(f'    "{raw["name"]}": ShippedModel("{raw["version"]}", "{digest}",\n'
                     f'        "{raw["onnx"].get("binding_sha256", "")}"),')
    return "SHIPPED_MODELS: dict[str, ShippedModel] = {\n" + "\n".join(lines) + "\n}"


if __name__ == "__main__":
    from inference.resources import models_dir

    print(table_from_assets(models_dir()))
