"""Validate RDF of any size with SHACL shapes compiled to SQL, run by DuckDB (see shacl_sql.py).

The triples are loaded into an in-memory DuckDB database (spilling to a temporary folder beyond
its memory limit) as a dictionary ``terms(id, term)`` of distinct N-Triples terms and a table
``t(s, p, o)`` of their ids (64-bit hashes of the text). N-Triples and N-Quads, gzipped or
not, are read by DuckDB itself in two passes (the distinct terms, then the ids); lines of the
simple "S P O ." shape are split with string functions and their distinct terms checked
against a strict sublanguage of N-Triples, any other file goes through the strict reader
(pyoxigraph) and a full line regex. Other syntaxes are parsed by pyoxigraph and written as
N-Triples first. Every shape's queries fill a results table, and only the counts, the grouped
results with their first examples (and, when asked, every result) come back into Python.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .. import leftovers
from ..errors import InputError, UsageError
from ..progress import Progress, quiet
from ..read.dumpfile import is_gzip, last_line_length
from ..read.rdfload import expand_inputs, iter_quads, rdf_format
from .shacl import (
    EXAMPLES_PER_GROUP,
    Report,
    Result,
    _path_text,
    _short,
    load_shapes,
    report_formatter,
    severity_name,
    severity_rank,
)
from .shacl_sql import MACROS, Compiled, ShapeCompiler
from .shacl_sql_terms import REF_RE

_IRI = r"<[^>]*>"
_BN = r"_:[^\s]+"
_LIT = r'"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?'
LINE_RE = rf"^\s*({_IRI}|{_BN})\s+({_IRI})\s+({_IRI}|{_BN}|{_LIT})\s*(?:(?:{_IRI}|{_BN})\s*)?\.\s*(?:#.*)?$"
_SKIP_RE = r"^\s*(#.*)?$"
# A sublanguage of N-Triples that the strict reader always accepts and that writes each term
# one way only (absolute ASCII IRIs of RFC 3987's grammar, simple language tags, literals
# escaped as kgtool and pyoxigraph write them: \t \b \n \r \f \" \\ and \u00XX for the other
# control characters), one "S P O ." per line with single spaces: lines of this shape are split
# by DuckDB with string functions and their distinct terms checked against these patterns. A
# file with any other line is read by the strict reader (pyoxigraph) and written again as
# N-Triples, so no ill-formed input gets in and one term always has one text (one id).
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
SIMPLE_IRI = (rf"<[A-Za-z][A-Za-z0-9+.-]*:(?://[A-Za-z0-9._~-]*(?::[0-9]*)?(?:/{_PCHAR}*)*|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
              rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?>")
SIMPLE_BNODE = r"_:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?"
SIMPLE_LITERAL = (r'''"(?:[^"\\\x00-\x1f\x7f]|\\[tbnrf"\\]|\\u00(?:0[0-7]|0B|0E|0F|1[0-9A-F]|7F))*"'''
                  rf"(?:@[A-Za-z]{{2,3}}(?:-(?:[A-Za-z]{{2}}|[0-9]{{3}}))?|\^\^{SIMPLE_IRI})?")
#: DuckDB's memory limit: with the Python process this keeps the peak under 1 GB.
MEMORY_LIMIT = "600MB"
MAX_LINE = 8 << 20  # the longest line read (DuckDB's max_line_size; its read buffer is twice that)
_TOO_LONG = "the longest line the DuckDB engine reads"
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def term_from_nt(text: str) -> Any:
    """An rdflib term from N-Triples text (the lexical form kept as written)."""
    if text.startswith("<"):
        return URIRef(text[1:-1])
    if text.startswith("_:"):
        return BNode(text[2:])
    end = text.rindex('"')
    body = _unescape(text[1:end])
    suffix = text[end + 1:]
    if suffix.startswith("@"):
        return Literal(body, lang=suffix[1:])
    if suffix.startswith("^^<"):
        return Literal(body, datatype=URIRef(suffix[3:-1]), normalize=False)
    return Literal(body)


_ESC = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return _ESC.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                    else _ECHARS.get(m.group(3), m.group(3)), body)


def compile_shapes(shapes: Graph) -> Compiled:
    """The SQL for these shapes; raises UsageError naming what the DuckDB engine cannot check."""
    return ShapeCompiler(shapes).compile()


class _Database:
    """An in-memory DuckDB database spilling to a temporary folder, removed on exit."""

    def __init__(self, tmp_dir: str | Path | None = None, memory_limit: str = MEMORY_LIMIT):
        import duckdb

        self.tmp = Path(leftovers.mkdtemp(".kgtool-validate-", tmp_dir))  # swept if we are killed
        self.con = duckdb.connect(":memory:")  # spills to temp_directory beyond memory_limit
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET temp_directory = '{self.tmp / 'spill'}'")
        self.con.execute("SET preserve_insertion_order = false")
        for m in MACROS:
            self.con.execute(m)

    def __enter__(self) -> _Database:
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _count(db: _Database, sql: str) -> int:
    """The one number ``sql`` selects."""
    row = db.con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lines_sql(path: Path) -> str:
    """SQL: the lines of a text file (gzip or not) as a column ``line``."""
    return (f"read_csv({_sql_str(str(path))}, columns={{'line': 'VARCHAR'}}, delim=chr(0), quote='', escape='', "
            f"header=false, auto_detect=false, compression='{'gzip' if is_gzip(path) else 'none'}', "
            f"max_line_size={MAX_LINE}, buffer_size={2 * MAX_LINE}, strict_mode=false)")  # (a larger buffer is slower)


def _raise_if_too_long(db: _Database, error: Exception, path: Path, name: str) -> None:
    """A DuckDB error saying a line is over MAX_LINE, as one line naming it."""
    # (a line longer than the read buffer, 2 x MAX_LINE, gives the parallel reader's "full read" error)
    if "Maximum line size" in str(error) or "does not support a full read" in str(error):
        m = _CSV_LINE.search(str(error))
        line = int(m.group(1)) if m and path.parent != db.tmp else None  # (a scratch copy's lines differ)
        raise InputError(f"a line longer than {MAX_LINE:,} bytes, {_TOO_LONG}", source=name, line=line) from None


def _check_last_line(path: Path, name: str) -> None:
    """Refuse a last line longer than MAX_LINE: DuckDB 2.0.1 drops a last line longer than its
    read buffer without a word, which would be a silent pass."""
    if last_line_length(path, MAX_LINE) > MAX_LINE:
        raise InputError(f"the last line is longer than {MAX_LINE:,} bytes, {_TOO_LONG}", source=name)


def _split_simple(path: Path) -> str:
    """SQL (s, p, o): the lines split at single spaces (S, P, the rest up to a final " ."); s
    NULL where a line does not end in " ." or S is not an IRI or blank node or P not an IRI
    (comment and empty lines skipped). Splitting at every space and joining the middle again
    is exact, and about 4x faster than strpos and substrings (which count characters)."""
    return (
        "SELECT CASE WHEN len(l) >= 4 AND l[-1] = '.' AND l[1][1] IN ('<', '_') AND l[2][1] = '<' "
        "THEN l[1] END AS s, l[2] AS p, "
        "CASE WHEN len(l) = 4 THEN l[3] ELSE array_to_string(l[3:-2], ' ') END AS o "
        f"FROM (SELECT string_split(line, ' ') AS l FROM {_lines_sql(path)} "
        "WHERE line IS NOT NULL AND line <> '' AND line[1] <> '#')"
    )


def _split_regex(path: Path) -> str:
    """SQL (s, p, o): the lines split by the full line regex; s '' where a line does not match."""
    return (f"SELECT m.s, m.p, m.o FROM (SELECT regexp_extract(line, {_sql_str(LINE_RE)}, ['s', 'p', 'o']) AS m "
            f"FROM {_lines_sql(path)} WHERE line IS NOT NULL AND NOT regexp_matches(line, {_sql_str(_SKIP_RE)}))")


def _collect_terms(db: _Database, split: str) -> int:
    """The distinct terms of ``split`` in table ``seen_new`` (id, term); the number of lines
    not split (a NULL or '' term)."""
    con = db.con
    con.execute(f"CREATE TEMP TABLE seen_new AS SELECT hash(term) AS id, term FROM "
                f"(SELECT DISTINCT unnest([s, p, o]) AS term FROM ({split}))")
    return _count(db, "SELECT count(*) FROM seen_new WHERE coalesce(term, '') = ''")


def _keep_terms(db: _Database, file_no: int) -> None:
    db.con.execute(f"ALTER TABLE seen_new RENAME TO seen_{file_no}")


def _simple_terms(db: _Database, path: Path, name: str, file_no: int) -> str | None:
    """If every line of ``path`` is a simple "S P O ." triple (see SIMPLE_IRI), its terms go to
    table ``seen_<file_no>`` and the SQL that splits its lines is returned; else None."""
    import duckdb

    iri, bnode, lit = (_sql_str(x) for x in (SIMPLE_IRI, SIMPLE_BNODE, SIMPLE_LITERAL))
    con = db.con
    try:
        bad = _collect_terms(db, _split_simple(path))
        if not bad:
            bad = _count(db, "SELECT count(*) FROM seen_new WHERE NOT CASE term[1] "
                         f"WHEN '<' THEN regexp_full_match(term, {iri}) WHEN '_' THEN regexp_full_match(term, {bnode}) "
                         f"ELSE regexp_full_match(term, {lit}) END")  # positions: see _split_simple
    except duckdb.Error as e:
        _raise_if_too_long(db, e, path, name)
        bad = 1  # unreadable (not UTF-8): the strict reader says where
    if not bad:
        _keep_terms(db, file_no)
    con.execute("DROP TABLE IF EXISTS seen_new")
    return None if bad else _split_simple(path)


def _regex_terms(db: _Database, path: Path, name: str, file_no: int) -> str:
    """Put the terms of an N-Triples/N-Quads file in ``seen_<file_no>``, splitting lines with
    the full line regex; a line it does not match is an InputError naming it. The splitting SQL."""
    import duckdb

    try:
        bad = _collect_terms(db, _split_regex(path))
    except duckdb.Error as e:
        _raise_if_too_long(db, e, path, name)
        raise InputError(f"cannot read ({' '.join(str(e).split())[:200]})", source=name) from None
    if bad:
        raise _bad_line(path, name)
    _keep_terms(db, file_no)
    return _split_regex(path)


def _bad_line(path: Path, name: str) -> InputError:
    import gzip

    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="\n") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.rstrip("\n").rstrip("\r")
            if not re.match(_SKIP_RE, line) and not re.match(LINE_RE, line):
                return InputError("not an N-Triples/N-Quads line", source=name, line=n)
    return InputError("not an N-Triples/N-Quads line", source=name)


def _parsed_copy(db: _Database, path: Path, file_no: int, input_format: str | None) -> Path:
    """Another syntax, read by the one strict reader (rdfload), written as N-Triples."""
    import pyoxigraph as ox

    out = db.tmp / f"parsed-{file_no}.nt"
    try:
        with open(out, "wb") as fh:
            ox.serialize((q.triple for q in iter_quads(path, input_format)), fh, format=ox.RdfFormat.N_TRIPLES)
    except OSError as e:
        raise InputError(f"cannot write the scratch copy ({e.strerror or e})", source=str(path)) from None
    return out


def _file_terms(db: _Database, path: Path, name: str, file_no: int, checked: bool,
                input_format: str | None = None) -> str:
    """Put the terms of an N-Triples/N-Quads file in ``seen_<file_no>``; the SQL that splits its lines.
    Unless ``checked`` (kgtool's own output), a file not all of simple lines is read by the
    strict reader (bad escapes, relative or invalid IRIs: one line naming file, line and
    column) and written again as N-Triples, which has every term in its one written form."""
    _check_last_line(path, name)
    split = _simple_terms(db, path, name, file_no)
    if split is None:
        if not checked:
            path = _parsed_copy(db, path, file_no, input_format)
            _check_last_line(path, name)
            split = _simple_terms(db, path, name, file_no)
        split = split or _regex_terms(db, path, name, file_no)
    return split


def _merge_terms(db: _Database, files: int, constants: Iterable[str]) -> None:
    """Table ``terms`` (id, term): the distinct terms of the files' tables ``seen_<i>``, and
    the constants."""
    con = db.con
    if files == 1:
        con.execute("ALTER TABLE seen_0 RENAME TO terms")
    else:
        union = " UNION ALL ".join(["SELECT NULL::UBIGINT AS id, NULL::VARCHAR AS term WHERE false"]
                                   + [f"SELECT id, term FROM seen_{i}" for i in range(files)])
        con.execute(f"CREATE TEMP TABLE terms AS SELECT DISTINCT id, term FROM ({union})")
        for i in range(files):
            con.execute(f"DROP TABLE seen_{i}")
    wanted = sorted(set(constants))
    have = {row[0] for row in con.execute("SELECT term FROM terms WHERE term IN (SELECT unnest($1::VARCHAR[]))",
                                          [wanted]).fetchall()}
    con.execute("INSERT INTO terms SELECT hash(term), term FROM (SELECT unnest($1::VARCHAR[]) AS term)",
                [[c for c in wanted if c not in have]])


def load_triples(db: _Database, files: list[Path], input_format: str | None, progress: Progress,
                 constants: Iterable[str] = (), checked: bool = False) -> int:
    """Load the files into ``terms(id, term)`` (the distinct terms, with the ``constants``,
    N-Triples texts the queries name) and ``t(s, p, o)`` of ids; the triple count. An id is
    the 64-bit hash of the term's text, so that the triples are encoded as they are read (no
    join); two terms with the same hash are refused. Blank node labels are shared across the
    files of one validation (as across the parts of a split export), except in syntaxes
    pyoxigraph parses: it gives each file its own."""
    con = db.con
    splits = []
    for i, f in enumerate(files):
        if rdf_format(f, input_format) in ("nt", "nquads"):
            splits.append(_file_terms(db, f, str(f), i, checked, input_format))
        else:
            splits.append(_file_terms(db, _parsed_copy(db, f, i, input_format), str(f), i, True))
        progress(f"validating: read {f.name}")
    _merge_terms(db, len(files), constants)
    if _count(db, "SELECT count(*) - count(DISTINCT id) FROM terms"):
        raise UsageError("the DuckDB validator cannot tell two of these terms apart (same 64-bit hash); "
                         "validate with --engine pyshacl instead")
    con.execute("CREATE TABLE t (s UBIGINT, p UBIGINT, o UBIGINT)")
    for split in splits:
        con.execute(f"INSERT INTO t SELECT hash(s), hash(p), hash(o) FROM ({split})")
    total = _count(db, "SELECT count(*) FROM t")
    progress(f"validating: {total:,} triples loaded")
    return total


def term_ids(db: _Database, texts: Iterable[str]) -> dict[str, int]:
    """The ids of these terms (N-Triples texts loaded as constants, see load_triples)."""
    return dict(db.con.execute("SELECT term, id FROM terms WHERE term IN (SELECT unnest($1::VARCHAR[]))",
                               [sorted(set(texts))]).fetchall())


def bind_terms(sql: str, ids: dict[str, int]) -> str:
    """``sql`` with each term placeholder (shacl_sql_terms.ref) replaced by the term's id."""
    return REF_RE.sub(lambda m: f"{ids[m.group(1)]}::UBIGINT", sql)


