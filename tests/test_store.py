"""The embedded store: one named graph per file, replace on reload, persistence, errors."""

from __future__ import annotations

import gzip
import json
import shutil

import citation_records as rec
import pytest
from rdflib import Graph

from kgtool.errors import InputError, UsageError
from kgtool.read.rdfload import load_graph
from kgtool.serialize.export import nquads_lines, ntriples_lines
from kgtool.store.embedded import CATALOG, file_graph_iri, open_store
from kgtool.store.named_queries import run_named
from kgtool.store.stats import compute_stats

GRAPHS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def graphs(store) -> dict[str, int]:
    return {str(g): int(n) for g, n in store.engine().query(GRAPHS_QUERY).rows}


def test_each_file_goes_into_its_own_graph(small_graph, data_dir, tmp_path):
    other = tmp_path / "hub.ttl"
    shutil.copy(data_dir.parent.parent / "exports" / "hub-example.ttl", other)
    with open_store(tmp_path / "kg.db", create=True) as store:
        reports = store.load_files([small_graph, other])
        assert [r.action for r in reports] == ["loaded", "loaded"]
        assert graphs(store) == {
            file_graph_iri(small_graph): len(rec.graph_triples()),
            file_graph_iri(other): len(Graph().parse(other)),
        }
        assert reports[0].triples == len(rec.graph_triples())


def test_reloading_replaces_and_never_duplicates(small_graph, tmp_path):
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(small_graph)
        before = graphs(store)
        # An unchanged file is skipped; a forced reload replaces the graph with the same triples.
        assert store.load(small_graph).action == "unchanged"
        assert store.load(small_graph, force=True).action == "replaced"
        assert graphs(store) == before
        # A changed file: its graph holds exactly the new triples, the old ones are gone.
        lines = ntriples_lines(rec.graph_triples())
        nt = small_graph.with_suffix(".nt")
        nt.write_text("".join(lines[:10]), encoding="utf-8")
        r = store.load(nt, graph=file_graph_iri(small_graph))
        assert r.action == "replaced" and r.triples == 10
        assert graphs(store) == {file_graph_iri(small_graph): 10}


def test_a_file_that_does_not_parse_leaves_the_old_graph(small_graph, tmp_path):
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(small_graph)
        before = graphs(store)
        good = small_graph.read_text(encoding="utf-8")
        small_graph.write_text(good + "\n<https://x.org/a> <https://x.org/b> \"unterminated .\n", encoding="utf-8")
        with pytest.raises(InputError, match=r"small\.ttl:\d+:\d+: cannot parse as turtle"):
            store.load(small_graph)
        assert graphs(store) == before


def test_a_new_file_that_fails_part_way_leaves_no_graph(small_graph, tmp_path):
    broken = tmp_path / "broken.nt"
    lines = ntriples_lines(rec.graph_triples())
    broken.write_text("".join(lines[:50]) + "<https://x.org/a> <https://x.org/b> .\n" + "".join(lines[50:]))
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(small_graph)
        with pytest.raises(InputError, match=r"broken\.nt:51:\d+: cannot parse as nt"):
            store.load(broken)
        assert graphs(store) == {file_graph_iri(small_graph): len(rec.graph_triples())}
        assert file_graph_iri(broken) not in store.graphs()


def test_the_store_persists_and_the_catalog_names_the_sources(small_graph, tmp_path):
    path = tmp_path / "kg.db"
    with open_store(path, create=True) as store:
        store.load(small_graph)
    catalog = json.loads((path / CATALOG).read_text())
    entry = catalog["graphs"][file_graph_iri(small_graph)]
    assert entry["source"] == str(small_graph.resolve()) and entry["triples"] == len(rec.graph_triples())
    with open_store(path, read_only=True) as store:
        assert graphs(store) == {file_graph_iri(small_graph): len(rec.graph_triples())}
        with pytest.raises(UsageError, match="read-only"):
            store.load(small_graph)


