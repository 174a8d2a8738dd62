"""Simulated clinics: which way of fitting a site's operating point keeps melanomas referred on images it
was not fitted on, and how many benign lesions it spares (issue 21).

    python -m training.site_scores                       # the shipped model's scores (runs/site_scores.csv)
    python -m training.site_simulation --seed 1 --out docs/site_simulation.json

Each source the model was not trained on plays a clinic (the HAM10000 and pool *test* splits, the pool by
hospital, ISIC 2018 test, Derm7pt). A clinic of a given size confirms `n` melanomas and the same share
of its other lesions (lesion-grouped); a candidate fits thresholds on them; the rest of the clinic's
images measure it. Derm7pt is also split 2-fold (50/50 stratified, both ways). Candidates:

- card: the card's thresholds (what ships today).
- conformal: the k-th lowest P(malignant) of the confirmed melanomas (cases.site, what the app adopts);
  the card's threshold when n cannot support the target.
- benign_transfer: the threshold moved so the clinic's confirmed benign lesions are referred as often as
  validation's (a device shifts every score together).
- label_free: the same quantile transfer through all of the clinic's scores, no labels.
- shrinkage: logit-mean of the site's lowest-melanoma threshold and the card's, weighted n / (n + 20).
- logit_normal: a normal prediction bound on logit(P(malignant)) of the confirmed melanomas (parametric).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np

from cases.site import CSV_TOLERANCE, conformal_soon
from inference.card import ModelCard

MALIGNANT = ("mel", "bcc", "akiec")
SIZES = (5, 10, 20, 40, 80)


def load_scores(path: Path) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, list]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            c = out.setdefault(r["clinic"], {"lesion": [], "dx": [], "ok": [], "p_mel": [], "p_mal": []})
            ok = r["status"] == "ok"
            c["lesion"].append(r["lesion_id"])
            c["dx"].append(r["dx"])
            c["ok"].append(ok)
            c["p_mel"].append(float(r["p_mel"]) if ok else math.nan)
            c["p_mal"].append(float(r["p_malignant"]) if ok else math.nan)
    return {k: {n: np.array(v) for n, v in c.items()} for k, c in out.items()}


def _quantile_transfer(site: np.ndarray, ref: np.ndarray, t_ref: float) -> float:
    """The site threshold that puts the same share of `site` scores above it as `t_ref` does for `ref`."""
    share_below = float(np.mean(ref < t_ref))
    return float(np.quantile(site, share_below)) if len(site) else t_ref


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _logit_normal(mel: np.ndarray, target: float, fallback: float) -> float:
    """A parametric alternative: the one-sided prediction bound of a normal fitted to logit(P(malignant)) of
    the confirmed melanomas, mean - t(n-1, target) * sd * sqrt(1 + 1/n); the card's threshold below 10."""
    from scipy.stats import t as student_t

    if len(mel) < 10:
        return fallback
    z = np.log(np.clip(mel, 1e-6, 1 - 1e-6) / (1 - np.clip(mel, 1e-6, 1 - 1e-6)))
    bound = z.mean() - student_t.ppf(target, len(z) - 1) * z.std(ddof=1) * math.sqrt(1 + 1 / len(z))
    return float(1 / (1 + math.exp(-bound)))


def candidates(fit_mal: np.ndarray, fit_dx: np.ndarray, fit_ok: np.ndarray, card_soon: float,
               val_mal: np.ndarray, val_dx: np.ndarray, target: float) -> dict[str, float]:
    fit_mal, fit_dx = fit_mal[fit_ok], fit_dx[fit_ok]
    conformal, _, _ = conformal_soon([float(s) for s in fit_mal[fit_dx == "mel"]], target)
    conformal = card_soon if conformal is None else conformal
    mel = np.sort(fit_mal[fit_dx == "mel"])
    benign = fit_mal[~np.isin(fit_dx, MALIGNANT)]
    n = len(mel)
    site_min = mel[0] - CSV_TOLERANCE if n else card_soon
    w = n / (n + 20.0)
    shrink = 1 / (1 + math.exp(-(w * _logit(site_min) + (1 - w) * _logit(card_soon))))
    return {
        "card": card_soon,
        "conformal": conformal,
        "benign_transfer": _quantile_transfer(benign, val_mal[~np.isin(val_dx, MALIGNANT)], card_soon),
        "label_free": _quantile_transfer(fit_mal, val_mal, card_soon),
        "shrinkage": shrink,
        "logit_normal": _logit_normal(mel, target, card_soon),
    }


