"""`push --mode sync` against a real `oxigraph serve`, and `load --sync` on the embedded store:
only the difference is sent, and the graph ends equal to the new export."""

from __future__ import annotations

import dataclasses
import json
import random

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner
from conftest import ROOT
from servers import AuthProxy

from kgtool.cli import main
from kgtool.map.convert import convert_dump
from kgtool.push import servers as push_servers
from kgtool.push.endpoint import Endpoint
from kgtool.push.sync import STATE_DIR, sync_push
from kgtool.push.upload import push_file, temp_graph
from kgtool.store.embedded import open_store

N_CITATIONS = 10_000


def ep(url: str) -> Endpoint:
    return Endpoint.from_base(url, env={}, backoff=0.01)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """A 10k-citation export, and a copy with 1% of its citations changed."""
    d = tmp_path_factory.mktemp("sync")
    rng = random.Random(3)
    rows = ["oci,citing,cited,creation,timespan,journal_sc,author_sc"]
    for i in range(N_CITATIONS):
        citing, cited = i // 20, 1000 + rng.randrange(3000)
        rows.append(f"oci:0{citing}-0{cited}{i},doi:10.5555/w{citing},doi:10.5555/c{cited}.{i},"
                    f"20{10 + i % 12}-0{1 + i % 9},P{i % 30}Y,no,{'yes' if i % 7 == 0 else 'no'}")
    csv = d / "oc.csv"
    csv.write_text("\n".join(rows) + "\n")
    old = convert_dump(csv, to="nt", out_dir=d, stem="old", threads=1).files[0]
    lines = old.read_text(encoding="utf-8").splitlines(keepends=True)
    dated = [i for i, ln in enumerate(lines) if "hasCitationCreationDate" in ln]
    changed = set(rng.sample(dated, N_CITATIONS // 100))  # 1% of the citations get another date
    new_lines = [ln.replace('"20', '"19', 1) if i in changed else ln for i, ln in enumerate(lines)]
    del new_lines[5:55]  # and 50 triples go
    new_lines += [f'<https://example.org/extra/{i}> <http://purl.org/dc/terms/title> "Extra {i}" .\n'
                  for i in range(50)]  # and 50 arrive
    new = d / "new.nt"
    new.write_text("".join(new_lines), encoding="utf-8")
    return old, new


def canonical(data: bytes) -> set:
    """The triples, with typed literals in the canonical form a store keeps ("P0Y" -> "PT0S")."""
    store = ox.Store()
    store.load(data, ox.RdfFormat.N_TRIPLES)
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store}


def graph_content(url: str, graph: str) -> set:
    r = requests.get(f"{url}/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}, timeout=30)
    r.raise_for_status()
    return canonical(r.content)


def file_content(path) -> set:
    return canonical(path.read_bytes())


class Counter:
    def __init__(self):
        self.bytes = 0
        self.updates = 0

    def __call__(self, method: str, path: str, body: bytes) -> bytes:
        self.bytes += len(body)
        if method in ("POST", "PUT") and path.startswith(("/update", "/store")):
            self.updates += 1
        return body


def test_sync_sends_under_5_percent_of_a_full_push_and_the_store_equals_the_new_export(oxigraph, exports, tmp_path):
    old, new = exports
    graph, full_graph = "https://example.org/g/sync", "https://example.org/g/sync-full"
    state = tmp_path / "state"
    counter = Counter()
    with AuthProxy(oxigraph.url, body_filter=counter) as proxy:
        first = sync_push(old, ep(proxy.url), graph, state_dir=state)  # an empty graph: everything goes
        assert first.base == "store" and first.added == len(old.read_text().splitlines())
        counter.bytes = 0
        push_file(new, ep(proxy.url), full_graph, mode="merge")  # a full push's bytes (merge: no MOVE to wait for)
        full = counter.bytes
        counter.bytes = counter.updates = 0
        r = sync_push(new, ep(proxy.url), graph, state_dir=state)
        sent = counter.bytes
        assert r.base == "manifest" and r.removed == N_CITATIONS // 100 + 50 and r.added == N_CITATIONS // 100 + 50
        assert sent < 0.05 * full, (sent, full)
        print(f"sync sent {sent} bytes, a full push {full} ({100 * sent / full:.2f}%)")
        assert counter.updates == 1  # one request: atomic in Oxigraph
        assert graph_content(oxigraph.url, graph) == file_content(new)
        assert r.graph_triples == len(file_content(new))
        counter.bytes = counter.updates = 0
        again = sync_push(new, ep(proxy.url), graph, state_dir=state)
        assert again.action == "unchanged" and again.requests == 0 and counter.updates == 0


def test_without_a_manifest_or_after_someone_else_changed_the_graph_the_store_is_asked(oxigraph, exports, tmp_path):
    old, new = exports
    graph = "https://example.org/g/sync-ask"
    e = ep(oxigraph.url)
    push_file(old, e, graph, mode="merge")  # pushed whole (into a new graph), without a manifest
    r = sync_push(new, e, graph, state_dir=tmp_path / "s")
    # From the store, whose literals are canonical ("P0Y" as "PT0S"): such spellings are no change
    assert r.base == "store" and (r.removed, r.added) == (N_CITATIONS // 100 + 50, N_CITATIONS // 100 + 50)
    assert graph_content(oxigraph.url, graph) == file_content(new)
    e.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <http://x/s> <http://x/p> <http://x/o> }} }}")  # a stranger's edit
    r = sync_push(new, e, graph, state_dir=tmp_path / "s")
    assert r.base == "store" and (r.removed, r.added) == (1, 0)
    assert graph_content(oxigraph.url, graph) == file_content(new)


def test_a_large_difference_is_staged_and_moved_into_place(oxigraph, exports, tmp_path, monkeypatch):
    import kgtool.push.upload

    big_old, big_new = exports
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"  # small: COPY and MOVE take time with size
    old.write_text("".join(big_old.read_text().splitlines(keepends=True)[:3000]))
    new.write_text("".join(big_new.read_text().splitlines(keepends=True)[:3000]))
    graph = "https://example.org/g/sync-staged"
    e = ep(oxigraph.url)
    sync_push(old, e, graph, state_dir=tmp_path)
    monkeypatch.setattr(kgtool.push.upload, "CHUNK_BYTES", 1000)  # force the staged path
    r = sync_push(new, e, graph, state_dir=tmp_path, chunk_size=40)
    assert r.requests > 3
    assert graph_content(oxigraph.url, graph) == file_content(new)
    assert oxigraph.count(kgtool.push.upload.temp_graph(graph)) == 0


def test_cli_push_sync_keeps_its_manifest_beside_the_export(oxigraph, exports, tmp_path):
    old, _ = exports
    export = tmp_path / "x.nt"
    export.write_bytes(old.read_bytes())
    graph = "https://example.org/g/sync-cli"
    r = run("-q", "push", str(export), "--endpoint", oxigraph.url, "--graph", graph, "--mode", "sync")
    assert r.exit_code == 0, r.output
    assert "synced" in r.stdout and "difference from the store" in r.stdout
    manifest = json.loads((tmp_path / STATE_DIR / "manifest.json").read_text())
    (entry,) = manifest["targets"].values()
    assert entry["graph"] == graph and entry["triples"] == oxigraph.count(graph)
    r = run("-q", "push", str(export), "--endpoint", oxigraph.url, "--graph", graph, "--mode", "sync")
    assert r.stdout.startswith("unchanged") and "in 0 requests (0 bytes)" in r.stdout


def test_load_sync_changes_only_the_difference_in_the_embedded_store(exports, tmp_path):
    old, new = exports
    db = tmp_path / "kg.db"
    graph = "https://example.org/g/local"
    assert run("-q", "load", str(old), "--store", str(db), "--graph", graph).exit_code == 0
    r = run("-q", "load", str(new), "--store", str(db), "--graph", graph, "--sync")
    assert r.exit_code == 0, r.output
    assert f"{N_CITATIONS // 100 + 50} removed, {N_CITATIONS // 100 + 50} added" in r.stdout
    with open_store(db, read_only=True) as store:
        held = {ox.Triple(q.subject, q.predicate, q.object)
                for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
        assert held == file_content(new)
        assert store.graphs()[graph]["triples"] == len(held)
    r = run("-q", "load", str(new), "--store", str(db), "--graph", graph, "--sync")
    assert r.stdout.startswith("unchanged") and "0 removed, 0 added" in r.stdout


def test_two_spellings_of_one_value_pass_the_count_check(oxigraph, tmp_path):
    dec = "<http://www.w3.org/2001/XMLSchema#decimal>"
    f = tmp_path / "two.nt"
    f.write_text(f'<http://x/s> <http://x/p> "0.50"^^{dec} .\n<http://x/s> <http://x/p> "0.5"^^{dec} .\n'
                 '<http://x/s> <http://x/q> "a" .\n')
    r = sync_push(f, ep(oxigraph.url), "https://example.org/g/sync-spellings", state_dir=tmp_path / "s")
    assert r.graph_triples == 2
    again = sync_push(f, ep(oxigraph.url), "https://example.org/g/sync-spellings", state_dir=tmp_path / "s")
    assert again.action == "unchanged"


def test_sync_on_virtuoso_as_installed(virtuoso, tmp_path, monkeypatch):
    """push --mode sync through Virtuoso's authenticated endpoints: durations survive (day-only
    ones included), a changed export sends only its difference, an unchanged one nothing."""
    oc = tmp_path / "oc.csv"
    rows = (ROOT / "tests" / "data" / "oc" / "index-sample.csv").read_text().splitlines()
    rows.append("oci:0610404-0610505,omid:br/0610404,omid:br/0610505,2020-01-01,P6D,no,no")
    oc.write_text("\n".join(rows) + "\n")
    assert run("-q", "fetch", "opencitations", "--input", str(oc), "--to", "nt", "--out", str(tmp_path / "e")
               ).exit_code == 0
    export = tmp_path / "e" / "oc.nt"
    graph = "https://example.org/g/sync-virtuoso"
    args = ["push", str(export), "--endpoint", virtuoso.url, "--layout", "virtuoso", "--graph", graph,
            "--mode", "sync", "--sync-state", str(tmp_path / "state")]
    env = virtuoso.env
    first = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    e = Endpoint.from_base(virtuoso.url, env=env, layout="virtuoso", backoff=0.01)
    spans = f"SELECT ?d WHERE {{ GRAPH <{graph}> {{ ?c <http://purl.org/spar/cito/hasCitationTimeSpan> ?d }} }}"
    written = sorted(ln.split('"')[1] for ln in export.read_text().splitlines() if "hasCitationTimeSpan" in ln)
    # With --layout virtuoso a duration without a time part is sent as "P6DT0S", which Virtuoso keeps
    read = sorted(str(row[0]).removesuffix("T0S") for row in e.query(spans).rows)
    assert read == written and "P6D" in read
    lines = export.read_text().splitlines(keepends=True)
    i = next(i for i, ln in enumerate(lines) if "hasCitationCreationDate" in ln)
    lines[i] = lines[i].replace('"2019-03-04"', '"2019-03-05"')
    export.write_text("".join(lines))
    second = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert second.exit_code == 0 and "sending the difference" in second.stderr, second.output
    assert e.count(graph) == len(lines)
    third = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert third.exit_code == 0 and "sending" not in third.stderr, third.output
    # A difference of several requests (here: over 2 triples; 1,000 as installed) goes to a staging
    # copy, switched in by one SQL transaction.
    monkeypatch.setitem(push_servers._TRAITS, "virtuoso", dataclasses.replace(push_servers.VIRTUOSO,
                                                                              max_insert_triples=2))
    dates = [i for i, ln in enumerate(lines) if "hasCitationCreationDate" in ln][:4]
    for i in dates:
        lines[i] = lines[i].replace('"20', '"19', 1)  # another year: a changed triple
    export.write_text("".join(lines))
    fourth = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert fourth.exit_code == 0, fourth.output
    assert f"switching <{graph}> to the staged graph in one transaction" in fourth.stderr, fourth.output
    assert e.count(graph) == len(lines) and e.count(temp_graph(graph)) == 0
