"""Issue 15: a scan killed mid-way and restarted with the same --out gives the uninterrupted scan's CSV; the
journal beside --out keeps every finished row and refuses to mix model or policy versions."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cases.resume import Journal
from cases.rows import EXTRA_COLUMNS, Manifest
from tests.conftest import FULLSIZE, ROOT, copy_images
from tests.csv_contract import CSV_COLUMNS, ok_rows

TIMINGS = ("decode_ms", "preprocess_ms", "inference_ms")  # measured, so never equal between two runs


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def assert_same_rows(a: list[dict[str, str]], b: list[dict[str, str]], tol: float = 1e-5) -> None:
    """The same rows in the same order: every column equal but the timings; probabilities within `tol`."""
    assert [r["path"] for r in a] == [r["path"] for r in b]
    for x, y in zip(a, b, strict=True):
        assert list(x) == list(y)
        for k in x:
            if k in TIMINGS:
                continue
            if k.startswith("p_") and x[k] and y[k]:
                assert abs(float(x[k]) - float(y[k])) <= tol, (x["path"], k, x[k], y[k])
            else:
                assert x[k] == y[k], (x["path"], k, x[k], y[k])


def scan_cmd(src: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "main.py"), "scan", str(src), "--out", str(out), "--quiet", *extra]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {**os.environ, "DERMTRIAGE_DATA_DIR": str(tmp_path / "appdata")}


def test_killed_and_resumed_scan_equals_uninterrupted(tmp_path, env, fullsize_images):
    whole = tmp_path / "whole.csv"
    proc = subprocess.run(scan_cmd(FULLSIZE, whole), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    expected = read_rows(whole)
    assert len(expected) == 105 and list(expected[0])[: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert list(expected[0])[len(CSV_COLUMNS):] == EXTRA_COLUMNS
    assert not (tmp_path / ".whole.csv.scan").exists()  # the journal goes once the output is written

    out = tmp_path / "resumed.csv"
    journal = Journal(out)
    # small batches and one thread: rows reach the journal one batch at a time, so the kill lands mid-way
    cmd = scan_cmd(FULLSIZE, out, "--batch-size", "4", "--threads", "1")
    victim = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and victim.poll() is None:
            if journal.rows_path.exists() and journal.rows_path.read_bytes().count(b"\n") >= 4:
                break
            time.sleep(0.02)
        assert victim.poll() is None, "the scan finished before it could be killed"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert not out.exists()  # nothing half-written where the user asked for results
    finished = [json.loads(line) for line in journal.rows_path.read_text().splitlines() if line.endswith("}")]
    assert 4 <= len(finished) < 105

    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stderr and "kept from the interrupted run" in proc.stderr
    resumed = read_rows(out)
    assert_same_rows(resumed, expected)
    by_path = {r["path"]: r for r in resumed}
    for rec in finished:  # no finished row was lost or redone: the journalled row is the output's, timings too
        assert by_path[rec["row"]["path"]] == rec["row"]
    ok_rows(resumed, at_least=1)  # ok rows are full probability vectors (how many: the model's business)
    assert not journal.dir.exists()


def test_journal_reuses_rows_by_content_hash(tmp_path, env, fullsize_images):
    """A journalled row stands while the file's content hash is unchanged; a changed file is analysed again."""
    src = copy_images(fullsize_images[:4], tmp_path / "in")
    out = tmp_path / "r.csv"
    assert subprocess.run(scan_cmd(src, out), env=env, timeout=120).returncode == 0
    first = read_rows(out)
    from inference.session import Model

    journal = Journal(out)
    journal.open(Manifest.for_model(Model.load(first[0]["model"])))
    marked = [dict(r, decode_ms="-1.000") for r in first]  # a value the engine never writes
    changed = src / fullsize_images[3].name
    changed.write_bytes(fullsize_images[4].read_bytes())  # another image under the same name
    for r in marked:
        journal.append(r["path"], r)
    journal.close()
    proc = subprocess.run(scan_cmd(src, out), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = {r["path"]: r for r in read_rows(out)}
    assert [rows[r["path"]]["decode_ms"] for r in first[:3]] == ["-1.000"] * 3
    assert rows[str(changed)]["decode_ms"] != "-1.000" and rows[str(changed)]["sha256"] != first[3]["sha256"]
    assert "3 kept" in proc.stderr


def test_resume_refuses_another_model_or_policy(tmp_path, env, fullsize_images):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jpg").write_bytes(fullsize_images[0].read_bytes())
    out = tmp_path / "r.csv"
    from inference.session import Model

    m = Manifest.for_model(Model.load("triage_cnn"))
    old = Manifest(m.model, "0.0.1-old", m.onnx_sha256, m.gate_sha256, "malignant_sum urgent>=0.9000 soon>=0.1000",
                   m.columns)
    journal = Journal(out)
    journal.open(old)
    journal.append(str(src / "a.jpg"), {"path": "x"})
    journal.close()
    proc = subprocess.run(scan_cmd(src, out, "--model", "triage_cnn"), env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "never mixed" in proc.stderr and "0.0.1-old" in proc.stderr, proc.stderr
    assert "triage policy" in proc.stderr and "Traceback" not in proc.stderr and not out.exists()
    assert journal.dir.exists()  # the other run's rows are not thrown away silently
    proc = subprocess.run(scan_cmd(src, out, "--model", "triage_cnn", "--restart"), env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(read_rows(out)) == 1 and not journal.dir.exists()


def test_parquet_has_the_csv_columns(tmp_path, env, fullsize_images):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet output needs the cluster extra (pyarrow)")
    src = copy_images(fullsize_images[:3], tmp_path / "in")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    csv_out, pq_out = tmp_path / "r.csv", tmp_path / "r.parquet"
    for out in (csv_out, pq_out):
        proc = subprocess.run(scan_cmd(src, out), env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    rows = read_rows(csv_out)
    table = pq.read_table(pq_out).to_pylist()
    assert list(table[0]) == list(rows[0])
    for r, t in zip(rows, table, strict=True):
        assert t["path"] == r["path"] and t["status"] == r["status"] and t["policy"] == r["policy"]
        for k in r:
            if k.startswith("p_"):
                assert (t[k] is None) == (r[k] == "") and (t[k] is None or abs(t[k] - float(r[k])) < 1e-5)
    assert [t["status"] for t in table].count("error") == 1


def test_ray_engine_without_ray_says_what_to_install(tmp_path, monkeypatch, capsys):
    """Ray is optional: without it `--engine ray` stops before the scan with the extra to install."""
    from cases.scan import run_scan

    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "appdata"))
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    (tmp_path / "in").mkdir()
    out = tmp_path / "r.csv"
    assert run_scan([str(tmp_path / "in"), "--out", str(out), "--engine", "ray", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'dermtriage[cluster]'" in err and "Traceback" not in err
    assert not out.exists() and not Journal(out).dir.exists() and not list(tmp_path.glob(".r.csv.*"))
