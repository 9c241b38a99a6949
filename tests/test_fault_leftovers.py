"""Scratch folders and temporary files of a run killed with SIGKILL are removed by the next
run; those of a live run are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

from kgtool import leftovers

HOLDER = """
import sys, time
from kgtool import leftovers
print(leftovers.mkdtemp(".kgtool-test-", sys.argv[1]), flush=True)
fd, path = leftovers.mkstemp(".out.nt.", ".part", sys.argv[1])
print(path, flush=True)
time.sleep(600)
"""


def aged(path: str) -> None:
    old = time.time() - 60
    os.utime(path, (old, old))


def test_a_live_runs_scratch_is_kept_and_a_dead_ones_is_swept(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        folder, part = p.stdout.readline().strip(), p.stdout.readline().strip()
        aged(folder), aged(part)
        assert leftovers.sweep(tmp_path, ".kgtool-") == [] and leftovers.sweep(tmp_path, ".out.nt.", ".part") == []
        assert os.path.isdir(folder) and os.path.isfile(part)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
    assert leftovers.sweep(tmp_path, ".kgtool-") == [folder]
    assert leftovers.sweep(tmp_path, ".out.nt.", ".part") == [part]
    assert list(tmp_path.iterdir()) == []


def scratch(out: Path) -> list[str]:
    here = [p.name for p in out.iterdir() if p.name.startswith(".")] if out.exists() else []
    tmp = out.parent / "tmp"  # the TMPDIR of the converts below: the engine's scratch folder
    here += [f"tmp/{p.name}" for p in tmp.iterdir() if p.name.startswith(".kgtool-")] if tmp.exists() else []
    return here + [f"/dev/shm/{n}" for n in os.listdir("/dev/shm") if n.startswith(".kgtool-")] \
        if os.path.isdir("/dev/shm") else here


def survivors(marker: str, wait: float = 5.0) -> list[int]:
    """Processes whose command line holds ``marker``, once they had ``wait`` seconds to end."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_the_next_convert_cleans_what_a_killed_one_left(tmp_path):
    csv = tmp_path / "oc.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_oc_csv.py"), "60000", str(csv)], check=True,
                   capture_output=True)
    out = tmp_path / "out"
    before = set(scratch(out))
    cmd = [sys.executable, "-m", "kgtool", "-q", "convert", str(csv), "--out", str(out), "--jobs", "2"]
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(set(scratch(out)) - before) < 2 and p.poll() is None:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not survivors(str(out)), "worker processes outlived their killed parent"
    left = set(scratch(out)) - before
    assert left, "the kill came too late to leave anything"
    time.sleep(leftovers.GRACE + 0.1)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert not (set(scratch(out)) & left), set(scratch(out)) & left
    assert sorted(p.name for p in out.iterdir()) == ["oc.nt.gz"]


def test_a_scratch_folder_that_cannot_be_made_is_one_line(tmp_path):
    """convert --tmp-dir under a regular file: exit 2, one line naming the folder, nothing written."""
    csv = tmp_path / "oc.csv"
    csv.write_text("oci,citing,cited,creation,timespan,journal_sc,author_sc\n"
                   "oci:1-2,omid:br/061,omid:br/062,2020,P1Y,no,no\n", encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "kgtool", "-q", "convert", str(csv), "--out", str(out),
                        "--tmp-dir", str(blocker / "sub")], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [f"kgtool: error: cannot make a scratch folder in {blocker / 'sub'} "
                                     "(Not a directory)"]
    assert not out.exists() or not any(out.iterdir())


def test_the_duckdb_validators_scratch_is_swept_like_converts(tmp_path):
    """Its scratch folder is made through leftovers (so a killed run's is swept by the next)."""
    from kgtool.validate.sql import _Database

    with _Database(tmp_path) as db:
        (made,) = list(tmp_path.iterdir())
        assert made.name.startswith(".kgtool-validate-" + leftovers.MARK) and made == db.tmp
    assert list(tmp_path.iterdir()) == []
