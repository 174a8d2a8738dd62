"""`main.py scan` as a user runs it: a real process, a folder of real and broken images."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from inference.card import DEFAULT_MODEL
from tests.conftest import ROOT
from tests.csv_contract import CSV_COLUMNS, ok_rows


def scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "scan", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


@pytest.fixture
def folder(tmp_path, fullsize_images):
    d = tmp_path / "patient 7"
    (d / "sub").mkdir(parents=True)
    for p in fullsize_images[:6]:
        shutil.copy(p, d / p.name)
    shutil.copy(fullsize_images[6], d / "sub" / fullsize_images[6].name)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    (d / "notes.txt").write_text("not an image, and not listed")
    return d


def test_scan_csv(folder, tmp_path):
    out = tmp_path / "results.csv"
    proc = scan(str(folder), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames[: len(CSV_COLUMNS)] == CSV_COLUMNS
        rows = list(reader)
    assert len(rows) == 8  # 6 images + broken.jpg + sub/'s image (sub-folders are read, as in the window)
    by_name = {r["path"].rsplit("/", 1)[-1]: r for r in rows}
    assert by_name["broken.jpg"]["status"] == "error" and by_name["broken.jpg"]["message"]
    assert by_name["broken.jpg"]["p_mel"] == ""
    for r in ok_rows(rows, at_least=5):
        assert float(r["inference_ms"]) > 0
    assert "scanned 8 images" in proc.stderr
    assert "1 non-image file(s) skipped (notes.txt)" in proc.stderr  # the summary names what was left out


def test_scan_no_recursive_names_the_sub_folders_it_left_out(folder, tmp_path):
    out = tmp_path / "results.csv"
    proc = scan(str(folder), "--out", str(out), "--quiet", "--no-recursive")
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 7  # sub/ left out, on request
    assert "scanned 7 images" in proc.stderr
    assert "1 sub-folder(s) not read because of --no-recursive (sub)" in proc.stderr


def test_scan_reads_a_clinic_of_patient_folders_like_the_window(tmp_path, fullsize_images):
    """Issue 22: `scan CLINIC` read 9 loose files and silently skipped 43 patient folders the window read."""
    clinic = tmp_path / "clinic"
    (clinic / "P001" / "visit2").mkdir(parents=True)
    (clinic / "P002").mkdir()
    layout = {clinic: fullsize_images[:2], clinic / "P001": fullsize_images[2:4],
              clinic / "P001" / "visit2": fullsize_images[4:5], clinic / "P002": fullsize_images[5:8]}
    expected = set()
    for d, files in layout.items():
        for f in files:
            shutil.copy(f, d / f.name)
            expected.add(str((d / f.name).resolve()))
    from cases.job import collect_images

    window_items, _ = collect_images([clinic])  # what a drop of the folder onto the window lists
    assert {i.path for i in window_items} == expected
    out = tmp_path / "clinic.csv"
    proc = scan(str(clinic), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {str(type(clinic)(r["path"]).resolve()) for r in rows} == expected  # a row for every image
    assert [r["path"] for r in rows] == [i.path for i in window_items]  # in the window's order
    # --recursive is still accepted (it is the default now).
    proc = scan(str(clinic), "--out", str(out), "--quiet", "--recursive")
    assert proc.returncode == 0 and "scanned 8 images" in proc.stderr, proc.stderr


def test_scan_recursive_json(folder, tmp_path):
    out = tmp_path / "results.jsonl"
    proc = scan(str(folder), "--out", str(out), "--recursive", "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 8
    assert all(r["model"] == DEFAULT_MODEL for r in rows)
    assert list(rows[0])[: len(CSV_COLUMNS)] == CSV_COLUMNS


def test_scan_unusable_folder_or_model(tmp_path, folder):
    proc = scan(str(tmp_path / "nope"), "--out", str(tmp_path / "r.csv"))
    assert proc.returncode != 0 and "not a folder" in proc.stderr
    proc = scan(str(folder), "--out", str(tmp_path / "r.csv"), "--model", str(tmp_path / "missing.json"))
    assert proc.returncode != 0 and "model unusable" in proc.stderr
