"""Crossref REST API (https://api.crossref.org): works and their deposited reference lists.

A reference with a DOI becomes a work known by that DOI; one without a DOI but with a title
becomes a work known by its title (so that enrichment or another source can identify it); one
with neither keeps its text (``unstructured``, else its other fields) as the work's
``citation_text``, under a key made from the citing work and the reference's ``key`` (else its
position): nothing is guessed at, and nothing is dropped (identifiers.reference_key).
"""

from __future__ import annotations

import json
import re
from typing import Any, overload

from ...errors import ApiError, InputError, UsageError
from ...map.identifiers import arxiv_from_doi, normalize_doi, normalize_orcid, reference_key, work_key
from ...map.model import Bundle, Citation, Person, Work
from ..http import Api, HttpClient, Progress, Response, path_segment, quiet, source_info
from .payload import expect, load_saved_json, need, opt, text

NAME = "crossref"
API = Api(NAME, "https://api.crossref.org", "KGTOOL_CROSSREF_URL", rate=5.0)
SEARCH_SELECT = "DOI,title,author,issued,published,container-title"
_TAG = re.compile(r"<[^>]+>")
_DATE_FIELDS = ("issued", "published", "published-print", "published-online", "created")


def _clean(value: Any) -> str | None:
    """Text without JATS/HTML tags and with collapsed whitespace."""
    return text(_TAG.sub("", value)) if isinstance(value, str) else None


def _first(value: Any) -> str | None:
    """Crossref gives titles and container titles as lists; the first non-empty one."""
    if isinstance(value, list):
        return next((t for t in (_clean(v) for v in value) if t), None)
    return _clean(value)