def run(db: _Database, compiled: Compiled, *, collect: bool, shapes: Graph, triples: int) -> Report:
    """Run the compiled queries over the loaded triples and build the report."""
    con = db.con
    con.execute("CREATE TABLE results (focus UBIGINT, value UBIGINT, path UBIGINT, k INTEGER)")
    ids = term_ids(db, compiled.constants())
    for sql in compiled.setup:
        con.execute(bind_terms(sql, ids))
    for sql in compiled.queries:
        con.execute(f"INSERT INTO results {bind_terms(sql, ids)}")
    out = _Results(db, compiled, shapes)
    counts, grouped = out.grouped()
    conforms = not counts
    results: list[Result] = []
    graph = out.collect(conforms, results) if collect else None
    return Report(conforms=conforms, results=results, graph=graph, counts=counts, grouped=grouped, engine="duckdb")


class _Results:
    """The report's parts from the results table (ids turned back into terms)."""

    def __init__(self, db: _Database, compiled: Compiled, shapes: Graph):
        self.con, self.compiled, self.shapes = db.con, compiled, shapes
        self.fmt = report_formatter()
        self._parts: dict[tuple[int, str | None], tuple[str, str | None, str, str, str]] = {}

    def parts(self, k: int, path: str | None) -> tuple[str, str | None, str, str, str]:
        """(severity, path, shape, component, message) of constraint k, for a result on ``path``."""
        got = self._parts.get((k, path))
        if got is None:
            c, fmt = self.compiled.constraints[k], self.fmt
            shape = (_short(c.shape, fmt) if isinstance(c.shape, URIRef) else None) or "(anonymous shape)"
            path_node = term_from_nt(path) if path is not None else c.path
            path_text = _path_text(self.shapes, path_node, fmt) if path_node is not None else None
            comp = str(c.component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
            msgs = sorted(str(m) for m in c.messages)
            msg = msgs[0] if msgs else c.default_message or _default_message(comp)
            got = self._parts[(k, path)] = (severity_name(c.severity, fmt), path_text, shape, comp, msg)
        return got

    def grouped(self) -> tuple[dict[str, int], list[dict]]:
        """Counts per severity, and the groups with their first examples."""
        counts: dict[str, int] = {}
        groups: dict[tuple, list] = {}
        for k, path, n in self.con.execute("SELECT k, P.term, count(*) FROM results R LEFT JOIN terms P "
                                           "ON P.id = R.path GROUP BY k, P.term").fetchall():
            sev, path_text, shape, comp, msg = self.parts(k, path)
            counts[sev] = counts.get(sev, 0) + n
            groups.setdefault((sev, shape, path_text or "", comp, msg), [0, []])[0] += n
        examples = self.con.execute(
            f"SELECT k, p, f, v FROM (SELECT k, P.term AS p, F.term AS f, V.term AS v, row_number() OVER "
            f"(PARTITION BY k, R.path ORDER BY F.term, V.term) AS rn FROM results R JOIN terms F ON F.id = R.focus "
            f"LEFT JOIN terms V ON V.id = R.value LEFT JOIN terms P ON P.id = R.path) WHERE rn <= {EXAMPLES_PER_GROUP}"
        ).fetchall()
        for k, path, focus, value in examples:
            sev, path_text, shape, comp, msg = self.parts(k, path)
            value_text = _short(term_from_nt(value), self.fmt) if value is not None else None
            groups[(sev, shape, path_text or "", comp, msg)][1].append((str(term_from_nt(focus)), value_text or ""))
        grouped = []
        for (sev, shape, path_text, comp, msg), (n, ex) in sorted(
            groups.items(), key=lambda kv: (severity_rank(kv[0][0]), kv[0])
        ):
            ex = sorted(set(ex))[:EXAMPLES_PER_GROUP]
            grouped.append({"severity": sev, "shape": shape, "path": path_text or None, "constraint": comp,
                            "message": msg, "count": n, "examples": [{"focus": f, "value": v or None} for f, v in ex]})
        return counts, grouped

    def collect(self, conforms: bool, results: list[Result]) -> Graph:
        """The SHACL results graph; every result also appended to ``results``."""
        graph = Graph()
        graph.bind("sh", SH)
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(conforms)))
        for focus, value, path, k in self.con.execute(
            "SELECT F.term, V.term, P.term, k FROM results R JOIN terms F ON F.id = R.focus LEFT JOIN terms V "
            "ON V.id = R.value LEFT JOIN terms P ON P.id = R.path ORDER BY k, F.term, V.term, P.term"
        ).fetchall():
            sev, path_text, shape, comp, msg = self.parts(k, path)
            focus_t = term_from_nt(focus)
            value_t = term_from_nt(value) if value is not None else None
            results.append(Result(sev, str(focus_t), path_text,
                                  _short(value_t, self.fmt) if value_t is not None else None, shape, comp, msg))
            self._add_result(graph, report, k, focus_t, value_t, path)
        results.sort(key=lambda r: (severity_rank(r.severity), r.severity, r.shape, r.focus))
        return graph

    def _add_result(self, graph: Graph, report: BNode, k: int, focus: Any, value: Any, path: str | None) -> None:
        c = self.compiled.constraints[k]
        r = BNode()
        graph.add((report, SH.result, r))
        graph.add((r, RDF.type, SH.ValidationResult))
        graph.add((r, SH.focusNode, focus))
        graph.add((r, SH.resultSeverity, c.severity))
        graph.add((r, SH.sourceShape, c.shape))
        graph.add((r, SH.sourceConstraintComponent, c.component))
        if value is not None:
            graph.add((r, SH.value, value))
        for m in c.messages:
            graph.add((r, SH.resultMessage, m))
        path_node = term_from_nt(path) if path is not None else c.path
        if path_node is not None:
            graph.add((r, SH.resultPath, path_node))
            if isinstance(path_node, BNode):
                _copy_bnode(self.shapes, path_node, graph)
        if isinstance(c.shape, BNode):
            _copy_bnode(self.shapes, c.shape, graph, only={SH.path})


