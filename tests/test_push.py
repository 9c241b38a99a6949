"""Publishing into real servers started on 127.0.0.1 by the fixtures: `oxigraph serve` and,
where it is installed, Debian's Virtuoso (authenticated endpoints, HTTP Digest)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys

import citation_records as rec
import pytest
from click.testing import CliRunner
from rdflib import Graph
from servers import AuthProxy

from kgtool.cli import main
from kgtool.errors import EndpointError, UsageError
from kgtool.push import servers as push_servers
from kgtool.push.endpoint import Endpoint
from kgtool.push.upload import push_file, temp_graph
from kgtool.serialize.export import ntriples_lines
from kgtool.store.embedded import open_store
from kgtool.store.engines import EndpointEngine
from kgtool.store.named_queries import run_named, shipped_queries


def ep(url: str, **kw) -> Endpoint:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("env", {})
    return Endpoint.from_base(url, **kw)


class Store:
    """A running server and how kgtool reaches it (layout, credentials)."""

    def __init__(self, server, layout: str):
        self.server, self.layout = server, layout
        self.env = getattr(server, "env", {})

    @property
    def url(self) -> str:
        return self.server.url

    def ep(self, url: str | None = None, **kw) -> Endpoint:
        kw.setdefault("env", self.env)
        return ep(url or self.url, layout=self.layout, **kw)

    def count(self, graph: str) -> int:
        return self.server.count(graph)

    def triples(self, graph: str):
        return self.server.triples(graph)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store(request) -> Store:
    """Each real store in turn (shared by the session's tests)."""
    return Store(request.getfixturevalue(request.param), request.param)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def own_store(request) -> Store:
    """Each real store in turn, started for one test, which may kill and restart it."""
    return Store(request.getfixturevalue(f"own_{request.param}"), request.param)


def same_values(triples) -> set[tuple[str, str, str]]:
    """(s, p, o) with date-only durations as Virtuoso is sent them (``P6D`` -> ``P6DT0S``, equal value)."""
    return {(s, p, o + "T0S" if re.fullmatch(r"-?P(\d+[YMD])+", o) else o) for s, p, o in triples}


def stored(st: Store, path) -> set[tuple[str, str, str]]:
    """What the store should hold for a file kgtool pushed."""
    t = file_triples(path)
    return same_values(t) if st.layout == "virtuoso" else t


@pytest.fixture
def graph(request) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")
    return f"https://example.org/g/{slug}"


def file_triples(path) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for s, p, o in Graph().parse(path)}


def write_nt(path, lines) -> None:
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_push_puts_exactly_the_files_triples_in_the_graph(store, small_graph, graph, protocol):
    r = push_file(small_graph, store.ep(), graph, protocol=protocol, chunk_size=25)
    n = len(rec.graph_triples())
    assert (r.file_triples, r.graph_triples) == (n, n)
    assert store.triples(graph) == stored(store, small_graph)
    assert store.count(temp_graph(graph)) == 0  # the staging graph is gone


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_pushing_again_changes_nothing(store, small_graph, graph, protocol):
    for mode in ("replace", "replace", "merge"):
        push_file(small_graph, store.ep(), graph, protocol=protocol, mode=mode, chunk_size=40)
        assert store.triples(graph) == stored(store, small_graph)


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_replace_drops_what_the_new_file_lacks_and_merge_keeps_it(store, tmp_path, graph, protocol):
    lines = ntriples_lines(rec.graph_triples())
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    write_nt(first, lines[:60])
    write_nt(second, lines[40:])
    push_file(first, store.ep(), graph, protocol=protocol, chunk_size=25)
    r = push_file(second, store.ep(), graph, protocol=protocol, mode="replace", chunk_size=25)
    assert store.triples(graph) == stored(store, second) and r.graph_triples == len(lines) - 40
    push_file(first, store.ep(), graph, protocol=protocol, mode="replace")
    r = push_file(second, store.ep(), graph, protocol=protocol, mode="merge", chunk_size=25)
    assert store.triples(graph) == stored(store, first) | stored(store, second)
    assert r.graph_triples == len(lines)


