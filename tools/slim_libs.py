"""Slim the Linux package: stub the libraries opencv-python-headless links but DermTriage never calls, and more.

The OpenCV wheel links FFmpeg (video I/O), libaom (AV1, through libavif) and its own OpenBLAS (LAPACK for
solvers) straight into `cv2.abi3.so`: about 83 MB the app never executes. It only decodes still images
(JPEG, PNG, BMP, TIFF, WebP: libjpeg-turbo, libtiff and libwebp are built into cv2 itself; libpng and
libavif are kept) and calls resize / cvtColor / Sobel / Laplacian. The dynamic loader still needs every
library cv2 names, and every symbol the remaining binaries import from them (Python loads extensions
with RTLD_NOW), so each such library is replaced by a stub with the same soname exporting exactly those
symbols, with their versions, whose functions print the name and abort. Libraries only the stubs needed
are dropped. If a future code path ever reached one, the process stops with
"DermTriage: <function> of <library> is not in this build" instead of misbehaving.

Also: numpy's libgfortran becomes a shim of the four functions its OpenBLAS imports (`GFORTRAN_SHIM`);
Qt's ICU data is cut to English/root, collation and time zones (tools/slim_icu.py, needs icupkg); top-level
libraries nothing needs any more are dropped (`prune_orphans`); symbol tables are stripped where that is
safe (`strip_binaries`). Each step keeps the original when its tool or its check fails.

build.spec calls `slim_binaries` on PyInstaller's binary list; `python tools/slim_libs.py --check`
imports cv2 from a copy with the stubs and runs the app's image path (used by the tests, needs `cc`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Libraries (by name prefix, inside opencv_python_headless.libs) replaced by stubs: cv2 names them
# directly, and libaom (AV1), which libavif names. libpng and libavif stay: cv2 creates its AVIF codec
# objects whenever it first encodes or decodes anything.
STUB_PREFIXES = ("libopenblas", "libavcodec", "libavformat", "libavutil", "libswscale", "libaom")
# Libraries needed only by the stubbed ones: dropped.
DROP_PREFIXES = ("libgfortran", "libquadmath", "libswresample", "libvpx", "libssl", "libcrypto", "libdrm")
LIBS_DIR = "opencv_python_headless.libs"

# numpy's OpenBLAS imports four functions of the GNU Fortran runtime (2.7 MB, plus libquadmath): the shim
# below implements exactly those, with libgfortran's own algorithms, under the same soname and version.
GFORTRAN_SHIM = r"""
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
void _gfortran_concat_string(size_t destlen, char *dest, size_t len1, const char *s1, size_t len2, const char *s2) {
  if (len1 >= destlen) { memcpy(dest, s1, destlen); return; }
  memcpy(dest, s1, len1); dest += len1; destlen -= len1;
  if (len2 >= destlen) { memcpy(dest, s2, destlen); return; }
  memcpy(dest, s2, len2); memset(dest + len2, ' ', destlen - len2);
}
double _gfortran_pow_r8_i8(double a, int64_t b) {
  double pow = 1, x = a; uint64_t u;
  if (b != 0) {
    if (b < 0) { u = -(uint64_t)b; x = pow / x; } else { u = (uint64_t)b; }
    for (;;) { if (u & 1) pow *= x; u >>= 1; if (u) x *= x; else break; }
  }
  return pow;
}
float _gfortran_pow_r4_i8(float a, int64_t b) {
  float pow = 1, x = a; uint64_t u;
  if (b != 0) {
    if (b < 0) { u = -(uint64_t)b; x = pow / x; } else { u = (uint64_t)b; }
    for (;;) { if (u & 1) pow *= x; u >>= 1; if (u) x *= x; else break; }
  }
  return pow;
}
float _gfortran_etime(float *t) {
  struct rusage r; float user = -1, sys = -1;
  if (getrusage(RUSAGE_SELF, &r) == 0) {
    user = r.ru_utime.tv_sec + 1e-6f * r.ru_utime.tv_usec; sys = r.ru_stime.tv_sec + 1e-6f * r.ru_stime.tv_usec;
  }
  t[0] = user; t[1] = sys; return user < 0 ? -1 : user + sys;
}
"""
GFORTRAN_SHIM_SYMBOLS = {"_gfortran_concat_string", "_gfortran_pow_r8_i8", "_gfortran_pow_r4_i8", "_gfortran_etime"}

_SYM = re.compile(r"^\s*\d+:\s+[0-9a-f]+\s+(\d+)\s+(FUNC|OBJECT|IFUNC|NOTYPE)\s+(GLOBAL|WEAK)\s+\S+\s+(\S+)\s+(\S+)")


def compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def exported_symbols(lib: Path) -> list[tuple[str, str, int, str | None]]:
    """(name, FUNC|OBJECT, size, version or None) of every defined dynamic symbol of `lib`."""
    out = subprocess.run(["readelf", "--dyn-syms", "-W", str(lib)], capture_output=True, text=True, check=True)
    syms: dict[str, tuple[str, str, int, str | None]] = {}
    for line in out.stdout.splitlines():
        m = _SYM.match(line)
        if not m or m.group(4) in ("UND", "ABS"):  # imports; version definitions
            continue
        size, kind, name = int(m.group(1)), m.group(2), m.group(5)
        version = None
        if "@" in name:
            name, _, version = name.partition("@")
            version = version.lstrip("@")
            if version.endswith(")"):
                continue
        if not name or name.startswith("_") and name in ("_init", "_fini", "_edata", "_end", "__bss_start"):
            continue
        if version and version == name:  # the version definition's own symbol
            continue
        if kind == "NOTYPE":
            continue
        syms[name] = (name, "OBJECT" if kind == "OBJECT" else "FUNC", size, version)
    return sorted(syms.values())


def soname(lib: Path) -> str:
    out = subprocess.run(["readelf", "-d", "-W", str(lib)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    return m.group(1) if m else lib.name


def build_stub(lib: Path, out: Path, cc: str, only: set[str] | None = None) -> Path:
    """Compile a stub for `lib` into `out` (a file path); returns it. With `only`, just those of its
    exported names (what the remaining binaries import), else all of them."""
    syms = [s for s in exported_symbols(lib) if only is None or s[0] in only]
    name = lib.name
    src = [
        "/* generated by tools/slim_libs.py: stub for " + name + " */",
        "extern long write(int, const void *, unsigned long);",
        "extern void abort(void);",
        "static unsigned long len_(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }",
        "__attribute__((noreturn)) static void dermtriage_removed(const char *f) {",
        '  static const char a[] = "DermTriage: ", b[] = " of ' + name + ' is not in this build\\n";',
        "  write(2, a, sizeof a - 1); write(2, f, len_(f)); write(2, b, sizeof b - 1); abort(); }",
    ]
    versions: dict[str, list[str]] = {}
    for sym, kind, size, version in syms:
        if kind == "OBJECT":
            src.append(f'__attribute__((visibility("default"))) char {sym}[{max(size, 1)}];')
        else:
            src.append(f'__attribute__((visibility("default"))) void {sym}(void) {{ dermtriage_removed("{sym}"); }}')
        versions.setdefault(version or "", []).append(sym)
    with tempfile.TemporaryDirectory(prefix="dt-stub-") as tmp:
        c = Path(tmp) / "stub.c"
        c.write_text("\n".join(src) + "\n", encoding="ascii")
        args = [cc, "-shared", "-fPIC", "-Os", "-w", "-fno-builtin", "-nostdlib", "-fno-asynchronous-unwind-tables",
                "-fno-unwind-tables", "-fno-stack-protector", "-s", "-o", str(out), str(c),
                f"-Wl,-soname,{soname(lib)}", "-lc"]
        named = {v: s for v, s in versions.items() if v}
        if named:
            script = Path(tmp) / "stub.map"
            script.write_text("".join(f"{v} {{ global: {'; '.join(s)}; }};\n" for v, s in named.items()),
                              encoding="ascii")
            args.append(f"-Wl,--version-script,{script}")
        subprocess.run(args, check=True)
    return out


@functools.cache
def imported_symbols(lib: str) -> frozenset[tuple[str, str | None]]:
    out = subprocess.run(["readelf", "--dyn-syms", "-W", lib], capture_output=True, text=True).stdout
    found = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[6] == "UND" and f[7]:
            name, _, version = f[7].partition("@")
            found.add((name, version.lstrip("@") or None))
    return frozenset(found)


def gfortran_shim(lib: Path, consumers: list[str], out: Path, cc: str) -> Path | None:
    """The shim for `lib` (a libgfortran) when its consumers import nothing else from it; else None."""
    provided = {name for name, *_ in exported_symbols(lib)}
    wanted = {(n, v) for c in consumers for n, v in imported_symbols(c) if n in provided}
    if not wanted or {n for n, _ in wanted} - GFORTRAN_SHIM_SYMBOLS or len({v for _, v in wanted}) != 1:
        return None
    (version,) = {v for _, v in wanted}
    with tempfile.TemporaryDirectory(prefix="dt-gfortran-") as tmp:
        c, vmap = Path(tmp) / "shim.c", Path(tmp) / "shim.map"
        c.write_text(GFORTRAN_SHIM, encoding="ascii")
        vmap.write_text(f"{version} {{ global: {'; '.join(sorted(GFORTRAN_SHIM_SYMBOLS))}; local: *; }};\n",
                        encoding="ascii")
        subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(c), f"-Wl,-soname,{soname(lib)}",
                        f"-Wl,--version-script,{vmap}", "-s"], check=True)
    return out


def _match(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name.startswith(p) for p in prefixes)


def slim_binaries(binaries: list, workdir: Path) -> tuple[list, list[str]]:
    import slim_icu  # here, not at the top: slim_icu uses this module's `soname`
    """PyInstaller's a.binaries with OpenCV's unused libraries stubbed or dropped (Linux with a C compiler).

    Returns (new list, what was done, one line per library). Elsewhere, or with DERMTRIAGE_FULL_OPENCV=1,
    the list comes back unchanged.
    """
    cc = compiler()
    if (not sys.platform.startswith("linux") or cc is None or shutil.which("readelf") is None
            or os.environ.get("DERMTRIAGE_FULL_OPENCV") == "1"):
        return list(binaries), []
    workdir.mkdir(parents=True, exist_ok=True)
    out, notes = [], []

    def in_libs(entry, prefixes: tuple[str, ...]) -> bool:  # noqa: ANN001
        parts = entry[0].replace("\\", "/").split("/")
        return len(parts) >= 2 and parts[-2] == LIBS_DIR and _match(parts[-1], prefixes)

    kept = [e for e in binaries if not in_libs(e, STUB_PREFIXES + DROP_PREFIXES)]
    imported = {name for e in kept for name, _ in imported_symbols(e[1])}
    for entry in binaries:
        dest, src = entry[0], entry[1]
        parts = dest.replace("\\", "/").split("/")
        base = parts[-1]
        if len(parts) >= 2 and parts[-2] == LIBS_DIR and _match(base, STUB_PREFIXES):
            stub = build_stub(Path(src), workdir / base, cc, only=imported)
            out.append((dest, str(stub), *entry[2:]))
            notes.append(f"stubbed {base} ({Path(src).stat().st_size / 1e6:.1f} MB)")
        elif len(parts) >= 2 and parts[-2] == LIBS_DIR and _match(base, DROP_PREFIXES):
            notes.append(f"dropped {base} ({Path(src).stat().st_size / 1e6:.1f} MB)")
        elif (base.startswith("libgfortran") and parts[-2] == "numpy.libs"
              and (shim := gfortran_shim(Path(src), [e[1] for e in binaries if e[1] != src], workdir / base, cc))):
            out.append((dest, str(shim), *entry[2:]))
            notes.append(f"replaced {base} ({Path(src).stat().st_size / 1e6:.1f} MB) by a shim of the four "
                         "functions numpy's OpenBLAS calls")
        elif base.startswith("libicudata.so") and (small := slim_icu.trim_icu_data(Path(src), workdir / base, cc)):
            out.append((dest, str(small), *entry[2:]))
            notes.append(f"trimmed {base} to en/root ({Path(src).stat().st_size / 1e6:.1f} -> "
                         f"{small.stat().st_size / 1e6:.1f} MB)")
        else:
            out.append(entry)
    out, notes = prune_orphans(out, notes)
    return strip_binaries(out, workdir, notes), notes


def _has_symtab(path: str) -> bool:
    try:
        out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return " .symtab " in out


def _loadable(path: Path) -> bool:
    """Every LOAD segment's file offset congruent to its address modulo its alignment (what `strip` breaks
    in libraries that auditwheel's patchelf rewrote: "ELF load command address/offset not page-aligned")."""
    out = subprocess.run(["readelf", "-l", "-W", str(path)], capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+.*?(0x[0-9a-f]+)\s*$",
                         out, re.M):
        offset, vaddr, align = (int(g, 16) for g in m.groups())
        if align > 1 and offset % align != vaddr % align:
            return False
    return True


