"""Deduplicate N-Triples lines in bounded memory by spilling them to disk, partitioned by subject.

A dump names the same work in many records (every citation of a popular paper), so the lines
describing works repeat. ``BucketRouter`` puts each such line into one of ``fanout`` buckets chosen
by a stable hash (CRC-32) of its subject, behind a small filter that drops recent repeats;
``SpillFiles`` appends the buckets to files; at the end ``drain_bucket`` reads one bucket back
alone, deduplicates its lines and groups them by subject, subjects and lines sorted. The result
depends only on the set of lines, never on their order, on the filter, or on how the work was
split between processes. A bucket larger than ``max_bytes`` is split again into ranges of
subjects, so memory stays bounded however large the input.

A line may also stand for lines made only when its bucket is drained: ``DEFERRED``, the subject,
a space, then anything (convert puts a work's id field there, oc_id_fields.py). Such stand-ins
are deduplicated like lines, so each is expanded once however often it was sent, and the lines
``expand`` makes of them (all with that subject) join the bucket's lines.
"""

from __future__ import annotations

import bisect
import shutil
import zlib
from itertools import groupby
from pathlib import Path
from typing import Callable, Iterator

from . import leftovers

FANOUT = 256
MAX_BUCKET_BYTES = 16 << 20
#: Starts a stand-in for lines (see above); no N-Triples line starts with it.
DEFERRED = "!"
#: Makes the N-Triples text of stand-in lines (each: DEFERRED, subject, space, what it holds).
Expand = Callable[[list[str]], str]


def bucket_of(subject: str, fanout: int = FANOUT) -> int:
    return zlib.crc32(subject.encode("utf-8")) % fanout


class BucketRouter:
    """Sorts lines into buckets by subject; ``take()`` hands over what was collected."""

    def __init__(self, fanout: int = FANOUT, recent: int = 1 << 14):
        self.fanout = fanout
        self._recent_max = recent
        self._recent: set[str] = set()
        self._buckets: list[list[str]] = [[] for _ in range(fanout)]
        self._last_subject = ""
        self._last_bucket = 0
        self._lines = 0

    def add(self, line: str) -> None:
        """Add one N-Triples line (subject, space, rest)."""
        self.add_block(line[: line.index(" ")], line, 1)

    def add_block(self, subject: str, text: str, lines: int) -> None:
        """Add ``lines`` N-Triples lines (``text``) that all have the subject ``subject``."""
        recent = self._recent
        if text in recent:
            return
        if len(recent) >= self._recent_max:
            recent.clear()
        recent.add(text)
        if subject != self._last_subject:
            self._last_subject = subject
            self._last_bucket = zlib.crc32(subject.encode("utf-8")) % self.fanout
        self._buckets[self._last_bucket].append(text)
        self._lines += lines

    def add_new(self, subject: str, line: str) -> None:
        """Add one line that is seldom a recent repeat (past the filter)."""
        if subject != self._last_subject:
            self._last_subject = subject
            self._last_bucket = zlib.crc32(subject.encode("utf-8")) % self.fanout
        self._buckets[self._last_bucket].append(line)
        self._lines += 1

    def take(self) -> tuple[list[bytes], int]:
        """The lines collected since the last take: one bytes object per bucket, and their number."""
        out = [("".join(b)).encode("utf-8") if b else b"" for b in self._buckets]
        n, self._lines = self._lines, 0
        for b in self._buckets:
            b.clear()
        return out, n


