"""Decode any image a user may drop into 8-bit RGB, refusing bombs and junk before decoding.

Bytes are read in Python and decoded in memory, because `cv2.imread` cannot open non-ASCII paths on
Windows. The header is parsed first so a file that claims 50000x50000 pixels is refused without
allocating 7 GB. JPEGs go through libjpeg-turbo via simplejpeg (straight to RGB, with DCT-domain
scaling: a 1/4 decode skips most of the inverse DCT and colour conversion), EXIF orientation applied
here; anything simplejpeg refuses (CMYK, 12-bit, damaged files) and every other format goes to
`cv2.imdecode`.
"""

from __future__ import annotations

import hashlib
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from inference.errors import ImageError
from inference.files import read_bytes

try:
    import simplejpeg
except ImportError:  # pragma: no cover - a declared dependency; OpenCV decodes everything without it
    simplejpeg = None

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif", ".tiff", ".webp"})
MAX_PIXELS = 100_000_000  # 10,000 x 10,000; any dermatoscope camera is well below this
MAX_SIDE = 30_000
# What the decoder may allocate for one image: width x height x channels x bytes per sample (8-bit RGB at
# MAX_PIXELS). A 10000x10000 16-bit PNG needs 600 MB (1.6 GB at peak with the conversions): refused.
MAX_DECODE_BYTES = 3 * MAX_PIXELS


@dataclass(frozen=True)
class DecodedImage:
    rgb: np.ndarray  # H x W x 3 uint8, EXIF orientation applied
    format: str
    width: int  # of the stored image, before any reduced decode
    height: int
    reduced: int  # 1, 2, 4 or 8: the JPEG was decoded at 1/reduced scale
    sha256: str
    decode_ms: float
    device: str = ""  # EXIF make and model, when the file names them


