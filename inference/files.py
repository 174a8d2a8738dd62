"""Reading a user's file without ever hanging on it: regular files only, stat first, a read deadline.

A folder a clinician scans may hold anything: a FIFO named x.jpg (whose open() waits for a writer
forever), a link to /dev/zero (endless bytes), sockets, dangling or looping links, a network share that
trickles. Each becomes its own ImageError with a message instead of a blocked thread. The decoder
(inference/image.py), the viewer and thumbnails (gui/image_loader.py) and content hashing all read
through here.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

from inference.errors import ImageError
from inference.paths import display_path

MAX_FILE_BYTES = 200 * 1024 * 1024
READ_TIMEOUT_S = 20.0
READ_CHUNK = 1 << 20

_KIND_NAMES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_O_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def _not_regular(p: str, mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not an image"
    kind = next((name for test, name in _KIND_NAMES if test(mode)), "not a regular file")
    target = ""
    if os.path.islink(p):
        try:
            target = f" (a link to {display_path(os.path.realpath(p))})"
        except OSError:
            pass
    return f"{kind}{target}, not an image file: not opened"


def regular_file_size(path: str | Path) -> int:
    """`stat` before anything opens the file: the size of a regular file, else ImageError with the reason.

    A FIFO, a device (a link to /dev/zero), a socket, a dangling or looping link each get their own
    message instead of blocking (a FIFO's open() waits for a writer forever) or reading without end.
    """
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as exc:
        if os.path.islink(p):
            raise ImageError("broken link: its target does not exist") from exc
        raise ImageError("file not found") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageError("symbolic link loop: the file cannot be reached") from exc
        raise ImageError(f"cannot access file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ImageError(_not_regular(p, st.st_mode))
    return st.st_size


def read_bytes(path: str | Path, timeout_s: float | None = None) -> bytes:
    """The whole file, for regular files only (see `regular_file_size`), within MAX_FILE_BYTES.

    The file is opened non-blocking (so one swapped for a FIFO after the stat cannot block open()),
    checked again on the open descriptor, and read in chunks against a deadline (READ_TIMEOUT_S):
    a network share that trickles bytes ends as one error row instead of a stalled scan.
    """
    p = os.fspath(path)
    size = regular_file_size(p)
    if size == 0:
        raise ImageError("empty file (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise ImageError(f"file too large ({size / 1e6:.0f} MB; limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
    timeout = READ_TIMEOUT_S if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout
    try:
        fd = os.open(p, _O_FLAGS)
    except PermissionError as exc:
        raise ImageError("permission denied: the file cannot be read") from exc
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the stat and the open
            raise ImageError(_not_regular(p, st.st_mode))
        if st.st_size > MAX_FILE_BYTES:
            raise ImageError(f"file too large ({st.st_size / 1e6:.0f} MB; limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
        chunks: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() > deadline:
                raise ImageError(f"reading the file took longer than {timeout:.0f} s (slow or stalled disk)")
            try:
                chunk = os.read(fd, min(READ_CHUNK, MAX_FILE_BYTES + 1 - total))
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise ImageError(f"file too large (over {MAX_FILE_BYTES / 1e6:.0f} MB)")
    except PermissionError as exc:
        raise ImageError("permission denied: the file cannot be read") from exc
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if not data:
        raise ImageError("empty file (0 bytes)")
    return data


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(read_bytes(path)).hexdigest()
