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

from inference.errors import ImageError, NamedFileError
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


def _not_regular(p: str, mode: int, noun: str = "an image file") -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not an image" if noun == "an image file" else f"is a folder, not {noun}"
    kind = next((name for test, name in _KIND_NAMES if test(mode)), "not a regular file")
    target = ""
    if os.path.islink(p):
        try:
            target = f" (a link to {display_path(os.path.realpath(p))})"
        except OSError:
            pass
    return f"{kind}{target}, not {noun}: not opened"


def regular_file_size(path: str | Path, noun: str = "an image file") -> int:
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
        raise ImageError(_not_regular(p, st.st_mode, noun))
    return st.st_size


def read_bytes(path: str | Path, timeout_s: float | None = None, max_bytes: int = MAX_FILE_BYTES,
               noun: str = "an image file") -> bytes:
    """The whole file, for regular files only (see `regular_file_size`), within `max_bytes` (MAX_FILE_BYTES).

    The file is opened non-blocking (so one swapped for a FIFO after the stat cannot block open()),
    checked again on the open descriptor, and read in chunks against a deadline (READ_TIMEOUT_S):
    a network share that trickles bytes ends as one error row instead of a stalled scan.
    """
    p = os.fspath(path)
    size = regular_file_size(p, noun)
    if size == 0:
        raise ImageError("empty file (0 bytes)")
    if size > max_bytes:
        raise ImageError(f"file too large ({size / 1e6:.0f} MB; limit {max_bytes / 1e6:.0f} MB)")
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
            raise ImageError(_not_regular(p, st.st_mode, noun))
        if st.st_size > max_bytes:
            raise ImageError(f"file too large ({st.st_size / 1e6:.0f} MB; limit {max_bytes / 1e6:.0f} MB)")
        chunks: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() > deadline:
                raise ImageError(f"reading the file took longer than {timeout:.0f} s (slow or stalled disk)")
            try:
                chunk = os.read(fd, min(READ_CHUNK, max_bytes + 1 - total))
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ImageError(f"file too large (over {max_bytes / 1e6:.0f} MB)")
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


# Files a user names on the command line or in a dialog (a policy file, a model card and its weights, an existing
# `--out`) go through the same guard as images: a FIFO, a device (`--policy /dev/zero`), a socket or a folder is
# refused at once with its kind named, and reads are bounded in size and time, so no argument can hang the
# app or fill its memory.
MAX_SMALL_FILE_BYTES = 16 * 1024 * 1024  # policy files, model cards (the largest shipped card is ~0.5 MB)


def read_named_file(path: str | Path, what: str, max_bytes: int = MAX_SMALL_FILE_BYTES,
                    timeout_s: float | None = None) -> bytes:
    """The whole of a file the user named (`what`: "policy file", "model card"...), through the image
    guard (`read_bytes`): NamedFileError naming the file, its kind and the limit otherwise."""
    try:
        return read_bytes(path, timeout_s=timeout_s, max_bytes=max_bytes, noun="a regular file")
    except ImageError as exc:
        raise NamedFileError(f"{what} {display_path(path)}: {exc}", missing=_missing(exc)) from exc


def read_named_ends(path: str | Path, what: str, n: int = 64 * 1024,
                    timeout_s: float | None = None) -> tuple[bytes, bytes, int]:
    """The first and last `n` bytes of a regular file the user named, and its size (for recognising a
    previous output of ours without reading a Parquet file of a million rows). Empty file: (b"", b"", 0)."""
    p = os.fspath(path)
    try:
        regular_file_size(p, "a regular file")
    except ImageError as exc:
        raise NamedFileError(f"{what} {display_path(path)}: {exc}", missing=_missing(exc)) from exc
    deadline = time.monotonic() + (READ_TIMEOUT_S if timeout_s is None else timeout_s)
    try:
        fd = os.open(p, _O_FLAGS)
    except OSError as exc:
        raise NamedFileError(f"{what} {display_path(path)} cannot be read: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NamedFileError(f"{what} {display_path(path)}: {_not_regular(p, st.st_mode, 'a regular file')}")

        def read_at(offset: int, count: int) -> bytes:
            out = b""
            while len(out) < count:
                if time.monotonic() > deadline:
                    raise NamedFileError(f"{what} {display_path(path)}: reading it took too long (stalled disk)")
                try:
                    chunk = os.pread(fd, count - len(out), offset + len(out))
                except BlockingIOError:
                    time.sleep(0.01)
                    continue
                if not chunk:
                    break
                out += chunk
            return out

        head = read_at(0, min(n, st.st_size))
        tail = read_at(max(0, st.st_size - n), min(n, st.st_size))
    except OSError as exc:
        raise NamedFileError(f"{what} {display_path(path)} cannot be read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    return head, tail, st.st_size


def _missing(exc: ImageError) -> bool:
    return str(exc) in ("file not found", "broken link: its target does not exist")
