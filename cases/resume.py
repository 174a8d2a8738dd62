"""A resumable scan: every finished row journalled beside `--out`, the output written once at the end.

`dermtriage scan` (CSV or Parquet, local or `--engine ray`) runs through :func:`run_resumable`:

- the rows are the scan CSV's columns (`inference.result.csv_columns`) plus `model`, `model_version`,
  `policy` and `sha256` (the image's content hash), so every row says what produced it;
- every finished row is appended (and flushed) to `.OUT.scan/rows.jsonl` beside `--out` as it arrives,
  so a killed scan loses no finished row; `.OUT.scan/manifest.json` records the model (name, version,
  ONNX sha256), the quality gate and the triage policy the rows were made with;
- a restart with the same `--out` reuses a journalled row when the file's content hash still equals the
  row's (a changed file is analysed again; rows without a hash, unreadable files, are retried) and is
  refused when the model, gate or policy differ from the manifest's, so one output never mixes versions;
- the output is written in listing order (the same file whether or not the scan was interrupted) through
  `cases.scan.AtomicOutput`, then the journal is removed.

The per-image work is :class:`RowWorker`: the one batch runner, used by the local engine here and by each
Ray actor (`cases.cluster`), so the two engines produce the same rows.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cases.cluster import ClusterError, ray_available, ray_rows
from cases.job import skipped_text
from cases.rows import Manifest, Row, RowWorker, output_columns
from inference.paths import display_path
from inference.result import TIMING_COLUMNS
from inference.session import Model
from inference.vocab import Status

if TYPE_CHECKING:
    import argparse

    from cases.job import ScanItem, ScanJob

AtomicOutput = Any  # cases.scan.AtomicOutput (cases.scan imports this module)

JOURNAL_SUFFIX = ".scan"
MANIFEST = "manifest.json"
ROWS = "rows.jsonl"
PARQUET_GROUP = 50_000
FSYNC_S = 2.0  # rows are flushed one by one (a killed process loses none); fsync'd at most this often


class JournalMismatch(Exception):
    """The journal beside `--out` was made with another model, gate or policy."""


class Journal:
    """`.OUT.scan/` beside `--out`: manifest.json and rows.jsonl (one JSON object per finished image)."""

    def __init__(self, out: Path) -> None:
        self.dir = out.parent / f".{out.name}{JOURNAL_SUFFIX}"
        self.rows_path = self.dir / ROWS
        self._fh: Any = None
        self._synced = 0.0

    def exists(self) -> bool:
        return (self.dir / MANIFEST).is_file()

    def open(self, manifest: Manifest) -> dict[str, Row]:
        """Check or write the manifest; the rows already finished, by path (raw, as listed)."""
        done: dict[str, Row] = {}
        if self.exists():
            try:
                raw = json.loads((self.dir / MANIFEST).read_text(encoding="utf-8"))
                old = Manifest(**{**raw, "columns": tuple(raw.get("columns", ()))})
            except (OSError, ValueError, TypeError) as exc:
                raise JournalMismatch(f"the scan journal {display_path(self.dir)} is unreadable ({exc})") from exc
            diff = manifest.differences(old)
            if diff:
                raise JournalMismatch(
                    f"{display_path(self.dir)} holds an interrupted scan made with another setup ("
                    + "; ".join(diff) + "). Finish it with the same model and policy, or pass --restart "
                    "(or delete that folder) to start over; rows of two versions are never mixed.")
            done = self._read_rows()
        else:
            self.dir.mkdir(mode=0o700, exist_ok=True)
            tmp = self.dir / f"{MANIFEST}.part"
            tmp.write_text(json.dumps(asdict(manifest), indent=1, allow_nan=False), encoding="utf-8")
            os.replace(tmp, self.dir / MANIFEST)
        self._fh = open(self.rows_path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        return done

    def _read_rows(self) -> dict[str, Row]:
        done: dict[str, Row] = {}
        try:
            with open(self.rows_path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                        done[rec["key"]] = rec["row"]
                    except (ValueError, KeyError, TypeError):
                        continue  # the line being written when the scan was killed
        except FileNotFoundError:
            pass
        return done

    def append(self, key: str, row: Row) -> str:
        """Journal one finished row; returns it as JSON (how the driver holds rows: ~3x less than a dict)."""
        # ensure_ascii: a path that is not valid UTF-8 (surrogate escapes) survives the round trip
        packed = json.dumps(row, allow_nan=False)
        self._fh.write(f'{{"key": {json.dumps(key)}, "row": {packed}}}\n')
        self._fh.flush()
        now = time.monotonic()
        if now - self._synced >= FSYNC_S:
            os.fsync(self._fh.fileno())
            self._synced = now
        return packed

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except (OSError, ValueError):
                pass
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def output_format(args: argparse.Namespace) -> str:
    fmt = getattr(args, "format", None)
    if fmt:
        return fmt
    return "parquet" if args.out.suffix.lower() in (".parquet", ".pq") else "csv"


def write_csv(fh: Any, rows: Iterable[Row], columns: Sequence[str]) -> None:
    writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)


def parquet_table(rows: Sequence[Row], columns: Sequence[str]) -> Any:
    """The same columns typed: probabilities and timings as float64 (null where the CSV is empty)."""
    import pyarrow as pa

    floats = {c for c in columns if c.startswith("p_")} | set(TIMING_COLUMNS)
    data: dict[str, Any] = {}
    for c in columns:
        if c in floats:
            data[c] = pa.array([float(r[c]) if r.get(c) not in (None, "") else None for r in rows], pa.float64())
        else:
            data[c] = pa.array([r.get(c, "") for r in rows], pa.string())
    return pa.table(data)


def write_output(out: AtomicOutput, rows: Iterable[Row], columns: Sequence[str], fmt: str) -> None:
    """Stream the rows into `out` (Parquet: one row group per PARQUET_GROUP rows), then rename it into place."""
    if fmt == "csv":
        write_csv(out.file, rows, columns)
        out.commit()
        return
    import pyarrow.parquet as pq

    out.file.close()
    assert out.tmp is not None  # parquet is refused for a pipe before the scan
    writer = None
    try:
        for chunk in _chunks(rows):
            table = parquet_table(chunk, columns)
            writer = writer or pq.ParquetWriter(out.tmp, table.schema)
            writer.write_table(table)
        if writer is None:
            writer = pq.ParquetWriter(out.tmp, parquet_table([], columns).schema)
    finally:
        if writer is not None:
            writer.close()
    os.chmod(out.tmp, 0o666 & ~_umask())
    os.replace(out.tmp, out.path)


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= PARQUET_GROUP:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fail(out: AtomicOutput, msg: str, code: int) -> int:
    out.discard()
    print(f"error: {msg}", file=sys.stderr)
    return code


def run_resumable(args: argparse.Namespace, model: Model, out: AtomicOutput, job: ScanJob,
                  items: Sequence[ScanItem]) -> int:
    """Scan `items` with the local runner or Ray, journalled beside `--out`; exit code as `run_scan`'s."""
    engine = getattr(args, "engine", "local") or "local"
    fmt = output_format(args)
    if args.json:
        return _fail(out, "--json writes the local engine's stream; use CSV or Parquet with --engine ray", 2)
    if fmt == "parquet":
        if out.tmp is None:
            return _fail(out, "Parquet needs a regular file for --out", 2)
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return _fail(out, "Parquet output needs pyarrow: pip install 'dermtriage[cluster]'", 2)
    if engine == "ray":
        problem = ray_available(getattr(args, "address", None))
        if problem:
            return _fail(out, problem, 2)
    journal = Journal(args.out)
    if getattr(args, "restart", False):
        journal.remove()
    manifest = Manifest.for_model(model)
    try:
        done = journal.open(manifest)
    except JournalMismatch as exc:
        return _fail(out, str(exc), 2)
    except OSError as exc:
        return _fail(out, f"cannot keep the scan journal {display_path(journal.dir)}: {exc.strerror or exc}", 2)
    columns = output_columns(model.card.codes)
    paths = [i.path for i in items]
    expect = [(done.get(p) or {}).get("sha256", "") for p in paths]
    rows: dict[str, str] = {}  # path -> the row as JSON
    kept = 0
    summary = job.summary
    t0 = time.perf_counter()
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="img", file=sys.stderr,
                   desc=f"scan {engine} ({model.name} {model.version})")
    if done:
        print(f"resuming: {sum(1 for e in expect if e)} finished row(s) in {display_path(journal.dir)} "
              "(kept where the file's content hash is unchanged)", file=sys.stderr)
    try:
        if engine == "ray":
            stream = ray_rows(args, model, paths, expect)
        else:
            stream = RowWorker(model, batch_size=args.batch_size, decode_threads=job.decode_threads).rows(paths, expect)
        for path, row in stream:
            if row is None:
                rows[path] = json.dumps(done[path], allow_nan=False)
                kept += 1
            else:
                rows[path] = journal.append(path, row)
            if bar:
                bar.update(1)
    except KeyboardInterrupt:
        journal.close()
        out.discard()
        print(f"\ninterrupted: {len(rows)} finished row(s) kept in {display_path(journal.dir)}; run the same "
              "command to resume", file=sys.stderr)
        raise
    except ClusterError as exc:
        journal.close()
        return _fail(out, f"{exc}; {len(rows)} finished row(s) kept in {display_path(journal.dir)}, run the same "
                          "command to resume", 5)
    except OSError as exc:
        journal.close()
        return _fail(out, f"cannot write the scan journal {display_path(journal.dir)}: {exc.strerror or exc}", 4)
    except BaseException:
        journal.close()
        out.discard()
        raise
    finally:
        if bar:
            bar.close()
    journal.close()
    del done
    ready = len(rows)

    def final() -> Iterator[Row]:  # listing order, one row at a time (the driver never holds them all as dicts)
        for p in paths:
            if p in rows:
                row = json.loads(rows[p])
                row.setdefault("model_binding", model.binding_status)  # a journal from before the column
                summary.count_status(Status(row["status"]))
                yield row

    try:
        write_output(out, final(), columns, fmt)
    except OSError as exc:
        out.discard()
        print(f"\nerror: cannot write {display_path(args.out)}: {exc.strerror or exc}; nothing was written there "
              f"({ready} of {len(items)} rows were ready and stay in {display_path(journal.dir)})",
              file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        out.discard()
        print(f"\ninterrupted while writing {display_path(args.out)}: nothing was written there; the {ready} finished "
              f"row(s) stay in {display_path(journal.dir)}, run the same command to resume", file=sys.stderr)
        raise
    except BaseException:
        out.discard()
        raise
    journal.remove()
    dt = time.perf_counter() - t0
    analysed = ready - kept
    skipped = skipped_text(summary)
    resumed = f" ({kept} kept from the interrupted run)" if kept else ""
    print(f"scanned {len(items)} images{resumed} in {dt:.1f}s ({analysed / dt if dt else 0:.1f}/s, {engine}): "
          f"{summary.ok} ok, {summary.rejected} cannot assess, {summary.error} errors -> "
          f"{display_path(args.out)}{skipped}", file=sys.stderr)
    return 0
