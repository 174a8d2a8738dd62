"""Every kind of file a user may drop decodes to 8-bit RGB or fails with its own clear message."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.errors import ImageError
from inference.image import MAX_PIXELS, decode_bytes, decode_file, header_size, sniff_format
from tests.bad_images import cmyk_jpeg, jpeg_with_orientation, png_claiming_size, write
from tests.conftest import FULLSIZE


@pytest.fixture(scope="module")
def real_bgr() -> np.ndarray:
    img = cv2.imread(str(sorted(FULLSIZE.glob("*.jpg"))[0]), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def test_real_jpeg_decodes_full_and_reduced(fullsize_images):
    full = decode_file(fullsize_images[0])
    assert full.rgb.shape == (450, 600, 3) and full.rgb.dtype == np.uint8 and full.reduced == 1
    small = decode_file(fullsize_images[0], target_hw=(64, 64), min_ratio=2.0)
    assert small.reduced == 2 and small.rgb.shape == (225, 300, 3)
    assert decode_file(fullsize_images[0], target_hw=(64, 64)).reduced == 1  # default: only when >= 4x input
    assert (small.width, small.height) == (600, 450)
    assert len(full.sha256) == 64 and full.sha256 == small.sha256


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tiff", ".webp", ".jpg"])
def test_formats_roundtrip_to_rgb(tmp_path, real_bgr, ext):
    ok, enc = cv2.imencode(ext, real_bgr)
    assert ok
    img = decode_file(write(tmp_path / f"x{ext}", enc.tobytes()))
    assert img.rgb.shape == (450, 600, 3)
    expected = cv2.cvtColor(real_bgr, cv2.COLOR_BGR2RGB).astype(int)
    tol = 12 if ext in (".jpg", ".webp") else 0  # lossy codecs
    assert np.abs(img.rgb.astype(int) - expected).mean() <= tol
    assert header_size(enc.tobytes(), sniff_format(enc.tobytes()[:32])) == (600, 450)


def test_grey_rgba_palette_and_16bit_become_rgb8(tmp_path, real_bgr):
    grey = cv2.cvtColor(real_bgr, cv2.COLOR_BGR2GRAY)
    rgba = cv2.cvtColor(real_bgr, cv2.COLOR_BGR2BGRA)
    sixteen = real_bgr.astype(np.uint16) * 257
    for name, arr in (("grey.png", grey), ("rgba.png", rgba), ("sixteen.png", sixteen)):
        ok, enc = cv2.imencode(".png", arr)
        assert ok
        img = decode_file(write(tmp_path / name, enc.tobytes()))
        assert img.rgb.dtype == np.uint8 and img.rgb.shape == (450, 600, 3), name
    sixteen_rgb = decode_file(tmp_path / "sixteen.png").rgb
    assert np.array_equal(sixteen_rgb, cv2.cvtColor(real_bgr, cv2.COLOR_BGR2RGB))  # scaled, not clipped
    from PIL import Image

    pal = Image.fromarray(cv2.cvtColor(real_bgr, cv2.COLOR_BGR2RGB)).convert("P", palette=Image.ADAPTIVE)
    pal.save(tmp_path / "palette.png")
    img = decode_file(tmp_path / "palette.png")
    assert img.rgb.shape == (450, 600, 3) and img.rgb.std() > 10


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[:] = (200, 100, 50)
    img = decode_file(write(tmp_path / "cmyk.jpg", cmyk_jpeg(rgb)))
    assert np.abs(img.rgb[60, 80].astype(int) - [200, 100, 50]).max() <= 6


@pytest.mark.parametrize("orientation,shape,red_corner", [(1, (300, 400), (5, 5)), (6, (400, 300), (5, 5)),
                                                          (3, (300, 400), (-5, -5)), (8, (400, 300), (-5, -5))])
def test_exif_orientation_applied(tmp_path, orientation, shape, red_corner):
    bgr = np.zeros((300, 400, 3), np.uint8)
    bgr[:, :100] = (0, 0, 255)  # red stripe on the stored image's left edge
    img = decode_file(write(tmp_path / "o.jpg", jpeg_with_orientation(bgr, orientation)))
    assert img.rgb.shape[:2] == shape
    assert img.rgb[red_corner][0] > 200 and img.rgb[red_corner][2] < 50


def test_non_ascii_path(tmp_path, fullsize_images):
    target = tmp_path / "пациент_ü_患者" / "läsion é.jpg"
    target.parent.mkdir()
    target.write_bytes(fullsize_images[0].read_bytes())
    assert decode_file(target).rgb.shape == (450, 600, 3)


@pytest.mark.parametrize("name,data,needle", [
    ("empty.jpg", b"", "empty file"),
    ("random.jpg", bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "not a supported image"),
    ("notes.png", b"patient notes, not an image\n" * 20, "text file"),
    ("bomb.png", png_claiming_size(50000, 50000), "too large"),
    ("doc.jpg", b"%PDF-1.7\n" + b"x" * 100, "PDF"),
])
def test_junk_is_refused_with_reason(tmp_path, name, data, needle):
    with pytest.raises(ImageError, match=needle):
        decode_file(write(tmp_path / name, data))


def test_truncated_jpeg(tmp_path, fullsize_images):
    data = fullsize_images[0].read_bytes()
    with pytest.raises(ImageError, match="corrupt or truncated JPEG"):
        decode_file(write(tmp_path / "cut.jpg", data[: len(data) // 2]))


def test_unreadable_paths(tmp_path):
    with pytest.raises(ImageError, match="not found"):
        decode_file(tmp_path / "missing.jpg")
    with pytest.raises(ImageError, match="folder"):
        decode_file(tmp_path)
    blocker = write(tmp_path / "file.jpg", b"x")
    with pytest.raises(ImageError, match="cannot access|not found"):
        decode_file(blocker / "inside.jpg")


def test_size_guard_reads_header_only():
    assert header_size(png_claiming_size(50000, 50000), "png") == (50000, 50000)
    assert 50000 * 50000 > MAX_PIXELS
    with pytest.raises(ImageError, match="50000x50000"):
        decode_bytes(png_claiming_size(50000, 50000))


def test_turbo_decoder_matches_opencv_pixel_for_pixel(fullsize_images):
    """simplejpeg (libjpeg-turbo) and cv2.imdecode give the same pixels, at full size and at 1/2, 1/4, 1/8."""
    from inference import image

    assert image.simplejpeg is not None
    flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
             8: cv2.IMREAD_REDUCED_COLOR_8}
    for p in fullsize_images[:6]:
        data = p.read_bytes()
        for f, flag in flags.items():
            got = decode_bytes(data, target_hw=(450 // f, 600 // f), min_ratio=1.0)
            assert got.reduced == f
            ref = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), flag), cv2.COLOR_BGR2RGB)
            assert np.array_equal(got.rgb, ref), (p.name, f)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("reduced", [1, 4])
def test_exif_orientation_like_opencv_at_full_and_reduced_scale(orientation, reduced):
    bgr = cv2.resize(np.random.default_rng(orientation).integers(0, 256, (30, 40, 3), dtype=np.uint8), (400, 300))
    data = jpeg_with_orientation(bgr, orientation)
    flag = cv2.IMREAD_COLOR if reduced == 1 else cv2.IMREAD_REDUCED_COLOR_4
    ref = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), flag), cv2.COLOR_BGR2RGB)
    got = decode_bytes(data, target_hw=(300 // reduced, 400 // reduced), min_ratio=1.0)
    assert got.reduced == reduced and got.rgb.flags.c_contiguous
    assert np.array_equal(got.rgb, ref)
