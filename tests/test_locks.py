"""Issue 23: builds that do not drift. `make setup`, `make test`, `make package`, `make install-check` and CI install
from requirements/*.lock with `--require-hashes`; these checks keep the locks complete and in step with
pyproject.toml (update both with `make lock`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info < (3, 11):  # pragma: no cover - tomllib is 3.11+
    pytest.skip("tomllib needs Python 3.11", allow_module_level=True)
import tomllib  # noqa: E402


def _name(req: str) -> str:
    return re.split(r"[\s\[<>=!~;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every requirement in a pip-compile lock file."""
    out: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", line)
        if m:
            current = m.group(1).lower().replace("_", "-")
            out[current] = (m.group(2), [])
        elif current and "--hash=sha256:" in line:
            out[current][1].append(line.split("--hash=sha256:")[1].split()[0])
    return out


def test_every_dependency_is_locked_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _locked(ROOT / "requirements" / "runtime.lock")
    dev = _locked(ROOT / "requirements" / "dev.lock")
    base = {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    assert base <= set(runtime), f"run `make lock`: {sorted(base - set(runtime))} missing from runtime.lock"
    assert base | extras <= set(dev), f"run `make lock`: {sorted((base | extras) - set(dev))} missing from dev.lock"
    for lock in (runtime, dev):
        for name, (version, hashes) in lock.items():
            assert hashes and all(len(h) == 64 for h in hashes), f"{name}=={version} has no sha256"
    for name in base:  # the app's own dependencies resolve the same in both
        assert runtime[name][0] == dev[name][0], (name, runtime[name][0], dev[name][0])
    assert dev["torch"][0].startswith("2.13.0")  # the CPU wheel the [train] extra pins (README)
    assert not any(n.startswith("nvidia-") for n in dev), "a CUDA build of torch was locked"


def test_make_installs_from_the_locks() -> None:
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK_RUNTIME)" in make and "--require-hashes -r $(LOCK_DEV)" in make
    assert "pip install --quiet -e ." not in make and "pip install --quiet ." not in make  # nothing unlocked
