"""`dermtriage scan DIR --out results.csv`: the headless folder scan, on the window's walker and runner."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from cases.job import ScanItem, ScanJob, skipped_text
from cases.policy import PolicyFileError, policy_thresholds, read_policy_file, read_store_override
from cases.store import DATA_DIR_ENV, DB_NAME
from cases.store_state import store_state
from inference.card import DEFAULT_MODEL
from inference.errors import ModelError, NamedFileError
from inference.files import read_named_ends
from inference.paths import display_path
from inference.result import csv_columns
from inference.session import DEFAULT_THREADS, Model


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="dermtriage scan", description="Classify every image in a folder (offline).")
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="CSV file to write (JSON lines with --json)")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="shipped model name or path to its .json card")
    # One walker with the window (cases.job.collect_images): a clinic folder of per-patient sub-folders is
    # read whole by default; --recursive is still accepted (it is the default) for older scripts.
    ap.add_argument("--recursive", action=argparse.BooleanOptionalAction, default=True,
                    help="read sub-folders too, as the window does (default); --no-recursive: this folder only")
    ap.add_argument("--json", action="store_true", help="write JSON lines instead of CSV")
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="ONNX Runtime intra-op threads")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--policy", type=Path, metavar="FILE",
                    help="triage policy file exported from the app (Settings > Export policy); default: the "
                         "policy stored in the app's database (DERMTRIAGE_DATA_DIR), else the model card's")
    # Issue 15 (cases/resume.py, cases/cluster.py): CSV and Parquet scans are journalled beside --out and resumable.
    ap.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local (default) or a Ray Data pipeline (needs `pip install 'dermtriage[cluster]'`)")
    ap.add_argument("--address", help="Ray cluster to join (`ray start --head`, KubeRay); default: a local Ray")
    ap.add_argument("--workers", type=int, help="Ray actors, one ONNX session and one CPU each (default: all CPUs)")
    ap.add_argument("--format", choices=("csv", "parquet"), help="output format (default: parquet for .parquet)")
    ap.add_argument("--restart", action="store_true",
                    help="discard the journal of an interrupted scan to this --out and start over")
    return ap


def store_path_without_creating() -> Path:
    """Where the window keeps its database (as `cases.store.data_dir`, but a scan creates no folder)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / DB_NAME
    from platformdirs import user_data_dir

    return Path(user_data_dir("DermTriage", "DermTriage")) / DB_NAME


def apply_policy(model: Model, policy_file: Path | None) -> str:
    """Give the runner the triage policy the window uses: the file's, else the app store's, else the card's.
    Returns a problem to report (and stop on), or "" with the policy in force printed to stderr."""
    card = model.card
    try:
        if policy_file is not None:
            override, source = read_policy_file(policy_file, card), f"policy file {policy_file}"
        else:
            db = store_path_without_creating()
            state = store_state(db.parent) if db.parent.is_dir() else None
            if state is not None and state.kind == "damaged":
                return (f"the app's database {db} is damaged ({state.reason}): open DermTriage to recover it, or "
                        "use --policy FILE")
            override, source = read_store_override(db, card), f"the app's database {db}"
            if state is not None and state.kind != "none":
                print(f"case store: {state}", file=sys.stderr)
    except PolicyFileError as exc:
        return str(exc)
    except sqlite3.Error as exc:
        return f"cannot read the triage policy from the app's database: {exc} (use --policy FILE)"
    model.card = dataclasses.replace(card, thresholds=policy_thresholds(card, override))
    thr = model.card.thresholds
    origin = f"clinic setting from {source}" if override is not None else "model card"
    print(f"triage policy: {thr.kind}, urgent {thr.urgent:.2%}, soon {thr.soon:.2%} ({origin})", file=sys.stderr)
    return ""