def measure(t: float, mal: np.ndarray, dx: np.ndarray, ok: np.ndarray) -> tuple[float, ...]:
    """(melanomas, benign, nevi) referred among the assessed images (as the app reports them), then
    melanomas referred counting a refused image as missed."""
    ref = np.nan_to_num(mal, nan=-1.0) >= t
    mel, ben, nv = (dx == "mel") & ok, ~np.isin(dx, MALIGNANT) & ok, (dx == "nv") & ok

    def rate(mask: np.ndarray) -> float:
        return float(ref[mask].mean()) if mask.any() else math.nan

    return rate(mel), rate(ben), rate(nv), rate(dx == "mel")


def split_clinic(c: dict[str, np.ndarray], rng: np.random.Generator, n_mel: int | None,
                 fraction: float | None = None) -> np.ndarray | None:
    """A boolean fit mask, lesion-grouped: `n_mel` melanoma lesions (or `fraction` of them) and the same
    share of the other lesions."""
    lesions = np.unique(c["lesion"])
    mel_lesions = np.unique(c["lesion"][c["dx"] == "mel"])
    other_lesions = np.setdiff1d(lesions, mel_lesions)
    if fraction is None:
        if n_mel is None or n_mel > len(mel_lesions) // 2:
            return None
        fraction = n_mel / len(mel_lesions)
        k_mel = n_mel
    else:
        k_mel = int(round(fraction * len(mel_lesions)))
    pick = set(rng.choice(mel_lesions, k_mel, replace=False)) | set(
        rng.choice(other_lesions, int(round(fraction * len(other_lesions))), replace=False))
    return np.isin(c["lesion"], list(pick))


def simulate(clinic: dict[str, np.ndarray], fit_masks: list[np.ndarray], card_soon: float, val_mal: np.ndarray,
             val_dx: np.ndarray, target: float) -> dict[str, dict[str, float]]:
    per: dict[str, list[tuple[float, float, float]]] = {}
    for fit in fit_masks:
        cands = candidates(clinic["p_mal"][fit], clinic["dx"][fit], clinic["ok"][fit], card_soon, val_mal, val_dx,
                           target)
        rest = ~fit
        for name, t in cands.items():
            per.setdefault(name, []).append(measure(t, clinic["p_mal"][rest], clinic["dx"][rest],
                                                    clinic["ok"][rest]))
    out = {}
    for name, vals in per.items():
        a = np.array(vals)
        out[name] = {"melanoma_mean": round(float(np.nanmean(a[:, 0])), 4),
                     "melanoma_p10": round(float(np.nanpercentile(a[:, 0], 10)), 4),
                     "benign_mean": round(float(np.nanmean(a[:, 1])), 4),
                     "benign_p10": round(float(np.nanpercentile(a[:, 1], 10)), 4),
                     "benign_p90": round(float(np.nanpercentile(a[:, 1], 90)), 4),
                     "nevi_mean": round(float(np.nanmean(a[:, 2])), 4) if not np.all(np.isnan(a[:, 2])) else None,
                     "melanoma_refused_as_missed_mean": round(float(np.nanmean(a[:, 3])), 4)}
    return out


