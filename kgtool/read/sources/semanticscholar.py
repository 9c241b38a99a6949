"""Semantic Scholar Graph API (https://api.semanticscholar.org/graph/v1): papers, and the
citation edges between them with intents, contexts and the influential flag.

Intents become citation roles (vocab.ROLES): background -> cito:obtainsBackgroundFrom,
methodology -> cito:usesMethodIn, result -> cito:usesConclusionsFrom; each role label is
attributed to Semantic Scholar. A paper S2 could not resolve (no id and no title) is kept by
its text (authors, year, venue) under a key from the paper whose list holds it and its
position there (identifiers.reference_key). The API key, if any, is read from KGTOOL_S2_API_KEY (or
S2_API_KEY) and sent only in the x-api-key header.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ...errors import ApiError, InputError, UsageError
from ...map.identifiers import (
    arxiv_from_doi,
    normalize_arxiv,
    normalize_doi,
    normalize_title,
    reference_key,
    work_key,
)
from ...map.model import Bundle, Citation, Person, RoleLabel, Work
from ...map.vocab import ROLE_SYNONYMS, ROLES
from ..http import Api, HttpClient, Progress, Response, path_segment, quiet, source_info
from .payload import expect, load_saved_json, need, opt, text

NAME = "semanticscholar"
API = Api(
    NAME,
    "https://api.semanticscholar.org",
    "KGTOOL_S2_URL",
    rate=1.0,
    key_env=("KGTOOL_S2_API_KEY", "S2_API_KEY"),
    key_header="x-api-key",
)
PREFIX = "/graph/v1"
PAPER_FIELDS = "paperId,externalIds,title,year,venue,publicationVenue,journal,authors"
EDGE_FIELDS = "contexts,intents,isInfluential,contextsWithIntent," + PAPER_FIELDS
PAGE_SIZE = 500  # the API allows up to 1000 edges per page
#: externalIds key -> extra identifier scheme
_EXTERNAL = {"MAG": "mag", "PubMed": "pmid", "PubMedCentral": "pmcid", "CorpusId": "corpusid", "DBLP": "dblp"}
_PAPER_ID = re.compile(r"^[0-9a-f]{40}$")
_PREFIXED = re.compile(r"^(CorpusId|MAG|ACL|PMID|PMCID|URL):(.+)$", re.IGNORECASE)
_EDGE = {"citations": "citingPaper", "references": "citedPaper"}


def paper_id(identifier: str) -> str:
    """An identifier as the API takes it: 'arXiv:2504.01805', 'DOI:10.x/y', 'CorpusId:1', a paperId."""
    v = identifier.strip()
    if _PAPER_ID.match(v.lower()):
        return v.lower()
    m = _PREFIXED.match(v)
    if m:
        scheme = next(s for s in ("CorpusId", "MAG", "ACL", "PMID", "PMCID", "URL") if s.lower() == m.group(1).lower())
        return f"{scheme}:{m.group(2)}"
    doi = normalize_doi(v)
    if doi:
        return f"DOI:{doi}"
    arxiv = normalize_arxiv(v)
    if arxiv:
        return f"arXiv:{arxiv}"
    raise UsageError(
        f"not a Semantic Scholar paper id: {identifier!r} (give arXiv:ID, a DOI, CorpusId:N or a 40-hex paperId)"
    )


def parse_paper(obj: Any, source: str, where: str = "") -> Work | None:
    """A paper object -> Work; None for a paper S2 could not resolve (no id and no title)."""
    expect(obj, dict, source, where.rstrip(".") or "(paper)")
    pid = opt(obj, "paperId", str, source, where)
    ext = opt(obj, "externalIds", dict, source, where) or {}
    doi = normalize_doi(ext["DOI"]) if isinstance(ext.get("DOI"), str) else None
    arxiv = normalize_arxiv(ext["ArXiv"]) if isinstance(ext.get("ArXiv"), str) else None
    extra: list[tuple[str, str]] = [("s2", pid)] if pid else []
    for key, scheme in _EXTERNAL.items():
        value = ext.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            value = str(value).strip()
            if scheme == "pmcid" and not value.upper().startswith("PMC"):
                value = "PMC" + value
            extra.append((scheme, value))
    title = text(obj.get("title"))
    if not (pid or doi or arxiv or title):
        return None
    authors = tuple(
        Person(name)
        for a in (opt(obj, "authors", list, source, where) or [])
        if isinstance(a, dict) and (name := text(a.get("name")))
    )
    venue = None
    for holder, key in ((obj.get("publicationVenue"), "name"), (obj.get("journal"), "name"), (obj, "venue")):
        if isinstance(holder, dict) and (venue := text(holder.get(key))):
            break
    return Work(
        title=title,
        doi=doi,
        arxiv=arxiv or (arxiv_from_doi(doi) if doi else None),
        extra_ids=tuple(extra),
        year=opt(obj, "year", int, source, where),
        authors=authors,
        venue=venue,
    )


def unresolved_paper(obj: dict, anchor: Work, direction: str, position: int) -> Work:
    """A paper with neither id nor title, listed at ``position`` (1-based) among the
    ``direction`` of ``anchor``: a work known by what the record says of it."""
    parts = [n for a in obj.get("authors") or [] if isinstance(a, dict) and (n := text(a.get("name")))]
    parts += [str(obj["year"])] if isinstance(obj.get("year"), int) else []
    parts += [v for v in (text(obj.get("venue")),) if v]
    body = ", ".join(parts) or json.dumps(obj, sort_keys=True, ensure_ascii=False)
    key = reference_key(work_key(anchor.doi, anchor.arxiv, anchor.title, anchor.extra_ids), f"{direction}#{position}")
    return Work(extra_ids=(key,), citation_text=body)


def _role(intent: str) -> str | None:
    k = " ".join(intent.split()).casefold()
    k = ROLE_SYNONYMS.get(k, k)
    return k if k in ROLES else None


def parse_edge(obj: Any, root: Work, direction: str, source: str, where: str = "",
               position: int = 0) -> tuple[Citation | None, list[str]]:
    """One element of /paper/{id}/citations (citingPaper) or /references (citedPaper); an
    unresolved paper is kept (unresolved_paper) when ``position`` is given, else None."""
    expect(obj, dict, source, where.rstrip(".") or "(edge)")
    key = _EDGE[direction]
    paper = need(obj, key, dict, source, where)
    other = parse_paper(paper, source, f"{where}{key}.")
    if other is None:
        if not position:
            return None, []
        other = unresolved_paper(paper, root, direction, position)
    notes = []
    intents = [
        expect(i, str, source, f"{where}intents[{n}]")
        for n, i in enumerate(opt(obj, "intents", list, source, where) or [])
    ]
    contexts = [
        expect(c, str, source, f"{where}contexts[{n}]")
        for n, c in enumerate(opt(obj, "contexts", list, source, where) or [])
    ]
    for cwi in opt(obj, "contextsWithIntent", list, source, where) or []:
        if isinstance(cwi, dict):
            intents += [i for i in cwi.get("intents") or [] if isinstance(i, str)]
    roles = []
    for intent in dict.fromkeys(intents):
        role = _role(intent)
        if role is None:
            notes.append(f"{source}: unknown citation intent {intent!r} at '{where}intents'; not mapped")
        else:
            roles.append(RoleLabel(role, NAME))
    citing, cited = (other, root) if direction == "citations" else (root, other)
    c = Citation(
        citing=citing,
        cited=cited,
        roles=tuple(dict.fromkeys(roles)),
        contexts=tuple(dict.fromkeys(t for t in (text(c) for c in contexts) if t)),
        influential=opt(obj, "isInfluential", bool, source, where),
        label_source=NAME,
    )
    return c, notes


def parse_edges_page(
    payload: Any, root: Work, direction: str, source: str
) -> tuple[list[Citation], list[str], int | None]:
    """An edge list page ({offset, next?, data}) -> citations, notes, the next offset or None."""
    expect(payload, dict, source, "(response)")
    data = need(payload, "data", list, source)
    nxt = opt(payload, "next", int, source)
    start = opt(payload, "offset", int, source) or 0
    cites: list[Citation] = []
    notes: list[str] = []
    for i, item in enumerate(data):
        c, n = parse_edge(item, root, direction, source, f"data[{i}].", position=start + i + 1)
        notes += n
        if c is not None:  # always, given a position
            cites.append(c)
    return cites, notes, nxt


def parse_paper_bundle(payload: Any, source: str) -> tuple[Work, list[Citation], list[str]]:
    """A full paper object, with the plain papers nested in 'citations' and 'references'."""
    root = parse_paper(payload, source)
    if root is None:
        raise InputError("the paper has neither an id nor a title", source=source)
    cites = []
    for key, direction in (("citations", "citations"), ("references", "references")):
        for i, p in enumerate(opt(payload, key, list, source) or []):
            other = parse_paper(p, source, f"{key}[{i}].") or unresolved_paper(p, root, direction, i + 1)
            pair = (other, root) if direction == "citations" else (root, other)
            cites.append(Citation(citing=pair[0], cited=pair[1], label_source=NAME))
    return root, cites, []


def fetch(
    client: HttpClient,
    identifier: str,
    *,
    citations: bool = False,
    references: bool = False,
    limit: int | None = None,
    progress: Progress = quiet,
) -> Bundle:
    """A paper, and optionally its citation and reference edges (each up to ``limit``)."""
    pid = paper_id(identifier)
    path = f"{PREFIX}/paper/{path_segment(pid)}"
    resp = client.get_json(API, path, {"fields": PAPER_FIELDS})
    root = parse_paper(resp.data, resp.url)
    if root is None:
        raise InputError("the paper has neither an id nor a title", source=resp.url)
    responses, cites, notes = [resp], [], []
    for direction, wanted in (("citations", citations), ("references", references)):
        if wanted:
            c, n, r = _fetch_edges(client, f"{path}/{direction}", root, direction, limit, progress)
            cites += c
            notes += n
            responses += r
    works = [root] + [c.citing if c.cited is root else c.cited for c in cites]
    return Bundle(source=source_info(responses), works=tuple(works), citations=tuple(cites), notes=tuple(notes))


def _fetch_edges(
    client: HttpClient, path: str, root: Work, direction: str, limit: int | None, progress: Progress
) -> tuple[list[Citation], list[str], list[Response]]:
    size = min(PAGE_SIZE, limit) if limit else PAGE_SIZE
    cites: list[Citation] = []
    notes: list[str] = []
    responses = []
    offset: int | None = 0
    pager = client.pager(API, path, {"fields": EDGE_FIELDS})
    while offset is not None and (limit is None or len(cites) < limit):
        pager.advance(offset)
        r = client.get_json(API, path, {"fields": EDGE_FIELDS, "offset": offset, "limit": size})
        responses.append(r)
        c, n, nxt = parse_edges_page(r.data, root, direction, r.url)
        cites += c
        notes += n
        progress(f"semanticscholar: {len(cites)} {direction} of {_label(root)}")
        if not r.data["data"]:
            break
        if nxt is not None and nxt <= offset:
            raise ApiError(f"paging does not advance (field 'next' is {nxt} at offset {offset}): {r.url}")
        offset = nxt
    return (cites[:limit] if limit else cites), notes, responses


def _label(w: Work) -> str:
    ids = dict(w.extra_ids)
    return w.doi or w.arxiv or ids.get("s2") or (w.title or "?")


def search_title(client: HttpClient, title: str) -> tuple[list[Work], Response]:
    """Candidate papers for a title (relevance search on the normalized title)."""
    r = client.get_json(
        API, f"{PREFIX}/paper/search", {"query": normalize_title(title), "limit": 10, "fields": PAPER_FIELDS}
    )
    expect(r.data, dict, r.url, "(response)")
    if r.data.get("total") == 0 and r.data.get("data") is None:
        return [], r
    data = need(r.data, "data", list, r.url)
    works = [w for i, p in enumerate(data) if (w := parse_paper(p, r.url, f"data[{i}].")) is not None]
    return works, r


def read_saved(data: bytes, name: str) -> Bundle:
    """A saved response: a paper (with nested citations/references), an edge list page, or one edge."""
    payload, src = load_saved_json(data, name)
    expect(payload, dict, name, "(response)")
    edge_keys = [k for k in _EDGE.values() if k in payload]
    if "data" in payload or edge_keys:
        raise UsageError(
            f"{name}: a saved list of citation edges does not say which paper they belong to; "
            "fetch them with 'kgtool fetch s2 ID --citations' instead"
        )
    root, cites, notes = parse_paper_bundle(payload, name)
    works = [root] + [c.citing if c.cited is root else c.cited for c in cites]
    return Bundle(source=src, works=tuple(works), citations=tuple(cites), notes=tuple(notes))
