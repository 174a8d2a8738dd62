"""`dermtriage scan DIR --out results.csv`: the headless folder scan, on the window's walker and runner."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from cases.job import ScanJob
from inference.card import DEFAULT_MODEL
from inference.errors import ModelError
from inference.result import csv_columns
from inference.session import DEFAULT_THREADS, Model


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="dermtriage scan", description="Classify every image in a folder (offline).")
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="CSV file to write (JSON lines with --json)")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="shipped model name or path to its .json card")
    ap.add_argument("--recursive", action="store_true", help="include sub-folders")
    ap.add_argument("--json", action="store_true", help="write JSON lines instead of CSV")
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="ONNX Runtime intra-op threads")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def run_scan(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    try:
        model = Model.load(args.model, threads=args.threads)
    except ModelError as exc:
        print(f"error: model unusable: {exc}", file=sys.stderr)
        return 3
    if args.out.parent and not args.out.parent.exists():
        print(f"error: output folder {args.out.parent} does not exist", file=sys.stderr)
        return 2
    job = ScanJob(model, [args.folder], recursive=args.recursive, batch_size=args.batch_size)
    items = job.list_items()
    summary, codes = job.summary, model.card.codes
    t0 = time.perf_counter()
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="img", file=sys.stderr, desc=f"scan ({model.name} {model.version})")
    try:
        with open(args.out, "w", newline="", encoding="utf-8") as fh:
            writer = None if args.json else csv.DictWriter(fh, fieldnames=csv_columns(codes), lineterminator="\n")
            if writer:
                writer.writeheader()
            for _item, res in job.results(items):
                summary.count_status(res.status)
                if writer:
                    writer.writerow(res.csv_row(codes))
                else:
                    fh.write(json.dumps({**res.csv_row(codes), "model": model.name, "model_version": model.version,
                                         "sha256": res.sha256}) + "\n")
                if bar:
                    bar.update(1)
    finally:
        if bar:
            bar.close()
    dt = time.perf_counter() - t0
    skipped = f"; {summary.skipped_non_images} non-image file(s) skipped" if summary.skipped_non_images else ""
    print(f"scanned {len(items)} images in {dt:.1f}s ({len(items) / dt if dt else 0:.0f}/s): "
          f"{summary.ok} ok, {summary.rejected} cannot assess, {summary.error} errors -> {args.out}{skipped}",
          file=sys.stderr)
    return 0
