"""OpenAlex (https://api.openalex.org): works, their references and the works citing them.

Pure parsers (``parse_work``, ``parse_page``) turn payloads into records; ``fetch`` and
``search_title`` do the I/O through the shared HTTP client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import ApiError, InputError, UsageError
from ...map.identifiers import (
    arxiv_from_doi,
    normalize_arxiv,
    normalize_doi,
    normalize_orcid,
    normalize_title,
)
from ...map.lexical import date_precision
from ...map.model import Bundle, Citation, Person, SourceInfo, Work
from ..http import Api, HttpClient, Progress, Response, path_segment, quiet, source_info
from ..readfile import decode_utf8, sha256_hex
from .payload import expect, loads, need, opt, text

NAME = "openalex"
API = Api(NAME, "https://api.openalex.org", "KGTOOL_OPENALEX_URL", rate=10.0)
#: Root-level fields a crawl asks for (OpenAlex's ``select``), to keep pages small.
SELECT = (
    "id,doi,title,display_name,publication_year,publication_date,ids,abstract_inverted_index,"
    "authorships,primary_location,locations,referenced_works"
)
PAGE_SIZE = 200  # OpenAlex's largest per-page
BATCH = 50  # ids per "openalex:W1|W2|..." filter

_WORK_ID = re.compile(r"^(?:https?://openalex\.org/)?(W\d+)$", re.IGNORECASE)
_PMID = re.compile(r"(\d+)/?$")


def openalex_id(value: str) -> str | None:
    """'https://openalex.org/W2741809807' or 'w2741809807' -> 'W2741809807'; None otherwise."""
    m = _WORK_ID.match(value.strip())
    return m.group(1).upper() if m else None


def _arxiv_from_locations(obj: dict) -> str | None:
    for loc in obj.get("locations") or []:
        if isinstance(loc, dict):
            for key in ("landing_page_url", "pdf_url"):
                url = loc.get(key)
                if isinstance(url, str) and "arxiv.org/" in url:
                    a = normalize_arxiv(url)
                    if a:
                        return a
    return None


def abstract_text(inverted: Any) -> str | None:
    """Rebuild an abstract from OpenAlex's inverted index {word: [positions]}."""
    if not isinstance(inverted, dict) or not inverted:
        return None
    at: dict[int, str] = {}
    for word, positions in inverted.items():
        for pos in positions if isinstance(positions, list) else ():
            if isinstance(pos, int) and not isinstance(pos, bool):
                at[pos] = word
    return text(" ".join(at[i] for i in sorted(at)))


def parse_work(obj: Any, source: str, where: str = "") -> Work:
    """One OpenAlex Work object -> Work (identifiers normalized, OpenAlex, MAG, PubMed ids kept)."""
    expect(obj, dict, source, where.rstrip(".") or "(work)")
    wid = openalex_id(need(obj, "id", str, source, where))
    if wid is None:
        raise InputError(f"field '{where}id' is not an OpenAlex work id: {obj['id']!r}", source=source)
    ids = opt(obj, "ids", dict, source, where) or {}
    doi_raw = opt(obj, "doi", str, source, where) or (ids["doi"] if isinstance(ids.get("doi"), str) else None)
    doi = normalize_doi(doi_raw) if doi_raw else None
    if doi_raw and doi is None:
        raise InputError(f"field '{where}doi' is not a DOI: {doi_raw!r}", source=source)
    extra: list[tuple[str, str]] = [("openalex", wid)]
    if isinstance(ids.get("mag"), (str, int)) and not isinstance(ids.get("mag"), bool):
        extra.append(("mag", str(ids["mag"])))
    for scheme, prefix in (("pmid", ""), ("pmcid", "PMC")):
        m = _PMID.search(ids[scheme]) if isinstance(ids.get(scheme), str) else None
        if m:
            extra.append((scheme, prefix + m.group(1)))
    year = opt(obj, "publication_year", int, source, where)
    authors = []
    for a in opt(obj, "authorships", list, source, where) or []:
        if not isinstance(a, dict):
            continue
        author = a["author"] if isinstance(a.get("author"), dict) else {}
        name = text(author.get("display_name")) or text(a.get("raw_author_name"))
        if name:
            orcid = author.get("orcid")
            authors.append(Person(name, normalize_orcid(orcid) if isinstance(orcid, str) else None))
    venue = None
    loc = opt(obj, "primary_location", dict, source, where)
    if loc and isinstance(loc.get("source"), dict):
        venue = text(loc["source"].get("display_name"))
    return Work(
        title=text(obj.get("title")) or text(obj.get("display_name")),
        doi=doi,
        arxiv=(arxiv_from_doi(doi) if doi else None) or _arxiv_from_locations(obj),
        extra_ids=tuple(extra),
        abstract=abstract_text(obj.get("abstract_inverted_index")),
        year=year if year is not None and 0 < year < 10000 else None,
        authors=tuple(authors),
        venue=venue,
    )