def test_an_empty_file_empties_the_graph(store, small_graph, tmp_path, graph):
    push_file(small_graph, store.ep(), graph)
    empty = tmp_path / "empty.nt"
    empty.write_text("")
    assert push_file(empty, store.ep(), graph).graph_triples == 0
    assert store.count(graph) == 0


def test_two_spellings_of_one_value_still_pass_the_count_check(oxigraph, tmp_path, graph):
    f = tmp_path / "d.nt"
    dec = "<http://www.w3.org/2001/XMLSchema#decimal>"
    f.write_text(f'<https://x.org/a> <https://x.org/v> "0.5"^^{dec} .\n<https://x.org/a> <https://x.org/v> "0.50"^^{dec} .\n')
    r = push_file(f, ep(oxigraph.url), graph)
    assert (r.file_triples, r.graph_triples) == (2, 1)  # Oxigraph keeps one canonical "0.5"


def _drop_every_other_triple(method: str, path: str, body: bytes) -> bytes:
    """A store that silently loses half of what it is sent."""
    if method in ("PUT", "POST") and (path.startswith(("/store", "/sparql-graph-crud")) or b"INSERT DATA" in body):
        lines = body.decode().split("\n")
        keep = [ln for i, ln in enumerate(lines) if not ln.startswith("<") or i % 2 == 0]
        return "\n".join(keep).encode()
    return body


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_the_count_check_catches_a_store_that_loses_triples(store, small_graph, tmp_path, graph, protocol):
    old = tmp_path / "old.nt"
    write_nt(old, ntriples_lines(rec.graph_triples())[:5])
    push_file(old, store.ep(), graph)
    with AuthProxy(store.url, body_filter=_drop_every_other_triple) as lossy:
        with pytest.raises(EndpointError, match=r"staging graph .* holds \d+ triples but the file has \d+; .* was left as it was"):
            push_file(small_graph, store.ep(lossy.url), graph, protocol=protocol)
        assert store.triples(graph) == stored(store, old) and store.count(temp_graph(graph)) == 0
        with pytest.raises(EndpointError, match=r"after merging \d+ triples into .* it holds \d+; expected between"):
            push_file(small_graph, store.ep(lossy.url), graph, protocol=protocol, mode="merge")
    assert len(store.triples(graph)) < len(rec.graph_triples())


@pytest.mark.parametrize("protocol", ["update", "gsp"])
def test_readers_never_see_half_a_graph(store, small_graph, tmp_path, graph, protocol):
    """Between the push's requests readers see the old graph, then the new one: one MOVE, or on
    Virtuoso, whose SPARQL updates commit piecemeal, one SQL transaction (servers.py). 20 triples
    per request: several Graph Store parts on Virtuoso."""
    old = tmp_path / "old.nt"
    lines = ntriples_lines(rec.graph_triples())
    write_nt(old, lines[:7] + lines[-3:])  # 3 triples the new file lacks, 7 it keeps, more it adds
    write_nt(tmp_path / "new.nt", lines[3:])
    push_file(old, store.ep(), graph)
    seen = []

    def reader(message: str) -> None:  # runs between the push's requests
        seen.append(store.triples(graph))

    r = push_file(tmp_path / "new.nt", store.ep(), graph, protocol=protocol, chunk_size=20, part_triples=20,
                  progress=reader)
    before, after = stored(store, old), stored(store, tmp_path / "new.nt")
    assert len(seen) >= 3 and seen[0] == before
    first_new = next((i for i, s in enumerate(seen) if s != before), len(seen))
    assert all(s == after for s in seen[first_new:]), "a reader saw a graph between the old and the new"
    assert store.triples(graph) == after
    assert r.switch == ("one transaction" if store.layout == "virtuoso" else "MOVE")


