"""OpenCitations Index (https://api.opencitations.net/index/v2): citations as first-class
records (oci, citing, cited, creation, timespan, journal_sc, author_sc), from the REST API's
JSON or from CSV (the API's CSV answer, or a dump).

Citing and cited are given either as bare DOIs (API v1, COCI dumps) or as space-separated
prefixed ids ('omid:br/061 doi:10.1/x pmid:1', API v2 and current dumps). The first DOI
identifies the work; OMIDs, PMIDs and further DOIs are kept as extra identifiers.
A negative time span (citing dated before cited) is kept and reported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ...errors import InputError, UsageError
from ...map.identifiers import arxiv_from_doi, normalize_arxiv, normalize_doi
from ...map.lexical import date_precision, is_duration, is_negative_duration
from ...map.model import Bundle, Citation, SourceInfo, Work
from ..http import Api, HttpClient, Progress, path_segment, quiet, source_info
from ..readfile import decode_utf8, sha256_hex
from .payload import expect, loads

NAME = "opencitations"
API = Api(
    NAME,
    "https://api.opencitations.net",
    "KGTOOL_OPENCITATIONS_URL",
    rate=3.0,
    key_env=("KGTOOL_OPENCITATIONS_TOKEN",),
    key_header="authorization",
)
PREFIX = "/index/v2"
FIELDS = ("oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc")
_INDEX_PREFIX = re.compile(r"^\s*[\w-]+\s*=>\s*")
#: An OCI, with or without its prefix (also used by the convert engines, as SQL).
OCI = re.compile(r"^(?:oci:)?(\d+-\d+)$", re.IGNORECASE)


def _value(raw: Any, source: str, where: str) -> str:
    """A field's text: strings only; an '[index] => ' prefix and further '; ' values dropped."""
    if raw is None:
        return ""
    expect(raw, str, source, where)
    return _INDEX_PREFIX.sub("", raw.split("; ")[0]).strip()


def parse_ids(value: str, source: str, where: str) -> Work:
    """'omid:br/061 doi:10.1/x pmid:1 arxiv:2101.00001v2' or a bare DOI -> the Work they name.

    The first DOI and the first arXiv id (without version; else the one inside a 10.48550 DOI)
    identify the work; every other identifier (OMIDs, PMIDs, further DOIs and arXiv ids) is kept,
    in order, as an extra identifier.
    """
    dois: list[str] = []
    arxivs: list[str] = []
    extra: list[tuple[str, str]] = []
    for token in value.split():
        scheme, sep, ident = token.partition(":")
        if not sep or "/" in scheme:  # a bare DOI (COCI), or a DOI URL
            scheme, ident = "doi", token
        scheme = scheme.lower()
        if scheme == "doi":
            d = normalize_doi(ident)
            if d is None:
                raise InputError(f"field '{where}' has a malformed DOI {ident!r}", source=source)
            dois.append(d)
        elif scheme == "arxiv":
            a = normalize_arxiv(ident)
            if a is None:
                raise InputError(f"field '{where}' has a malformed arXiv id {ident!r}", source=source)
            arxivs.append(a)
        elif ident and scheme.isalnum():
            extra.append((scheme, ident))
        else:
            raise InputError(f"field '{where}' has {token!r}, not an identifier (scheme:value or a DOI)",
                             source=source)
    if not dois and not arxivs and not extra:
        raise InputError(f"field '{where}' names no identifier: {value!r}", source=source)
    dois = list(dict.fromkeys(dois))
    doi = dois[0] if dois else None
    arxivs = list(dict.fromkeys(arxivs))
    arxiv = arxivs[0] if arxivs else (arxiv_from_doi(doi) if doi else None)
    extra += [("doi", d) for d in dois[1:]] + [("arxiv", a) for a in arxivs if a != arxiv]
    return Work(doi=doi, arxiv=arxiv, extra_ids=tuple(dict.fromkeys(extra)))


#: The self-citation flags' spellings: API 'yes'/'no', some dumps 'true'/'false' or '1'/'0'.
FLAGS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "": False}


def parse_flag(value: str, source: str, where: str) -> bool:
    try:
        return FLAGS[value.strip().lower()]
    except KeyError:
        raise InputError(f"field '{where}' should be 'yes' or 'no', got {value!r}", source=source) from None


def parse_oci(value: str, source: str, where: str) -> str | None:
    """'oci:061-062' or '061-062' -> '061-062'; '' -> None."""
    if not value:
        return None
    m = OCI.match(value)
    if m is None:
        raise InputError(f"field '{where}' is not an OCI: {value!r}", source=source)
    return m.group(1)


def parse_creation(value: str, source: str, where: str) -> str | None:
    if value and date_precision(value) is None:
        raise InputError(f"field '{where}' should be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}", source=source)
    return value or None


def parse_timespan(value: str, source: str, where: str) -> str | None:
    if value and not is_duration(value):
        raise InputError(f"field '{where}' is not an xsd:duration (like P2Y9M), got {value!r}", source=source)
    return value or None