def strip_binaries(binaries: list, workdir: Path, notes: list[str]) -> list:
    """Strip the symbol tables of the unstripped libraries (libpython alone drops from 23 to 6 MB), on copies.

    PyInstaller's own strip=True is not used: it also strips the wheels' auditwheel-patched libraries
    (numpy.libs), which then fail to load. A stripped copy is used only if its segments still load."""
    strip = shutil.which("strip")
    if strip is None:
        return binaries
    out = []
    for entry in binaries:
        dest, src = entry[0], entry[1]
        if ".libs/" in dest.replace("\\", "/") or not _has_symtab(src):
            out.append(entry)
            continue
        target = workdir / "stripped" / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        done = subprocess.run([strip, "--strip-all", str(target)], capture_output=True).returncode == 0
        if done and _loadable(target):
            out.append((dest, str(target), *entry[2:]))
            saved = Path(src).stat().st_size - target.stat().st_size
            if saved > 500_000:
                notes.append(f"stripped {dest} (-{saved / 1e6:.1f} MB)")
        else:
            out.append(entry)
    return out


def _needed(path: str) -> list[str]:
    try:
        dyn = subprocess.run(["readelf", "-d", "-W", path], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)


def _prunable(dest: str) -> bool:
    parts = dest.replace("\\", "/").split("/")
    return len(parts) == 1 or (len(parts) == 2 and parts[0].endswith(".libs"))