def test_virtuoso_falls_back_to_adding_and_deleting_when_the_switch_fails(virtuoso, small_graph, tmp_path, graph,
                                                                           monkeypatch):
    """The worst refusal: the DELETE went through and the copy failed (a missing table), which
    Virtuoso commits; adding and deleting still ends at the file's triples, and the CLI says how."""
    old = tmp_path / "old.nt"
    write_nt(old, ntriples_lines(rec.graph_triples())[:9])
    env = {**os.environ, **virtuoso.env}
    args = ["--layout", "virtuoso", "--endpoint", virtuoso.url, "--graph", graph]
    assert CliRunner().invoke(main, ["-q", "push", str(old), *args], env=env).exit_code == 0

    def broken(target: str, staging: str) -> str:
        return push_servers.virtuoso_switch_query(target, staging).replace("SELECT iri_to_id", "SELECT nope_to_id")

    monkeypatch.setitem(push_servers._TRAITS, "virtuoso", dataclasses.replace(push_servers.VIRTUOSO,
                                                                              switch_query=broken))
    r = CliRunner().invoke(main, ["push", str(small_graph), *args], env=env)
    assert r.exit_code == 0, r.output
    assert "the switch in one transaction failed (" in r.output and "SPARQL query:" not in r.output
    assert "switched by adding, then deleting: readers could see both versions mixed meanwhile" in r.output
    assert virtuoso.triples(graph) == same_values(file_triples(small_graph))
    assert virtuoso.count(temp_graph(graph)) == 0


@pytest.mark.parametrize("when", ["after the first chunk", "before the move"])
def test_the_server_dying_mid_push_leaves_the_old_graph(own_store, small_graph, tmp_path, graph, when):
    old = tmp_path / "old.nt"
    write_nt(old, ntriples_lines(rec.graph_triples())[:9])
    push_file(old, own_store.ep(), graph)

    def crash(message: str) -> None:
        if (when == "after the first chunk" and message.startswith("sent chunk 1/")) or (
            when == "before the move" and message.startswith(("moving", "switching"))
        ):
            own_store.server.stop()

    with pytest.raises(EndpointError) as e:
        push_file(small_graph, own_store.ep(retries=2), graph, protocol="update", chunk_size=20, progress=crash)
    assert "connection refused (after 3 attempts)" in str(e.value)
    assert f"<{graph}> was left as it was" in str(e.value)

    own_store.server.start()
    assert own_store.triples(graph) == stored(own_store, old)
    # The next push goes through and clears what the broken one staged.
    push_file(small_graph, own_store.ep(), graph, protocol="update", chunk_size=20)
    assert own_store.triples(graph) == stored(own_store, small_graph)
    assert own_store.count(temp_graph(graph)) == 0


def test_blank_nodes_are_not_split_across_update_chunks(oxigraph, tmp_path, graph):
    f = tmp_path / "b.ttl"
    f.write_text("<https://x.org/a> <https://x.org/p> [ <https://x.org/q> 1 ; <https://x.org/r> 2 ] .\n")
    with pytest.raises(UsageError, match="blank nodes and needs 3 INSERT DATA requests"):
        push_file(f, ep(oxigraph.url), graph, protocol="update", chunk_size=1)
    assert push_file(f, ep(oxigraph.url), graph, protocol="update").graph_triples == 3
    assert push_file(f, ep(oxigraph.url), graph, protocol="gsp").graph_triples == 3


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
def test_credentials_from_the_environment(oxigraph, small_graph, graph, scheme):
    if scheme == "basic":
        proxy_kw, good, bad = (
            {"user": "editor", "password": "c0rrect-horse"},
            {"KGTOOL_ENDPOINT_USER": "editor", "KGTOOL_ENDPOINT_PASSWORD": "c0rrect-horse"},
            {"KGTOOL_ENDPOINT_USER": "editor", "KGTOOL_ENDPOINT_PASSWORD": "wr0ng-battery"},
        )
    else:
        proxy_kw, good, bad = {"token": "t0ken-good"}, {"KGTOOL_ENDPOINT_TOKEN": "t0ken-good"}, {"KGTOOL_ENDPOINT_TOKEN": "t0ken-bad"}
    with AuthProxy(oxigraph.url, **proxy_kw) as proxy:
        assert push_file(small_graph, ep(proxy.url, env=good), graph).graph_triples == len(rec.graph_triples())
        refused_before = proxy.refused
        with pytest.raises(EndpointError) as e:
            push_file(small_graph, ep(proxy.url, env=bad), graph, mode="merge")
        assert "HTTP 401" in str(e.value) and "refused access" in str(e.value)
        secret = next(iter(bad.values())) if scheme == "bearer" else bad["KGTOOL_ENDPOINT_PASSWORD"]
        assert secret not in str(e.value)
        # Basic: the challenge, then the refusal of the wrong password; never retried after that
        assert proxy.refused == refused_before + (2 if scheme == "basic" else 1)
        with pytest.raises(EndpointError, match="HTTP 401.*set the credentials"):
            push_file(small_graph, ep(proxy.url), graph)


