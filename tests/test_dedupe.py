"""Deduplication of recurring lines in bounded memory: exact, and independent of input order."""

from __future__ import annotations

import random

from kgtool.dedupe import BucketRouter, SpillFiles, drain_bucket


def lines_for(n_subjects: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n_subjects * 6):
        s = rng.randrange(n_subjects)
        out.append(f"<http://x/w{s}> <http://p/{rng.randrange(3)}> \"v{rng.randrange(2)} \u2028\" .\n")
    return out


def dedupe(lines: list[str], tmp_path, *, chunk: int = 50, max_bytes: int = 1 << 20, recent: int = 8):
    router = BucketRouter(fanout=4, recent=recent)
    tmp_path.mkdir(exist_ok=True)
    with SpillFiles(tmp_path, fanout=4, buffer_bytes=100) as spill:
        for i in range(0, len(lines), chunk):
            for ln in lines[i:i + chunk]:
                router.add(ln)
            spill.append(*router.take())
        return [g for p in spill.finish() for g in drain_bucket(p, 4, max_bytes)]


def test_exact_grouped_sorted(tmp_path):
    lines = lines_for(40, 1)
    groups = dedupe(lines, tmp_path)
    flat = [ln for _, g in groups for ln in g]
    assert sorted(flat) == sorted(set(lines))
    subjects = [s for s, _ in groups]
    assert len(subjects) == len(set(subjects))  # each subject once
    assert all(g == sorted(g) for _, g in groups)


def test_independent_of_order_and_of_memory_limits(tmp_path):
    lines = lines_for(40, 2)
    shuffled = lines[:]
    random.Random(5).shuffle(shuffled)
    a = dedupe(lines, tmp_path / "a")
    b = dedupe(shuffled, tmp_path / "b", chunk=7, recent=1000)
    c = dedupe(lines, tmp_path / "c", max_bytes=200)  # buckets split again, and again
    assert a == b == c


def test_spill_files_are_removed(tmp_path):
    dedupe(lines_for(5, 3), tmp_path)
    assert list(tmp_path.iterdir()) == []