def prune_orphans(binaries: list, notes: list[str]) -> tuple[list, list[str]]:
    """Drop top-level shared libraries that no remaining binary names (they came in for plugins and
    modules that were excluded, e.g. GTK's cairo/pango for the dropped GTK platform theme). Python
    extension modules and libpython (loaded by import and by the bootloader) always stay."""
    needed = {id(e): _needed(e[1]) for e in binaries}
    out = list(binaries)
    while True:
        names = {n for e in out for n in needed[id(e)]}
        orphans = [e for e in out if _prunable(e[0]) and ".so" in e[0]
                   and not e[0].startswith("libpython") and ".cpython-" not in e[0] and ".abi3." not in e[0]
                   and e[0].replace("\\", "/").rsplit("/", 1)[-1] not in names]
        if not orphans:
            return out, notes
        for e in orphans:
            out.remove(e)
            notes.append(f"dropped {e[0]} ({Path(e[1]).stat().st_size / 1e6:.2f} MB): no remaining binary needs it")


def stubbed_copy(dest: Path) -> Path:
    """A copy of the installed cv2 package with the stubs in place (for --check and the tests)."""
    import importlib.util

    spec = importlib.util.find_spec("cv2")
    if spec is None or spec.origin is None:
        raise SystemExit("cv2 is not installed")
    site = Path(spec.origin).parent.parent
    shutil.copytree(site / "cv2", dest / "cv2", symlinks=True)
    libs = site / LIBS_DIR
    (dest / LIBS_DIR).mkdir()
    cc = compiler()
    if cc is None:
        raise SystemExit("no C compiler (cc)")
    kept = [site / "cv2" / p.name for p in (site / "cv2").glob("cv2*.so")]
    kept += [p for p in libs.iterdir() if not _match(p.name, STUB_PREFIXES + DROP_PREFIXES)]
    imported = {name for p in kept for name, _ in imported_symbols(str(p))}
    for lib in libs.iterdir():
        if _match(lib.name, STUB_PREFIXES):
            build_stub(lib, dest / LIBS_DIR / lib.name, cc, only=imported)
        elif not _match(lib.name, DROP_PREFIXES):
            shutil.copy2(lib, dest / LIBS_DIR / lib.name)
    return dest


