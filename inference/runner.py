"""The one batch runner: decode on a small thread pool, infer in batches, stream results.

The GUI worker, the scan command and the benchmarks all call :class:`BatchRunner`. Work is bounded
(a window of in-flight images, not the whole folder) so a 10,000-image scan keeps a flat memory
profile, cancellation is checked between batches, and a bad file only ever produces its own
`error`/`rejected` Result.

Each file is decoded once, as small as what is used allows (`decode_target`): JPEGs at the largest
DCT scale that still leaves 1.5x the model's input and the quality gate's 96x72 copy (600x450 -> 1/4,
150x113; 200x150 -> full size). It is resized once: for a 96x72 model those uint8 pixels are both
the gate's statistics copy and the model's input; the pool threads keep only them, normalised per
batch just before inference. The pool (decode, gate, resize: libjpeg-turbo and OpenCV release the
GIL, and the gate is a few dozen OpenCV calls on 7,000 pixels) and the ONNX Runtime batches in the
calling thread overlap.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from inference.errors import ImageError
from inference.image import decode_file
from inference.preprocess import PreprocessSpec, normalize, resize_rgb
from inference.quality import MIN_SIDE, SMALL, FeatureGate, QualityGate
from inference.result import Result
from inference.session import Model
from inference.vocab import Status

ProgressCallback = Callable[[int, int | None], None]


@dataclass
class _Prepared:
    path: str
    pixels: np.ndarray | None  # HxWx3 uint8 RGB at the model's size when ready for the model
    result: Result  # filled in; status decided unless pixels is set


# A JPEG is DCT-scaled only while the result keeps 1.5x the model's input on both sides: a 600x450 file at
# 1/4 (150x113), a 2400x1800 one at 1/8, but a 200x150 one (HAM10000's training size) stays full size,
# the pixels the model learnt from. At 1x, the 200x150 test images went to 1/2 (100x75) and the model
# lost 0.6 points of accuracy and 1.0 of balanced accuracy against its card (measured; README).
DECODE_MIN_RATIO = 1.5


def decode_target(spec: PreprocessSpec) -> tuple[int, int]:
    """(height, width) a decoded image must cover: the gate's statistics copy and the model's input."""
    return max(spec.height, SMALL[1]), max(spec.width, SMALL[0])


class BatchRunner:
    """Turns paths into Results with one model, one quality gate and a decode pool."""

    def __init__(self, model: Model, gate: QualityGate | None = None, batch_size: int = 32,
                 decode_threads: int = 2, reduced_decode: bool = True) -> None:
        self.model = model
        self.gate = gate if gate is not None else QualityGate.load()
        self.batch_size = max(1, batch_size)
        self.decode_threads = max(1, decode_threads)
        self.reduced_decode = reduced_decode  # False: every file decoded at full size (the parity check)
        fg = model.card.doc.feature_gate if model.card.doc is not None else None
        self._feature_gate = FeatureGate.from_spec(fg) if fg is not None else None
        # Parallelism comes from decoding several images at once; OpenCV's own thread pool on top of
        # that only oversubscribes a 2-core laptop (measured: the quality gate ran 2x slower).
        cv2.setNumThreads(1)

    def _base(self, path: str) -> Result:
        return Result(path=path, status=Status.ERROR, model_name=self.model.name, model_version=self.model.version)

    def prepare(self, path: str | Path) -> _Prepared:
        """Read, decode, gate and preprocess one file; never raises for a bad file."""
        path = str(path)
        res = self._base(path)
        spec = self.model.card.spec
        try:
            img = decode_file(path, decode_target(spec) if self.reduced_decode else None, min_ratio=DECODE_MIN_RATIO)
        except ImageError as exc:
            res.message = str(exc)
            return _Prepared(path, None, res)
        except Exception as exc:  # noqa: BLE001 - an unexpected decoder failure is still one bad file
            res.message = f"cannot decode: {type(exc).__name__}: {exc}"
            return _Prepared(path, None, res)
        res.decode_ms = img.decode_ms
        res.sha256 = img.sha256
        res.width, res.height = img.width, img.height
        res.device = img.device
        t0 = time.perf_counter()
        # one small image for both: the model's input is also the gate's 96x72 copy (for a 96x72 model)
        pixels = resize_rgb(img.rgb, spec) if min(img.rgb.shape[:2]) >= MIN_SIDE else None
        verdict = self.gate.check(img.rgb, pixels)
        res.quality = dict(verdict.scores)
        res.preprocess_ms = (time.perf_counter() - t0) * 1000.0
        if not verdict.ok:
            res.status = Status.REJECTED
            res.message = verdict.message
            return _Prepared(path, None, res)
        return _Prepared(path, pixels, res)

    def _infer(self, batch: list[_Prepared]) -> list[Result]:
        t0 = time.perf_counter()
        x = normalize(np.stack([p.pixels for p in batch]), self.model.card.spec)
        logits, cams, feats = self.model.infer_all(x)
        probs = self.model.probabilities(logits)
        feature_gate = self._feature_gate if feats is not None else None
        fg_probs = feature_gate.prob(feats) if feature_gate is not None else None
        per_image_ms = (time.perf_counter() - t0) * 1000.0 / len(batch)
        card = self.model.card
        scores = self.model.malignant_score(probs)
        mel = card.codes.index("mel") if "mel" in card.codes else None
        out = []
        for i, (prep, p, score) in enumerate(zip(batch, probs, scores, strict=True)):
            res = prep.result
            if not np.all(np.isfinite(p)):
                res.status, res.message = "error", "model produced non-finite output"
                out.append(res)
                continue
            if feature_gate is not None and fg_probs is not None:
                res.quality["feature_score"] = round(float(fg_probs[i]), 4)
                refusal = feature_gate.reason(float(fg_probs[i]))
                if refusal:  # the model's own features say this is not dermoscopy: no probabilities shown
                    res.status, res.message = Status.REJECTED, refusal
                    res.inference_ms = per_image_ms
                    out.append(res)
                    continue
            k = int(np.argmax(p))
            res.status = Status.OK
            res.probabilities = {c: float(v) for c, v in zip(card.codes, p, strict=True)}
            res.top_class = card.codes[k]
            res.top_name = card.classes[k].name
            res.malignant_score = float(score)
            p_mel = None if mel is None else float(p[mel])
            res.priority = card.thresholds.priority(float(score), p_mel)
            res.priority_rule = card.thresholds.explain(float(score), p_mel)
            res.inference_ms = per_image_ms
            res.attention = None if cams is None else np.round(cams[i, k], 4).astype(float).tolist()
            res.message = ""
            out.append(res)
        return out

    def classify(self, path: str | Path) -> Result:
        """One image, batch of one (the GUI's re-run of a single case)."""
        return next(self.run([path]))

    def run(self, paths: Iterable[str | Path], progress: ProgressCallback | None = None,
            cancel: threading.Event | Callable[[], bool] | None = None,
            total: int | None = None) -> Iterator[Result]:
        """Yield a Result per path (grouped by batch, images without a tensor first).

        `cancel` is checked before each batch is submitted to the model, so a cancel stops within one
        batch; results already produced are kept by the caller.
        """
        if total is None and hasattr(paths, "__len__"):
            total = len(paths)  # type: ignore[arg-type]
        is_cancelled = (cancel.is_set if isinstance(cancel, threading.Event) else cancel) or (lambda: False)
        done = 0
        window = self.batch_size * 3
        it = iter(paths)
        with ThreadPoolExecutor(max_workers=self.decode_threads, thread_name_prefix="decode") as pool:
            pending: deque[Future[_Prepared]] = deque()

            def fill() -> None:
                while len(pending) < window:
                    try:
                        nxt = next(it)
                    except StopIteration:
                        return
                    pending.append(pool.submit(self.prepare, nxt))

            fill()
            batch: list[_Prepared] = []
            while pending:
                if is_cancelled():
                    for f in pending:
                        f.cancel()
                    return
                prep = pending.popleft().result()
                fill()
                if prep.pixels is None:
                    done += 1
                    yield prep.result
                    if progress:
                        progress(done, total)
                    continue
                batch.append(prep)
                if len(batch) >= self.batch_size or not pending:
                    if is_cancelled():
                        return
                    for res in self._infer(batch):
                        done += 1
                        yield res
                    if progress:
                        progress(done, total)
                    batch = []
            if batch and not is_cancelled():  # the last files had no tensor: flush what is waiting
                for res in self._infer(batch):
                    done += 1
                    yield res
                if progress:
                    progress(done, total)
