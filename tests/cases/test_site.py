"""Issue 21 without Qt: exact intervals, the site fit on scores with a known answer, outcomes in the store and
their import, the clinic's report, and `dermtriage site fit | report | reset` with the policy everywhere."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from cases.outcomes import CaseKey, Outcome, plan_import
from cases.policy import TriagePolicy, adopt_site_policy, read_store_override, set_policy
from cases.site import (
    CSV_TOLERANCE,
    Scored,
    clopper_pearson,
    coverage_interval,
    fit_site_thresholds,
    melanomas_needed,
    order_statistic_rank,
    performance,
    referral_curve,
)
from cases.site_report import inflow, store_report
from cases.store import Store
from inference.card import ModelCard, card_path_for
from inference.result import Result
from inference.vocab import Status

ROOT = Path(__file__).resolve().parents[2]
CARD = ModelCard.load(card_path_for("triage_cnn"))
CODES = CARD.codes


@pytest.mark.parametrize(("k", "n"), [(0, 5), (1, 20), (19, 20), (20, 20), (37, 40), (300, 1000), (7, 7),
                                      (4321, 10000)])
def test_clopper_pearson_matches_scipy(k: int, n: int) -> None:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    lo, hi = clopper_pearson(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-7) and hi == pytest.approx(ci.high, abs=1e-7)


def test_coverage_interval_is_the_beta_quantiles() -> None:
    from scipy.stats import beta

    lo, hi = coverage_interval(40, 2, confidence=0.80)
    assert lo == pytest.approx(beta.ppf(0.10, 39, 2), abs=1e-6) and hi == pytest.approx(beta.ppf(0.90, 39, 2), abs=1e-6)


def test_order_statistic_needs_enough_melanomas() -> None:
    assert melanomas_needed(0.95) == 19 and melanomas_needed(0.90) == 9
    assert order_statistic_rank(18, 0.95) == 0 and order_statistic_rank(19, 0.95) == 1
    assert order_statistic_rank(39, 0.95) == 2 and order_statistic_rank(120, 0.90) == 12


def _cases(mel: list[float], benign: list[float], cancer: list[float] = ()) -> list[Scored]:
    return ([Scored(s / 2, s, "mel") for s in mel] + [Scored(s / 4, s, "nv") for s in benign]
            + [Scored(0.01, s, "bcc") for s in cancer])


def test_fit_takes_the_known_order_statistic() -> None:
    mel = [0.05 + 0.01 * i for i in range(39)]  # 0.05 .. 0.43, shuffled below
    rng = np.random.default_rng(0)
    rng.shuffle(mel)
    benign = list(rng.uniform(0.0, 0.3, 200))
    p = fit_site_thresholds(_cases(mel, benign), CARD.thresholds, target=0.95)
    assert p.supported and p.rank == 2  # (39 + 1) * 5% = 2: the 2nd lowest melanoma, 0.06
    assert p.soon == pytest.approx(0.06 - CSV_TOLERANCE)
    assert p.urgent >= p.soon and p.n_melanoma == 39 and p.n_benign == 200
    assert p.after.melanoma.k == 38  # only the lowest melanoma falls below
    assert "2nd lowest" in "\n".join(p.lines()) and "39 confirmed melanoma" in p.summary()


def test_fit_keeps_the_card_when_melanomas_cannot_support_the_target() -> None:
    p = fit_site_thresholds(_cases([0.5] * 18, [0.1] * 100), CARD.thresholds, target=0.95)
    assert not p.supported and not p.changes
    assert (p.urgent, p.soon) == (CARD.thresholds.urgent, CARD.thresholds.soon)
    assert "at least 19 are needed" in "\n".join(p.lines())


def test_fit_refers_the_target_share_of_new_melanomas_on_average() -> None:
    """The conformal guarantee, checked by simulation: a threshold fitted on n melanomas refers >= target of
    new melanomas from the same device on average (and would fail with the naive quantile)."""
    rng = np.random.default_rng(1)
    got = []
    for _ in range(400):
        mel = rng.beta(2, 3, 25)
        p = fit_site_thresholds(_cases(list(mel), list(rng.beta(1, 6, 50))), CARD.thresholds, target=0.95)
        got.append(np.mean(rng.beta(2, 3, 4000) >= p.soon))
    assert np.mean(got) >= 0.95 - 0.005
    assert np.mean(got) < 0.975  # ... and it is not simply referring everyone


def test_performance_counts_refused_apart_and_says_when_too_few() -> None:
    thr = CARD.thresholds
    cases = _cases([0.9, 0.8, 0.01], [0.5, 0.01, 0.02]) + [Scored(None, None, "mel")]
    perf = performance(cases, thr)
    assert (perf.melanoma.k, perf.melanoma.n) == (2, 3) and (perf.benign.k, perf.benign.n) == (1, 3)
    text = "\n".join(perf.lines())
    assert "could not be assessed" in text and "too few to conclude" in text
    assert perf.melanoma.low == pytest.approx(binomtest(2, 3).proportion_ci(method="exact").low, abs=1e-7)


def test_referral_curve_runs_from_nobody_to_everybody() -> None:
    xs, ys = referral_curve([0.9, 0.8, 0.3, 0.1], ["mel", "benign", "mel", "benign"])
    assert (xs[0], ys[0]) == (0.0, 0.0) and (xs[-1], ys[-1]) == (1.0, 1.0)
    assert all(a <= b for a, b in zip(xs, xs[1:], strict=False)) and ys[1] == 0.5


def test_inflow_notice_when_referred_far_more_than_validation() -> None:
    vs = CARD.doc.thresholds.validation_scores
    val_mel, val_mal = np.array(vs.p_mel), np.array(vs.p_malignant)
    high = inflow("this clinic", [0.05] * 100, [0.5] * 100, CARD.thresholds, val_mel, val_mal)
    assert "far more" in high.notice and "different dermatoscope" in high.notice and "record confirmed" in high.notice
    pick = np.random.default_rng(0).choice(len(val_mal), 400, replace=False)  # validation's own mix
    same = inflow("this clinic", list(val_mel[pick]), list(val_mal[pick]), CARD.thresholds, val_mel, val_mal)
    assert same.notice == ""


# ---- outcomes in the store and their import ----------------------------------------------------------
def _store_with_cases(tmp_path: Path, n: int = 3) -> tuple[Store, list[int]]:
    store = Store(tmp_path / "db.sqlite3")
    ids = []
    for i in range(n):
        res = Result(f"/clinic/p{i}/img{i}.jpg", Status.OK, probabilities={c: 1 / 7 for c in CODES},
                     malignant_score=3 / 7, model_name=CARD.name, model_version=CARD.version, sha256=f"{i:064x}")
        ids.append(store.ingest(res, patient_id=f"P{i}").record.id)
    return store, ids


def test_outcomes_are_audited_and_purged_with_the_case(tmp_path: Path) -> None:
    store, ids = _store_with_cases(tmp_path)
    assert store.set_outcomes({ids[0]: ("mel", "histopathology", "2026-11-30", "excised")}) == 1
    assert store.set_outcomes({ids[0]: ("nv", "histopathology", "2026-12-01", "")}, how="corrected") == 1
    assert store.outcomes()[ids[0]][0] == "nv"
    log = [e for e in store.audit_log(ids[0]) if e[3] == "outcome recorded"]
    assert len(log) == 2 and "none -> mel" in log[0][4] and "mel (histopathology, 2026-11-30) -> nv" in log[1][4]
    assert store.verify_audit() == []
    store.purge_cases([ids[0]])
    assert ids[0] not in store.outcomes()


def test_import_lists_every_problem_and_imports_nothing(tmp_path: Path) -> None:
    store, ids = _store_with_cases(tmp_path)
    keys = [CaseKey(r.id, r.sha256, r.path, r.patient_id, r.file_name) for r in store.load_cases()]
    existing = {ids[2]: Outcome("bcc")}
    rows = [{"sha256": f"{0:064x}", "diagnosis": "MEL", "source": "histology"},
            {"path": "/clinic/p1/img1.jpg", "diagnosis": "melanomaish"},
            {"path": "/nowhere.jpg", "diagnosis": "nv"},
            {"case_id": "p0", "file": "img0.jpg", "diagnosis": "nv"},
            {"case_id": "P2", "file": "IMG2.jpg", "diagnosis": "nv"}]
    plan = plan_import(rows, keys, existing, CODES)
    assert not plan.ok
    assert len(plan.unknown) == 1 and len(plan.unmatched) == 1 and len(plan.duplicates) == 1
    assert len(plan.conflicts) == 1 and "already has bcc" in plan.conflicts[0]
    clean = plan_import([rows[0], {"case_id": "P1", "file_name": "img1.jpg", "diagnosis": "benign"}], keys,
                        existing, CODES)
    assert clean.ok and clean.matches[ids[0]].diagnosis == "mel" and clean.matches[ids[0]].source == "histopathology"
    assert clean.matched_by == {"sha256": 1, "case ID + file name": 1}


def test_no_outcomes_means_todays_priorities(tmp_path: Path) -> None:
    store, _ = _store_with_cases(tmp_path)
    policy = TriagePolicy.from_store(store, [CARD])
    assert policy.thresholds(CARD.name, CARD.version) is CARD.thresholds
    (rep,) = store_report(store, [CARD])
    assert rep.proposal is None and rep.n_outcomes == 0 and rep.policy_origin == "model card"
    assert "no confirmed cases yet" in "\n".join(rep.lines())


def test_adopted_site_policy_is_audited_and_reversible(tmp_path: Path) -> None:
    store, _ = _store_with_cases(tmp_path)
    proposal = fit_site_thresholds(_cases([0.2 + 0.01 * i for i in range(20)], [0.1] * 60), CARD.thresholds)
    assert proposal.supported and adopt_site_policy(store, CARD, proposal)
    assert store.policy_overrides()[(CARD.name, CARD.version)] == pytest.approx((proposal.urgent, proposal.soon))
    entry = [e for e in store.audit_log() if e[3] == "site policy adopted"][-1]
    assert "20 confirmed melanoma" in entry[4] and "conformal" in entry[4] and entry[1]
    hist = store.policy_history(CARD.name, CARD.version)
    assert hist[0]["method"] and '"n_melanoma": 20' in hist[0]["evidence"]
    assert set_policy(store, CARD, None) and (CARD.name, CARD.version) not in store.policy_overrides()
    unsupported = fit_site_thresholds(_cases([0.2] * 5, [0.1] * 60), CARD.thresholds)
    assert not adopt_site_policy(store, CARD, unsupported)
    assert (CARD.name, CARD.version) not in store.policy_overrides()


# ---- the command line ---------------------------------------------------------------------------------
def _write_results(path: Path, rows: list[tuple[str, str, float, float]]) -> None:
    """A `dermtriage scan` CSV: (path, sha256, p_mel, p_bcc) per image, the rest of the mass on nv."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "status", "top_class", "priority", *[f"p_{c}" for c in CODES], "model",
                    "model_version", "policy", "sha256"])
        for p, sha, mel, bcc in rows:
            probs = {c: 0.0 for c in CODES} | {"mel": mel, "bcc": bcc, "nv": 1 - mel - bcc}
            w.writerow([p, "ok", "nv", "routine", *[f"{probs[c]:.6f}" for c in CODES], CARD.name, CARD.version,
                        "x", sha])