CHECK = """
import sys, cv2, numpy as np
from inference.image import decode_file
from inference.quality import QualityGate
from inference.preprocess import PreprocessSpec, preprocess
gate = QualityGate.load()
spec = PreprocessSpec(height=72, width=96)
ok = 0
for p in sys.argv[1:]:
    img = decode_file(p, (72, 96))
    v = gate.check(img.rgb)
    x = preprocess(img.rgb, spec)
    ok += v.ok
for ext in (".png", ".bmp", ".tiff", ".webp", ".jpg"):
    enc = cv2.imencode(ext, np.full((80, 90, 3), 100, np.uint8))[1]
    assert cv2.imdecode(enc, cv2.IMREAD_COLOR).shape == (80, 90, 3), ext
print("stubbed cv2 OK:", cv2.__version__, len(sys.argv) - 1, "images,", ok, "passed the gate")
"""


def remove_dangling_links(folder: Path) -> list[str]:
    """PyInstaller links top-level names to libraries in sub-folders; drop the links whose library went."""
    gone = [p for p in folder.rglob("*") if p.is_symlink() and not p.exists()]
    for p in gone:
        p.unlink()
    return [p.name for p in gone]


def main() -> None:
    if "--check" not in sys.argv:
        raise SystemExit(__doc__)
    root = Path(__file__).resolve().parents[1]
    images = sorted((root / "assets" / "samples").glob("*.jpg"))
    with tempfile.TemporaryDirectory(prefix="dt-slim-") as tmp:
        stubbed_copy(Path(tmp))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([tmp, str(root)]))
        subprocess.run([sys.executable, "-c", CHECK, *map(str, images)], env=env, check=True)


if __name__ == "__main__":
    main()
