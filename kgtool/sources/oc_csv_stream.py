"""Stream the OpenCitations Index CSV dump (COCI/Index layout) as Citation records.

Columns: ``oci`` (or ``id``, with an ``oci:`` prefix in the current dump), ``citing``, ``cited``,
``creation``, ``timespan``, ``journal_sc``, ``author_sc``. ``citing``/``cited`` hold one or more
space-separated identifiers, prefixed (``omid:br/06101 doi:10.1/abc pmid:123``) or, in the older
COCI dump, a bare DOI. One row is parsed by small pure functions (``parse_ids``, ``parse_row``)
that other readers can share; ``iter_citations`` is the streaming part.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Iterable, Iterator

from ..errors import InputError
from ..identifiers import _DOI_SHAPE, normalize_arxiv, normalize_doi
from ..mapping import creation_literal, duration_literal
from ..model import Citation, Work

MEDIA_TYPE = "text/csv"
REQUIRED = ("citing", "cited")
OPTIONAL = ("creation", "timespan", "journal_sc", "author_sc")
_FLAGS = {"yes": True, "no": False, "true": True, "false": False, "": False}


class RowError(ValueError):
    """A field of one row that cannot be read; the reader adds file and line."""

    def __init__(self, column: str, message: str):
        super().__init__(f"column {column!r}: {message}")
        self.column = column


def parse_ids(field: str, column: str = "citing") -> Work:
    """The work named by an id field: 'doi:10.1/x omid:br/061' or a bare DOI.

    The first DOI (and arXiv id) become the work's DOI (arXiv id); the other identifiers are
    kept, in order, as extra ids, e.g. ('omid', 'br/061').
    """
    doi = arxiv = None
    extra: list[tuple[str, str]] = []
    for token in field.split():
        if token.startswith("10."):
            scheme, value = "doi", token
        else:
            scheme, sep, value = token.partition(":")
            scheme = scheme.lower()
            if not sep or not scheme.isalnum() or not value:
                raise RowError(column, f"not an identifier (expected 'scheme:value' or a DOI): {token!r}")
        if scheme == "doi":
            # The common bare, well-formed DOI skips normalize_doi's prefix stripping.
            low = value.lower()
            norm = low if low.startswith("10.") and _DOI_SHAPE.match(low) else normalize_doi(value)
            if norm is None:
                raise RowError(column, f"not a DOI: {value!r}")
            if doi is None:
                doi = norm
            elif norm != doi:
                extra.append(("doi", norm))
        elif scheme == "arxiv":
            norm = normalize_arxiv(value)
            if norm is None:
                raise RowError(column, f"not an arXiv id: {value!r}")
            if arxiv is None:
                arxiv = norm
            elif norm != arxiv:
                extra.append(("arxiv", norm))
        elif (scheme, value) not in extra:
            extra.append((scheme, value))
    if doi is None and arxiv is None and not extra:
        raise RowError(column, "no identifier")
    return Work(doi=doi, arxiv=arxiv, extra_ids=tuple(extra))


def parse_flag(value: str, column: str) -> bool:
    try:
        return _FLAGS[value.strip().lower()]
    except KeyError:
        raise RowError(column, f"expected 'yes' or 'no', got {value!r}") from None


def parse_creation(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        creation_literal(value)
    except ValueError:
        raise RowError("creation", f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}") from None
    return value


def parse_timespan(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        duration_literal(value)
    except ValueError:
        raise RowError("timespan", f"not an xsd:duration (e.g. P2Y3M): {value!r}") from None
    return value


@dataclass(frozen=True)
class Columns:
    """Where each field sits in a row (None when the dump has no such column)."""

    width: int
    oci: int | None
    citing: int
    cited: int
    creation: int | None
    timespan: int | None
    journal_sc: int | None
    author_sc: int | None

    @classmethod
    def from_header(cls, header: list[str]) -> "Columns":
        names = [h.strip().lower() for h in header]
        where = {n: i for i, n in reversed(list(enumerate(names)))}
        missing = [c for c in REQUIRED if c not in where]
        if missing:
            raise RowError(
                missing[0],
                f"missing from the header (an OpenCitations Index CSV has columns "
                f"oci, citing, cited, creation, timespan, journal_sc, author_sc; got {', '.join(names)})",
            )
        oci = where.get("oci", where.get("id"))
        return cls(len(names), oci, where["citing"], where["cited"],
                   *(where.get(c) for c in OPTIONAL))


def parse_row(row: list[str], cols: Columns, works: dict[str, Work] | None = None) -> Citation:
    """One CSV row as a Citation. ``works`` caches id field -> Work (the same works recur)."""
    if len(row) != cols.width:
        raise RowError("*", f"expected {cols.width} fields, found {len(row)}")
    if works is None:
        works = {}
    ends = []
    for column, i in (("citing", cols.citing), ("cited", cols.cited)):
        field = row[i]
        w = works.get(field)
        if w is None:
            w = parse_ids(field, column)
            if len(works) >= 1 << 14:
                works.clear()
            works[field] = w
        ends.append(w)
    oci = row[cols.oci].strip() if cols.oci is not None else ""
    if oci[:4].lower() == "oci:":
        oci = oci[4:]
    return Citation(
        citing=ends[0],
        cited=ends[1],
        oci=oci or None,
        creation=parse_creation(row[cols.creation]) if cols.creation is not None else None,
        timespan=parse_timespan(row[cols.timespan]) if cols.timespan is not None else None,
        journal_self=parse_flag(row[cols.journal_sc], "journal_sc") if cols.journal_sc is not None else False,
        author_self=parse_flag(row[cols.author_sc], "author_sc") if cols.author_sc is not None else False,
    )


def looks_like_oc_csv(head: bytes) -> bool:
    """True when the first line of a (decompressed) file is an OpenCitations Index CSV header."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    names = [n.strip().strip('"') for n in first.split(",")]
    return "citing" in names and "cited" in names


def read_header(line: str, name: str) -> Columns:
    """The columns of a dump from its header line; InputError when it is not one."""
    try:
        header = next(csv.reader([line]), None)
        if not header:
            raise InputError("empty file: expected an OpenCitations Index CSV header", source=name, line=1)
        return Columns.from_header(header)
    except RowError as e:
        raise InputError(str(e), source=name, line=1) from None
    except csv.Error as e:
        raise InputError(f"bad CSV header: {e}", source=name, line=1) from None


def iter_rows(text: Iterable[str], cols: Columns, name: str, first_line: int = 2,
              works: dict[str, Work] | None = None) -> Iterator[Citation]:
    """The citations of rows (no header) that start at line ``first_line`` of the file."""
    reader = csv.reader(text)
    works = {} if works is None else works
    try:
        for row in reader:
            if not row:
                continue
            try:
                yield parse_row(row, cols, works)
            except RowError as e:
                raise InputError(str(e), source=name, line=first_line - 1 + reader.line_num) from None
    except csv.Error as e:
        raise InputError(f"bad CSV: {e}", source=name, line=first_line - 1 + reader.line_num) from None


def iter_citations(text: io.TextIOBase, name: str) -> Iterator[Citation]:
    """Stream the citations of a whole OpenCitations Index CSV (header first)."""
    try:
        cols = read_header(text.readline(), name)
        yield from iter_rows(text, cols, name)
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 ({e.reason})", source=name) from None
