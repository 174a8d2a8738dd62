"""Offline for real (issue 12): a scan and an app session under a network guard, in a fresh process.

Two guards, because ONNX Runtime's telemetry is native code: a Python audit hook (socket.connect,
getaddrinfo, gethostbyname...: denies and records anything but AF_UNIX), and, where `strace` works, every
connect()/sendto() of the process tree, so a DNS lookup from C++ is caught too. HOME points at an empty
folder: nothing may appear there (ORT wrote ~/.cache/Microsoft/.../deviceid and an event queue).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_images

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="strace and AF_UNIX checks are POSIX")

GUARD = textwrap.dedent('''
    import os, socket, sys
    LOG = os.environ["NET_GUARD_LOG"]
    DNS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
           "socket.getnameinfo"}

    def hook(event, args):
        bad = None
        if event in DNS:
            bad = f"{event} {args[0]!r}"
        elif event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock = args[0]
            if getattr(sock, "family", None) != socket.AF_UNIX:
                bad = f"{event} {args[1:]!r}"
        if bad:
            with open(LOG, "a") as fh:
                fh.write(bad + "\\n")
            raise OSError("network access denied by the test guard: " + bad)

    sys.addaudithook(hook)
    sys.path.insert(0, os.getcwd())
    mode, *argv = sys.argv[1:]
    if mode == "scan":
        from dermtriage.cli import main
        sys.exit(main(["scan", *argv]))
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from gui.app import create_main_window, isolated_app
    app = isolated_app(Path(argv[0]))
    window = create_main_window()
    window.show()
    done = []
    window.controller.finished.connect(lambda *a: (done.append(1), window.close(), app.quit()))
    QTimer.singleShot(0, lambda: window.start_scan([argv[1]]))
    QTimer.singleShot(90000, app.quit)
    app.exec()
    print("SCANNED" if done else "NOT SCANNED")
''')


def _strace_works() -> bool:
    exe = shutil.which("strace")
    if not exe:
        return False
    try:
        return subprocess.run([exe, "-f", "-qq", "-e", "trace=connect", "-o", os.devnull, "true"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


_NON_UNIX = re.compile(r"(connect|sendto|sendmsg)\(\d+, \{sa_family=AF_INET6?\b[^\n]*")


def run_guarded(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run GUARD with `args` (home and data folder empty, under tmp_path); returns the process and every
    network access the audit hook or strace saw."""
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "guard.log"
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY",)}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), NET_GUARD_LOG=str(log),
               DERMTRIAGE_DATA_DIR=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, "-c", GUARD, *args]
    trace = tmp_path / "strace.txt"
    if _strace_works():
        cmd = [shutil.which("strace") or "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg",
               "-o", str(trace), *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=ROOT, env=env)
    seen = log.read_text().splitlines() if log.exists() else []
    if trace.exists():
        seen += [m.group(0) for m in _NON_UNIX.finditer(trace.read_text(errors="replace"))]
    return proc, seen


def _written_under(home: Path) -> list[str]:
    """Files that appeared in the empty HOME (Qt's font cache aside)."""
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.is_file() and "fontconfig" not in p.parts)


def test_scan_makes_no_network_access(tmp_path, fullsize_images):
    folder = copy_images(fullsize_images[:3], tmp_path / "images")
    out = tmp_path / "out.csv"
    proc, seen = run_guarded(tmp_path, "scan", str(folder), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 4
    assert seen == [], f"network access during a scan: {seen}"
    assert _written_under(tmp_path / "home") == []


def test_app_session_makes_no_network_access(tmp_path, fullsize_images):
    folder = copy_images(fullsize_images[:3], tmp_path / "images")
    proc, seen = run_guarded(tmp_path, "app", str(tmp_path / "session"), str(folder))
    assert proc.returncode == 0 and "SCANNED" in proc.stdout, proc.stdout + proc.stderr
    assert seen == [], f"network access during an app session: {seen}"
    assert not (tmp_path / "home" / ".cache" / "Microsoft").exists()


def test_guard_catches_a_lookup(tmp_path):
    """The guard itself works: a DNS lookup from Python is seen (and denied)."""
    code = "import socket\ntry:\n    socket.getaddrinfo('example.com', 80)\nexcept OSError:\n    pass\n"
    script = tmp_path / "probe.py"
    script.write_text(code)
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "guard.log"
    env = dict(os.environ, NET_GUARD_LOG=str(log), HOME=str(home))
    hooked = GUARD.replace('mode, *argv = sys.argv[1:]', f'exec(open({str(script)!r}).read()); sys.exit(0)')
    subprocess.run([sys.executable, "-c", hooked], timeout=60, env=env, cwd=ROOT, check=True)
    assert "socket.getaddrinfo 'example.com'" in log.read_text()
