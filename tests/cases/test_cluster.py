"""Issue 15: `scan --engine ray` on a local Ray (2 CPUs) gives the local engine's rows over the 105 full-size
images, and resumes from the same journal. Skipped, with the reason, where Ray is not installed
(`pip install '.[cluster]'`; `make test` installs it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from cases.cluster import prepare_env, start_ray
from cases.resume import Journal
from cases.rows import Manifest
from tests.cases.test_resume import assert_same_rows, read_rows, scan_cmd
from tests.conftest import FULLSIZE, copy_images

prepare_env(None)  # before Ray is imported: no usage statistics, a local Ray on 127.0.0.1 only
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install '.[cluster]')")
pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install '.[cluster]')")


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module, as `scan --engine ray` starts it (ray.init(num_cpus=2), 127.0.0.1, no
    dashboard); start-up is most of these tests' time."""
    if ray.is_initialized():
        ray.shutdown()
    assert start_ray(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture
def appdata(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "appdata"))


def run(*argv: str) -> int:
    from cases.scan import run_scan

    return run_scan([*argv, "--quiet"])


def test_ray_rows_equal_local_rows(tmp_path, local_ray, appdata, fullsize_images):
    local, remote = tmp_path / "local.csv", tmp_path / "ray.csv"
    assert run(str(FULLSIZE), "--out", str(local)) == 0
    assert run(str(FULLSIZE), "--out", str(remote), "--engine", "ray", "--batch-size", "16") == 0
    a, b = read_rows(local), read_rows(remote)
    assert len(a) == 105
    assert_same_rows(b, a, tol=1e-5)
    assert ray.is_initialized()  # a Ray the caller started is left running
    assert not Journal(remote).dir.exists()


def test_ray_resumes_from_the_journal(tmp_path, local_ray, appdata, fullsize_images):
    """Journalled rows whose file is unchanged are kept (checked on the actors), the rest analysed."""
    src = copy_images(fullsize_images[:6], tmp_path / "in")
    out = tmp_path / "r.csv"
    assert run(str(src), "--out", str(out)) == 0
    first = read_rows(out)
    from inference.session import Model

    journal = Journal(out)
    journal.open(Manifest.for_model(Model.load(first[0]["model"])))
    for r in first[:4]:
        journal.append(r["path"], dict(r, decode_ms="-1.000"))
    journal.close()
    assert run(str(src), "--out", str(out), "--engine", "ray", "--workers", "2", "--batch-size", "2") == 0
    rows = read_rows(out)
    assert [r["decode_ms"] for r in rows] [:4] == ["-1.000"] * 4
    assert all(r["decode_ms"] != "-1.000" for r in rows[4:])
    assert_same_rows(rows, first)


@pytest.mark.skipif(shutil.which("strace") is None or sys.platform != "linux", reason="needs strace (Linux)")
def test_local_ray_stays_on_this_machine(tmp_path, fullsize_images):
    """Every connect()/sendto() of the whole process tree (driver, GCS, raylet, dashboard head, workers) of
    `scan --engine ray` goes to 127.0.0.1 or a Unix socket: no LAN address, no DNS, no cloud metadata."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jpg").write_bytes(fullsize_images[0].read_bytes())
    log = tmp_path / "strace.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["DERMTRIAGE_DATA_DIR"] = str(tmp_path / "appdata")
    cmd = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log),
           *scan_cmd(src, tmp_path / "r.csv", "--engine", "ray", "--workers", "1")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip(f"strace cannot trace here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr
    assert len(read_rows(tmp_path / "r.csv")) == 1
    text = log.read_text(errors="replace")
    v4 = set(re.findall(r'inet_addr\("([0-9.]+)"\)', text))
    v6 = set(re.findall(r'inet_pton\(AF_INET6, "([^"]+)"', text))
    assert v4 <= {"127.0.0.1"} and v6 <= {"::1", "::ffff:127.0.0.1"}, (v4, v6)
