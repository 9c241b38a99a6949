"""Open a dump file for streaming: plain or gzip (told by its first bytes), stdin spooled.

A dump's provenance names its SHA-256, which every work and citation cites, so the hash is
taken before the records are read: a cheap pre-pass over the bytes as stored (compressed).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .. import leftovers
from ..errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


@dataclass
class DumpInput:
    """An opened dump: its decompressed bytes as a stream, and how far through the file we are."""

    name: str  # as given by the user ('<stdin>' for '-')
    path: Path  # the file actually read (a spool file for stdin)
    stream: IO[bytes]
    raw: IO[bytes]
    size: int
    compressed: bool

    def position(self) -> int:
        """Bytes of the stored file consumed so far (for progress and ETA)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def last_line_length(path: Path, limit: int) -> int:
    """Bytes in the last line of a text file (plain or gzip, its content decompressed), not
    counting the final newline; at most ``limit + 1`` (meaning: longer than ``limit``).

    DuckDB's CSV reader silently drops a last row longer than its read buffer instead of failing
    (2.0.1), so its callers check the last line first. A plain file costs one read of its tail;
    a gzip file one streaming decompression (there is no other way to its end)."""
    want = limit + 2  # the line, its newline and the newline before it
    with open(path, "rb") as fh:
        if fh.read(2) == GZIP_MAGIC:
            fh.seek(0)
            tail = _gzip_tail(fh, want)
        else:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - want))
            tail = fh.read(want)
    if tail.endswith(b"\n"):
        tail = tail[:-1]
    cut = tail.rfind(b"\n")
    return min(len(tail) - cut - 1, limit + 1)


def _gzip_tail(fh: IO[bytes], want: int) -> bytes:
    """The last ``want`` bytes of a gzip stream's content (every member, as gzip reads them),
    decompressed in bounded steps (a small chunk can inflate to gigabytes)."""
    tail = b""
    d = zlib.decompressobj(wbits=31)
    try:
        while chunk := fh.read(_CHUNK):
            data = chunk
            while True:
                out = d.decompress(data, _CHUNK)
                tail = (tail + out)[-want:]
                if d.eof:
                    data, d = d.unused_data, zlib.decompressobj(wbits=31)
                    if not data:
                        break
                    continue
                data = d.unconsumed_tail
                if not data and len(out) < _CHUNK:
                    break
        tail = (tail + d.flush())[-want:]
    except zlib.error:
        pass  # the reader that follows says what is wrong with the file
    return tail


def is_gzip(path: Path) -> bool:
    """Whether the file starts with gzip's magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


@contextmanager
def spooled_stdin(tmp_dir: str | Path | None = None) -> Iterator[Path]:
    """Copy standard input to a temporary file (removed afterwards) so it can be hashed and read."""
    fd, tmp = leftovers.mkstemp(".kgtool-stdin-", "", tmp_dir if tmp_dir is not None else tempfile.gettempdir(),
                                hold=True)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, _CHUNK)
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _gunzip(raw: IO[bytes]) -> IO[bytes]:
    """A reader of the decompressed bytes of the gzip stream ``raw``."""
    # typeshed does not declare GzipFile an IO[bytes], though it is a binary file object
    return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]


@contextmanager
def open_dump(path: str | Path, name: str | None = None) -> Iterator[DumpInput]:
    """Open a dump for reading; gzip is detected from the magic bytes, not the suffix."""
    p = Path(path)
    display = name or str(path)
    if p.is_dir():
        raise InputError("is a directory, expected a dump file", source=display)
    try:
        compressed = is_gzip(p)
        raw = open(p, "rb")
    except FileNotFoundError:
        raise InputError("no such file", source=display) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", source=display) from None
    try:
        size = os.fstat(raw.fileno()).st_size
        stream = _gunzip(raw) if compressed else raw
        yield DumpInput(display, p, stream, raw, size, compressed)
    finally:
        raw.close()


def peek(dump: DumpInput, n: int = 4096) -> bytes:
    """The first decompressed bytes of a dump, for sniffing its format (the file is reopened)."""
    with open(dump.path, "rb") as raw:
        stream = _gunzip(raw) if dump.compressed else raw
        try:
            return stream.read(n)
        except (OSError, EOFError) as e:
            raise InputError(f"not a valid gzip file ({e})", source=dump.name) from None
