"""training/metrics.py, whose numbers reach clinicians through the model cards, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from training import metrics

sk = pytest.importorskip("sklearn.metrics")

CODES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")


def _predictions(seed: int, n: int = 600, k: int = len(CODES)) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that carry some signal, with ties (rounded), and every class present."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += rng.uniform(0.0, 2.5, n)
    probs = np.round(metrics.softmax(logits), 3)
    return probs / probs.sum(axis=1, keepdims=True), y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn_ties_included(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pos = np.round(rng.normal(0.6, 1.0, 150), 1)  # one decimal: many ties, counted as one half
    neg = np.round(rng.normal(0.0, 1.0, 400), 1)
    truth = np.r_[np.ones_like(pos), np.zeros_like(neg)]
    assert metrics.roc_auc(pos, neg) == pytest.approx(sk.roc_auc_score(truth, np.r_[pos, neg]), abs=1e-12)


def test_roc_auc_without_one_side_is_nan() -> None:
    assert np.isnan(metrics.roc_auc(np.array([]), np.array([0.1, 0.2])))
    assert np.isnan(metrics.roc_auc(np.array([0.3]), np.array([])))


@pytest.mark.parametrize("seed", [0, 1])
def test_classification_report_matches_sklearn(seed: int) -> None:
    probs, y = _predictions(seed)
    pred = probs.argmax(axis=1)
    rep = metrics.classification_report(probs, y, CODES)
    labels = list(range(len(CODES)))
    assert rep["n"] == len(y)
    assert rep["accuracy"] == pytest.approx(sk.accuracy_score(y, pred), abs=5e-5)
    assert rep["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(y, pred), abs=5e-5)
    assert rep["macro_auc"] == pytest.approx(
        sk.roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=labels), abs=5e-5)
    assert rep["confusion_matrix"]["rows_true_cols_pred"] == sk.confusion_matrix(y, pred, labels=labels).tolist()
    precision, recall, f1, support = sk.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    for k, code in enumerate(CODES):
        m = rep["per_class"][code]
        assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((precision[k], recall[k], f1[k]), abs=5e-5)
        assert m["support"] == support[k]
        assert m["auc"] == pytest.approx(sk.roc_auc_score(y == k, probs[:, k]), abs=5e-5)
    assert rep["melanoma_recall"] == rep["per_class"]["mel"]["recall"]


def test_balanced_accuracy_ignores_classes_absent_from_the_truth() -> None:
    probs, y = _predictions(3)
    keep = y != CODES.index("df")  # a split without dermatofibroma
    probs, y = probs[keep], y[keep]
    pred = probs.argmax(axis=1)
    rep = metrics.classification_report(probs, y, CODES)
    recalls = sk.recall_score(y, pred, labels=sorted(set(y)), average=None, zero_division=0)
    assert rep["balanced_accuracy"] == pytest.approx(recalls.mean(), abs=5e-5)


def test_ece_on_a_hand_computed_example() -> None:
    # conf 0.9 right, 0.8 wrong, 0.6 right, 0.7 wrong.
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]])
    y = np.array([0, 1, 1, 0])
    # 15 bins: each image alone in its bin -> mean |correct - conf| = (0.1 + 0.8 + 0.4 + 0.7) / 4
    assert metrics.expected_calibration_error(probs, y) == pytest.approx(0.5)
    # 2 bins: all four in (0.5, 1]: accuracy 0.5, mean confidence 0.75
    assert metrics.expected_calibration_error(probs, y, bins=2) == pytest.approx(0.25)
    # perfectly calibrated: confidence 1 and always right
    assert metrics.expected_calibration_error(np.eye(3), np.arange(3)) == pytest.approx(0.0)


def test_temperature_minimises_the_nll() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 500)
    logits = rng.normal(size=(500, 3))
    logits[np.arange(500), y] += 1.5
    logits *= 3.0  # over-confident: the best temperature is above 1
    t = metrics.fit_temperature(logits, y)
    assert t > 1.0
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 2001))
    best = grid[np.argmin([metrics.nll(logits, y, g) for g in grid])]
    assert t == pytest.approx(best, rel=0.01)
    assert metrics.nll(logits, y, t) <= metrics.nll(logits, y, 1.0)
