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
import json
import re
from typing import Any, Iterable

from ..errors import InputError, UsageError
from ..http import Api, HttpClient, Progress, path_segment, quiet, source_info
from ..identifiers import arxiv_from_doi, normalize_doi
from ..lexical import date_precision, is_duration, is_negative_duration
from ..model import Bundle, Citation, SourceInfo, Work
from ..readfile import decode_utf8, sha256_hex
from .payload import expect

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
_OCI = re.compile(r"^(?:oci:)?(\d+-\d+)$", re.IGNORECASE)


def _value(raw: Any, source: str, where: str) -> str:
    """A field's text: strings only; an '[index] => ' prefix and further '; ' values dropped."""
    if raw is None:
        return ""
    expect(raw, str, source, where)
    return _INDEX_PREFIX.sub("", raw.split("; ")[0]).strip()


def parse_ids(value: str, source: str, where: str) -> Work:
    """'omid:br/061 doi:10.1/x pmid:1' or a bare DOI -> Work known by those identifiers."""
    doi = normalize_doi(value) if " " not in value and ":" not in value.split("/")[0] else None
    if doi:
        return Work(doi=doi, arxiv=arxiv_from_doi(doi))
    dois: list[str] = []
    extra: list[tuple[str, str]] = []
    for token in value.split():
        scheme, _, ident = token.partition(":")
        scheme = scheme.lower()
        if scheme == "doi":
            d = normalize_doi(ident)
            if d is None:
                raise InputError(f"field '{where}' has a malformed DOI {ident!r}", source=source)
            dois.append(d)
        elif ident:
            extra.append((scheme, ident))
    if not dois and not extra:
        raise InputError(f"field '{where}' names no identifier: {value!r}", source=source)
    extra += [("doi", d) for d in dois[1:]]
    first = dois[0] if dois else None
    return Work(doi=first, arxiv=arxiv_from_doi(first) if first else None, extra_ids=tuple(dict.fromkeys(extra)))


def _flag(value: str, source: str, where: str) -> bool:
    v = value.lower()
    if v in ("yes", "true", "1"):
        return True
    if v in ("no", "false", "0", ""):
        return False
    raise InputError(f"field '{where}' should be 'yes' or 'no', got {value!r}", source=source)


def parse_row(row: Any, source: str, where: str) -> tuple[Citation, list[str]]:
    """One citation record (a JSON object or a CSV row as a dict) -> Citation, notes."""
    expect(row, dict, source, where.rstrip(".") or "(row)")
    get = {f: _value(row.get(f), source, f"{where}{f}") for f in FIELDS[1:]}
    oci_raw = _value(row.get("oci", row.get("id")), source, f"{where}oci")
    for f in ("citing", "cited"):
        if not get[f]:
            raise InputError(f"field '{where}{f}' is missing", source=source)
    oci = None
    if oci_raw:
        m = _OCI.match(oci_raw)
        if m is None:
            raise InputError(f"field '{where}oci' is not an OCI: {oci_raw!r}", source=source)
        oci = m.group(1)
    creation, timespan = get["creation"] or None, get["timespan"] or None
    if creation and date_precision(creation) is None:
        raise InputError(f"field '{where}creation' should be YYYY, YYYY-MM or YYYY-MM-DD, got {creation!r}", source=source)
    if timespan and not is_duration(timespan):
        raise InputError(f"field '{where}timespan' is not an xsd:duration (like P2Y9M), got {timespan!r}", source=source)
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
        author_self=_flag(get["author_sc"], source, f"{where}author_sc"),
        journal_self=_flag(get["journal_sc"], source, f"{where}journal_sc"),
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


def parse_csv(text: str, source: str) -> tuple[list[Citation], list[str]]:
    """CSV with a header (oci or id, citing, cited, creation, timespan, journal_sc, author_sc)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [f for f in ("citing", "cited") if f not in header]
    if missing:
        raise InputError(f"the CSV header lacks {', '.join(missing)} (it has: {', '.join(header) or 'nothing'})", source=source, line=1)
    cites, notes = [], []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputError("more fields than the header names", source=source, line=line)
        c, n = parse_row({k.strip(): v for k, v in row.items()}, f"{source}:{line}", "")
        cites.append(c)
        notes += n
    return cites, notes


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
    m = _OCI.match(identifier.strip())
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
        try:
            payload = json.loads(text_)
        except ValueError as e:
            raise InputError(f"not valid JSON ({e})", source=name) from None
        return _bundle(src, *parse_json(payload, name))
    return _bundle(src, *parse_csv(text_, name))
