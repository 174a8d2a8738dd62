"""Builders for the files a user may drop: real images in awkward encodings and plain junk."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np


def exif_orientation_segment(orientation: int) -> bytes:
    """A minimal APP1 Exif segment holding only the Orientation tag (little-endian TIFF)."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_orientation(bgr: np.ndarray, orientation: int) -> bytes:
    ok, enc = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    data = enc.tobytes()
    return data[:2] + exif_orientation_segment(orientation) + data[2:]


def cmyk_jpeg(rgb: np.ndarray) -> bytes:
    """An Adobe-style CMYK JPEG, written by Pillow when available (test-only dependency via scikit-image)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims a huge size: a decompression bomb's header."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
