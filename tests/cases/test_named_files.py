"""Issue 23: every file a user names on the command line goes through one guarded path. `--out` never replaces
an input or anything that is not a previous output of ours; `--policy` and `--model` are regular files only,
bounded in size and time. The scans run as an unprivileged user (tests/unprivileged.py) so that read-only
means read-only even in CI, which runs as root."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MODELS, ROOT
from tests.unprivileged import as_user, give, user_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and setpriv are POSIX")


def scan_as_user(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    give(home)
    cmd = as_user([sys.executable, str(ROOT / "main.py"), "scan", *args, "--quiet"])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=user_env(home, DERMTRIAGE_DATA_DIR=str(home / "appdata")))


@pytest.fixture
def folder(user_tmp, fullsize_images) -> Path:
    d = user_tmp / "in"
    d.mkdir()
    for p in fullsize_images[:2]:
        shutil.copy(p, d / p.name)
    return d


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("read_only", [False, True])
def test_out_naming_an_input_image_leaves_it_byte_identical(user_tmp, folder, read_only):
    image = sorted(folder.iterdir())[0]
    before = sha(image)
    if read_only:
        image.chmod(0o444)
    give(user_tmp)
    if read_only:
        image.chmod(0o444)
    proc = scan_as_user(user_tmp, str(folder), "--out", str(image))
    assert proc.returncode == 2, proc.stderr
    assert "not a scan output" in proc.stderr and "Traceback" not in proc.stderr
    assert sha(image) == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in folder.iterdir()
                                                              if not p.name.startswith("."))  # no .part, no journal


def test_out_replaces_only_previous_outputs(user_tmp, folder):
    out = user_tmp / "r.csv"
    assert scan_as_user(user_tmp, str(folder), "--out", str(out)).returncode == 0
    out.write_text(out.read_text().splitlines()[0] + "\n")  # our header and no rows: still ours
    proc = scan_as_user(user_tmp, str(folder), "--out", str(out))  # a previous output of ours: replaced
    assert proc.returncode == 0, proc.stderr
    first = out.read_text()
    assert len(first.splitlines()) == 3
    out.chmod(0o444)  # a previous output the user made read-only is kept (root would replace it: run as nobody)
    kept = out.read_bytes()
    proc = scan_as_user(user_tmp, str(folder), "--out", str(out))
    assert proc.returncode == 2 and "read-only" in proc.stderr and out.read_bytes() == kept
    out.chmod(0o644)
    foreign = user_tmp / "budget.csv"
    foreign.write_text("year,amount\n2026,12\n")
    proc = scan_as_user(user_tmp, str(folder), "--out", str(foreign))
    assert proc.returncode == 2 and "not a scan output" in proc.stderr
    assert foreign.read_text() == "year,amount\n2026,12\n"
    proc = scan_as_user(user_tmp, str(folder), "--out", "/dev/null")
    assert proc.returncode == 2 and "character device" in proc.stderr
    # A previous output of ours that is also an image this scan reads (named .jpg in the scanned folder).
    inside = folder / "old.jpg"
    shutil.copy(out, inside)
    proc = scan_as_user(user_tmp, str(folder), "--out", str(inside))
    assert proc.returncode == 2 and "one of the images this scan reads" in proc.stderr, proc.stderr
    assert inside.read_text() == first


@pytest.mark.parametrize("kind", ["dev_zero", "fifo"])
def test_policy_that_is_not_a_regular_file_exits_2_at_once(user_tmp, folder, kind):
    if kind == "fifo":
        policy = user_tmp / "policy.json"
        os.mkfifo(policy)
    else:
        policy = Path("/dev/zero")
    t0 = time.monotonic()
    proc = scan_as_user(user_tmp, str(folder), "--out", str(user_tmp / "r.csv"), "--policy", str(policy), timeout=20)
    assert proc.returncode == 2, proc.stderr
    assert time.monotonic() - t0 < 20
    assert ("named pipe" if kind == "fifo" else "character device") in proc.stderr
    assert not (user_tmp / "r.csv").exists()


def test_policy_too_large_is_refused(user_tmp, folder):
    policy = user_tmp / "policy.json"
    with open(policy, "wb") as fh:
        fh.truncate(2 * 1024 * 1024)  # sparse: 2 MB of nothing
    proc = scan_as_user(user_tmp, str(folder), "--out", str(user_tmp / "r.csv"), "--policy", str(policy))
    assert proc.returncode == 2 and "too large" in proc.stderr


def test_model_at_a_fifo_is_said_honestly(user_tmp, folder):
    card = user_tmp / "m.json"
    os.mkfifo(card)
    proc = scan_as_user(user_tmp, str(folder), "--out", str(user_tmp / "r.csv"), "--model", str(card), timeout=20)
    assert proc.returncode == 3 and "named pipe" in proc.stderr and "not found" not in proc.stderr
    # a readable card whose weights are a FIFO
    mdir = user_tmp / "models"
    mdir.mkdir()
    shutil.copy(MODELS / "paper_cnn.json", mdir / "paper_cnn.json")
    os.mkfifo(mdir / "paper_cnn.onnx")
    proc = scan_as_user(user_tmp, str(folder), "--out", str(user_tmp / "r.csv"), "--model",
                        str(mdir / "paper_cnn.json"), timeout=20)
    assert proc.returncode == 3 and "model file" in proc.stderr and "named pipe" in proc.stderr, proc.stderr


def test_previous_outputs_are_recognised_by_content(tmp_path, fullsize_images):
    from cases.rows import output_columns
    from cases.scan import is_previous_output
    from tests.csv_contract import CODES

    header = ",".join(output_columns(CODES)).encode() + b"\n"
    assert is_previous_output(header, header)
    assert is_previous_output(b'{"path": "/a.jpg", "status": "ok", "top_class": "nv", "priority": "routine", '
                              b'"model": "triage_cnn"}\n', b"")
    jpeg = fullsize_images[0].read_bytes()
    assert not is_previous_output(jpeg[:65536], jpeg[-65536:])
    assert not is_previous_output(b"year,amount\n2026,12\n", b"")
    assert not is_previous_output(b"PAR1" + b"\0" * 100, b"\0" * 100 + b"PAR1")  # Parquet, not ours
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from cases.resume import parquet_table

    out = tmp_path / "r.parquet"
    pq.write_table(parquet_table([], output_columns(CODES)), out)
    data = out.read_bytes()
    assert is_previous_output(data[:65536], data[-65536:])
