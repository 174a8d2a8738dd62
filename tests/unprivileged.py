"""Run a command as an unprivileged user where the tests run as root (CI does), so that file permissions mean
something: root writes into read-only folders and replaces read-only files, which would make a permission test
pass for the wrong reason."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

NOBODY = 65534


def as_user(cmd: list[str]) -> list[str]:
    """`cmd` run as nobody (setpriv) when we are root; unchanged otherwise (we are already unprivileged)."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is missing: cannot drop privileges for a permission test")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]


def give(path: Path) -> None:
    """Hand `path` (and everything below it) to the user `as_user` runs as."""
    if os.geteuid() != 0:
        return
    os.chown(path, NOBODY, NOBODY)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), NOBODY, NOBODY, follow_symlinks=False)


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment for the unprivileged process (its own HOME, no user's settings)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": "offscreen"}
    env.update(extra)
    return env


@pytest.fixture
def user_tmp():
    """A fresh folder the unprivileged user can reach (pytest's own tmp_path lies under a 0700 folder of
    root's), handed to that user, removed afterwards."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="dermtriage-user-"))
    path.chmod(0o755)
    give(path)
    try:
        yield path
    finally:
        for root, dirs, _files in os.walk(path):  # a test may leave read-only folders behind
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o700)
        shutil.rmtree(path, ignore_errors=True)