def parse_row(row: Any, source: str, where: str) -> tuple[Citation, list[str]]:
    """One citation record (a JSON object or a CSV row as a dict) -> Citation, notes."""
    expect(row, dict, source, where.rstrip(".") or "(row)")
    get = {f: _value(row.get(f), source, f"{where}{f}") for f in FIELDS[1:]}
    oci = parse_oci(_value(row.get("oci", row.get("id")), source, f"{where}oci"), source, f"{where}oci")
    for f in ("citing", "cited"):
        if not get[f]:
            raise InputError(f"field '{where}{f}' is missing", source=source)
    creation = parse_creation(get["creation"], source, f"{where}creation")
    timespan = parse_timespan(get["timespan"], source, f"{where}timespan")
    notes = []
    if timespan and is_negative_duration(timespan):
        notes.append(
            f"{source}: citation {oci or where.rstrip('.')} has a negative time span {timespan} "
            "(the citing work is dated before the cited one); kept"
        )
    c = Citation(
        citing=parse_ids(get["citing"], source, f"{where}citing"),
        cited=parse_ids(get["cited"], source, f"{where}cited"),
        creation=creation,
        timespan=timespan,
        author_self=parse_flag(get["author_sc"], source, f"{where}author_sc"),
        journal_self=parse_flag(get["journal_sc"], source, f"{where}journal_sc"),
        oci=oci,
        label_source=NAME,
    )
    return c, notes


def parse_rows(rows: Iterable[Any], source: str, where: str = "[{}].") -> tuple[list[Citation], list[str]]:
    cites, notes = [], []
    for i, row in enumerate(rows):
        c, n = parse_row(row, source, where.format(i))
        cites.append(c)
        notes += n
    return cites, notes


def parse_json(payload: Any, source: str) -> tuple[list[Citation], list[str]]:
    """A REST API answer (a JSON list of citation objects)."""
    return parse_rows(expect(payload, list, source, "(response)"), source)


def csv_header(header: list[str] | None, source: str) -> list[str]:
    """The stripped column names of an OpenCitations CSV header; InputError without citing/cited."""
    names = [h.strip().lower() for h in header or []]
    missing = [f for f in ("citing", "cited") if f not in names]
    if missing:
        raise InputError(f"the CSV header lacks {', '.join(missing)} (it has: {', '.join(names) or 'nothing'})",
                         source=source, line=1)
    return names


def iter_csv(text: IO[str], source: str) -> Iterator[tuple[Citation, list[str]]]:
    """Stream the citations (and notes) of a CSV with a header: an API answer or a dump."""
    reader = csv.reader(text)
    try:
        names = csv_header(next(reader, None), source)
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) != len(names):
                raise InputError(f"expected {len(names)} fields, found {len(row)}", source=source, line=line)
            yield parse_row(dict(zip(names, row)), f"{source}:{line}", "")
    except csv.Error as e:
        raise InputError(f"bad CSV: {e}", source=source, line=reader.line_num) from None


def parse_csv(text: str, source: str) -> tuple[list[Citation], list[str]]:
    """CSV with a header (oci or id, citing, cited, creation, timespan, journal_sc, author_sc)."""
    cites, notes = [], []
    for c, n in iter_csv(io.StringIO(text, newline=""), source):
        cites.append(c)
        notes += n
    return cites, notes


def looks_like_csv(head: bytes) -> bool:
    """True when the first line of a (decompressed) file is an OpenCitations CSV header."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    names = [n.strip().strip('"') for n in first.split(",")]
    return "citing" in names and "cited" in names


def _bundle(src: SourceInfo, cites: list[Citation], notes: list[str]) -> Bundle:
    works = tuple(w for c in cites for w in (c.citing, c.cited))
    return Bundle(source=src, works=works, citations=tuple(cites), notes=tuple(notes))


def _api_id(identifier: str) -> str:
    v = identifier.strip()
    scheme, _, rest = v.partition(":")
    if scheme.lower() in ("omid", "pmid") and rest:
        return f"{scheme.lower()}:{rest}"
    doi = normalize_doi(v)
    if doi:
        return f"doi:{doi}"
    raise UsageError(f"not a DOI, omid:br/... or pmid:... identifier: {identifier!r}")


def fetch(
    client: HttpClient,
    identifier: str,
    *,
    citations: bool = False,
    references: bool = False,
    limit: int | None = None,
    progress: Progress = quiet,
) -> Bundle:
    """The citations to (--citations) and/or from (--references) a work; or one citation by OCI."""
    m = OCI.match(identifier.strip())
    if m and identifier.strip().lower().startswith("oci:"):
        r = client.get_json(API, f"{PREFIX}/citation/{m.group(1)}")
        cites, notes = parse_json(r.data, r.url)
        return _bundle(source_info([r]), cites, notes)
    if not (citations or references):
        raise UsageError("OpenCitations holds citation data only: give --citations and/or --references (or an oci:...)")
    ident = _api_id(identifier)
    responses, cites, notes = [], [], []
    for op, wanted in (("citations", citations), ("references", references)):
        if wanted:
            r = client.get_json(API, f"{PREFIX}/{op}/{path_segment(ident)}")
            c, n = parse_json(r.data, r.url)
            c = c[:limit] if limit else c
            responses.append(r)
            cites += c
            notes += n
            progress(f"opencitations: {len(c)} {op} of {ident}")
    return _bundle(source_info(responses), cites, notes)


def read_saved(data: bytes, name: str) -> Bundle:
    """A saved API answer (JSON) or CSV (API answer or dump), told apart by the first character."""
    text_ = decode_utf8(name, data)
    src_type = "application/json" if text_.lstrip().startswith("[") else "text/csv"
    src = SourceInfo(name=name, sha256=sha256_hex(data), media_type=src_type)
    if src_type == "application/json":
        return _bundle(src, *parse_json(loads(text_, name), name))
    return _bundle(src, *parse_csv(text_, name))