class SpillFiles:
    """One append-only file per bucket in a private temporary folder (removed by close()).

    Pieces are buffered per bucket and written in batches: they arrive a few hundred bytes at a
    time for each of the buckets.
    """

    def __init__(self, tmp_dir: str | Path | None = None, fanout: int = FANOUT, buffer_bytes: int = 4 << 20):
        self.fanout = fanout
        self.dir = Path(leftovers.mkdtemp(".kgtool-dedupe-", tmp_dir))
        self.paths = [self.dir / f"bucket-{i:04d}.nt" for i in range(fanout)]
        self.lines = 0
        self._buffers: list[list[bytes]] = [[] for _ in range(fanout)]
        self._buffered = 0
        self._limit = buffer_bytes

    def append(self, buckets: list[bytes], lines: int) -> None:
        """Add one piece per bucket (``lines`` in all)."""
        for data, buf in zip(buckets, self._buffers):
            if data:
                buf.append(data)
                self._buffered += len(data)
        self.lines += lines
        if self._buffered >= self._limit:
            self._flush()

    def _flush(self) -> None:
        for path, buf in zip(self.paths, self._buffers):
            if buf:
                with open(path, "ab") as fh:
                    fh.write(b"".join(buf))
                buf.clear()
        self._buffered = 0

    def finish(self) -> list[Path]:
        """Everything on disk; the files' paths, in bucket order."""
        self._flush()
        for path in self.paths:
            path.touch()
        return self.paths

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "SpillFiles":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def drain_bucket(path: Path, fanout: int = FANOUT, max_bytes: int = MAX_BUCKET_BYTES,
                 level: int = 1, expand: Expand | None = None) -> Iterator[tuple[str, list[str]]]:
    """The distinct lines of one bucket file, grouped by subject, sorted; the file is removed."""
    for lines in drain_bucket_lines(path, fanout, max_bytes, level, expand):
        for subject, group in groupby(lines, key=_subject):
            yield subject, list(group)


def drain_bucket_lines(path: Path, fanout: int = FANOUT, max_bytes: int = MAX_BUCKET_BYTES,
                       level: int = 1, expand: Expand | None = None) -> Iterator[list[str]]:
    """The distinct lines of one bucket file, sorted, in runs; the file is removed.

    Sorting whole lines sorts them by subject first (a subject is followed by a space, and no
    subject is a prefix of another one followed by more of its text), so each subject's lines
    are together and in order, as drain_bucket groups them.
    """
    if path.stat().st_size > max_bytes and level < 8:
        yield from _split(path, fanout, max_bytes, level, expand)
        return
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8")
    path.unlink()
    # split on "\n" only: str.splitlines() would also cut at U+2028 and friends, which
    # N-Triples allows unescaped inside literals.
    lines = set(text.split("\n"))
    del text
    lines.discard("")
    deferred = [line for line in lines if line[0] == DEFERRED]
    if deferred:
        if expand is None:
            raise ValueError(f"{path} holds stand-in lines and there is nothing to expand them")
        lines.difference_update(deferred)
        deferred.sort()  # expanded in the same order whichever process drains the bucket
        lines.update(expand(deferred).split("\n"))
        lines.discard("")
    yield [line + "\n" for line in sorted(lines)]


def _subject(line: str) -> str:
    return line[: line.index(" ")]


def _split(path: Path, fanout: int, max_bytes: int, level: int, expand: Expand | None) -> Iterator[list[str]]:
    # Split by ranges of subjects (cut points from a sample), not by hash: the ranges, each
    # sorted, then come out in order, so the bucket reads the same however (or whether) it was
    # split; where the cuts fall does not matter.
    with open(path, "rb") as fh:
        total = sum(1 for _ in fh)
    step = max(1, total // (fanout * 64))
    sample = []
    with open(path, "rb") as fh:
        for i, raw in enumerate(fh):
            if i % step == 0:
                sample.append(_raw_subject(raw))
    sample.sort()
    cuts = sorted(set(sample[len(sample) * k // fanout] for k in range(1, fanout)))
    parts = [path.with_name(f"{path.name}.{i:04d}") for i in range(len(cuts) + 1)]
    outs = [open(p, "wb") for p in parts]
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                outs[bisect.bisect_right(cuts, _raw_subject(raw))].write(raw)
    finally:
        for o in outs:
            o.close()
    path.unlink()
    for p in parts:
        yield from drain_bucket_lines(p, fanout, max_bytes, level + 1, expand)


_DEFERRED_BYTE = DEFERRED.encode()


def _raw_subject(raw: bytes) -> bytes:
    """The subject of a line, or of a stand-in (which goes to its subject's range)."""
    subject = raw[: raw.index(b" ")]
    return subject[1:] if subject[:1] == _DEFERRED_BYTE else subject