def test_quads_gzip_and_jsonld_inputs(tmp_path, data_dir):
    exports = data_dir.parent.parent / "exports"
    triples = rec.graph_triples()
    nq = tmp_path / "g.nq"
    nq.write_text("".join(nquads_lines(triples, rec.work_iri(rec.HUB))), encoding="utf-8")
    gz = tmp_path / "g.nt.gz"
    gz.write_bytes(gzip.compress("".join(ntriples_lines(triples)).encode()))
    with open_store(tmp_path / "kg.db", create=True) as store:
        assert store.load(nq).triples == len(triples)  # quads land in the file's graph
        assert store.load(gz).triples == len(triples)
        jsonld = store.load(exports / "hub-example.jsonld")
        assert jsonld.triples == len(load_graph([exports / "hub-example.ttl"]))


def test_a_first_load_that_fails_leaves_no_empty_store(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text("<https://x.org/a> <https://x.org/b> .\n")
    with pytest.raises(InputError, match=r"bad\.nt:1:\d+: cannot parse as nt"):
        with open_store(tmp_path / "new.db", create=True) as store:
            store.load(bad)
    assert not (tmp_path / "new.db").exists()


def test_stdin_needs_a_graph_name(tmp_path):
    with open_store(tmp_path / "kg.db", create=True) as store:
        with pytest.raises(UsageError, match="--graph"):
            store.load("-")


def test_graph_option_takes_one_file(small_graph, tmp_path):
    with open_store(tmp_path / "kg.db", create=True) as store:
        with pytest.raises(UsageError, match="exactly one file"):
            store.load_files([small_graph, small_graph.with_name("x.ttl")], graph="https://example.org/g")


def test_store_errors_say_what_to_do(tmp_path):
    with pytest.raises(UsageError, match="no kgtool store here; create one with 'kgtool load"):
        open_store(tmp_path / "missing.db")
    (tmp_path / "file.db").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        open_store(tmp_path / "file.db", create=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and is not a kgtool store"):
        open_store(tmp_path / "busy", create=True)


def test_a_second_writer_is_refused(tmp_path):
    with open_store(tmp_path / "kg.db", create=True):
        with pytest.raises(UsageError, match="in use"):
            open_store(tmp_path / "kg.db")


def test_stats_from_the_store_equal_stats_from_the_files(small_graph, tmp_path):
    copy = tmp_path / "copy.ttl"
    shutil.copy(small_graph, copy)
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load_files([small_graph, copy])  # the same triples twice, in two graphs
        assert compute_stats(store.engine()) == compute_stats(load_graph([small_graph, copy]))


def test_queries_do_not_double_count_triples_shared_by_graphs(small_graph, tmp_path):
    copy = tmp_path / "copy.ttl"
    shutil.copy(small_graph, copy)
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load_files([small_graph, copy])
        r = run_named(store.engine(), "most-cited")
        assert [(str(w), int(n)) for w, _, n in r.rows] == rec.most_cited()
        assert store.engine().triple_count() == len(rec.graph_triples())


def test_the_store_canonicalizes_literals_so_exports_never_come_from_it(tmp_path):
    """The pitfall, pinned: what goes in as "0.50" comes back as "0.5"."""
    f = tmp_path / "d.nt"
    f.write_text('<https://x.org/a> <https://x.org/share> "0.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n')
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(f)
        (row,) = store.engine().query("SELECT ?o WHERE { ?s ?p ?o }").rows
        assert str(row[0]) == "0.5"


def test_replacing_a_graph_that_is_most_of_the_store_rebuilds_it(small_graph, tmp_path):
    """The rebuild path: a fresh database with the other graphs and the new file, swapped in."""
    small = tmp_path / "small.nt"
    small.write_text("".join(ntriples_lines(rec.graph_triples())[:3]), encoding="utf-8")
    path = tmp_path / "kg.db"
    with open_store(path, create=True) as store:
        store.load_files([small_graph, small])
        before_small = store.engine().query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{file_graph_iri(small)}> {{ ?s ?p ?o }} }}").rows
        lines = ntriples_lines(rec.graph_triples())
        changed = tmp_path / "changed.nt"
        changed.write_text("".join(lines[5:]), encoding="utf-8")
        r = store.load(changed, graph=file_graph_iri(small_graph))
        assert r.action == "replaced" and r.triples == len(lines) - 5
        assert graphs(store) == {file_graph_iri(small_graph): len(lines) - 5, file_graph_iri(small): 3}
        after_small = store.engine().query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{file_graph_iri(small)}> {{ ?s ?p ?o }} }}").rows
        assert sorted(map(tuple, after_small)) == sorted(map(tuple, before_small))
        # A broken file on the rebuild path leaves the old store whole and no half-built copy.
        changed.write_text("".join(lines[:20]) + "<https://x.org/a> .\n", encoding="utf-8")
        with pytest.raises(InputError, match=r"changed\.nt:\d+:\d+: cannot parse as nt"):
            store.load(changed, graph=file_graph_iri(small_graph))
        assert graphs(store) == {file_graph_iri(small_graph): len(lines) - 5, file_graph_iri(small): 3}
        assert store.graphs()[file_graph_iri(small_graph)]["triples"] == len(lines) - 5
    assert sorted(p.name for p in path.iterdir()) == [CATALOG, "oxigraph"]
    with open_store(path) as store:  # and it reopens as it was
        assert graphs(store)[file_graph_iri(small)] == 3


