"""`kgtool load` killed with SIGKILL at several moments while it replaces a graph: the store
reopens with the old graph and entry, or the new ones, never a mix, and no leftovers."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgtool.store.embedded import CATALOG, STAGING, open_store

GRAPH = "https://example.org/graph/g"


def nt(path: Path, tag: str, n: int) -> tuple[str, int]:
    path.write_text("".join(f'<https://example.org/s{i}> <https://example.org/p> "{tag}{i}" .\n' for i in range(n)))
    return hashlib.sha256(path.read_bytes()).hexdigest(), n


def load(store: Path, file: Path, graph: str | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "kgtool", "-q", "load", str(file), "--store", str(store), "--force"]
    return subprocess.Popen(args + (["--graph", graph] if graph else []),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def check_consistent(store: Path, versions: dict[str, tuple[str, int]], read_only: bool = False) -> str:
    """Open (which recovers, read-only too) and check catalog and data agree; return which version G holds."""
    with open_store(store, read_only=read_only) as s:
        graphs = s.graphs()
        named = {g.value for g in s.store.named_graphs()}
        assert not [g for g in named if g.startswith(STAGING)], named
        assert set(graphs) == named, (graphs, named)
        for iri, entry in graphs.items():
            assert s.count_graph(iri) == entry["triples"], iri
        entry = graphs[GRAPH]
        tag = next(t for t, (sha, _) in versions.items() if sha == entry["sha256"])
        assert entry["triples"] == versions[tag][1]
        rows = s.engine().query(f'ASK {{ GRAPH <{GRAPH}> {{ ?s ?p "{tag}0" }} }}')
        assert rows.boolean
    assert "pending" not in json.loads((store / CATALOG).read_text())
    assert sorted(p.name for p in store.iterdir()) == [CATALOG, "oxigraph"]
    return tag


@pytest.mark.parametrize("other_triples", [40_000, 0], ids=["staged", "rebuild"])
def test_kill_9_during_a_replace_loses_nothing(tmp_path, other_triples):
    old_file, new_file, other = tmp_path / "old.nt", tmp_path / "new.nt", tmp_path / "other.nt"
    versions = {"old": nt(old_file, "old", 12_000), "new": nt(new_file, "new", 15_000)}
    pristine = tmp_path / "pristine.db"
    with open_store(pristine, create=True) as s:
        s.load(old_file, GRAPH)
        if other_triples:
            nt(other, "other", other_triples)
            s.load(other)
    # how long an uninterrupted replace takes here, to spread the kills over it
    trial = tmp_path / "trial.db"
    shutil.copytree(pristine, trial)
    t0 = time.monotonic()
    p = load(trial, new_file, GRAPH)
    assert p.wait(timeout=300) == 0, p.stderr.read()
    p.stderr.close()
    took = time.monotonic() - t0
    assert check_consistent(trial, versions) == "new"
    seen = []
    for i, fraction in enumerate((0.15, 0.35, 0.55, 0.75, 0.9)):
        store = tmp_path / f"kill-{fraction}.db"
        shutil.copytree(pristine, store)
        p = load(store, new_file, GRAPH)
        time.sleep(took * fraction)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        p.stderr.close()
        seen.append(check_consistent(store, versions, read_only=i % 2 == 1))  # as `query --store` would
        # and the next load completes the replace
        p = load(store, new_file, GRAPH)
        assert p.wait(timeout=300) == 0
        p.stderr.close()
        assert check_consistent(store, versions) == "new"
    assert "old" in seen, seen  # at least one kill fell before the commit


def test_a_second_kgtool_does_not_touch_a_load_in_progress(tmp_path):
    old_file, new_file = tmp_path / "old.nt", tmp_path / "new.nt"
    versions = {"old": nt(old_file, "old", 12_000), "new": nt(new_file, "new", 40_000)}
    store = tmp_path / "kg.db"
    with open_store(store, create=True) as s:
        s.load(old_file, GRAPH)
    p = load(store, new_file, GRAPH)  # the rebuild path: the new database grows beside the old
    deadline = time.monotonic() + 120
    while not (store / "oxigraph.new").exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert p.poll() is None, "the load ended before the test could interfere"
    for args in (["load", str(old_file), "--store", str(store), "--graph", GRAPH],
                 ["stats", "--store", str(store)]):
        r = subprocess.run([sys.executable, "-m", "kgtool", *args], capture_output=True, text=True, timeout=120)
        assert "Traceback" not in r.stderr
        if args[0] == "load":
            assert r.returncode == 2 and "in use by another kgtool process" in r.stderr
    assert p.wait(timeout=300) == 0, p.stderr.read()
    p.stderr.close()
    assert check_consistent(store, versions) == "new"
