"""`dermtriage site fit | report | reset`: the clinic's own operating point and figures from the command line.

    dermtriage site fit RESULTS.csv OUTCOMES.csv [--target 0.95] [--adopt]
    dermtriage site report [--json]
    dermtriage site reset [--model NAME]

RESULTS is a `dermtriage scan` CSV; OUTCOMES has a `diagnosis` column and `sha256` and/or `path` (extra
columns ignored). `fit` prints the proposal and changes nothing unless `--adopt`, which stores it in the
app's database (DERMTRIAGE_DATA_DIR), so later scans and the window use it. Exit codes as `scan`: 0 done,
2 an unusable input file or argument, 3 an unusable model.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cases.outcomes import OutcomeFileError, normalise_diagnosis, read_csv_rows
from cases.policy import adopt_site_policy, policy_thresholds, read_store_override, set_policy, shipped_cards
from cases.site import DEFAULT_TARGET, Scored, fit_site_thresholds
from cases.store import Store, StoreError
from inference.card import DEFAULT_MODEL, ModelCard

MAX_RESULTS_BYTES = 200 * 1024 * 1024
T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="dermtriage site", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="propose (and with --adopt, store) a site operating point")
    fit.add_argument("results", type=Path, help="a `dermtriage scan` CSV")
    fit.add_argument("outcomes", type=Path, help="CSV with `diagnosis` and `sha256` and/or `path` columns")
    fit.add_argument("--target", type=float, default=DEFAULT_TARGET, help="melanomas to refer (default 0.95)")
    fit.add_argument("--adopt", action="store_true", help="store the proposal as the policy in force")
    fit.add_argument("--json", action="store_true", help="print the proposal as JSON")
    rep = sub.add_parser("report", help="the clinic's figures, inflow and proposal from the app's database")
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--target", type=float, default=DEFAULT_TARGET)
    reset = sub.add_parser("reset", help="return to the model card's thresholds (audited)")
    reset.add_argument("--model", default=DEFAULT_MODEL, help="shipped model name (default: the default model)")
    return ap


def _card(name: str, version: str | None = None) -> ModelCard | None:
    for card in shipped_cards():
        if card.name == name and (version is None or card.version == version):
            return card
    return None


def load_fit_cases(results: Path, outcomes: Path) -> tuple[ModelCard, list[Scored], list[str]]:
    """Match outcome rows to scan rows (by sha256, else path) -> the model and its scored cases, and the
    outcome rows that matched nothing (reported, not fatal). Raises ValueError for unusable files."""
    rows = read_csv_rows(results, max_bytes=MAX_RESULTS_BYTES, what="results CSV")
    if not rows or "status" not in rows[0] or "p_mel" not in rows[0]:
        raise ValueError(f"{results} is not a `dermtriage scan` CSV (no status / p_mel columns)")
    models = {(r.get("model", ""), r.get("model_version", "")) for r in rows if r.get("model")}
    if len(models) != 1:
        raise ValueError(f"{results} must hold the results of one model version (found {sorted(models)})")
    name, version = models.pop()
    card = _card(name, version)
    if card is None:
        raise LookupError(f"{results} was made by {name} {version}, which is not a shipped model of this app")
    by_sha = {r["sha256"].lower(): r for r in rows if r.get("sha256")}
    by_path = {r["path"]: r for r in rows if r.get("path")}
    out_rows = read_csv_rows(outcomes, what="outcomes CSV")
    if not out_rows or "diagnosis" not in out_rows[0] or not ({"sha256", "path"} & set(out_rows[0])):
        raise ValueError(f"{outcomes} needs a `diagnosis` column and `sha256` and/or `path`")
    cases, unmatched, unknown, seen = [], [], [], set()
    for line, o in enumerate(out_rows, start=2):
        dx = normalise_diagnosis(o.get("diagnosis", ""), card.codes)
        if dx is None:
            unknown.append(f"line {line}: {o.get('diagnosis', '')!r}")
            continue
        r = by_sha.get(o.get("sha256", "").lower()) if o.get("sha256") else None
        if r is None and o.get("path"):
            r = by_path.get(o["path"])
        if r is None:
            unmatched.append(f"line {line}: {o.get('sha256') or o.get('path')}")
            continue
        if id(r) in seen:
            unknown.append(f"line {line}: a second outcome for {r.get('path')}")
            continue
        seen.add(id(r))
        if r["status"] == "ok":
            mal = sum(float(r[f"p_{c}"]) for c in card.malignant)
            cases.append(Scored(float(r["p_mel"]), mal, dx))
        elif r["status"] == "rejected":
            cases.append(Scored(None, None, dx))
    if unknown:
        raise ValueError(f"{outcomes}: unknown diagnoses or duplicates (codes: {', '.join(card.codes)}, benign, "
                         "malignant): " + "; ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else ""))
    return card, cases, unmatched


def _write_store(write: Callable[[Store], T], what: str) -> tuple[int, T | None]:
    """Run one audited write on the app's store (DERMTRIAGE_DATA_DIR): (0, its value), or (2, None) with the
    reason on stderr when the store cannot be opened or refuses the write (read-only, full): nothing stored."""
    try:
        store = Store()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2, None
    try:
        return 0, write(store)
    except StoreError as exc:
        print(f"error: {what}: {exc}", file=sys.stderr)
        return 2, None
    finally:
        store.close()


def _fit(args: argparse.Namespace) -> int:
    from cases.scan import store_path_without_creating

    if not 0.5 <= args.target < 1.0:
        print("error: --target must lie in 0.5..0.999", file=sys.stderr)
        return 2
    try:
        card, cases, unmatched = load_fit_cases(args.results, args.outcomes)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except (ValueError, OutcomeFileError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        current = policy_thresholds(card, read_store_override(store_path_without_creating(), card))
    except sqlite3.Error:  # an unreadable store: the card's policy is the baseline the proposal is set against
        current = card.thresholds
    proposal = fit_site_thresholds(cases, card.thresholds, current, args.target)
    if unmatched:
        print(f"{len(unmatched)} outcome row(s) match no scanned image and were left out: "
              + "; ".join(unmatched[:5]) + (" ..." if len(unmatched) > 5 else ""), file=sys.stderr)
    if args.json:
        print(json.dumps({"model": card.name, "model_version": card.version, **proposal.to_dict()}, indent=1,
                         allow_nan=False))
    else:
        print(f"{card.name} {card.version}: site operating point from {len(cases)} matched case(s)")
        print("\n".join(proposal.lines()))
    if not args.adopt:
        if proposal.supported:
            print("Nothing changed: run again with --adopt to put these thresholds in force.", file=sys.stderr)
        return 0
    if not proposal.supported:
        print("Not adopted: the evidence cannot support the target; the policy in force is unchanged.",
              file=sys.stderr)
        return 0
    rc, _ = _write_store(lambda store: adopt_site_policy(store, card, proposal), "the site policy could not be stored")
    if rc:
        return rc
    print(f"Adopted for {card.name} {card.version} in {store_path_without_creating()}: later scans and the window "
          "use it (`dermtriage site reset` returns to the model card's).", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from cases.scan import store_path_without_creating
    from cases.site_report import store_report

    db = store_path_without_creating()
    if not db.is_file():
        print(f"No case database at {db}: scan images in the window first.", file=sys.stderr)
        return 2
    try:
        store = Store(db, read_only="a report only reads")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        reports = store_report(store, target=args.target)
    finally:
        store.close()
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=1, allow_nan=False))
    else:
        for r in reports:
            print("\n".join(r.lines()) + "\n")
        if not reports:
            print("No analysed cases in the database.")
    return 0


def _reset(args: argparse.Namespace) -> int:
    card = _card(args.model)
    if card is None:
        print(f"error: {args.model} is not a shipped model", file=sys.stderr)
        return 3
    rc, changed = _write_store(lambda store: set_policy(store, card, None), "the policy could not be changed")
    if rc:
        return rc
    print(f"{card.name} {card.version}: {'back to' if changed else 'already on'} the model card's thresholds "
          f"(urgent {card.thresholds.urgent:.2%}, soon {card.thresholds.soon:.2%}).")
    return 0


def run_site(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return {"fit": _fit, "report": _report, "reset": _reset}[args.command](args)
