"""tools/slim_libs.py, what build.spec uses to slim the Linux package: stubs, the gfortran shim, ICU trim."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import slim_icu  # noqa: E402
import slim_libs  # noqa: E402

needs_toolchain = pytest.mark.skipif(
    not sys.platform.startswith("linux") or slim_libs.compiler() is None or shutil.which("readelf") is None,
    reason="Linux with cc and readelf only")


@needs_toolchain
def test_cv2_with_stubbed_ffmpeg_and_openblas_runs_the_app_image_path():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "slim_libs.py"), "--check"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "stubbed cv2 OK" in out.stdout


@needs_toolchain
def test_gfortran_shim_matches_libgfortran(tmp_path):
    import numpy

    libs = Path(numpy.__file__).parent.parent / "numpy.libs"
    real = next(libs.glob("libgfortran*"), None)
    blas = next(libs.glob("libscipy_openblas*"), None)
    if real is None or blas is None:
        pytest.skip("this numpy wheel bundles no libgfortran")
    shim = slim_libs.gfortran_shim(real, [str(blas)], tmp_path / real.name, slim_libs.compiler())
    assert shim is not None, "numpy's OpenBLAS imports more of libgfortran than the shim implements"
    a, b = ctypes.CDLL(str(real)), ctypes.CDLL(str(shim))
    for lib in (a, b):
        lib._gfortran_pow_r8_i8.restype, lib._gfortran_pow_r8_i8.argtypes = ctypes.c_double, [ctypes.c_double,
                                                                                              ctypes.c_int64]
        lib._gfortran_pow_r4_i8.restype, lib._gfortran_pow_r4_i8.argtypes = ctypes.c_float, [ctypes.c_float,
                                                                                             ctypes.c_int64]
    for x in (0.5, -1.5, 2.0, 3.25, 1e-3):
        for n in (-7, -1, 0, 1, 2, 5, 13, 64):
            assert a._gfortran_pow_r8_i8(x, n) == b._gfortran_pow_r8_i8(x, n)
            assert a._gfortran_pow_r4_i8(x, n) == b._gfortran_pow_r4_i8(x, n)
    for lib in (a, b):
        lib._gfortran_concat_string.argtypes = [ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                                ctypes.c_size_t, ctypes.c_char_p]
    for destlen in (2, 5, 9, 12):
        got = []
        for lib in (a, b):
            buf = ctypes.create_string_buffer(b"#" * destlen, destlen)
            lib._gfortran_concat_string(destlen, buf, 4, b"ABCD", 3, b"xyz")
            got.append(buf.raw)
        assert got[0] == got[1]


def test_icu_trim_keeps_english_root_and_time_zones():
    items = ["icudt73l/en.res", "icudt73l/en_GB.res", "icudt73l/root.res", "icudt73l/de.res", "coll/de.res",
             "coll/root.res", "coll/ucadata.icu", "zone/en.res", "zone/fr.res", "zoneinfo64.res", "metaZones.res",
             "brkitr/cjdict.dict", "brkitr/root.res", "ibm-943_P15A-2003.cnv", "cnvalias.icu", "translit/root.res",
             "curr/en.res", "unames.icu", "pool.res", "nfkc.nrm", "res_index.res", "zh_Hant_TW.res"]
    drop = set(slim_icu.icu_items_to_drop(items))
    assert drop == {"icudt73l/de.res", "coll/de.res", "zone/fr.res", "brkitr/cjdict.dict", "brkitr/root.res",
                    "ibm-943_P15A-2003.cnv", "translit/root.res", "curr/en.res", "unames.icu", "zh_Hant_TW.res"}