def _default_message(component: str) -> str:
    return f"the value does not satisfy sh:{component[0].lower()}{component[1:]}"


def _copy_bnode(src: Graph, node: BNode, dst: Graph, depth: int = 0, only: set | None = None) -> None:
    if depth > 16:
        return
    for p, o in src.predicate_objects(node):
        if only is not None and p not in only:
            continue
        dst.add((node, p, o))
        if isinstance(o, BNode):
            _copy_bnode(src, o, dst, depth + 1)


def validate_files(paths: Iterable[str | Path], shapes: Graph, *, collect: bool = False,
                   progress: Progress = quiet, input_format: str | None = None,
                   tmp_dir: str | Path | None = None) -> Report:
    """Validate RDF files (or folders of them) against ``shapes`` with DuckDB; see module doc.

    ``collect`` keeps every result (Report.results and the results graph); otherwise the report
    holds counts and grouped results with their first examples.
    """
    compiled = compile_shapes(shapes)  # refuses unsupported shapes before any work
    files = expand_inputs(list(paths))
    for f in files:
        rdf_format(f, input_format)  # an unknown suffix fails before any work
    with _Database(tmp_dir) as db:
        triples = load_triples(db, files, input_format, progress, compiled.constants())
        progress(f"validating: {triples:,} triples loaded; checking {len(compiled.constraints)} constraints")
        report = run(db, compiled, collect=collect, shapes=shapes, triples=triples)
    progress(f"validating: done, {sum((report.counts or {}).values()):,} results")
    return report