def test_cli_push_with_a_wrong_password_exits_2_and_never_prints_it(oxigraph, small_graph, graph, monkeypatch):
    with AuthProxy(oxigraph.url, user="editor", password="c0rrect-horse") as proxy:
        monkeypatch.setenv("KGTOOL_ENDPOINT_USER", "editor")
        monkeypatch.setenv("KGTOOL_ENDPOINT_PASSWORD", "wr0ng-battery")
        r = CliRunner().invoke(main, ["push", str(small_graph), "--endpoint", proxy.url, "--graph", graph])
        assert r.exit_code == 2
        assert "HTTP 401" in r.output and "wr0ng-battery" not in r.output
        monkeypatch.setenv("KGTOOL_ENDPOINT_PASSWORD", "c0rrect-horse")
        r = CliRunner().invoke(main, ["-q", "push", str(small_graph), "--endpoint", proxy.url, "--graph", graph, "--protocol", "update"])
        assert r.exit_code == 0, r.output
        n = len(rec.graph_triples())
        assert r.output == f"pushed {small_graph} -> <{graph}> (update, replace): {n} triples in the file, {n} in the graph\n"
        assert "c0rrect-horse" not in r.output


def test_cli_push_reports_an_unreachable_endpoint(small_graph):
    from servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    r = CliRunner().invoke(main, ["push", str(small_graph), "--endpoint", url, "--graph", "https://example.org/g", "--retries", "0"])
    assert r.exit_code == 2
    assert r.output.strip().endswith(f"kgtool: error: POST {url}/update: connection refused")


def test_endpoint_queries_answer_as_the_embedded_store_does(store, small_graph, tmp_path, graph):
    push_file(small_graph, store.ep(), graph)
    remote = EndpointEngine(store.ep(), default_graphs=[graph])
    params = {"citing-works": {"work": rec.iri(rec.HUB)}, "references": {"work": rec.iri(rec.E)},
              "reception": {"hub": rec.iri(rec.HUB)}, "co-citation": {"min": "1"}}
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(small_graph)
        for name in shipped_queries():
            local = run_named(store.engine(), name, params.get(name))
            there = run_named(remote, name, params.get(name))
            assert local.rows, name
            assert (there.names, there.rows) == (local.names, local.rows), name


def test_cli_query_through_the_endpoint(own_oxigraph, small_graph, graph):
    """With --union-default-graph the server's default graph is every graph, as in the store."""
    push_file(small_graph, ep(own_oxigraph.url), graph)
    r = CliRunner().invoke(main, ["query", "--endpoint", own_oxigraph.url, "--query", "most-cited", "--results", "csv"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "work,title,citations"
    assert [(ln.split(",")[0], int(ln.split(",")[-1])) for ln in lines[1:]] == rec.most_cited()


def test_installed_entry_point_pushes(oxigraph, small_graph, graph):
    exe = [sys.executable, "-m", "kgtool"]
    r = subprocess.run([*exe, "push", str(small_graph), "--endpoint", oxigraph.url, "--graph", graph],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "kgtool: sending" in r.stderr and "moving the staged graph" in r.stderr
    assert oxigraph.triples(graph) == file_triples(small_graph)


def test_cli_push_refuses_a_graph_that_is_not_an_iri(small_graph):
    r = CliRunner().invoke(main, ["push", str(small_graph), "--endpoint", "http://127.0.0.1:1", "--graph", "page one"])
    assert r.exit_code == 2
    assert r.output == "kgtool: error: --graph must be an absolute IRI without spaces or any of <>\"{}|^`\\, got 'page one'\n"
