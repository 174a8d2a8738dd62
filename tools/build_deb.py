"""Wrap the PyInstaller folder (dist/DermTriage) in a Debian package a clinic's Linux laptop installs with a
double-click (GNOME Software, Discover, `apt install ./dermtriage_*.deb`), and removes cleanly.

Issue 22: "double-click the packaged app" meant finding an executable inside a folder; no menu entry, no
icon, no "Open with DermTriage". The package holds:

- /opt/dermtriage/            the frozen app, unchanged (it finds its bundled files next to itself);
- /usr/bin/dermtriage         a link to /opt/dermtriage/DermTriage (the same commands as `dermtriage`);
- /usr/share/applications/dermtriage.desktop  the menu entry, with "Open with" for JPEG, PNG, BMP, TIFF
                              and folders (the window queues what it is opened with);
- /usr/share/icons/hicolor/256x256/apps/dermtriage.png  its icon.

No maintainer scripts: Debian's desktop-file-utils and icon-theme packages refresh their caches through
dpkg triggers on these folders, so installing and removing needs nothing of ours. Built with `dpkg-deb`
alone (no fpm, no network), from a staging tree under build/deb.

Usage: `python tools/build_deb.py [--dist dist/DermTriage] [--out dist]` (`make package` runs it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "dermtriage"
APP_DIR = f"opt/{PACKAGE}"
EXECUTABLE = "DermTriage"
DESKTOP = f"usr/share/applications/{PACKAGE}.desktop"
ICON = f"usr/share/icons/hicolor/256x256/apps/{PACKAGE}.png"
MIME_TYPES = ("image/jpeg", "image/png", "image/bmp", "image/tiff", "inode/directory")
# What the frozen Qt needs from the system for its xcb window (the runtime half of `make system-deps`);
# alternatives cover the t64 library renames of Debian 13 and Ubuntu 24.04.
DEPENDS = ("libc6, libegl1, libgl1, libglib2.0-0 | libglib2.0-0t64, libfontconfig1, libfreetype6, "
           "libdbus-1-3, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, "
           "libxcb-image0, libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, libxcb-xkb1, libxcb-randr0, "
           "libxcb-shm0, libxcb-sync1, libxcb-xfixes0, libx11-xcb1")


def app_version() -> str:
    """The app's version (dermtriage/__init__.py), read without importing the app."""
    text = (ROOT / "dermtriage" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if match is None:
        raise SystemExit("no __version__ in dermtriage/__init__.py")
    return match.group(1)


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def desktop_entry() -> str:
    """The menu entry (freedesktop Desktop Entry 1.4, the newest that Debian 12 validates); `%F`: the files
    and folders it is opened with."""
    return "\n".join((
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=DermTriage",
        "GenericName=Skin lesion triage",
        "Comment=Sort dermoscopic skin-lesion images by urgency, offline (research use; not a medical device)",
        f"Exec={PACKAGE} %F",
        f"TryExec={PACKAGE}",
        f"Icon={PACKAGE}",
        "Terminal=false",
        "Categories=Science;MedicalSoftware;",
        "Keywords=dermoscopy;dermatoscope;skin;lesion;melanoma;triage;",
        "MimeType=" + "".join(f"{m};" for m in MIME_TYPES),
        "StartupNotify=true",
        "",
    ))


def control(version: str, arch: str, installed_kib: int) -> str:
    return "\n".join((
        f"Package: {PACKAGE}",
        f"Version: {version}",
        f"Architecture: {arch}",
        "Maintainer: DermTriage <dermtriage@localhost>",
        f"Installed-Size: {installed_kib}",
        f"Depends: {DEPENDS}",
        "Section: science",
        "Priority: optional",
        "Description: offline triage of dermoscopic skin-lesion images",
        " DermTriage sorts dermoscopic images of skin lesions by how soon a clinician",
        " should look at them, with a small CNN that runs on the laptop's CPU; nothing",
        " leaves the machine. For research use; not a medical device; does not",
        " replace a clinician's diagnosis.",
        "",
    ))


def _du_kib(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return max(1, total // 1024)


def stage(dist: Path, staging: Path, version: str, arch: str) -> Path:
    """The package's file tree under `staging` (emptied first); returns it."""
    if not (dist / EXECUTABLE).is_file():
        raise SystemExit(f"{dist / EXECUTABLE} not found: run `make package` (PyInstaller) first")
    if staging.exists():
        shutil.rmtree(staging)
    app = staging / APP_DIR
    shutil.copytree(dist, app, symlinks=True)
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / PACKAGE).symlink_to(f"/{APP_DIR}/{EXECUTABLE}")
    desktop = staging / DESKTOP
    desktop.parent.mkdir(parents=True)
    desktop.write_text(desktop_entry(), encoding="utf-8")
    icon = staging / ICON
    icon.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "assets" / "icons" / "dermtriage.png", icon)
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control(version, arch, _du_kib(staging)), encoding="utf-8")
    # dpkg-deb wants 0755 folders; files readable by all, executables (the app, its libraries) kept so.
    for dirpath, dirs, files in os.walk(staging):
        os.chmod(dirpath, 0o755)
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
        for name in dirs:
            os.chmod(Path(dirpath) / name, 0o755)
    return staging


def build(dist: Path, out_dir: Path, work: Path) -> Path:
    """Stage and run dpkg-deb; returns the .deb (older dermtriage_*.deb in `out_dir` are removed)."""
    version, arch = app_version(), architecture()
    staging = stage(dist, work / "root", version, arch)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob(f"{PACKAGE}_*.deb"):
        old.unlink()
    deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(staging), str(deb)], check=True,
                   stdout=subprocess.DEVNULL)
    return deb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "dist" / "DermTriage", help="the PyInstaller folder")
    ap.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .deb goes")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "deb", help="staging folder")
    args = ap.parse_args(argv)
    if shutil.which("dpkg-deb") is None:
        print("dpkg-deb not found (not a Debian-family system): no .deb built", file=sys.stderr)
        return 0
    deb = build(args.dist, args.out, args.work)
    print(f"wrote {deb} ({deb.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
