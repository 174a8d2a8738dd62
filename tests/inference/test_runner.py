"""The batch runner: every bad file gets its own status and message, the rest of the batch goes on."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from inference.runner import BatchRunner
from tests.bad_images import cmyk_jpeg, jpeg_with_orientation, png_claiming_size, write


@pytest.fixture(scope="module")
def runner(model):
    return BatchRunner(model, batch_size=8)


def bad_files(tmp_path, fullsize_images):
    real = fullsize_images[0].read_bytes()
    bgr = cv2.imread(str(fullsize_images[1]))
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    out = {}
    out["empty"] = write(tmp_path / "empty.jpg", b"")
    out["truncated"] = write(tmp_path / "truncated.jpg", real[: len(real) // 3])
    out["random"] = write(tmp_path / "random.jpg", bytes(np.random.default_rng(1).integers(0, 256, 5000,
                                                                                      dtype=np.uint8)))
    out["text"] = write(tmp_path / "text.png", b"hello, this is text\n" * 10)
    out["one_pixel"] = write(tmp_path / "one.png", cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes())
    out["bomb"] = write(tmp_path / "bomb.png", png_claiming_size(50000, 50000))
    out["sixteen"] = write(tmp_path / "sixteen.png", cv2.imencode(".png", bgr.astype(np.uint16) * 257)[1].tobytes())
    out["cmyk"] = write(tmp_path / "cmyk.jpg", cmyk_jpeg(rgb))
    out["rgba"] = write(tmp_path / "rgba.png", cv2.imencode(".png", cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA))[1].tobytes())
    out["rotated"] = write(tmp_path / "rotated.jpg", jpeg_with_orientation(bgr, 6))
    (tmp_path / "ünïcødé 病例").mkdir()
    out["non_ascii"] = write(tmp_path / "ünïcødé 病例" / "läsion.jpg", real)
    out["missing"] = tmp_path / "no_such_file.jpg"
    return out


EXPECTED = {
    "empty": ("error", "empty file"),
    "truncated": ("error", "corrupt or truncated"),
    "random": ("error", "not a supported image"),
    "text": ("error", "text file"),
    "one_pixel": ("rejected", "too small"),
    "bomb": ("error", "too large"),
    "sixteen": ("ok", ""),
    "cmyk": ("ok", ""),
    "rgba": ("ok", ""),
    "rotated": ("ok", ""),
    "non_ascii": ("ok", ""),
    "missing": ("error", "not found"),
}


def test_bad_inputs_each_get_their_own_result(tmp_path, fullsize_images, runner):
    files = bad_files(tmp_path, fullsize_images)
    good = fullsize_images[10:30]
    paths = [str(p) for p in files.values()] + [str(p) for p in good]
    progress = []
    results = {r.path: r for r in runner.run(paths, progress=lambda d, t: progress.append((d, t)))}
    assert set(results) == set(paths)
    for key, (status, needle) in EXPECTED.items():
        res = results[str(files[key])]
        assert res.status == status, (key, res.status, res.message)
        assert needle in res.message, (key, res.message)
        if status == "ok":
            assert res.probabilities and abs(sum(res.probabilities.values()) - 1) < 1e-6
        else:
            assert res.probabilities is None and res.priority is None
    ok_good = [results[str(p)] for p in good if results[str(p)].ok]
    assert len(ok_good) >= 18
    for r in ok_good:
        assert r.priority in ("urgent", "soon", "routine")
        assert r.top_class == max(r.probabilities, key=r.probabilities.get)
        assert r.model_name == "paper_cnn" and r.model_version
        assert r.decode_ms > 0 and r.preprocess_ms > 0 and r.inference_ms > 0
        assert r.priority_rule
    assert progress[-1] == (len(paths), len(paths))


def test_same_result_batched_or_alone(runner, fullsize_images):
    paths = [str(p) for p in fullsize_images[:12]]
    batched = {r.path: r for r in runner.run(paths)}
    for p in paths[:3]:
        alone = runner.classify(p)
        for c, v in alone.probabilities.items():
            assert abs(v - batched[p].probabilities[c]) < 1e-5


def test_cancel_stops_within_one_batch(runner, fullsize_images):
    paths = [str(p) for p in fullsize_images] * 3
    cancel = threading.Event()
    got = []
    for res in runner.run(paths, cancel=cancel):
        got.append(res)
        if len(got) == 5:
            cancel.set()
    assert 5 <= len(got) <= 5 + runner.batch_size
    assert len(got) < len(paths)


def test_generator_input_and_unknown_total(runner, fullsize_images):
    seen = []
    out = list(runner.run((str(p) for p in fullsize_images[:9]), progress=lambda d, t: seen.append(t)))
    assert len(out) == 9 and seen[-1] is None


def test_batch_flushed_when_the_last_file_is_bad(runner, fullsize_images, tmp_path):
    bad = tmp_path / "zz_broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x00")
    paths = [str(p) for p in fullsize_images[:5]] + [str(bad)]
    statuses = sorted(r.status for r in runner.run(paths))
    assert statuses == ["error"] + ["ok"] * 5


@pytest.mark.parametrize("order", ["RGB", "BGR"])
def test_normalize_is_bit_identical_to_the_reference_float_operations(order):
    from inference.preprocess import PreprocessSpec, normalize

    spec = PreprocessSpec(72, 96, channel_order=order, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    px = np.random.default_rng(3).integers(0, 256, (5, 72, 96, 3), dtype=np.uint8)
    src = px[..., ::-1] if order == "BGR" else px
    ref = src.astype(np.float32) * np.float32(1.0 / 255.0)
    ref -= np.asarray(spec.mean, dtype=np.float32)
    ref /= np.asarray(spec.std, dtype=np.float32)
    got = normalize(px, spec)
    assert got.flags.c_contiguous and np.array_equal(got, ref.transpose(0, 3, 1, 2))