def _site(args: list[str], data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DERMTRIAGE_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)


def test_site_fit_adopt_scan_and_reset(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows, outcomes = [], []
    for i in range(40):
        mel = 0.3 + 0.6 * rng.random() if i < 20 else 0.2 * rng.random()
        rows.append((f"/clinic/{i}.jpg", f"{i:064x}", mel, 0.02))
        outcomes.append({"sha256": f"{i:064x}", "diagnosis": "mel" if i < 20 else "nv", "extra": "ignored"})
    _write_results(tmp_path / "A.csv", rows)
    with (tmp_path / "out.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["sha256", "diagnosis", "extra"])
        w.writeheader()
        w.writerows(outcomes)
    data = tmp_path / "data"
    dry = _site(["site", "fit", str(tmp_path / "A.csv"), str(tmp_path / "out.csv")], data)
    assert dry.returncode == 0, dry.stderr
    assert "20 confirmed melanoma" in dry.stdout and "Nothing changed" in dry.stderr
    assert not (data / "dermtriage.sqlite3").exists()
    lowest = min(r[2] + r[3] for r in rows[:20])
    adopt = _site(["site", "fit", str(tmp_path / "A.csv"), str(tmp_path / "out.csv"), "--adopt"], data)
    assert adopt.returncode == 0 and "Adopted" in adopt.stderr
    urgent, soon = read_store_override(data / "dermtriage.sqlite3", CARD)
    assert soon == pytest.approx(lowest - CSV_TOLERANCE, abs=2e-6)
    scan = _site(["scan", str(ROOT / "assets" / "samples"), "--out", str(tmp_path / "B.csv"), "--quiet"], data)
    assert scan.returncode == 0 and "clinic setting" in scan.stderr
    with (tmp_path / "B.csv").open() as fh:
        got = list(csv.DictReader(fh))
    assert got and all(f"soon>={soon:.4f}" in r["policy"] for r in got)
    for r in got:  # the same thresholds decide every row's priority
        mal = sum(float(r[f"p_{c}"]) for c in CARD.malignant) if r["status"] == "ok" else None
        if mal is not None and float(r["p_mel"]) < urgent:
            assert (r["priority"] == "soon") == (mal >= soon)
    reset = _site(["site", "reset"], data)
    assert reset.returncode == 0 and read_store_override(data / "dermtriage.sqlite3", CARD) is None


def test_site_fit_refuses_bad_input_with_scan_exit_codes(tmp_path: Path) -> None:
    _write_results(tmp_path / "A.csv", [("/a.jpg", "a" * 64, 0.5, 0.0)])
    (tmp_path / "bad.csv").write_text("sha256,diagnosis\n" + "a" * 64 + ",cancerous\n")
    bad = _site(["site", "fit", str(tmp_path / "A.csv"), str(tmp_path / "bad.csv")], tmp_path / "d")
    assert bad.returncode == 2 and "cancerous" in bad.stderr
    missing = _site(["site", "fit", str(tmp_path / "A.csv"), str(tmp_path / "none.csv")], tmp_path / "d")
    assert missing.returncode == 2
    other = (tmp_path / "A.csv").read_text().replace(f",{CARD.version},", ",0.0.1,")
    (tmp_path / "other.csv").write_text(other)
    (tmp_path / "ok.csv").write_text("sha256,diagnosis\n" + "a" * 64 + ",mel\n")
    wrong_model = _site(["site", "fit", str(tmp_path / "other.csv"), str(tmp_path / "ok.csv")], tmp_path / "d")
    assert wrong_model.returncode == 3 and "not a shipped model" in wrong_model.stderr
    few = _site(["site", "fit", str(tmp_path / "A.csv"), str(tmp_path / "ok.csv"), "--adopt"], tmp_path / "d")
    assert few.returncode == 0 and "Not adopted" in few.stderr and "at least 19" in few.stdout


def test_site_report_reads_the_store_read_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store, ids = _store_with_cases(data, n=3)
    store.close()
    (data / "db.sqlite3").rename(data / "dermtriage.sqlite3")
    for suffix in ("-wal", "-shm"):
        (data / f"db.sqlite3{suffix}").unlink(missing_ok=True)
    store = Store(data / "dermtriage.sqlite3")
    store.set_outcomes({ids[0]: ("mel", "histopathology", "", ""), ids[1]: ("nv", "clinical follow-up", "", "")})
    store.close()
    before = (data / "dermtriage.sqlite3").read_bytes()
    rep = _site(["site", "report", "--json"], data)
    assert rep.returncode == 0, rep.stderr
    import json

    (got,) = json.loads(rep.stdout)
    assert got["model"] == CARD.name and got["n_cases"] == 3 and got["n_outcomes"] == 2
    assert got["performance"]["melanomas_referred"]["n"] == 1 and got["proposal"]["supported"] is False
    text = _site(["site", "report"], data)
    assert "Only 1 confirmed melanoma" in text.stdout and "95% CI" in text.stdout
    assert (data / "dermtriage.sqlite3").read_bytes() == before
    assert _site(["site", "report"], tmp_path / "empty").returncode == 2


def test_exif_device_is_read_and_the_inflow_compared_per_device(tmp_path: Path) -> None:
    from PIL import Image

    from cases.site_report import build_report
    from inference.image import decode_file

    src = sorted((ROOT / "assets" / "samples").glob("*.jpg"))[0]
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DermLite", "DermLite DL4"
    Image.open(src).save(tmp_path / "dl4.jpg", exif=exif.tobytes())
    Image.open(src).save(tmp_path / "plain.jpg")
    assert decode_file(tmp_path / "dl4.jpg").device == "DermLite DL4"
    assert decode_file(tmp_path / "plain.jpg").device == ""

    from cases.records import CaseRecord

    def rec(i: int, device: str, mal: float) -> CaseRecord:
        probs = {c: 0.0 for c in CODES} | {"mel": mal / 2, "bcc": mal / 2, "nv": 1 - mal}
        res = Result(f"/clinic/folder{i % 2}/{i}.jpg", Status.OK, probabilities=probs, malignant_score=mal,
                     model_name=CARD.name, model_version=CARD.version, device=device)
        return CaseRecord(i, "", res.path, None, "", res)

    records = [rec(i, "DermLite DL4", 0.6) for i in range(40)] + [rec(100 + i, "", 0.01) for i in range(60)]
    (rep,) = build_report(records, {}, [CARD], TriagePolicy([CARD], {}))
    labels = {g.label: g for g in rep.folders}
    assert set(labels) == {"device DermLite DL4", "folder /clinic/folder0", "folder /clinic/folder1"}
    assert "far more" in labels["device DermLite DL4"].notice and labels["folder /clinic/folder0"].rate.k == 0
    assert any("device DermLite DL4" in n for n in rep.notices)
