"""Hand a worker's formatted output to the parent through a RAM-backed file, not the result pipe.

A worker's output (gigabytes over a dump) would otherwise be pickled, sent down a pipe,
unpickled and written again by the parent, which shares the same CPUs. Instead each chunk's
bytes go to a file in a private folder on tmpfs (/dev/shm); the parent's writer copies it into
the output inside the kernel (``os.sendfile``) and deletes it. At most a few chunks are in flight,
so the folder stays small. Where there is no /dev/shm (or with one process), output travels as
bytes, as before.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from . import leftovers

SHM = Path("/dev/shm")


def make_folder() -> str | None:
    """A private tmpfs folder for hand-over files, or None where there is none."""
    if not (SHM.is_dir() and os.access(SHM, os.W_OK | os.X_OK)):
        return None
    try:
        return leftovers.mkdtemp(".kgtool-handover-", SHM)
    except OSError:
        return None


def remove_folder(folder: str | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


class Sender:
    """In a worker: ``put(data)`` -> the data itself, or the name of a file that holds it."""

    def __init__(self, folder: str | None):
        self.folder = folder
        self._count = itertools.count()

    def put(self, data: bytes) -> bytes | str:
        if self.folder is None or not data:
            return data
        path = os.path.join(self.folder, f"{os.getpid()}-{next(self._count)}")
        try:
            with open(path, "wb", buffering=0) as fh:
                fh.write(data)
        except OSError:  # tmpfs full: this chunk goes through the pipe
            Path(path).unlink(missing_ok=True)
            return data
        return path


def read(ref: bytes | str) -> bytes:
    """The bytes of a hand-over (the file is deleted)."""
    if isinstance(ref, bytes):
        return ref
    try:
        return Path(ref).read_bytes()
    finally:
        Path(ref).unlink(missing_ok=True)


def send(ref: str, out_fd: int) -> int:
    """Append a hand-over file to ``out_fd`` inside the kernel, then delete it; its size."""
    try:
        with open(ref, "rb") as fh:
            size, offset = os.fstat(fh.fileno()).st_size, 0
            while offset < size:
                sent = os.sendfile(out_fd, fh.fileno(), offset, size - offset)
                if sent == 0:
                    raise OSError(f"sendfile stopped at {offset} of {size} bytes")
                offset += sent
        return size
    finally:
        Path(ref).unlink(missing_ok=True)