def creation_date(obj: dict) -> str | None:
    """A work's publication_date, when it is a date: the creation date of the citations it makes."""
    value = obj.get("publication_date")
    return value if isinstance(value, str) and date_precision(value) is not None else None


def referenced_ids(obj: dict, source: str, where: str = "") -> list[str]:
    """The OpenAlex ids a work cites, in the order given, each once."""
    out = []
    for i, ref in enumerate(opt(obj, "referenced_works", list, source, where) or []):
        wid = openalex_id(ref) if isinstance(ref, str) else None
        if wid is None:
            raise InputError(f"field '{where}referenced_works[{i}]' is not an OpenAlex work id: {ref!r}",
                             source=source)
        out.append(wid)
    return list(dict.fromkeys(out))


def cited_by_id(wid: str) -> Work:
    """A referenced work as the citing record names it: by its OpenAlex id only."""
    return Work(extra_ids=(("openalex", wid),))


def parse_record(obj: Any, source: str, where: str = "") -> tuple[Work, list[Citation]]:
    """One Work object -> the work and its citations of its referenced works (by OpenAlex id)."""
    work = parse_work(obj, source, where)
    creation = creation_date(obj)
    refs = referenced_ids(obj, source, where)
    return work, [Citation(citing=work, cited=cited_by_id(r), creation=creation, label_source=NAME) for r in refs]


def is_json_value(line: str) -> bool:
    """True when a line holds a whole JSON value (JSON Lines), not the start of a document."""
    try:
        json.loads(line)
    except RecursionError:
        return True  # a whole value, too deep to read: its line's error says so
    except ValueError:
        return False
    return True


def iter_line(line: str, source: str, n: int) -> Iterator[tuple[Work, list[Citation]]]:
    """The records of line ``n`` of a JSON Lines file (a work, or an API page on one line)."""
    if not line.strip():
        return
    doc = loads(line, source, n)
    yield from _document(doc, f"{source}:{n}", "")


def iter_records(text: str, source: str) -> Iterator[tuple[Work, list[Citation]]]:
    """The records of a saved file: one Work, an API /works page, or JSON Lines (a snapshot, where
    a line may also hold a page). Errors name the line (JSON Lines) or the work's position."""
    lines = text.strip().split("\n")
    if len(lines) < 2 or not is_json_value(lines[0]):
        doc = loads(text, source)
        yield from _document(doc, source, "")
        return
    for n, line in enumerate(text.split("\n"), start=1):
        yield from iter_line(line, source, n)


def _document(doc: Any, source: str, where: str) -> Iterator[tuple[Work, list[Citation]]]:
    if isinstance(doc, dict) and "results" in doc and "id" not in doc:
        for i, obj in enumerate(need(doc, "results", list, source)):
            yield parse_record(obj, source, f"results[{i}].")
    else:
        yield parse_record(doc, source, where)


def looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


@dataclass(frozen=True)
class Page:
    """One page of a /works list."""

    works: list[Work]
    next_cursor: str | None
    count: int | None
    creations: list[str | None]  # each work's publication date (see creation_date)


def parse_page(payload: Any, source: str) -> Page:
    """A /works list response ({meta, results}) -> its works and paging state."""
    expect(payload, dict, source, "(response)")
    results = need(payload, "results", list, source)
    meta = need(payload, "meta", dict, source)
    cursor = opt(meta, "next_cursor", str, source, "meta.")
    count = opt(meta, "count", int, source, "meta.")
    works = [parse_work(r, source, f"results[{i}].") for i, r in enumerate(results)]
    return Page(works, cursor or None, count, [creation_date(r) for r in results])


def _root_path_id(identifier: str) -> str:
    wid = openalex_id(identifier)
    if wid:
        return wid
    doi = normalize_doi(identifier)
    if doi:
        return f"doi:{doi}"
    raise UsageError(f"not an OpenAlex work id (W...) or a DOI: {identifier!r}")


