"""`dermtriage scan SRC --out OUT --engine ray [--address ADDR]`: the same scan as a Ray Data pipeline.

path list -> `map_batches(ScanActor)` (one actor per CPU, each with one ONNX Runtime session and the one
batch runner: decode, quality gate, model, policy) -> rows streamed back to the driver, which journals
them and writes the output exactly as the local engine does (`cases.resume`). The paths must be readable
under the same names on every node (a shared file system: NFS, EFS, a mounted bucket).

Ray is optional (`pip install 'dermtriage[cluster]'`): nothing imports it unless `--engine ray` is
asked for, and the desktop package excludes it (build.spec). A local Ray binds 127.0.0.1, starts no
dashboard and sends no usage statistics.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cases.rows import Manifest, Row, RowWorker
from inference.referral import Thresholds
from inference.session import Model

if TYPE_CHECKING:
    import argparse

# Set before Ray is imported (workers inherit the environment): no usage statistics, ever.
OFFLINE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_USAGE_STATS_PROMPT_ENABLED": "0"}
# A local Ray (no --address) stays on this machine (checked with strace: only 127.0.0.1 and Unix sockets):
# - on Linux Ray binds the LAN address it finds by "connecting" a UDP socket to 8.8.8.8; the switch Ray uses
#   on macOS/Windows keeps every process on 127.0.0.1 (read when Ray is imported);
# - Ray's dashboard head (started even with include_dashboard=False) asks the cloud metadata addresses
#   (169.254.169.254, metadata.google.internal: a DNS query) which cloud it runs on, usage statistics on or
#   off; an HTTP proxy on a closed local port makes those requests fail at once without leaving the
#   machine (gRPC between Ray's processes honours no_proxy and goes direct).
LOCAL_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
LOCAL_START_ENV = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                   "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                   "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}


def prepare_env(address: str | None) -> None:
    """Before `import ray`: no usage statistics; a local Ray on loopback only."""
    for k, v in {**OFFLINE_ENV, **({} if address else LOCAL_ENV)}.items():
        os.environ.setdefault(k, v)
INSTALL_HINT = "the Ray engine needs the cluster extra: pip install 'dermtriage[cluster]'"


class ClusterError(Exception):
    """The Ray pipeline failed (a worker could not load the model, the cluster went away)."""


def ray_available(address: str | None = None) -> str:
    """"" when Ray Data can be imported, else what to install."""
    prepare_env(address)
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError as exc:
        return f"{INSTALL_HINT} ({exc})"
    return ""


def start_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to `address` (a running cluster: `ray start --head`, KubeRay) or start a local Ray on
    127.0.0.1; True when this call started it (and should shut it down)."""
    prepare_env(address)
    import ray

    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                              "log_to_driver": True}
    if address:
        ray.init(address=address, **kwargs)
        return True
    saved = {k: os.environ.get(k) for k in LOCAL_START_ENV}
    os.environ.update(LOCAL_START_ENV)  # inherited by the processes ray.init starts, then restored here
    try:
        ray.init(num_cpus=num_cpus, **kwargs)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return True


class ScanActor:
    """One Ray actor: one model session (1 thread), one batch runner; batches of paths -> rows (JSON)."""

    def __init__(self, model: str, expected: dict[str, str], thresholds: Thresholds, batch_size: int) -> None:
        m = Model.load(model, threads=1)
        m.card = dataclasses.replace(m.card, thresholds=thresholds)
        mine = dataclasses.asdict(Manifest.for_model(m))
        wrong = {k: (v, mine.get(k)) for k, v in expected.items() if mine.get(k) != v}
        if wrong:  # a node with another model or gate must not add its rows to this output
            raise RuntimeError(f"worker's model/gate differ from the driver's: {wrong}")
        self.worker = RowWorker(m, batch_size=batch_size, decode_threads=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        paths = [os.fsdecode(bytes(p)) for p in batch["path"]]
        index = {p: int(i) for p, i in zip(paths, batch["i"], strict=True)}
        out_i, out_row = [], []
        for path, row in self.worker.rows(paths, [str(e) for e in batch["expect"]]):
            out_i.append(index[path])
            out_row.append("" if row is None else json.dumps(row, allow_nan=False))
        return {"i": np.array(out_i, dtype=np.int64), "row": np.array(out_row, dtype=object)}


def ray_rows(args: argparse.Namespace, model: Model, paths: Sequence[str], expect: Sequence[str]
             ) -> Iterator[tuple[str, Row | None]]:
    """(path, row or None when the journalled row stands) for every path, as the actors finish them."""
    started = start_ray(getattr(args, "address", None), getattr(args, "workers", None))
    import ray

    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the driver's own bar counts rows
        workers = getattr(args, "workers", None) or max(1, int(ray.cluster_resources().get("CPU", 1)))
        if not paths:
            return
        manifest = dataclasses.asdict(Manifest.for_model(model))
        expected = {k: manifest[k] for k in ("model", "model_version", "onnx_sha256", "gate_sha256", "policy")}
        batch = max(1, args.batch_size)
        items = [{"i": i, "path": os.fsencode(p), "expect": e} for i, (p, e) in enumerate(zip(paths, expect,
                                                                                              strict=True))]
        ds = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / batch)))
        ds = ds.map_batches(ScanActor, batch_size=batch, batch_format="numpy", num_cpus=1,
                            compute=ray.data.ActorPoolStrategy(size=workers),
                            fn_constructor_kwargs={"model": args.model, "expected": expected,
                                                   "thresholds": model.card.thresholds, "batch_size": batch})
        try:
            for out in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for i, row in zip(out["i"], out["row"], strict=True):
                    yield paths[int(i)], (json.loads(row) if row else None)
        except (ray.exceptions.RayError, RuntimeError) as exc:
            raise ClusterError(f"the Ray pipeline failed: {exc}") from exc
    finally:
        if started:
            ray.shutdown()
