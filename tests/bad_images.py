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


def png_header(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    """A PNG with only a header (and a token IDAT): what the size and pixel-budget guards read."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


NON_UTF8_NAME = b"latin1_\xe9t\xe9.jpg"  # ISO-8859-1 "été": not valid UTF-8


def fault_corpus(folder: Path, good: Path) -> dict[str, str]:
    """The hostile entries of issue 12 in `folder` (plus `good`, a real image): name -> expected message part.

    A FIFO and a link to /dev/zero named like images (they used to hang the window), a name that is not
    UTF-8 (it used to crash the CSV), dangling and looping links, a socket, a folder named x.jpg, an empty
    file, a truncated JPEG and a text file with an image suffix. POSIX only.
    """
    import os
    import socket

    folder.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    (folder / "good.jpg").write_bytes(data)
    os.mkfifo(folder / "fifo.jpg")
    os.symlink("/dev/zero", folder / "zero.jpg")
    os.symlink(folder / "does-not-exist.jpg", folder / "dangling.jpg")
    os.symlink(folder / "loop_b.jpg", folder / "loop_a.jpg")
    os.symlink(folder / "loop_a.jpg", folder / "loop_b.jpg")
    sock_path = folder / "sock.jpg"
    if len(os.fsencode(sock_path)) < 100:  # AF_UNIX paths are short
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(sock_path))
        s.close()
    (folder / "dir.jpg").mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "cut.jpg").write_bytes(data[: len(data) // 3])
    (folder / "notes.png").write_text("patient notes, not an image\n" * 10)
    (folder / "deep16.png").write_bytes(png_header(10000, 10000, depth=16))
    with open(os.path.join(os.fsencode(folder), NON_UTF8_NAME), "wb") as fh:
        fh.write(data + b"\0")  # the same picture, another hash (not a duplicate of good.jpg)
    expected = {
        "good.jpg": "",
        "fifo.jpg": "named pipe",
        "zero.jpg": "character device",
        "dangling.jpg": "broken link",
        "loop_a.jpg": "link loop",
        "loop_b.jpg": "link loop",
        "dir.jpg": "folder",
        "empty.jpg": "empty file",
        "cut.jpg": "corrupt or truncated",
        "notes.png": "text file",
        "deep16.png": "16-bit",
        os.fsdecode(NON_UTF8_NAME): "",
    }
    if sock_path.exists():
        expected["sock.jpg"] = "socket"
    return expected