def held_back_protocol(c: dict[str, np.ndarray], rng: np.random.Generator, target: float, card_soon: float,
                       trials: int = 50) -> dict[str, float] | None:
    """Issue 21's check on a visible source: 200 assessed images with 40 melanomas, 5 stratified 50/50
    splits, the conformal fit on half A, melanomas and nevi referred on half B pooled over the 5 splits;
    `trials` such hospitals, to see how often the check would pass."""
    ok = np.flatnonzero(c["ok"])
    mel, nv = ok[c["dx"][ok] == "mel"], ok[c["dx"][ok] == "nv"]
    rest = ok[(c["dx"][ok] != "mel")]
    if len(mel) < 40 or len(nv) < 80:
        return None
    pooled = []
    for _ in range(trials):
        pick_mel, pick_rest = rng.choice(mel, 40, replace=False), rng.choice(rest, 160, replace=False)
        k = np.zeros(4)
        for _ in range(5):
            a_mel, a_rest = rng.permutation(pick_mel)[:20], rng.permutation(pick_rest)[:80]
            soon, _, _ = conformal_soon([float(x) for x in c["p_mal"][a_mel]], target)
            soon = card_soon if soon is None else soon
            b = np.setdiff1d(np.concatenate([pick_mel, pick_rest]), np.concatenate([a_mel, a_rest]))
            ref = c["p_mal"][b] >= soon
            k += [ref[c["dx"][b] == "mel"].sum(), (c["dx"][b] == "mel").sum(), ref[c["dx"][b] == "nv"].sum(),
                  (c["dx"][b] == "nv").sum()]
        pooled.append((k[0] / k[1], k[2] / k[3]))
    a = np.array(pooled)
    return {"melanoma_mean": round(float(a[:, 0].mean()), 4),
            "melanoma_p10": round(float(np.percentile(a[:, 0], 10)), 4),
            "nevi_mean": round(float(a[:, 1].mean()), 4), "nevi_p90": round(float(np.percentile(a[:, 1], 90)), 4),
            "pass_rate": round(float(np.mean((a[:, 0] >= 0.90) & (a[:, 1] <= 0.50))), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scores", type=Path, default=Path("runs/site_scores.csv"))
    ap.add_argument("--model", type=Path, default=Path("assets/models/triage_cnn.json"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--targets", default="0.95,0.90")
    ap.add_argument("--out", type=Path, default=Path("docs/site_simulation.json"))
    args = ap.parse_args()
    card = ModelCard.load(args.model)
    vs = card.doc.thresholds.validation_scores
    val_mal, val_dx = np.array(vs.p_malignant), np.array(vs.dx)
    clinics = load_scores(args.scores)
    rng = np.random.default_rng(args.seed)
    report: dict = {"model": f"{card.name} {card.version}", "seed": args.seed, "repeats": args.repeats,
                    "card_soon": card.thresholds.soon, "by_size": {}, "derm7pt_2fold": {}}
    for target in (float(t) for t in args.targets.split(",")):
        tkey = f"{target:.2f}"
        for name, c in clinics.items():
            for size in SIZES:
                masks = [m for m in (split_clinic(c, rng, size) for _ in range(args.repeats)) if m is not None]
                if not masks:
                    continue
                res = simulate(c, masks, card.thresholds.soon, val_mal, val_dx, target)
                report["by_size"].setdefault(tkey, {}).setdefault(name, {})[str(size)] = res
                print(f"target {tkey} {name:15s} n_mel={size:3d} " + "  ".join(
                    f"{k}: mel {v['melanoma_mean']:.3f} (p10 {v['melanoma_p10']:.3f}) ben {v['benign_mean']:.3f}"
                    for k, v in res.items()), flush=True)
        for name, c in clinics.items():
            res = held_back_protocol(c, rng, target, card.thresholds.soon)
            if res is not None:
                report.setdefault("protocol_200", {}).setdefault(tkey, {})[name] = res
                print(f"target {tkey} {name:15s} 200-image protocol: {res}", flush=True)
        d = clinics["Derm7pt"]
        masks = []
        for _ in range(args.repeats // 2):
            m = split_clinic(d, rng, None, fraction=0.5)
            masks += [m, ~m]  # 2-fold, both ways
        res = simulate(d, masks, card.thresholds.soon, val_mal, val_dx, target)
        report["derm7pt_2fold"][tkey] = res
        print(f"target {tkey} Derm7pt 2-fold: " + "  ".join(
            f"{k}: mel {v['melanoma_mean']:.3f} (p10 {v['melanoma_p10']:.3f}) nevi {v['nevi_mean']:.3f}"
            for k, v in res.items()), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, allow_nan=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
