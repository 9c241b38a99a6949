"""OpenCitations Index CSV rows to formatted lines: convert's fast lane for the commonest dump.

Every row's lines are the mapping's: they come from the citation templates that
record_templates.py builds from ``mapping.citation_triples`` and checks. What this adds is a way
to fill a checked template without making the row's Citation record: the texts of its holes are
computed from the row's fields through the same functions ``mapping.citation_terms`` calls
(``iris.citation_iri_of_paths``, ``creation_literal``, ``duration_literal``; the OCI as the plain
literal ``oci_literal`` makes), with caches keyed by the raw field (an id field's work path, a
date; a work met for the first time is handled by oc_id_fields.py). A row goes the full way
(``parse_row``, a Citation, ``RecordLines.citation``) while its shape has no checked template
yet, and then again every ``CHECK_EVERY`` rows: there, the texts computed here must equal the
ones the record gives, or the run stops with an internal error rather than write different lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable

from . import iris
from .errors import InputError, KgtoolError
from .mapping import creation_literal, duration_literal
from .model import Work
from .ntlines import NTLineEncoder
from .oc_id_fields import IdFieldWorks
from .record_templates import Fill, RecordLines, plain_text
from .sources.oc_csv_stream import (
    Columns,
    RowError,
    parse_creation,
    parse_flag,
    parse_row,
    parse_timespan,
)

#: How often a row whose shape has a checked template still goes the full way, as a check.
CHECK_EVERY = 4096
#: Id fields remembered per generation (two generations: a field used in the last two is kept).
ENDS_PER_GENERATION = 1 << 17
_SMALL = 1 << 12


def csv_rows(text: str) -> list[list[str]]:
    """The non-empty rows csv.reader reads in ``text``; split by hand when no character that the
    CSV parser treats specially (a quote, CR, NUL) is there, the common case, at a third of the cost."""
    if '"' in text or "\r" in text or "\x00" in text:
        return [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    return [line.split(",") for line in text.split("\n") if line]


class OcRowLines:
    """Maps the rows of one OpenCitations Index CSV (per worker process; caches carry over)."""

    def __init__(self, cols: Columns, name: str, records: RecordLines, works: IdFieldWorks, encoder: NTLineEncoder,
                 base: str, map_work: Callable[[Work], None]):
        self.cols, self.name, self.records, self.base = cols, name, records, base
        self.term = encoder.term
        self.map_work = map_work  # the full path's work step (skips works it has just mapped)
        self._first_sight = works.first_sight  # the id field cache skips repeats
        self._young: dict[str, str] = {}  # id field -> work path
        self._old: dict[str, str] = {}
        self._iri_start = "<" + base
        self._citation_start = "<" + iris.citation_prefix(base)
        self._creation: dict[str, str] = {}  # raw field -> literal text ("" when empty)
        self._timespan: dict[str, str] = {}
        self._flags: dict[str, bool] = {}
        self._lanes: dict[tuple, tuple[Fill, int]] = {}  # row shape -> (fills its own lines, their number)
        self._works_by_field: dict[str, Work] = {}  # for the full path's parse_row
        self._countdown = 0

    def rows(self, text: str, first_line: int, out: list[str]) -> tuple[int, int, int]:
        """Map the CSV rows in ``text`` (the first at line ``first_line``); own lines go to
        ``out``. Returns (records, citations, own lines).

        A chunk is done column by column (list comprehensions cost a fraction of a loop's
        statements per row); a chunk where anything is amiss (a bad field, a bad CSV quote, a
        row of the wrong width) is done again row by row, the full way, which names the line.
        """
        try:
            rows = csv_rows(text)
            width = self.cols.width
            if self._lanes and all(len(r) == width for r in rows):
                mine: list[str] = []
                lines = self._columns(rows, mine)
                out.extend(mine)
                return len(rows), len(rows), lines
        except (RowError, csv.Error):
            pass
        return self._row_by_row(text, first_line, out)

    def _columns(self, rows: list[list[str]], out: list[str]) -> int:
        cols, n = self.cols, len(rows)
        young, end = self._young, self._end
        creations, timespans, flags = self._creation, self._timespan, self._flags
        if cols.oci is not None:
            ocis = [r[cols.oci].strip() for r in rows]
            ocis = [o[4:] if o[:4].lower() == "oci:" else o for o in ocis]
        else:
            ocis = [""] * n
        created = spans = [""] * n
        jscs = ascs = [False] * n
        if cols.creation is not None:
            i = cols.creation
            created = [t if (t := creations.get(r[i])) is not None else self._creation_text(r[i]) for r in rows]
        if cols.timespan is not None:
            i = cols.timespan
            spans = [t if (t := timespans.get(r[i])) is not None else self._timespan_text(r[i]) for r in rows]
        if cols.journal_sc is not None:
            i = cols.journal_sc
            jscs = [f if (f := flags.get(r[i])) is not None else self._flag(r[i], "journal_sc") for r in rows]
        if cols.author_sc is not None:
            i = cols.author_sc
            ascs = [f if (f := flags.get(r[i])) is not None else self._flag(r[i], "author_sc") for r in rows]
        shapes = list(zip(jscs, ascs, [c != "" for c in created], [s != "" for s in spans], [o != "" for o in ocis]))
        lanes = [self._lanes.get(s) for s in shapes]
        # The rows that go the full way: a shape not yet checked, and one row in CHECK_EVERY.
        full = {i for i, lane in enumerate(lanes) if lane is None}
        due = self._countdown - 1
        full.update(range(due % CHECK_EVERY if due >= 0 else 0, n, CHECK_EVERY))
        self._countdown = CHECK_EVERY - (n - 1 - max(full)) if full else self._countdown - n
        i = cols.citing
        citing = [p if (p := young.get(r[i])) is not None else end(r[i], "citing") for r in rows]
        i = cols.cited
        cited = [p if (p := young.get(r[i])) is not None else end(r[i], "cited") for r in rows]
        sha256 = hashlib.sha256
        # iris.citation_iri_of_paths, as text: checked against it on every full-way row
        digests = [sha256(f"{a} {b}".encode()).hexdigest()[:20] for a, b in zip(citing, cited)]
        oci_texts = [plain_text(f"oci:{o}") if o else "" for o in ocis]  # oci_literal's text, checked too
        start, cstart = self._iri_start, self._citation_start
        lines = 0
        if not full:
            out.extend([lane[0](f"{start}{a}>", f"{start}{b}>", f"{cstart}{d}>", c, s, o)
                        for lane, a, b, d, c, s, o in zip(lanes, citing, cited, digests, created, spans, oci_texts)])
            return sum(lane[1] for lane in lanes)
        for k, lane in enumerate(lanes):
            if k in full:
                lines += self._full(rows[k], shapes[k], created[k], spans[k], ocis[k], out)
            else:
                out.append(lane[0](f"{start}{citing[k]}>", f"{start}{cited[k]}>", f"{cstart}{digests[k]}>",
                                          created[k], spans[k], oci_texts[k]))
                lines += lane[1]
        return lines

    def _row_by_row(self, text: str, first_line: int, out: list[str]) -> tuple[int, int, int]:
        """Every row the full way (a chunk before any shape is checked, or one with a bad row,
        whose line the error names)."""
        cols = self.cols
        reader = csv.reader(io.StringIO(text, newline=""))
        records = lines = 0
        try:
            for row in reader:
                if not row:
                    continue
                records += 1
                try:
                    if len(row) != cols.width:
                        raise RowError("*", f"expected {cols.width} fields, found {len(row)}")
                    oci = row[cols.oci].strip() if cols.oci is not None else ""
                    if oci[:4].lower() == "oci:":
                        oci = oci[4:]
                    created = self._creation_text(row[cols.creation]) if cols.creation is not None else ""
                    span = self._timespan_text(row[cols.timespan]) if cols.timespan is not None else ""
                    jsc = self._flag(row[cols.journal_sc], "journal_sc") if cols.journal_sc is not None else False
                    asc = self._flag(row[cols.author_sc], "author_sc") if cols.author_sc is not None else False
                    shape = (jsc, asc, created != "", span != "", oci != "")
                    lines += self._full(row, shape, created, span, oci, out)
                except RowError as e:
                    raise InputError(str(e), source=self.name, line=first_line - 1 + reader.line_num) from None
        except csv.Error as e:
            raise InputError(f"bad CSV: {e}", source=self.name, line=first_line - 1 + reader.line_num) from None
        return records, records, lines

    def _full(self, row: list[str], shape: tuple, created: str, span: str, oci: str, out: list[str]) -> int:
        """The row through its Citation record; checks (and learns) the fast lane's shape."""
        c = parse_row(row, self.cols, self._works_by_field)
        n = self.records.citation(c, out)
        self.map_work(c.citing)
        self.map_work(c.cited)
        tpl, texts = self.records.citation_template(c)
        if tpl is None or tpl.fill_own is None or tpl.shared:  # only line formats' own lines are filled here
            return n
        citing_path = self._end(row[self.cols.citing], "citing")
        cited_path = self._end(row[self.cols.cited], "cited")
        digest = hashlib.sha256(f"{citing_path} {cited_path}".encode()).hexdigest()[:20]
        mine = [f"{self._iri_start}{citing_path}>", f"{self._iri_start}{cited_path}>",
                f"{self._citation_start}{digest}>", created, span, plain_text(f"oci:{oci}") if oci else ""]
        if mine != texts:
            raise KgtoolError(f"internal error: the fast lane for {self.name} disagrees with the mapping "
                              f"({mine!r} != {texts!r}); please report it")
        self._lanes[shape] = (tpl.fill_own, len(tpl.own_lines))
        return n

    def _end(self, field: str, column: str) -> str:
        """The work path of an id field; a work seen for the first time is mapped.

        Only the path is kept (its IRI's text is '<' + base + path + '>': paths are
        percent-encoded and the base is checked, which oc_id_fields.py confirms).
        """
        path = self._young.get(field)
        if path is not None:
            return path
        path = self._old.get(field)
        if path is None:
            path = self._first_sight(field, column)
        if len(self._young) >= ENDS_PER_GENERATION:
            self._old, self._young = self._young, {}
        self._young[field] = path
        return path

    def _creation_text(self, raw: str) -> str:
        return self._typed_text(self._creation, raw, parse_creation, creation_literal)

    def _timespan_text(self, raw: str) -> str:
        return self._typed_text(self._timespan, raw, parse_timespan, duration_literal)

    def _typed_text(self, cache: dict[str, str], raw: str, parse: Callable[[str], str | None],
                    literal: Callable[[str], object]) -> str:
        """The text of a typed literal field ("" when empty), checked by the reader's parser."""
        text = cache.get(raw)
        if text is None:
            value = parse(raw)
            text = "" if value is None else self.term(literal(value))
            if len(cache) >= _SMALL:
                cache.clear()
            cache[raw] = text
        return text

    def _flag(self, raw: str, column: str) -> bool:
        value = self._flags.get(raw)
        if value is not None:
            return value
        value = parse_flag(raw, column)
        if len(self._flags) < _SMALL:
            self._flags[raw] = value
        return value