def fetch(
    client: HttpClient,
    identifier: str,
    *,
    citations: bool = False,
    references: bool = False,
    limit: int | None = None,
    progress: Progress = quiet,
) -> Bundle:
    """A work, and optionally the works it cites and that cite it (each up to ``limit``)."""
    resp = client.get_json(API, f"/works/{path_segment(_root_path_id(identifier))}", {"select": SELECT})
    responses = [resp]
    root = parse_work(resp.data, resp.url)
    wid = dict(root.extra_ids)["openalex"]
    works: list[Work] = [root]
    cites: list[Citation] = []
    notes: list[str] = []
    if references:
        refs, rresp, missing = _fetch_references(client, referenced_ids(resp.data, resp.url)[:limit], progress)
        responses += rresp
        works += refs
        created = creation_date(resp.data)
        cites += [Citation(citing=root, cited=w, creation=created, label_source=NAME) for w in refs]
        if missing:
            notes.append(f"{resp.url}: {len(missing)} referenced works are not in OpenAlex any more; kept by id only")
    if citations:
        citing, cresp = _fetch_citing(client, wid, limit, progress)
        responses += cresp
        works += [w for w, _ in citing]
        cites += [Citation(citing=w, cited=root, creation=d, label_source=NAME) for w, d in citing]
    return Bundle(source=source_info(responses), works=tuple(works), citations=tuple(cites), notes=tuple(notes))


def _fetch_references(
    client: HttpClient, ids: list[str], progress: Progress
) -> tuple[list[Work], list[Response], list[str]]:
    found: dict[str, Work] = {}
    responses = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        r = client.get_json(
            API, "/works", {"filter": "openalex:" + "|".join(chunk), "per-page": BATCH, "select": SELECT}
        )
        responses.append(r)
        for w in parse_page(r.data, r.url).works:
            found[dict(w.extra_ids)["openalex"]] = w
        progress(f"openalex: {min(start + BATCH, len(ids))}/{len(ids)} referenced works")
    missing = [i for i in ids if i not in found]
    return [found.get(i) or Work(extra_ids=(("openalex", i),)) for i in ids], responses, missing


def _fetch_citing(client: HttpClient, wid: str, limit: int | None,
                  progress: Progress) -> tuple[list[tuple[Work, str | None]], list[Response]]:
    per_page = min(PAGE_SIZE, limit) if limit else PAGE_SIZE
    citing: list[tuple[Work, str | None]] = []
    responses = []
    cursor: str | None = "*"
    pager = client.pager(API, "/works", {"filter": f"cites:{wid}"})
    while cursor and (limit is None or len(citing) < limit):
        pager.advance(cursor)
        r = client.get_json(
            API, "/works", {"filter": f"cites:{wid}", "per-page": per_page, "cursor": cursor, "select": SELECT}
        )
        responses.append(r)
        page = parse_page(r.data, r.url)
        if not page.works:
            break
        citing += zip(page.works, page.creations)
        # Counts may grow a little while a crawl runs; far beyond them, the cursor is broken.
        if page.count is not None and len(citing) > page.count + max(10, page.count // 100):
            raise ApiError(
                f"paging does not end: {len(citing)} results so far, but the API announced {page.count}: {r.url}"
            )
        progress(f"openalex: {len(citing)}/{page.count if page.count is not None else '?'} works citing {wid}")
        cursor = page.next_cursor
    return citing[:limit] if limit else citing, responses


def search_title(client: HttpClient, title: str) -> tuple[list[Work], Response]:
    """Candidate works for a title (OpenAlex title search on the normalized title)."""
    r = client.get_json(
        API, "/works", {"filter": f"title.search:{normalize_title(title)}", "per-page": 10, "select": SELECT}
    )
    return parse_page(r.data, r.url).works, r


def read_saved(data: bytes, name: str) -> Bundle:
    """A saved OpenAlex answer or snapshot: one work (with its references, by id), a /works page,
    or JSON Lines of works; the same records ``kgtool convert`` reads from the file."""
    txt = decode_utf8(name, data)
    works: list[Work] = []
    cites: list[Citation] = []
    for work, refs in iter_records(txt, name):
        works.append(work)
        cites += refs
    media = "application/json" if is_json_value(txt) else "application/x-ndjson"
    src = SourceInfo(name=name, sha256=sha256_hex(data), media_type=media)
    return Bundle(source=src, works=tuple(works), citations=tuple(cites))