def validate_graph_sql(graph: Graph, shapes: Graph | None = None, *, collect: bool = True,
                       tmp_dir: str | Path | None = None) -> Report:
    """Validate an in-memory graph with the DuckDB engine (for builds too large for pySHACL)."""
    shapes = shapes if shapes is not None else load_shapes()
    compiled = compile_shapes(shapes)
    with _Database(tmp_dir) as db:
        path = db.tmp / "graph.nt"
        from ..serialize.terms import nt_term

        with open(path, "w", encoding="utf-8") as fh:
            for s, p, o in graph:
                fh.write(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n")
        n = load_triples(db, [path], "nt", quiet, compiled.constants(), checked=True)
        return run(db, compiled, collect=collect, shapes=shapes, triples=n)


#: Graphs built in memory with more triples than this are validated by DuckDB (see
#: docs/validation.md for the measurement behind it).
BUILD_DUCKDB_TRIPLES = 2_000


def validate_built_graph(graph: Graph, *, progress: Progress = quiet) -> Report:
    """Validate a graph a build made against kgtool's shapes: pySHACL when small, else DuckDB."""
    from .shacl import validate_graph

    if len(graph) > BUILD_DUCKDB_TRIPLES:
        progress(f"validating {len(graph):,} triples against the SHACL shapes (DuckDB)")
        return validate_graph_sql(graph)
    progress(f"validating {len(graph):,} triples against the SHACL shapes (pySHACL)")
    return validate_graph(graph)


# -- choosing an engine ------------------------------------------------------------------------
ENGINES = ("auto", "pyshacl", "duckdb")
#: Above this much data (gzip counted at 5x), "auto" uses DuckDB instead of pySHACL.
DUCKDB_THRESHOLD = 256 << 10


def choose_engine(paths: Iterable[str | Path], engine: str = "auto") -> str:
    """'pyshacl' or 'duckdb' for these inputs: folders and large inputs go to DuckDB."""
    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r} (choose from: {', '.join(ENGINES)})")
    paths = [str(p) for p in paths]
    if engine != "auto":
        if engine == "duckdb" and "-" in paths:
            raise UsageError("the DuckDB engine reads files, not stdin ('-'); use --engine pyshacl")
        return engine
    if "-" in paths:
        return "pyshacl"
    size = 0
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            return "duckdb"
        if p.is_file():
            size += p.stat().st_size * (5 if p.name.lower().endswith(".gz") else 1)
    return "duckdb" if size > DUCKDB_THRESHOLD else "pyshacl"


def validate_paths(paths: Iterable[str | Path], shapes_path: str | Path | None = None, *, engine: str = "auto",
                   input_format: str | None = None, collect: bool = False,
                   progress: Progress = quiet) -> Report:
    """Validate files or folders with pySHACL (small inputs) or DuckDB (large ones, folders).

    Both give the same Report model (counts, groups; all results and the results graph when
    ``collect`` or with pySHACL); see choose_engine.
    """
    import warnings

    from .shacl import quiet_logs, validate_graph

    paths = list(paths)
    with warnings.catch_warnings(), quiet_logs():
        warnings.simplefilter("ignore")  # rdflib on ill-formed literals; the report names them
        shapes = load_shapes(shapes_path)
        if choose_engine(paths, engine) == "pyshacl":
            from ..read.rdfload import load_graph

            graph = load_graph([p if str(p) == "-" else f for p in paths
                                for f in ([p] if str(p) == "-" else expand_inputs([p]))], input_format)
            progress(f"validating {len(graph):,} triples with pySHACL")
            return validate_graph(graph, shapes)
        return validate_files(paths, shapes, collect=collect, progress=progress, input_format=input_format)