def run_scan(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    try:  # --out first: a scan of 10,000 images must not end in "cannot write"
        out = AtomicOutput(args.out)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        model = Model.load(args.model, threads=args.threads)
    except ModelError as exc:
        out.discard()
        print(f"error: model unusable: {exc}", file=sys.stderr)
        return 3
    if model.custom_model_notice:  # every row says it too (model_binding)
        print(f"warning: {model.custom_model_notice}", file=sys.stderr)
    if model.binding_warning:
        print(f"warning: {model.binding_warning}", file=sys.stderr)
    problem = apply_policy(model, args.policy)
    if problem:
        out.discard()
        print(f"error: {problem}", file=sys.stderr)
        return 2
    job = ScanJob(model, [args.folder], recursive=args.recursive, batch_size=args.batch_size)
    items = job.list_items()
    problem = refuse_inputs(args.out, items)
    if problem:
        out.discard()
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.engine == "ray" or args.format == "parquet" or (not args.json and out.tmp is not None):
        from cases.resume import run_resumable  # journalled, resumable; the same rows in the same order

        return run_resumable(args, model, out, job, items)
    summary, codes = job.summary, model.card.codes
    t0 = time.perf_counter()
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="img", file=sys.stderr, desc=f"scan ({model.name} {model.version})")
    written = 0
    try:
        fh = out.file
        writer = None if args.json else csv.DictWriter(fh, fieldnames=csv_columns(codes), lineterminator="\n")
        if writer:
            writer.writeheader()
        for _item, res in job.results(items):
            summary.count_status(res.status)
            if writer:
                writer.writerow(res.csv_row(codes))
            else:
                fh.write(json.dumps({**res.csv_row(codes), "model": model.name, "model_version": model.version,
                                     "sha256": res.sha256, "model_binding": model.binding_status},
                                    allow_nan=False) + "\n")
            written += 1
            if bar:
                bar.update(1)
        out.commit()
    except OSError as exc:
        out.discard()
        print(f"\nerror: cannot write {display_path(args.out)}: {exc.strerror or exc}; nothing was written there "
              f"({written} of {len(items)} rows were ready)", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        out.discard()
        print(f"\ninterrupted: nothing was written to {display_path(args.out)}", file=sys.stderr)
        raise
    except BaseException:  # a bug: never leave half a file where the user asked for results
        out.discard()
        raise
    finally:
        if bar:
            bar.close()
    dt = time.perf_counter() - t0
    skipped = skipped_text(summary)
    print(f"scanned {len(items)} images in {dt:.1f}s ({len(items) / dt if dt else 0:.0f}/s): "
          f"{summary.ok} ok, {summary.rejected} cannot assess, {summary.error} errors -> "
          f"{display_path(args.out)}{skipped}", file=sys.stderr)
    return 0


class OutputError(Exception):
    """`--out` cannot be written; said before anything is scanned."""


class AtomicOutput:
    """`--out` written to a hidden temporary file beside it and renamed over it at the end.

    Creating the temporary file is the validation (a folder, a missing or read-only folder, a full disk
    all fail here, before the scan); a write error later leaves the old file (if any) untouched. An existing
    `--out` is replaced only when it is a regular file that a previous scan wrote (`check_replaceable`):
    the rename would otherwise replace whatever the name points at, an original image included, even a
    read-only one (the folder's permission decides a rename, not the file's).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise OutputError(f"--out {display_path(path)} is a folder; give a file name")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"output folder {display_path(parent)} does not exist")
        check_replaceable(path)
        if path.exists() and not os.access(path, os.W_OK):  # a previous output the user made read-only: kept
            raise OutputError(f"--out {display_path(path)} exists and is read-only")
        self.tmp: Path | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=parent)
        except OSError as exc:
            raise OutputError(f"cannot write to {display_path(parent)}: {exc.strerror or exc}") from exc
        self.tmp = Path(tmp)
        # Text the CSV module cannot encode (a stray surrogate in a message) is escaped, never fatal.
        self.file = open(fd, "w", newline="", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115

    def commit(self) -> None:
        self.file.flush()
        if self.tmp is None:
            self.file.close()
            return
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_CSV_LEAD = ["path", "status", "top_class", "priority"]  # inference.result.csv_columns: every scan CSV starts so
_PARQUET_MAGIC = b"PAR1"


def is_previous_output(head: bytes, tail: bytes) -> bool:
    """Whether a file's first and last bytes are those of a scan output of ours: a CSV whose header is the
    scan's (or the window's export's, which starts the same), `--json` lines, or a Parquet file with our
    columns. Recognised by content, never by name: `a.jpg` holding a scan CSV is ours, `results.csv`
    holding a spreadsheet is not."""
    if head.startswith(_PARQUET_MAGIC):
        return tail.endswith(_PARQUET_MAGIC) and all(c.encode() in tail for c in (*_CSV_LEAD, "message"))
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if b"\n" not in head and len(head) >= 64 * 1024:
        return False  # no line end in the first 64 KB: not a CSV header of ours
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    cols = text.split(",")
    if cols[: len(_CSV_LEAD)] == _CSV_LEAD and "message" in cols:
        return True
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    return isinstance(doc, dict) and {"path", "status", "top_class", "priority", "model"} <= set(doc)


def check_replaceable(path: Path) -> None:
    """OutputError unless `path` is new, or an existing regular file that is empty or a previous output of
    ours (`is_previous_output`). A FIFO, a device, a link to one, an image or any other file of the user's
    is refused with the reason before anything is scanned (exit 2), and is left as it was."""
    if not os.path.lexists(path):
        return
    try:
        head, tail, size = read_named_ends(path, "--out")
    except NamedFileError as exc:
        raise OutputError(f"{exc}; --out must be a new file or a previous scan output") from exc
    if size and not is_previous_output(head, tail):
        raise OutputError(f"--out {display_path(path)} exists and is not a scan output of DermTriage (it could be "
                          "an original image or another program's file): it is not replaced. Give a new file name, "
                          "or remove it first")


def refuse_inputs(out: Path, items: Sequence[ScanItem]) -> str:
    """A reason to stop when `--out` is one of the images this scan reads (the same file by inode, so a
    link or another spelling of the name counts), else "". Only possible for an existing `--out`."""
    try:
        st = os.stat(out)
    except OSError:
        return ""
    for item in items:
        try:
            other = os.stat(item.path)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return (f"--out {display_path(out)} is one of the images this scan reads ({display_path(item.path)}): "
                    "it is not replaced. Write the results elsewhere")
    return ""