def _year(msg: dict) -> int | None:
    for key in _DATE_FIELDS:
        parts = (msg.get(key) or {}).get("date-parts") if isinstance(msg.get(key), dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            y = parts[0][0]
            if isinstance(y, int) and not isinstance(y, bool):
                return y
    return None


def _person(a: Any) -> Person | None:
    if not isinstance(a, dict):
        return None
    name = " ".join(p for p in (text(a.get("given")), text(a.get("family"))) if p) or text(a.get("name"))
    if not name:
        return None
    orcid = a.get("ORCID")
    return Person(name, normalize_orcid(orcid) if isinstance(orcid, str) else None)


def parse_work(msg: Any, source: str, where: str = "") -> Work:
    """A Crossref work (the 'message' of /works/{doi}, or a list item) -> Work."""
    expect(msg, dict, source, where.rstrip(".") or "message")
    raw = need(msg, "DOI", str, source, where)
    doi = normalize_doi(raw)
    if doi is None:
        raise InputError(f"field '{where}DOI' is not a DOI: {raw!r}", source=source)
    return Work(
        title=_first(msg.get("title")),
        doi=doi,
        arxiv=arxiv_from_doi(doi),
        year=_year(msg),
        authors=tuple(p for p in map(_person, opt(msg, "author", list, source, where) or []) if p),
        venue=_first(msg.get("container-title")),
    )


#: Fields of a reference that make up its text when it has no 'unstructured' text.
_TEXT_FIELDS = ("author", "year", "journal-title", "volume", "issue", "first-page", "edition", "isbn", "issn",
                "standards-body", "standard-designator", "component")


def reference_text(ref: dict) -> str:
    """What a reference says, for one that has neither DOI nor title."""
    whole = _clean(ref.get("unstructured"))
    if whole:
        return whole
    parts = [t for t in (_clean(ref.get(k)) for k in _TEXT_FIELDS) if t]
    if parts:
        return ", ".join(parts)
    return json.dumps({k: v for k, v in ref.items() if k != "key"}, sort_keys=True, ensure_ascii=False)


@overload
def parse_reference(ref: Any, source: str, where: str, citing: Work, position: int = 0) -> Work: ...
@overload
def parse_reference(ref: Any, source: str, where: str, citing: None = None, position: int = 0) -> Work | None: ...
def parse_reference(ref: Any, source: str, where: str, citing: Work | None = None, position: int = 0) -> Work | None:
    """One entry of a work's 'reference' list -> Work. One with neither DOI nor title is kept by its
    text under a key from ``citing`` and its 'key' (else ``position``); None without ``citing``."""
    expect(ref, dict, source, where.rstrip("."))
    doi = normalize_doi(ref["DOI"]) if isinstance(ref.get("DOI"), str) else None
    title = _clean(ref.get("article-title")) or _clean(ref.get("volume-title")) or _clean(ref.get("series-title"))
    if not (doi or title):
        if citing is None:
            return None
        local = ref["key"] if isinstance(ref.get("key"), str) and ref["key"].strip() else f"#{position}"
        anchor = work_key(citing.doi, citing.arxiv, citing.title, citing.extra_ids)
        return Work(extra_ids=(reference_key(anchor, local.strip()),), citation_text=reference_text(ref))
    year = None
    if isinstance(ref.get("year"), str) and ref["year"][:4].isdigit():
        year = int(ref["year"][:4])
    return Work(
        title=title,
        doi=doi,
        arxiv=arxiv_from_doi(doi) if doi else None,
        year=year,
        venue=_clean(ref.get("journal-title")),
    )


def _message(payload: Any, source: str, kind: str) -> dict:
    expect(payload, dict, source, "(response)")
    status = payload.get("status")
    if status is not None and status != "ok":
        raise ApiError(f"Crossref answered status {status!r}: {source}")
    mtype = opt(payload, "message-type", str, source)
    if mtype is not None and mtype != kind:
        raise InputError(f"field 'message-type' is {mtype!r}, expected {kind!r}", source=source)
    return need(payload, "message", dict, source)


def parse_work_response(payload: Any, source: str) -> tuple[Work, list[Work], list[str]]:
    """/works/{doi} -> the work, its references (in order, none left out) and notes."""
    msg = _message(payload, source, "work")
    work = parse_work(msg, source, "message.")
    return work, references_of(msg, work, source, "message."), []


def references_of(msg: dict, work: Work, source: str, where: str) -> list[Work]:
    """The works of a work's 'reference' list, in order, none left out."""
    refs = opt(msg, "reference", list, source, where) or []
    return [parse_reference(ref, source, f"{where}reference[{i}].", work, i + 1) for i, ref in enumerate(refs)]


def parse_work_list(payload: Any, source: str) -> list[Work]:
    """/works?... (message-type work-list) -> the works of its items."""
    msg = _message(payload, source, "work-list")
    return [
        parse_work(item, source, f"message.items[{i}].")
        for i, item in enumerate(need(msg, "items", list, source, "message."))
    ]


def fetch(
    client: HttpClient,
    identifier: str,
    *,
    citations: bool = False,
    references: bool = False,
    limit: int | None = None,
    progress: Progress = quiet,
) -> Bundle:
    """A work by DOI, and optionally the works in its reference list (up to ``limit``)."""
    if citations:
        raise UsageError(
            "Crossref does not list the works that cite a DOI; use 'kgtool fetch opencitations' "
            "or 'kgtool fetch openalex' for citations"
        )
    doi = normalize_doi(identifier)
    if doi is None:
        raise UsageError(f"not a DOI: {identifier!r}")
    r = client.get_json(API, f"/works/{path_segment(doi, safe='/')}")
    work, refs, notes = parse_work_response(r.data, r.url)
    cites: tuple[Citation, ...] = ()
    if references:
        refs = refs[:limit] if limit else refs
        cites = tuple(Citation(citing=work, cited=w, label_source=NAME) for w in refs)
        progress(f"crossref: {len(refs)} references of {work.doi}")
    works = (work, *(c.cited for c in cites))
    return Bundle(source=source_info([r]), works=works, citations=cites, notes=tuple(notes if references else ()))


def search_title(client: HttpClient, title: str) -> tuple[list[Work], Response]:
    """Candidate works for a title (Crossref's bibliographic query)."""
    r = client.get_json(API, "/works", {"query.bibliographic": title, "rows": 10, "select": SEARCH_SELECT})
    return parse_work_list(r.data, r.url), r


def read_saved(data: bytes, name: str) -> Bundle:
    """A saved Crossref response: one work (with its references) or a work list."""
    payload, src = load_saved_json(data, name)
    if isinstance(payload, dict) and payload.get("message-type") == "work-list":
        works: list[Work] = []
        cites: list[Citation] = []
        items = need(_message(payload, name, "work-list"), "items", list, name, "message.")
        for i, item in enumerate(items):
            work = parse_work(item, name, f"message.items[{i}].")
            refs = references_of(item, work, name, f"message.items[{i}].")
            works += [work, *refs]
            cites += [Citation(citing=work, cited=w, label_source=NAME) for w in refs]
        return Bundle(source=src, works=tuple(works), citations=tuple(cites))
    work, refs, notes = parse_work_response(payload, name)
    citations = tuple(Citation(citing=work, cited=w, label_source=NAME) for w in refs)
    return Bundle(source=src, works=(work, *refs), citations=citations, notes=tuple(notes))
