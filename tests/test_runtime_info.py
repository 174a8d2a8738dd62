"""Issue 23: `--selftest` and Help > About say which runtime computed the numbers, and `--selftest` says the
state of the case store (without creating it)."""

from __future__ import annotations

import subprocess
import sys

from inference.versions import runtime_versions
from tests.conftest import ROOT


def test_runtime_versions_are_real_versions() -> None:
    v = runtime_versions()
    assert set(v) >= {"Python", "onnxruntime", "numpy", "opencv", "PySide6"}
    for key in ("Python", "onnxruntime", "numpy", "opencv", "PySide6"):
        assert v[key][0].isdigit(), (key, v[key])


def test_selftest_prints_runtime_and_store_state(tmp_path) -> None:  # noqa: ANN001
    data = tmp_path / "never-created"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--selftest"], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                                      "DERMTRIAGE_DATA_DIR": str(data)})
    assert proc.returncode == 0, proc.stderr
    runtime = next(line for line in proc.stdout.splitlines() if line.startswith("runtime: "))
    for name in ("Python", "onnxruntime", "numpy", "opencv", "PySide6"):
        assert name in runtime
    assert f"case store {data}: none" in proc.stdout and not data.exists()


def test_about_shows_the_runtime() -> None:
    import onnxruntime

    from gui.dialogs.about import card_html
    from inference.card import ModelCard, card_path_for

    assert f"onnxruntime {onnxruntime.__version__}" in card_html(ModelCard.load(card_path_for("paper_cnn")))