def test_an_interrupted_swap_is_finished_on_open(small_graph, tmp_path):
    path = tmp_path / "kg.db"
    with open_store(path, create=True) as store:
        store.load(small_graph)
    catalog = json.loads((path / CATALOG).read_text())
    (path / CATALOG).write_text(json.dumps({**catalog, "pending": {"kind": "rebuild"}}))  # committed, then
    (path / "oxigraph").rename(path / "oxigraph.new")  # as if killed between the two renames
    (path / "oxigraph.old").mkdir()
    with open_store(path) as store:
        assert graphs(store) == {file_graph_iri(small_graph): len(rec.graph_triples())}
        assert "pending" not in json.loads((path / CATALOG).read_text())
    assert sorted(p.name for p in path.iterdir()) == [CATALOG, "oxigraph"]


def test_replacing_a_small_graph_deletes_it_in_place(small_graph, tmp_path):
    lines = ntriples_lines(rec.graph_triples())
    small = tmp_path / "small.nt"
    small.write_text("".join(lines[:3]), encoding="utf-8")
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load_files([small_graph, small])
        database = store.store
        small.write_text("".join(lines[3:7]), encoding="utf-8")
        assert store.load(small).action == "replaced"
        assert store.store is database  # no rebuild
        assert graphs(store) == {file_graph_iri(small_graph): len(lines), file_graph_iri(small): 4}
        small.write_text("".join(lines[:2]) + "<https://x.org/a> .\n", encoding="utf-8")
        with pytest.raises(InputError, match=r"small\.nt:\d+:\d+: cannot parse as nt"):
            store.load(small)
        assert graphs(store) == {file_graph_iri(small_graph): len(lines), file_graph_iri(small): 4}


def test_a_single_graph_is_read_directly_unless_the_default_graph_holds_data(small_graph, tmp_path):
    """StoreEngine.dataset: one named graph is the union; data in Oxigraph's own default graph is not."""
    import pyoxigraph as ox

    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(small_graph)
        assert store.engine().dataset() == {"default_graph": ox.NamedNode(file_graph_iri(small_graph))}
        n = store.engine().triple_count()
        store.store.add(ox.Quad(ox.NamedNode("https://x.org/a"), ox.NamedNode("https://x.org/p"), ox.Literal("x")))
        assert store.engine().dataset() == {"use_default_graph_as_union": True}
        assert store.engine().triple_count() == n + 1
