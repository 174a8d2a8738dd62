"""`main.py --selftest`: prove a build works before a clinician relies on it (headless, no window).

Loads every shipped model, classifies the bundled samples, and compares the top classes with the ones
recorded when the samples were made (assets/samples/samples.json). Exit 0 with a one-line summary, or
non-zero with the reason.
"""

from __future__ import annotations

import json
import sys
import time

from inference.card import available_models
from inference.errors import DermTriageError
from inference.quality import QualityGate
from inference.resources import samples_dir
from inference.runner import BatchRunner
from inference.session import Model
from inference.versions import runtime_line


def run_selftest() -> int:
    t0 = time.perf_counter()
    try:
        doc = json.loads((samples_dir() / "samples.json").read_text(encoding="utf-8"))
        samples = doc["samples"]
        gate = QualityGate.load()
        names = available_models()
        if not names:
            raise DermTriageError("no shipped model found")
        problems, lines = [], []
        for name in names:
            model = Model.load(name)
            runner = BatchRunner(model, gate=gate)
            results = list(runner.run([samples_dir() / s["file"] for s in samples]))
            for s, res in zip(samples, results, strict=True):
                want = s["expected_top"].get(name)
                got = res.top_class if res.ok else f"{res.status}: {res.message}"
                if want is None:
                    problems.append(f"{name}: no expected result for {s['file']}")
                elif got != want:
                    problems.append(f"{name}: {s['file']} gave {got}, expected {want}")
            ok = [r for r in results if r.ok]
            ms = sum((r.decode_ms or 0) + (r.preprocess_ms or 0) + (r.inference_ms or 0) for r in ok) / max(len(ok), 1)
            bound = "" if not model.binding_warning else " (card NOT bound to the weights)"
            lines.append(f"{name} {model.version}: {len(ok)}/{len(results)} ok, {ms:.1f} ms/image{bound}")
    except (DermTriageError, OSError, KeyError, ValueError) as exc:
        print(f"SELFTEST FAILED: {exc}", file=sys.stderr)
        return 1
    if problems:
        print("SELFTEST FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"SELFTEST OK: {len(samples)} samples x {len(names)} models; " + "; ".join(lines)
          + f"; total {time.perf_counter() - t0:.2f}s")
    print(f"runtime: {runtime_line()}")
    return 0
