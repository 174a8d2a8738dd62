"""Cut Qt's ICU data library to what DermTriage uses: English/root, collation, case mapping and time zones.

Part of tools/slim_libs.py's slimming of the Linux package (32 MB of libicudata -> about 3 MB).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from slim_libs import soname

_LOCALE_ITEM = re.compile(r"^(?:[a-z]+/)?([a-z]{2,3}(?:_[A-Za-z0-9]+)*)\.res$")


# ICU trees Qt never reads here: break iteration (Qt segments text with its own Unicode tables),
# transliteration, spell-out rules, and display names of currencies, units, languages and regions (QLocale
# carries its own CLDR data). Qt uses ICU for collation (QCollator, file-dialog sorting), case mapping,
# time-zone names and legacy text codecs.
_ICU_UNUSED_TREES = ("brkitr/", "translit/", "rbnf/", "curr/", "unit/", "lang/", "region/")


def icu_items_to_drop(items: list[str]) -> list[str]:
    """ICU data items Qt does not need in this app: other locales' bundles (root, en and en_* stay), the
    trees above, the legacy-codepage converter tables (*.cnv: the app reads and writes only UTF-8; Qt's
    UTF-8/16/32 and Latin-1 codecs are its own), confusables and character names."""
    drop = []
    for item in items:
        tail = item.split("/", 1)[1] if item.startswith("icudt") else item  # listed with or without the prefix
        m = _LOCALE_ITEM.match(tail)
        if tail.startswith(_ICU_UNUSED_TREES) or tail.endswith((".cnv", ".cfu")) or tail == "unames.icu":
            drop.append(item)
        elif m and m.group(1) not in ("root", "pool", "en", "res_index") and not m.group(1).startswith("en_"):
            drop.append(item)
    return drop


def trim_icu_data(lib: Path, out: Path, cc: str) -> Path | None:
    """A libicudata with only what `icu_items_to_drop` keeps (needs icupkg: Debian's icu-devtools)."""
    icupkg = shutil.which("icupkg")
    if icupkg is None:
        return None
    syms = subprocess.run(["readelf", "--dyn-syms", "-W", str(lib)], capture_output=True, text=True,
                          check=True).stdout
    m = re.search(r"^\s*\d+:\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+\d+\s+(icudt\d+_dat)\s*$",
                  syms, re.M)
    if m is None:
        return None
    addr, size, symbol = int(m.group(1), 16), int(m.group(2), 0), m.group(3)
    sections = subprocess.run(["readelf", "-S", "-W", str(lib)], capture_output=True, text=True, check=True).stdout
    offset = None
    for line in sections.splitlines():
        f = re.match(r"^\s*\[\s*\d+\]\s+\S+\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if f and int(f.group(1), 16) <= addr < int(f.group(1), 16) + int(f.group(3), 16):
            offset = addr - int(f.group(1), 16) + int(f.group(2), 16)
    if offset is None:
        return None
    with tempfile.TemporaryDirectory(prefix="dt-icu-") as tmp:
        name = symbol[: -len("_dat")] + "l"  # icudt73l: little-endian ASCII, what x86-64 ICU loads
        full, small = Path(tmp) / f"{name}.dat", Path(tmp) / "small" / f"{name}.dat"
        small.parent.mkdir()
        with open(lib, "rb") as fh:
            fh.seek(offset)
            full.write_bytes(fh.read(size))
        items = subprocess.run([icupkg, "-l", str(full)], capture_output=True, text=True, check=True).stdout.split()
        drop = Path(tmp) / "drop.txt"
        drop.write_text("\n".join(icu_items_to_drop(items)) + "\n", encoding="ascii")
        subprocess.run([icupkg, "--ignore-deps", "-r", str(drop), str(full), str(small)], check=True,
                       capture_output=True)
        asm = Path(tmp) / "icudata.S"
        asm.write_text(f""".section .rodata
.globl {symbol}
.type {symbol}, @object
.balign 16
{symbol}:
.incbin "{small}"
.size {symbol}, . - {symbol}
.section .note.GNU-stack,"",@progbits
""", encoding="ascii")
        subprocess.run([cc, "-shared", "-o", str(out), str(asm), f"-Wl,-soname,{soname(lib)}"], check=True)
    return out
