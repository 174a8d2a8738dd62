"""The one folder walker (window and `scan` command) and the scan job, without Qt."""

from __future__ import annotations

import shutil
from pathlib import Path

from cases.job import ScanItem, ScanJob, collect_images, default_patient_id
from cases.store import Store
from tests.conftest import copy_images


def _tree(root: Path, images: list[Path]) -> Path:
    (root / "P1" / "visit2").mkdir(parents=True)
    (root / ".cache").mkdir()
    shutil.copy(images[0], root / "P1" / "a.jpg")
    shutil.copy(images[1], root / "P1" / "visit2" / "b.jpg")
    shutil.copy(images[2], root / ".cache" / "hidden_dir.jpg")
    shutil.copy(images[3], root / "P1" / ".hidden.jpg")
    (root / "P1" / "notes.txt").write_text("not an image")
    (root / "P1" / ".DS_Store").write_bytes(b"\0")
    return root


def test_walker_recursive_skips_hidden_and_counts_non_images(tmp_path, fullsize_images) -> None:  # noqa: ANN001
    root = _tree(tmp_path / "clinic", fullsize_images)
    items, skipped = collect_images([root])
    assert [Path(i.path).relative_to(root).as_posix() for i in items] == ["P1/a.jpg", "P1/visit2/b.jpg"]
    assert skipped == 1  # notes.txt; hidden files and folders are ignored silently
    assert items[0].patient_id == "P1" and items[1].patient_id == "P1"  # the patient's folder, not the visit's
    assert all(Path(i.path).is_absolute() for i in items)


def test_walker_flat_and_explicit_files(tmp_path, fullsize_images) -> None:  # noqa: ANN001
    root = _tree(tmp_path / "clinic", fullsize_images)
    items, skipped = collect_images([root / "P1"], recursive=False)
    assert [Path(i.path).name for i in items] == ["a.jpg"] and skipped == 1
    # A file given twice (directly and through its folder) is queued once.
    items, _ = collect_images([root / "P1" / "a.jpg", root / "P1"], recursive=False)
    assert [Path(i.path).name for i in items] == ["a.jpg"]
    assert default_patient_id(root / "P7" / "x.jpg", root) == "P7"
    # Images straight in the scanned folder (or given one by one) have no case ID until the user sets one.
    assert default_patient_id(root / "x.jpg", root) == "" and default_patient_id(root / "x.jpg") == ""
    assert [i.patient_id for i in collect_images([root / "P1"], recursive=False)[0]] == [""]


class _Listener:
    def __init__(self) -> None:
        self.listed: tuple[int, int] | None = None
        self.records: list = []
        self.progress: list[tuple[int, int]] = []

    def on_listed(self, total: int, skipped: int) -> None:
        self.listed = (total, skipped)

    def on_burst(self, records, done: int, total: int) -> None:  # noqa: ANN001
        self.records += records
        self.progress.append((done, total))


def test_job_stores_every_image_and_reports_in_bursts(tmp_path, fullsize_images, model) -> None:  # noqa: ANN001
    folder = copy_images(fullsize_images[:4], tmp_path / "P9")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 20)
    (folder / "readme.txt").write_text("x")
    db = tmp_path / "cases.sqlite3"
    listener = _Listener()
    summary = ScanJob(model, [folder]).run_into_store(db, listener)
    assert not summary.fatal
    assert listener.listed == (5, 1)
    assert (summary.total, summary.processed, summary.added, summary.skipped_non_images) == (5, 5, 5, 1)
    assert (summary.ok, summary.error) == (4, 1)
    assert len(listener.records) == 5 and listener.progress[-1] == (5, 5)
    store = Store(db)
    assert sorted(r.file_name for r in store.load_cases()) == sorted([*(p.name for p in fullsize_images[:4]),
                                                                     "broken.jpg"])
    # The same files again: duplicates, nothing re-queued; a re-analysis updates the case in place.
    again = ScanJob(model, [folder]).run_into_store(db, _Listener())
    assert (again.duplicates, again.added) == (4, 0)
    case = next(r for r in store.load_cases() if r.result.ok)
    redo = ScanJob(model, items=[ScanItem(case.path, case.patient_id, case_id=case.id)]).run_into_store(db, _Listener())
    assert (redo.updated, redo.added) == (1, 0) and store.result_count(case.id) == 2
    store.close()
