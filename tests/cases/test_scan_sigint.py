"""Issue 23: Ctrl+C during a scan ends with its message (what was kept, how to resume) and exit status 130,
without a Python traceback after it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import FULLSIZE, ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")


@pytest.mark.parametrize("json_lines", [False, True])
def test_sigint_mid_scan_is_clean(tmp_path, json_lines: bool) -> None:  # noqa: ANN001
    folder = tmp_path / "in"  # 1,050 links to the full-size images: a scan of several seconds
    folder.mkdir()
    for i in range(10):
        for p in sorted(FULLSIZE.glob("*.jpg")):
            (folder / f"{i}_{p.name}").symlink_to(p)
    out = tmp_path / ("r.jsonl" if json_lines else "r.csv")
    cmd = [sys.executable, str(ROOT / "main.py"), "scan", str(folder), "--out", str(out), "--batch-size", "1",
           "--threads", "1", *(["--json"] if json_lines else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                 "DERMTRIAGE_DATA_DIR": str(tmp_path / "data")})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until images are being analysed (the progress bar has started)
        time.sleep(0.3)
        if proc.poll() is not None or (json_lines and list(tmp_path.glob(".r.jsonl.*"))) or list(
                tmp_path.glob(".r.csv.scan/*")):
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert not out.exists()
