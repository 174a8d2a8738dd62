"""Issue 23: a disk that fills up during a scan into the store is said in words a user can act on: what was
kept, and that scanning again adds the rest (not "edit again", which was the note editor's advice)."""

from __future__ import annotations

import sqlite3

import pytest

from cases.job import ScanJob
from cases.store import Store, StoreWriteError, describe_write_error
from tests.cases.test_job import _Listener
from tests.conftest import copy_images


def test_full_disk_mid_scan_says_what_was_kept(tmp_path, fullsize_images, model, monkeypatch) -> None:  # noqa: ANN001
    folder = copy_images(fullsize_images[:4], tmp_path / "in")
    real_ingest, calls = Store.ingest, [0]

    def ingest(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls[0] += 1
        if calls[0] > 2:
            raise StoreWriteError(describe_write_error(sqlite3.OperationalError("database or disk is full")))
        return real_ingest(self, *args, **kwargs)

    monkeypatch.setattr(Store, "ingest", ingest)
    summary = ScanJob(model, [folder]).run_into_store(tmp_path / "db.sqlite3", _Listener())
    assert "disk is full" in summary.fatal and "edit again" not in summary.fatal
    assert "2 image(s) saved before it are kept" in summary.fatal and "scan again" in summary.fatal
    assert not summary.fatal.startswith("StoreWriteError")


@pytest.mark.parametrize("text", ["database or disk is full"])
def test_store_words_for_a_full_disk(text: str) -> None:
    assert describe_write_error(sqlite3.OperationalError(text)) == "the disk is full: free some space, then try again"
