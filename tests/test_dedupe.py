"""Deduplication of recurring lines in bounded memory: exact, and independent of input order."""

from __future__ import annotations

import random

from kgtool.dedupe import DEFERRED, BucketRouter, SpillFiles, drain_bucket


def lines_for(n_subjects: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n_subjects * 6):
        s = rng.randrange(n_subjects)
        out.append(f"<http://x/w{s}> <http://p/{rng.randrange(3)}> \"v{rng.randrange(2)} \u2028\" .\n")
    return out


def dedupe(lines: list[str], tmp_path, *, chunk: int = 50, max_bytes: int = 1 << 20, recent: int = 8, expand=None):
    router = BucketRouter(fanout=4, recent=recent)
    tmp_path.mkdir(exist_ok=True)
    with SpillFiles(tmp_path, fanout=4, buffer_bytes=100) as spill:
        for i in range(0, len(lines), chunk):
            for ln in lines[i:i + chunk]:
                if ln.startswith(DEFERRED):
                    router.add_block(ln[1:ln.index(" ")], ln, 1)
                else:
                    router.add(ln)
            spill.append(*router.take())
        return [g for p in spill.finish() for g in drain_bucket(p, 4, max_bytes, expand=expand)]


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


def test_stand_ins_are_expanded_once_into_their_subjects_lines(tmp_path):
    # "!<s> k" stands for the lines made from k (in real use, a work's id field). Sent many
    # times and mixed with real lines, they expand once each, with the same result as sending
    # the lines themselves, however the buckets are split.
    lines = lines_for(40, 4)
    made = {f"<http://x/w{s}>": [f"<http://x/w{s}> <http://p/made> \"{k}\" .\n" for k in range(s % 3 + 1)]
            for s in range(40)}
    calls: list[list[str]] = []

    def expand(deferred: list[str]) -> str:
        calls.append(deferred)
        return "".join(made[d[1:d.index(" ")]][int(d.rsplit(" ", 1)[1])] for d in deferred)

    stand_ins = [f"!{s} {k}" + "\n" for s, ms in made.items() for k in range(len(ms))] * 3
    mixed = lines + stand_ins
    random.Random(1).shuffle(mixed)
    expected = dedupe(lines + [ln for ms in made.values() for ln in ms], tmp_path / "plain")
    assert dedupe(mixed, tmp_path / "deferred", expand=expand) == expected
    assert sum(map(len, calls)) == sum(map(len, made.values()))  # each stand-in once
    assert dedupe(mixed, tmp_path / "split", max_bytes=200, expand=expand) == expected
