"""Keeping work: a restart of the window restores the queue and the clinician's edits from SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.store import DB_NAME
from tests.gui.helpers import full_images, patient_folders, run_scan


def test_restart_restores_the_queue_and_the_clinicians_edits(qtbot, make_window, tmp_path: Path,
                                                              isolated_env: Path) -> None:  # noqa: ANN001
    first = make_window()
    folder = patient_folders(tmp_path / "clinic", full_images(5), per_patient=5)
    run_scan(qtbot, first, [folder])
    before = {r.id: r for r in first.queue_model.records()}
    cid = next(iter(before))
    first.queue_model.set_review(cid, "reviewed")
    first.queue_model.update_note(cid, "seen by Dr A")
    first.close()
    assert (isolated_env / DB_NAME).is_file()  # in the data folder, not next to the images
    assert sorted(p.name for p in (folder / "P001").iterdir()) == sorted(f.name for f in full_images(5))

    second = make_window()
    after = {r.id: r for r in second.queue_model.records()}
    assert set(after) == set(before)
    assert second.queue.stack.currentWidget() is second.queue.view  # not the empty state
    for i, r in after.items():
        b = before[i]
        assert (r.path, r.sha256, r.result.status, r.result.priority, r.result.top_class) == (
            b.path,
            b.sha256,
            b.result.status,
            b.result.priority,
            b.result.top_class,
        )
        assert r.result.probabilities == pytest.approx(b.result.probabilities)
        assert r.result.model_name == "paper_cnn" or r.result.model_name == second.state.model.name
        assert r.result.model_version == b.result.model_version != ""
    assert (after[cid].review_status, after[cid].note) == ("reviewed", "seen by Dr A")
    # Sorted by priority again after the restart.
    assert second.queue.visible_case_ids() == first.queue.visible_case_ids()
