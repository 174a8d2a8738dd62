"""tools/build_deb.py: the .deb that puts DermTriage in the applications menu (issue 22).

Built here from a stand-in for the PyInstaller folder (a script named DermTriage and a library), so the
package's layout, control fields and desktop entry are checked without a 5-minute freeze; `.ci/run`
installs, starts and removes the real one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import build_deb  # noqa: E402

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="Debian-family systems only")


def _fake_dist(tmp_path: Path) -> Path:
    dist = tmp_path / "DermTriage"
    (dist / "_internal").mkdir(parents=True)
    exe = dist / "DermTriage"
    exe.write_text("#!/bin/sh\necho frozen \"$@\"\n")
    exe.chmod(0o755)
    (dist / "_internal" / "libQt6Core.so.6").write_bytes(b"\x7fELF" + b"\0" * 100)
    return dist


def test_desktop_entry_opens_images_and_folders() -> None:
    entry = build_deb.desktop_entry()
    lines = dict(line.split("=", 1) for line in entry.splitlines()[1:] if "=" in line)
    assert entry.startswith("[Desktop Entry]\n")
    assert lines["Exec"] == "dermtriage %F" and lines["Icon"] == "dermtriage" and lines["Type"] == "Application"
    assert lines["MimeType"] == "image/jpeg;image/png;image/bmp;image/tiff;inode/directory;"


@needs_dpkg
def test_deb_layout_control_and_valid_desktop_entry(tmp_path: Path) -> None:
    deb = build_deb.build(_fake_dist(tmp_path), tmp_path / "out", tmp_path / "work")
    assert deb.name == f"dermtriage_{build_deb.app_version()}_{build_deb.architecture()}.deb"
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Package: dermtriage" in fields and "libxcb-cursor0" in fields and "not a medical device" in fields
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    rows = {line.split()[5].lstrip("."): line for line in listing.splitlines()}
    assert rows["/opt/dermtriage/DermTriage"].startswith("-rwxr-xr-x root/root")
    assert "/opt/dermtriage/_internal/libQt6Core.so.6" in rows
    link = rows["/usr/bin/dermtriage"]
    assert link.startswith("l") and "-> /opt/dermtriage/DermTriage" in link
    assert "/usr/share/applications/dermtriage.desktop" in rows
    assert "/usr/share/icons/hicolor/256x256/apps/dermtriage.png" in rows
    # A second build replaces the first (no stale packages beside it).
    again = build_deb.build(_fake_dist(tmp_path / "2"), tmp_path / "out", tmp_path / "work")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [again.name]
    validate = shutil.which("desktop-file-validate")
    if validate:
        desktop = tmp_path / "work" / "root" / build_deb.DESKTOP
        out = subprocess.run([validate, str(desktop)], capture_output=True, text=True)
        assert out.returncode == 0 and "error" not in out.stdout.lower(), out.stdout


def test_missing_freeze_is_said(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make package"):
        build_deb.stage(tmp_path / "nothing", tmp_path / "stage", "0.1.0", "amd64")
