"""Measure the frozen build: folder size, the archives a user downloads (tar.gz, zip), launch-to-first-window
time under Xvfb, memory after start.

    python benchmarks/bench_package.py [--runs 5] [--quick] [--no-archive]

Needs `make package` first (dist/DermTriage) and Xvfb (`make system-deps`). The app prints one line
when its main window is first shown if DERMTRIAGE_STARTUP_PROBE=1 is set, then quits: the probe is
the only way to know "shown" from outside without a screenshot loop. Each launch uses a fresh data dir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "DermTriage"


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def archive_mb(folder: Path) -> dict[str, float]:
    """Sizes of the folder as .tar.gz and as .zip (deflate level 9; links stored as links, as `zip -y` does)."""
    import stat
    import tarfile
    import zipfile

    out = {}
    with tempfile.TemporaryDirectory(prefix="dt-archive-") as tmp:
        tgz = Path(tmp) / "DermTriage.tar.gz"
        with tarfile.open(tgz, "w:gz", compresslevel=9) as tar:
            tar.add(folder, arcname=folder.name)
        out["tar.gz"] = tgz.stat().st_size / 1e6
        tgz.unlink()
        zpath = Path(tmp) / "DermTriage.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for f in sorted(folder.rglob("*")):
                arc = f"{folder.name}/{f.relative_to(folder).as_posix()}"
                if f.is_symlink():
                    info = zipfile.ZipInfo(arc)
                    info.create_system = 3  # Unix, so the mode bits below mean a link
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    zf.writestr(info, os.readlink(f))
                elif f.is_file():
                    zf.write(f, arc)
        out["zip"] = zpath.stat().st_size / 1e6
    return out


def launch(exe: Path, display_env: dict[str, str]) -> tuple[float, float]:
    env = dict(os.environ, **display_env, DERMTRIAGE_STARTUP_PROBE="1",
               DERMTRIAGE_DATA_DIR=tempfile.mkdtemp(prefix="dt-bench-"),
               XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="dt-cfg-"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=120)
    wall = time.perf_counter() - t0
    line = next((ln for ln in out.splitlines() if ln.startswith("DERMTRIAGE_SHOWN")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"app did not report a shown window (rc {proc.returncode}):\n{out}\n{err}")
    fields = dict(kv.split("=") for kv in line.split()[1:])
    shown_s = float(fields.get("since_start_s", wall))  # measured in-process from /proc when available
    return shown_s, float(fields["rss_mb"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one launch (CI check)")
    ap.add_argument("--no-archive", action="store_true", help="skip the archive sizes (about a minute)")
    args = ap.parse_args()
    exe = DIST / ("DermTriage.exe" if sys.platform == "win32" else "DermTriage")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run `make package` first")
    size = folder_mb(DIST)
    print(f"built folder: {size:.1f} MB = {size * 1e6 / 2**20:.1f} MiB ({DIST}; must <= 250 MB, aim <= 200 MB)")
    if not args.no_archive:
        for kind, mb in archive_mb(DIST).items():
            print(f"archive {kind}: {mb:.1f} MB (must <= 120 MB)")
    xvfb = None
    display_env = {}
    if sys.platform.startswith("linux") and shutil.which("Xvfb"):
        display = ":97"
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        display_env = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    elif sys.platform.startswith("linux"):
        print("Xvfb not found: measuring with the offscreen platform instead")
        display_env = {"QT_QPA_PLATFORM": "offscreen"}
    try:
        runs = 1 if args.quick else args.runs
        shown, rss = [], []
        for _ in range(runs):
            s, r = launch(exe, display_env)
            shown.append(s)
            rss.append(r)
        shown.sort()
        print(f"launch to first shown window ({display_env.get('QT_QPA_PLATFORM', 'native')}): "
              f"median {shown[len(shown) // 2]:.2f} s, min {shown[0]:.2f} s, max {shown[-1]:.2f} s over {runs} runs")
        print(f"memory after start (RSS): {sorted(rss)[len(rss) // 2]:.0f} MB")
    finally:
        if xvfb:
            xvfb.terminate()


if __name__ == "__main__":
    main()