def sniff_format(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _describe_unknown(head: bytes) -> str:
    if not head:
        return "empty file"
    if head[:4] == b"%PDF":
        return "a PDF document, not an image"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "a GIF (not supported: convert to PNG or JPEG)"
    if head[:2] == b"PK":
        return "a ZIP/Office archive, not an image"
    sample = head[:512]
    try:
        sample.decode("utf-8")
        return "a text file, not an image"
    except UnicodeDecodeError:
        return "unrecognised data, not a supported image (JPEG, PNG, BMP, TIFF, WebP)"


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + seg_len
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    endian = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(endian + "I", data[4:8])
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack(endian + "H", data[ifd : ifd + 2])
    w = h = None
    for k in range(count):
        off = ifd + 2 + 12 * k
        if off + 12 > len(data):
            break
        tag, typ = struct.unpack(endian + "HH", data[off : off + 4])
        val = struct.unpack(endian + ("H" if typ == 3 else "I"), data[off + 8 : off + (10 if typ == 3 else 12)])[0]
        if tag == 256:
            w = val
        elif tag == 257:
            h = val
    return (w, h) if w and h else None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        b = data[21:25]
        w = 1 + (((b[1] & 0x3F) << 8) | b[0])
        h = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return w, h
    if chunk == b"VP8X" and len(data) >= 30:
        w = 1 + int.from_bytes(data[24:27], "little")
        h = 1 + int.from_bytes(data[27:30], "little")
        return w, h
    return None


def header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from the file header alone, or None when the header is unreadable."""
    try:
        if fmt == "png" and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if fmt == "jpeg":
            return _jpeg_size(data)
        if fmt == "bmp" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if fmt == "tiff":
            return _tiff_size(data)
        if fmt == "webp":
            return _webp_size(data)
    except struct.error:
        return None
    return None


def _to_rgb8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(img * (255.0 if img.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ImageError(f"unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def reduction_for(width: int, height: int, target_hw: tuple[int, int] | None, min_ratio: float) -> int:
    """Largest JPEG DCT scale (1/2, 1/4, 1/8) that still leaves min_ratio x `target_hw` (height, width).

    The runner asks for the smallest image that still covers what it uses (min_ratio 1): the quality
    gate's 128x96 copy and the model's input; a 600x450 JPEG is then decoded at 1/4 (150x113)."""
    if not target_hw:
        return 1
    th, tw = target_hw
    for f in (8, 4, 2):
        if width / f >= tw * min_ratio and height / f >= th * min_ratio:
            return f
    return 1


def sample_layout(data: bytes, fmt: str) -> tuple[int, int]:
    """(channels, bytes per sample) the file stores, from its header; (3, 1) when the header does not say."""
    try:
        if fmt == "png" and len(data) >= 26:
            depth, colour = data[24], data[25]
            channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(colour, 3)
            return channels, 2 if depth == 16 else 1
        if fmt == "tiff":
            endian = "<" if data[:2] == b"II" else ">"
            (ifd,) = struct.unpack(endian + "I", data[4:8])
            (count,) = struct.unpack(endian + "H", data[ifd : ifd + 2])
            bits, channels = 8, 3
            for k in range(count):
                off = ifd + 2 + 12 * k
                if off + 12 > len(data):
                    break
                tag, typ = struct.unpack(endian + "HH", data[off : off + 4])
                end = off + (10 if typ == 3 else 12)
                val = struct.unpack(endian + ("H" if typ == 3 else "I"), data[off + 8 : end])[0]
                if tag == 258:
                    bits = val if val < 256 else 16  # an offset to per-channel values: assume the worst
                elif tag == 277:
                    channels = max(1, min(val, 8))
            return channels, max(1, (bits + 7) // 8)
        if fmt == "bmp" and len(data) >= 30:
            return (4 if struct.unpack("<H", data[28:30])[0] == 32 else 3), 1
    except (struct.error, IndexError):
        return 3, 2
    return 3, 1  # JPEG and WebP: 8-bit samples, decoded to 3 channels


def decode_cost(width: int, height: int, channels: int, bytes_per_sample: int, reduced: int = 1) -> int:
    """Bytes the decoder allocates for the image: w x h x channels (at least 3, it outputs BGR) x bytes."""
    return -(-width // reduced) * -(-height // reduced) * max(3, channels) * bytes_per_sample


_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def _exif_orientation(tiff: bytes) -> int:
    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(endian + "I", tiff[4:8])
        (count,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
        for k in range(count):
            off = ifd + 2 + 12 * k
            tag, typ = struct.unpack(endian + "HH", tiff[off : off + 4])
            if tag == 0x0112 and typ == 3:
                (value,) = struct.unpack(endian + "H", tiff[off + 8 : off + 10])
                return value if 1 <= value <= 8 else 1
    except (KeyError, struct.error):
        pass
    return 1


def jpeg_exif(data: bytes) -> bytes | None:
    """The TIFF block of a JPEG's EXIF APP1 segment; None when there is none."""
    i, n = 2, len(data)
    while i + 4 <= n and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more header segments
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker == 0xE1 and data[i + 4 : i + 10] == b"Exif\x00\x00":
            return data[i + 10 : i + 2 + seg_len]
        i += 2 + seg_len
    return None


def exif_device(tiff: bytes | None) -> str:
    """'Make Model' from EXIF IFD0 (tags 0x010F, 0x0110), so a clinic's inflow can be compared per device;
    "" when absent or unreadable. Bounded: at most 64 characters of printable ASCII."""
    if not tiff:
        return ""
    found: dict[int, str] = {}
    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(endian + "I", tiff[4:8])
        (count,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
        for k in range(min(count, 512)):
            off = ifd + 2 + 12 * k
            tag, typ, n = struct.unpack(endian + "HHI", tiff[off : off + 8])
            if tag in (0x010F, 0x0110) and typ == 2 and 0 < n <= 256:
                start = off + 8 if n <= 4 else struct.unpack(endian + "I", tiff[off + 8 : off + 12])[0]
                raw = tiff[start : start + n].split(b"\x00", 1)[0]
                found[tag] = "".join(ch for ch in raw.decode("ascii", "replace") if ch.isprintable()).strip()
    except (KeyError, struct.error):
        return ""
    make, model = found.get(0x010F, ""), found.get(0x0110, "")
    text = model if make and model.lower().startswith(make.lower()) else f"{make} {model}".strip()
    return text[:64]


def apply_orientation(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """Turn the stored pixels the way EXIF orientation 1-8 says (what OpenCV's imdecode does)."""
    if orientation == 2:
        return rgb[:, ::-1]
    if orientation == 3:
        return rgb[::-1, ::-1]
    if orientation == 4:
        return rgb[::-1]
    t = rgb.transpose(1, 0, 2)
    if orientation == 5:
        return t
    if orientation == 6:
        return t[:, ::-1]
    if orientation == 7:
        return t[::-1, ::-1]
    if orientation == 8:
        return t[::-1]
    return rgb


def _decode_turbo(data: bytes, w: int, h: int, reduced: int, orientation: int) -> np.ndarray | None:
    """libjpeg-turbo (simplejpeg) at 1/reduced scale, RGB, EXIF-oriented; None when it cannot (cv2 then tries)."""
    if simplejpeg is None:
        return None
    out_w, out_h = -(-w // reduced), -(-h // reduced)
    try:
        rgb = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=out_w, min_height=out_h)
    except Exception:  # noqa: BLE001 - CMYK, 12-bit, damaged: OpenCV decodes or explains
        return None
    if rgb.ndim != 3 or rgb.shape[:2] != (out_h, out_w):
        return None
    return rgb if orientation == 1 else np.ascontiguousarray(apply_orientation(rgb, orientation))


def decode_plan(data: bytes, target_hw: tuple[int, int] | None = None, min_ratio: float = 4.0
                ) -> tuple[str, int, int, int]:
    """(format, width, height, JPEG reduction) of an image that may be decoded, read from its header alone;
    ImageError for an unknown format, a damaged header, or an image over the pixel budget (MAX_SIDE,
    MAX_PIXELS, MAX_DECODE_BYTES). The scanner and the window's viewer and thumbnails (gui/image_loader.py)
    both ask here first, so the window never decodes what the scanner refuses."""
    fmt = sniff_format(data[:32])
    if fmt is None:
        raise ImageError(_describe_unknown(data[:512]))
    size = header_size(data, fmt)
    if size is None:
        raise ImageError(f"damaged {fmt.upper()} header: image size unreadable")
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageError(f"{fmt.upper()} header gives an impossible size {w}x{h}")
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise ImageError(f"image too large to decode safely ({w}x{h} pixels; limit {MAX_PIXELS / 1e6:.0f} MP)")
    reduced = reduction_for(w, h, target_hw, min_ratio) if fmt == "jpeg" else 1
    channels, sample_bytes = sample_layout(data, fmt)
    cost = decode_cost(w, h, channels, sample_bytes, reduced)
    if cost > MAX_DECODE_BYTES:
        depth = f"{8 * sample_bytes}-bit, {channels} channel{'s' if channels > 1 else ''}"
        raise ImageError(f"image too large to decode safely ({w}x{h} pixels, {depth}: {cost / 1e6:.0f} MB "
                         f"to decode; limit {MAX_DECODE_BYTES / 1e6:.0f} MB)")
    return fmt, w, h, reduced


def decode_bytes(data: bytes, target_hw: tuple[int, int] | None = None, min_ratio: float = 4.0,
                 started: float | None = None, opencv_only: bool = False) -> DecodedImage:
    """Bytes -> 8-bit RGB. With `target_hw`, large JPEGs are decoded at reduced size (much faster).

    `started` (a perf_counter value) lets decode_file count the file read in decode_ms. `opencv_only`
    decodes JPEGs with cv2.imdecode as before simplejpeg (benchmarks; the pixels are the same).
    """
    t0 = time.perf_counter() if started is None else started
    fmt, w, h, reduced = decode_plan(data, target_hw, min_ratio)
    buf = np.frombuffer(data, dtype=np.uint8)
    tiff = jpeg_exif(data) if fmt == "jpeg" else None  # the EXIF block, walked to once: orientation and device
    device = exif_device(tiff)
    orientation = 1 if tiff is None else _exif_orientation(tiff)
    rgb = _decode_turbo(data, w, h, reduced, orientation) if fmt == "jpeg" and not opencv_only else None
    if rgb is not None:
        return DecodedImage(rgb=rgb, format=fmt, width=w, height=h, reduced=reduced,
                            sha256=hashlib.sha256(data).hexdigest(), decode_ms=(time.perf_counter() - t0) * 1000.0,
                            device=device)
    if reduced > 1:
        img = cv2.imdecode(buf, _REDUCED[reduced])
    else:
        # ANYDEPTH keeps 16-bit samples so they are scaled, not clipped; COLOR applies EXIF orientation.
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    if img is None or img.size == 0:
        raise ImageError(f"corrupt or truncated {fmt.upper()}: the image data cannot be decoded")
    rgb = _to_rgb8(img)
    digest = hashlib.sha256(data).hexdigest()
    return DecodedImage(rgb=rgb, format=fmt, width=w, height=h, reduced=reduced, sha256=digest,
                        decode_ms=(time.perf_counter() - t0) * 1000.0, device=device)


def decode_file(path: str | Path, target_hw: tuple[int, int] | None = None, min_ratio: float = 4.0) -> DecodedImage:
    t0 = time.perf_counter()
    return decode_bytes(read_bytes(path), target_hw, min_ratio, started=t0)


def is_image_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES
