"""Templates of the mapping's output (record_templates.py) and the OpenCitations fast lane (oc_rows.py):
whatever they take over, the bytes written are the ones the mapping gives record by record."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rdflib import Literal

import kgtool.convert
import kgtool.oc_id_fields
import kgtool.oc_rows
import kgtool.record_templates
from kgtool.convert import convert_dump
from kgtool.errors import InputError, KgtoolError
from kgtool.mapping import citation_triples as real_citation_triples
from kgtool.vocab import KG


def varied_dump(path: Path, rows: int = 400, seed: int = 5) -> Path:
    """Rows of every shape: flags, empty dates and spans, negative spans, no OCI, ids that need
    escaping (braces, quotes, SICI DOIs), bare DOIs, and repeats."""
    rng = random.Random(seed)
    ids = ["omid:br/0601 doi:10.1000/a{b}c", "doi:10.1002/(SICI)1097-4636(199706)35:4<487::AID-JBM9>3.0.CO;2-K",
           "omid:br/0602 pmid:42", "10.1000/bare", 'omid:br/0603 doi:10.1000/q"uote', "omid:br/0604"]
    ids += [f"omid:br/07{i} doi:10.1000/w{i}" for i in range(40)]
    # id fields of other shapes (oc_id_fields.py): upper-case schemes and DOIs, a DOI to normalize,
    # two DOIs, a repeated id, an arXiv id, a PMID alone
    ids += ["DOI:10.1000/UPPER omid:br/0605", "doi:https://doi.org/10.1000/norm omid:br/0607",
            "doi:10.1000/x1 doi:10.1000/x2", "omid:br/0609 omid:br/0609", "arxiv:2101.00001 omid:br/0608", "pmid:77"]
    ids += [f"pmid:5{i} omid:br/08{i}" for i in range(12)] + [f"DOI:10.1000/U{i} OMID:br/09{i}" for i in range(12)]
    lines = ["oci,citing,cited,creation,timespan,journal_sc,author_sc"]
    for i in range(rows):
        citing, cited = rng.choice(ids[:10]), rng.choice(ids)
        creation = rng.choice(["2020", "2020-05", "2020-05-17", "", " 2021-01-02 "])
        span = rng.choice(["P1Y", "-P2M", "P0D", "", "P3Y4M5D"])
        oci = rng.choice([f"oci:06{i}-07{i}", f"06{i}-07{i}", ""])
        flags = [rng.choice(["yes", "no", "", "YES"]) for _ in range(2)]
        quote = (lambda v: '"' + v.replace('"', '""') + '"')
        lines.append(",".join([oci, quote(citing), quote(cited), creation, span, *flags]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def converted(path: Path, out: Path, to: str, *, templates: bool, monkeypatch, jobs: int = 1) -> bytes:
    with monkeypatch.context() as m:
        m.setattr(kgtool.convert, "CHUNK_BYTES", 4096)  # many chunks: caches carry over between them
        result = convert_dump(path, out_dir=out, to=to, jobs=jobs, templates=templates)
    return result.files[0].read_bytes()


@pytest.mark.parametrize("to", ["nt", "nq", "ttl"])
def test_templates_and_fast_lane_write_the_same_bytes_as_the_mapping(tmp_path, monkeypatch, to):
    dump = varied_dump(tmp_path / "dump.csv")
    plain = converted(dump, tmp_path / "plain", to, templates=False, monkeypatch=monkeypatch)
    fast = converted(dump, tmp_path / "fast", to, templates=True, monkeypatch=monkeypatch)
    assert fast == plain
    assert b"a%7Bb%7Dc" in fast  # the brace survived the template as data, percent-encoded in the IRI


def test_a_template_is_used_only_after_a_second_record_agrees(tmp_path, monkeypatch):
    # A mapping that bakes a value the templates do not know as a term (the OCI reversed) into a
    # line: the first record's template would repeat it for every record. Its check on the second
    # record fails, so that shape goes through the mapping every time and the output is right.
    def leaky(c, sources, base, terms=None):
        yield from real_citation_triples(c, sources, base, terms)
        if c.oci:
            node = terms.node if terms is not None else None
            if node is not None:
                yield node, KG.context, Literal(c.oci[::-1])

    monkeypatch.setattr(kgtool.record_templates, "citation_triples", leaky)
    dump = varied_dump(tmp_path / "dump.csv", rows=300)
    plain = converted(dump, tmp_path / "plain", "nt", templates=False, monkeypatch=monkeypatch)
    fast = converted(dump, tmp_path / "fast", "nt", templates=True, monkeypatch=monkeypatch)
    assert fast == plain
    assert plain.count(b"<https://w3id.org/kgtool/ns#context>") > 100


def test_the_fast_lane_stops_when_it_disagrees_with_the_mapping(tmp_path, monkeypatch):
    monkeypatch.setattr(kgtool.oc_rows, "plain_text", lambda value: f'"{value.upper()}"')  # the OCI's text
    dump = varied_dump(tmp_path / "dump.csv")
    with pytest.raises(KgtoolError, match="internal error: the fast lane"):
        convert_dump(dump, out_dir=tmp_path / "out", to="nt", jobs=1)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("check_every", [4096, 2])
def test_the_id_field_lane_stops_when_it_disagrees_with_the_mapping(tmp_path, monkeypatch, check_every):
    # Wrong texts for some fields only: caught when the lane is learned, or at a periodic check.
    real = kgtool.oc_id_fields.plain_text
    monkeypatch.setattr(kgtool.oc_id_fields, "plain_text", lambda v: real(v.upper() if "3" in v else v))
    monkeypatch.setattr(kgtool.oc_id_fields, "CHECK_EVERY", check_every)
    monkeypatch.setattr(kgtool.oc_rows, "ENDS_PER_GENERATION", 2)  # every field is seen anew, often
    dump = varied_dump(tmp_path / "dump.csv", rows=800)
    with pytest.raises(KgtoolError, match="internal error: the id field lane"):
        convert_dump(dump, out_dir=tmp_path / "out", to="nt", jobs=1)
    assert list((tmp_path / "out").iterdir()) == []


def test_the_id_field_lane_takes_most_first_sights(tmp_path, monkeypatch):
    calls = []
    real = kgtool.oc_id_fields.parse_ids
    monkeypatch.setattr(kgtool.oc_id_fields, "parse_ids", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(kgtool.oc_rows, "ENDS_PER_GENERATION", 2)
    dump = varied_dump(tmp_path / "dump.csv", rows=800)
    plain = converted(dump, tmp_path / "plain", "nt", templates=False, monkeypatch=monkeypatch)
    calls.clear()
    fast = converted(dump, tmp_path / "fast", "nt", templates=True, monkeypatch=monkeypatch)
    assert fast == plain
    fields = {a[0] for a in calls}
    assert len(calls) < 300  # of about 1,300 first sights
    # the shapes no lane takes always go the full way
    assert {"doi:https://doi.org/10.1000/norm omid:br/0607", "doi:10.1000/x1 doi:10.1000/x2",
            "arxiv:2101.00001 omid:br/0608"} <= fields


def test_the_lean_lane_for_works_stops_when_it_disagrees_with_the_mapping(tmp_path, monkeypatch):
    monkeypatch.setattr(kgtool.record_templates, "plain_text", lambda value: f'"{value.upper()}"')
    dump = varied_dump(tmp_path / "dump.csv")
    with pytest.raises(KgtoolError, match="internal error: the lean lane for works"):
        convert_dump(dump, out_dir=tmp_path / "out", to="nt", jobs=1)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("bad, column", [("2020-13-01", "creation"), ("P1X", "timespan"), ("maybe", "author_sc"),
                                         ("nonsense", "cited")])
def test_a_bad_field_deep_in_the_fast_lane_names_its_line(tmp_path, monkeypatch, bad, column):
    monkeypatch.setattr(kgtool.convert, "CHUNK_BYTES", 4096)  # the bad row is in a chunk done by columns
    dump = varied_dump(tmp_path / "dump.csv", rows=600)
    lines = dump.read_text().splitlines()
    row = lines[500].split(",")
    if column == "cited":
        lines[500] = f"oci:1-2,omid:br/0601,{bad},2020,P1Y,no,no"
    else:
        header = lines[0].split(",")
        row = ["oci:1-2", "omid:br/0601", "omid:br/0602", "2020", "P1Y", "no", "no"]
        row[header.index(column)] = bad
        lines[500] = ",".join(row)
    dump.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        convert_dump(dump, out_dir=tmp_path / "out", to="nt", jobs=1)
    assert f"{dump}:501" in str(e.value) and column in str(e.value)
    assert list((tmp_path / "out").iterdir()) == []


def test_two_processes_and_tiny_caches_change_nothing(tmp_path, monkeypatch):
    dump = varied_dump(tmp_path / "dump.csv", rows=800)
    reference = converted(dump, tmp_path / "ref", "nt", templates=False, monkeypatch=monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(kgtool.oc_rows, "ENDS_PER_GENERATION", 2)
        m.setattr(kgtool.oc_rows, "CHECK_EVERY", 7)
        m.setattr(kgtool.oc_id_fields, "CHECK_EVERY", 3)
        m.setattr(kgtool.record_templates, "CHECK_EVERY", 5)
        m.setattr(kgtool.record_templates, "MAX_SHAPES", 3)
        stressed = converted(dump, tmp_path / "stressed", "nt", templates=True, monkeypatch=monkeypatch, jobs=2)
    assert stressed == reference


@pytest.mark.parametrize("to, split", [("nt", None), ("nq", None), ("ttl", None), ("nt.gz", None), ("nt", 50),
                                       ("ttl", 40)])
def test_two_processes_hand_output_over_through_tmpfs_same_bytes(tmp_path, monkeypatch, to, split):
    import kgtool.handover

    dump = varied_dump(tmp_path / "dump.csv", rows=500)
    monkeypatch.setattr(kgtool.convert, "CHUNK_BYTES", 4096)
    one = convert_dump(dump, out_dir=tmp_path / "one", to=to, split=split, jobs=1).files
    made: list[str | None] = []
    real_make = kgtool.handover.make_folder
    monkeypatch.setattr(kgtool.handover, "make_folder", lambda: made.append(real_make()) or made[-1])
    two = convert_dump(dump, out_dir=tmp_path / "two", to=to, split=split, jobs=2).files
    assert [p.read_bytes() for p in two] == [p.read_bytes() for p in one]
    if made[0] is not None:  # a Linux machine with /dev/shm: the folder was used and is gone
        assert not Path(made[0]).exists()
    # Without tmpfs, the output travels through the result pipe: the same bytes again.
    monkeypatch.setattr(kgtool.handover, "make_folder", lambda: None)
    pipe = convert_dump(dump, out_dir=tmp_path / "pipe", to=to, split=split, jobs=2).files
    assert [p.read_bytes() for p in pipe] == [p.read_bytes() for p in one]


def test_handover_files_are_sent_and_removed(tmp_path):
    import os

    from kgtool import handover

    folder = handover.make_folder()
    if folder is None:
        pytest.skip("no /dev/shm here")
    try:
        sender = handover.Sender(folder)
        ref = sender.put(b"<a> <b> <c> .\n" * 1000)
        assert isinstance(ref, str) and Path(ref).parent == Path(folder)
        assert sender.put(b"") == b""
        out = tmp_path / "out.nt"
        with open(out, "wb") as fh:
            fh.write(b"head\n")
            fh.flush()
            assert handover.send(ref, fh.fileno()) == 14000
        assert out.read_bytes() == b"head\n" + b"<a> <b> <c> .\n" * 1000
        assert os.listdir(folder) == []
    finally:
        handover.remove_folder(folder)
    assert not Path(folder).exists()


def test_csv_rows_reads_what_csv_reader_reads():
    import csv
    import io

    from kgtool.oc_rows import csv_rows

    rng = random.Random(3)
    alphabet = ['a', 'b', ',', '\n', ' ', '"', '\r', '\x00', '\u2028', '\x85', 'é']
    for _ in range(3000):
        text = "".join(rng.choice(alphabet[:5] if rng.random() < 0.7 else alphabet) for _ in range(rng.randrange(30)))
        try:
            expected = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
        except csv.Error:
            continue
        assert csv_rows(text) == expected, repr(text)


def test_fill_function_is_str_format():
    from kgtool.record_templates import fill_function

    rng = random.Random(9)
    pieces = ["<http://x/a>", ' "q\\"uote" ', "\n", "\\", "{{", "}}", "é\u2028", "'''", '"""', "\x00", "{0}", "{1}",
              "{2}", "{5}"]
    for _ in range(500):
        fmt = "".join(rng.choice(pieces) for _ in range(rng.randrange(12)))
        odd = ["", "{", "}", "\\", '"']
        args = ["<v%d%s>" % (i, rng.choice(odd)) for i in range(6)]
        assert fill_function(fmt)(*args) == fmt.format(*args), fmt
    for other in ("{}", "{0!r}", "{0:>5}", "{0.real}"):  # not plain numbered holes: str.format itself
        assert fill_function(other) == other.format
