"""Stream an OpenAlex works snapshot (JSON Lines, one Work object per line) as records.

``parse_openalex_work`` reads one OpenAlex Work object (the same JSON the API returns) into a
Work and its outgoing citations (one per ``referenced_works`` entry, the cited work known by
its OpenAlex id); it is pure so that the API reader can share it. ``iter_records`` streams a
snapshot file. A file holding one pretty-printed Work, or an API list page (``{"results": [...]}``),
is read too.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from typing import Any, Iterable, Iterator

from ..errors import InputError
from ..identifiers import normalize_arxiv, normalize_doi
from ..mapping import creation_literal
from ..model import Citation, Person, Work

MEDIA_TYPE = "application/x-ndjson"
_OPENALEX_ID = re.compile(r"^(?:https?://openalex\.org/)?([Ww]\d+)$")
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_DIGITS = re.compile(r"(\d+)/?$")


class RecordError(ValueError):
    """A field of one OpenAlex work that cannot be read; the reader adds file and line."""


def openalex_id(value: Any, field: str = "id") -> str:
    """'https://openalex.org/W2741809807' -> 'W2741809807'."""
    m = _OPENALEX_ID.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise RecordError(f"field {field!r}: not an OpenAlex work id: {value!r}")
    return m.group(1).upper()


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return None


def abstract_text(inverted: Any) -> str | None:
    """Rebuild an abstract from OpenAlex's inverted index {word: [positions]}."""
    if not isinstance(inverted, dict) or not inverted:
        return None
    at: dict[int, str] = {}
    for word, positions in inverted.items():
        for pos in positions if isinstance(positions, list) else ():
            if isinstance(pos, int):
                at[pos] = word
    return _text(" ".join(at[i] for i in sorted(at)))


def _authors(authorships: Any) -> tuple[Person, ...]:
    people = []
    for a in authorships if isinstance(authorships, list) else ():
        author = a.get("author") if isinstance(a, dict) else None
        if not isinstance(author, dict):
            continue
        name = _text(author.get("display_name")) or _text(a.get("raw_author_name"))
        if not name:
            continue
        m = _ORCID.search(author.get("orcid") or "") if isinstance(author.get("orcid"), str) else None
        people.append(Person(name=name, orcid=m.group(1) if m else None))
    return tuple(people)


def _arxiv(obj: dict) -> str | None:
    for loc in obj.get("locations") or ():
        url = loc.get("landing_page_url") if isinstance(loc, dict) else None
        if isinstance(url, str) and "arxiv.org/abs/" in url:
            found = normalize_arxiv(url)
            if found:
                return found
    return None


def work_identifiers(obj: Any) -> tuple[str | None, str | None, tuple[tuple[str, str], ...]]:
    """(DOI, arXiv id, other ids: the OpenAlex id first, then PMID, PMCID) of one Work object."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object (an OpenAlex work), got {type(obj).__name__}")
    oa = openalex_id(obj.get("id"))
    ids = obj.get("ids") if isinstance(obj.get("ids"), dict) else {}
    raw_doi = obj.get("doi") or ids.get("doi")
    doi = normalize_doi(raw_doi) if isinstance(raw_doi, str) else None
    if raw_doi and doi is None:
        raise RecordError(f"field 'doi': not a DOI: {raw_doi!r}")
    extra = [("openalex", oa)]
    for scheme in ("pmid", "pmcid"):
        m = _DIGITS.search(ids.get(scheme) or "") if isinstance(ids.get(scheme), str) else None
        if m:
            extra.append((scheme, ("PMC" if scheme == "pmcid" else "") + m.group(1)))
    return doi, _arxiv(obj), tuple(extra)


def parse_openalex_work(obj: Any) -> tuple[Work, tuple[Citation, ...]]:
    """One OpenAlex Work object -> (Work, the citations to its referenced works)."""
    doi, arxiv, extra = work_identifiers(obj)
    year = obj.get("publication_year")
    source = ((obj.get("primary_location") or {}).get("source") or {}) if isinstance(
        obj.get("primary_location"), dict) else {}
    work = Work(
        title=_text(obj.get("title")) or _text(obj.get("display_name")),
        doi=doi,
        arxiv=arxiv,
        extra_ids=extra,
        abstract=abstract_text(obj.get("abstract_inverted_index")),
        year=year if isinstance(year, int) and not isinstance(year, bool) and 0 < year < 10000 else None,
        authors=_authors(obj.get("authorships")),
        venue=_text(source.get("display_name")) if isinstance(source, dict) else None,
    )
    creation = obj.get("publication_date")
    if isinstance(creation, str):
        try:
            creation_literal(creation)
        except ValueError:
            creation = None
    else:
        creation = None
    refs = obj.get("referenced_works") or []
    if not isinstance(refs, list):
        raise RecordError("field 'referenced_works': expected a list of OpenAlex ids")
    citations = []
    seen = set()
    for ref in refs:
        cited = openalex_id(ref, "referenced_works")
        if cited in seen:
            continue
        seen.add(cited)
        citations.append(Citation(citing=work, cited=Work(extra_ids=(("openalex", cited),)), creation=creation))
    return work, tuple(citations)


def looks_like_openalex(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def iter_objects(lines: Iterable[str], name: str, first_line: int = 1) -> Iterator[tuple[int, Any]]:
    """(line number, JSON value) of each work in JSON Lines; an API page on one line gives its results."""
    for line_no, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON ({e.msg} at column {e.colno})", source=name, line=line_no) from None
        if isinstance(obj, dict) and isinstance(obj.get("results"), list) and "id" not in obj:
            for work in obj["results"]:  # an API list page saved as one line
                yield line_no, work
        else:
            yield line_no, obj


def iter_lines(lines: Iterable[str], name: str, first_line: int = 1) -> Iterator[tuple[Work, tuple[Citation, ...]]]:
    """(work, citations) for each JSON Lines line, the first being line ``first_line`` of the file."""
    for line_no, obj in iter_objects(lines, name, first_line):
        yield _parse(obj, name, line_no)


def is_json_lines(first_line: str) -> bool:
    """True when the first line holds a whole JSON value (else: one pretty-printed document)."""
    try:
        json.loads(first_line)
    except json.JSONDecodeError:
        return False
    return True


def iter_records(text: io.TextIOBase, name: str) -> Iterator[tuple[Work, tuple[Citation, ...]]]:
    """Stream (work, citations) from a whole file; errors name the file and line."""
    try:
        first = text.readline()
        skipped = 0
        while first and not first.strip():
            first = text.readline()
            skipped += 1
        if not first:
            raise InputError("empty file: expected OpenAlex works as JSON Lines", source=name, line=1)
        if not is_json_lines(first):
            yield from whole_document(first + text.read(), name)
            return
        yield from iter_lines(itertools.chain([first], text), name, 1 + skipped)
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 ({e.reason})", source=name) from None


def _parse(obj: Any, name: str, line: int) -> tuple[Work, tuple[Citation, ...]]:
    try:
        return parse_openalex_work(obj)
    except RecordError as e:
        raise InputError(str(e), source=name, line=line) from None


def whole_document(data: str, name: str) -> Iterator[tuple[Work, tuple[Citation, ...]]]:
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e.msg})", source=name, line=e.lineno) from None
    works = doc.get("results") if isinstance(doc, dict) and "results" in doc else [doc]
    if not isinstance(works, list):
        raise InputError("field 'results': expected a list of OpenAlex works", source=name)
    for i, obj in enumerate(works):
        try:
            yield parse_openalex_work(obj)
        except RecordError as e:
            raise InputError(f"work {i + 1}: {e}", source=name) from None
