"""`main.py scan` over issue 12's fault corpus, and `--out` that cannot be written: exit codes and rows.

Every subprocess has a timeout, so a hang fails the test instead of freezing the suite.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import sys
from pathlib import Path

import pytest

from tests.bad_images import fault_corpus
from tests.cases.test_scan_cli import scan
from tests.conftest import copy_images

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and byte names are POSIX")


def _by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["path"].rsplit("/", 1)[-1]: r for r in rows}


def test_scan_fault_corpus_exit_0_a_row_each(tmp_path, fullsize_images):
    folder = tmp_path / "in"
    expected = fault_corpus(folder, fullsize_images[0])
    expected.pop("dir.jpg")  # a folder named like an image is a folder: walked (empty), not a row
    out = tmp_path / "out.csv"
    proc = scan(str(folder), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as fh:  # valid UTF-8 whatever the names
        rows = _by_name(list(csv.DictReader(fh)))
    shown = {name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"): needle
             for name, needle in expected.items()}
    assert set(rows) == set(shown), proc.stderr
    for name, needle in shown.items():
        row = rows[name]
        if needle:
            assert row["status"] == "error" and needle in row["message"], (name, row)
        else:
            assert row["status"] in ("ok", "rejected"), (name, row)
    assert rows["latin1_\\xe9t\\xe9.jpg"]["status"] == rows["good.jpg"]["status"]
    assert rows["latin1_\\xe9t\\xe9.jpg"]["p_mel"] == rows["good.jpg"]["p_mel"]  # the same file, analysed

    jout = tmp_path / "out.jsonl"
    proc = scan(str(folder), "--out", str(jout), "--quiet", "--json")
    assert proc.returncode == 0, proc.stderr
    jrows = _by_name([json.loads(line) for line in jout.read_text(encoding="utf-8").splitlines()])
    assert set(jrows) == set(shown)


def test_out_is_checked_before_scanning(tmp_path, fullsize_images):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(fullsize_images[0].read_bytes())
    proc = scan(str(folder), "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 2 and "is a folder" in proc.stderr and "Traceback" not in proc.stderr
    proc = scan(str(folder), "--out", str(tmp_path / "missing" / "r.csv"), "--quiet")
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = scan(str(folder), "--out", str(tmp_path / "r.csv"), "--model", str(tmp_path / "nope.json"))
    assert proc.returncode == 3 and not list(tmp_path.glob(".r.csv.*")) and not (tmp_path / "r.csv").exists()
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        proc = scan(str(folder), "--out", str(ro / "r.csv"), "--quiet")
        assert proc.returncode == 2 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr


def test_full_disk_leaves_no_half_file(tmp_path, fullsize_images, monkeypatch, capsys):
    """ENOSPC in the middle of the output (mocked): exit 4, a clear message, no partial file, old file kept."""
    from cases import scan as scan_mod

    folder = copy_images(fullsize_images[:3], tmp_path / "in")
    out = tmp_path / "r.csv"
    previous = "path,status,top_class,priority,message\n"  # a previous output of ours (else --out is refused)
    out.write_text(previous)
    real_init = scan_mod.AtomicOutput.__init__

    def init(self, path: Path) -> None:
        real_init(self, path)
        real_write, count = self.file.write, [0]

        def write(text: str) -> int:
            count[0] += 1
            if count[0] > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_write(text)

        self.file.write = write

    monkeypatch.setattr(scan_mod.AtomicOutput, "__init__", init)
    monkeypatch.setenv("DERMTRIAGE_DATA_DIR", str(tmp_path / "appdata"))
    rc = scan_mod.run_scan([str(folder), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 4 and "No space left on device" in err and "nothing was written" in err
    assert out.read_text() == previous
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_unreadable_subfolders_are_counted(tmp_path, monkeypatch):
    from cases import job

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jpg").write_bytes(b"x")
    real_walk = os.walk

    def walk(top, onerror=None, **kw):  # noqa: ANN001, ANN202
        onerror(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "locked")))
        yield from real_walk(top, onerror=onerror, **kw)

    monkeypatch.setattr(job.os, "walk", walk)
    unreadable: list[str] = []
    items, skipped = job.collect_images([tmp_path], unreadable=unreadable)
    assert len(items) == 1 and unreadable == [str(tmp_path / "locked")]
