"""Classification and calibration metrics in plain numpy (no scikit-learn needed for honest numbers)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def confusion_matrix(y: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    return cm


def roc_auc(pos_scores: np.ndarray, neg_scores: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted as one half."""
    if len(pos_scores) == 0 or len(neg_scores) == 0:
        return float("nan")
    scores = np.concatenate([pos_scores, neg_scores])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    n_pos = len(pos_scores)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * len(neg_scores)))


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """One scalar T > 0 minimising validation NLL (golden-section search on log T; NLL is unimodal in T)."""
    lo, hi = np.log(0.05), np.log(20.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(logits, y, np.exp(a)), nll(logits, y, np.exp(b))
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(logits, y, np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(logits, y, np.exp(b))
    return float(np.exp((lo + hi) / 2))


def classification_report(probs: np.ndarray, y: np.ndarray, codes: Sequence[str]) -> dict:
    """Everything the model card promises, from one probability matrix."""
    n = len(codes)
    pred = probs.argmax(axis=1)
    cm = confusion_matrix(y, pred, n)
    per_class = {}
    recalls, aucs = [], []
    for k, code in enumerate(codes):
        tp = cm[k, k]
        support = int(cm[k].sum())
        predicted = int(cm[:, k].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        auc = roc_auc(probs[y == k, k], probs[y != k, k])
        per_class[code] = {
            "precision": round(float(precision), 4),
            "recall": round(float(recall), 4),
            "f1": round(float(f1), 4),
            "auc": round(auc, 4),
            "support": support,
        }
        if support:
            recalls.append(recall)
        aucs.append(auc)
    return {
        "n": int(len(y)),
        "accuracy": round(float((pred == y).mean()), 4),
        "balanced_accuracy": round(float(np.mean(recalls)), 4),
        "macro_auc": round(float(np.nanmean(aucs)), 4),
        "melanoma_recall": per_class["mel"]["recall"] if "mel" in per_class else None,
        "per_class": per_class,
        "confusion_matrix": {"labels": list(codes), "rows_true_cols_pred": cm.tolist()},
    }


def malignant_score(probs: np.ndarray, codes: Sequence[str], malignant: Sequence[str]) -> np.ndarray:
    idx = [list(codes).index(c) for c in malignant]
    return probs[:, idx].sum(axis=1)


def choose_thresholds(
    probs: np.ndarray,
    y: np.ndarray,
    codes: Sequence[str],
    malignant: Sequence[str],
    mel_sensitivity: float = 0.90,
    urgent_specificity: float = 0.95,
) -> dict:
    """Referral thresholds on P(mel)+P(bcc)+P(akiec), chosen on the validation split.

    `soon`: the highest threshold at which at least `mel_sensitivity` of melanomas are referred
    (urgent or soon). `urgent`: the threshold above which at most 1 - `urgent_specificity` of benign
    lesions fall, never below `soon`. Both are reported with what they achieve on that split.
    """
    score = malignant_score(probs, codes, malignant)
    mel = list(codes).index("mel")
    mal_idx = [list(codes).index(c) for c in malignant]
    mel_scores = np.sort(score[y == mel])
    k = int(np.floor((1.0 - mel_sensitivity) * len(mel_scores)))
    soon = float(mel_scores[k]) if len(mel_scores) else 0.5
    benign = score[~np.isin(y, mal_idx)]
    urgent = float(np.quantile(benign, urgent_specificity)) if len(benign) else 0.5
    urgent = max(urgent, soon)
    is_mal = np.isin(y, mal_idx)
    return {
        "score": "P(mel)+P(bcc)+P(akiec)",
        "urgent": round(urgent, 6),
        "soon": round(soon, 6),
        "rule": (
            f"urgent if score >= urgent; soon if score >= soon (chosen on the validation split for "
            f">= {mel_sensitivity:.0%} melanoma sensitivity); otherwise routine"
        ),
        "validation": {
            "melanoma_sensitivity_referred": round(float((score[y == mel] >= soon).mean()), 4),
            "malignant_sensitivity_referred": round(float((score[is_mal] >= soon).mean()), 4),
            "benign_referred_fraction": round(float((benign >= soon).mean()), 4),
            "benign_urgent_fraction": round(float((benign >= urgent).mean()), 4),
        },
    }


def referral_report(probs: np.ndarray, y: np.ndarray, codes: Sequence[str], malignant: Sequence[str],
                    thresholds: dict) -> dict:
    """What the validation-chosen thresholds do on another split (test)."""
    score = malignant_score(probs, codes, malignant)
    mel = list(codes).index("mel")
    mal_idx = [list(codes).index(c) for c in malignant]
    benign = score[~np.isin(y, mal_idx)]
    return {
        "melanoma_sensitivity_referred": round(float((score[y == mel] >= thresholds["soon"]).mean()), 4),
        "melanoma_urgent_fraction": round(float((score[y == mel] >= thresholds["urgent"]).mean()), 4),
        "malignant_sensitivity_referred": round(
            float((score[np.isin(y, mal_idx)] >= thresholds["soon"]).mean()), 4),
        "benign_referred_fraction": round(float((benign >= thresholds["soon"]).mean()), 4),
    }


def choose_melanoma_first(
    probs: np.ndarray,
    y: np.ndarray,
    codes: Sequence[str],
    malignant: Sequence[str],
    mel_sensitivity: float = 0.95,
    urgent_specificity: float = 0.90,
) -> dict:
    """The referral pathway's thresholds (NICE NG12 order), chosen on pooled validation.

    `urgent` is on P(mel) alone: suspected melanoma goes first, at the threshold that keeps at least
    `urgent_specificity` of the non-melanoma lesions out of the urgent list. `soon` is on
    P(mel)+P(bcc)+P(akiec): the highest value at which at least `mel_sensitivity` of melanomas are
    referred (urgent or soon), which also sends suspected BCC and AK / intraepithelial carcinoma.
    """
    codes = list(codes)
    mel = codes.index("mel")
    score = malignant_score(probs, codes, malignant)
    p_mel = probs[:, mel]
    is_mel = y == mel
    urgent = float(np.quantile(p_mel[~is_mel], urgent_specificity)) if (~is_mel).any() else 0.5
    referred_by_urgent = p_mel >= urgent
    # soon: lowest melanoma score that must still be referred, over melanomas not already urgent
    need = int(np.ceil(mel_sensitivity * is_mel.sum()))
    missing = max(0, need - int((referred_by_urgent & is_mel).sum()))
    rest = np.sort(score[is_mel & ~referred_by_urgent])[::-1]
    soon = float(rest[missing - 1]) if missing and len(rest) >= missing else (float(rest[-1]) if missing else 1.0)
    soon = min(soon, 1.0)
    report = policy_report(probs, y, codes, malignant, {"urgent": urgent, "soon": soon})
    return {
        "rule": "melanoma_first",
        "urgent_score": "P(mel)",
        "soon_score": "P(mel)+P(bcc)+P(akiec)",
        "urgent": round(urgent, 6),
        "soon": round(soon, 6),
        "description": (
            f"urgent if P(mel) >= urgent (suspected melanoma; at most {1 - urgent_specificity:.0%} of other "
            "validation lesions); soon if P(mel)+P(bcc)+P(akiec) >= soon (chosen on pooled validation for >= "
            f"{mel_sensitivity:.0%} melanoma sensitivity: suspected BCC, AK / intraepithelial carcinoma and "
            "less likely melanoma); otherwise routine"),
        "validation": report,
    }


def policy_report(probs: np.ndarray, y: np.ndarray, codes: Sequence[str], malignant: Sequence[str],
                  thresholds: dict, accepted: np.ndarray | None = None) -> dict:
    """What the melanoma-first policy does on a split; refused images (accepted False) count as not referred."""
    codes = list(codes)
    mel, nv = codes.index("mel"), codes.index("nv")
    mal_idx = [codes.index(c) for c in malignant]
    score = malignant_score(probs, codes, malignant)
    ok = np.ones(len(y), bool) if accepted is None else np.asarray(accepted, bool)
    urgent = ok & (probs[:, mel] >= thresholds["urgent"])
    referred = urgent | (ok & (score >= thresholds["soon"]))
    is_mal = np.isin(y, mal_idx)

    def frac(mask: np.ndarray, sel: np.ndarray) -> float | None:
        return round(float(mask[sel].mean()), 4) if sel.any() else None

    return {
        "melanoma_referred": frac(referred, y == mel),
        "melanoma_urgent": frac(urgent, y == mel),
        "malignant_referred": frac(referred, is_mal),
        "benign_referred": frac(referred, ~is_mal),
        "benign_urgent": frac(urgent, ~is_mal),
        "nevus_referred": frac(referred, y == nv),
    }
