"""Mint stable, deterministic IRIs for every entity, under a configurable base."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import quote

from rdflib import URIRef

from ..errors import UsageError
from .fastterms import minted_iri
from .identifiers import work_key
from .model import Work

DEFAULT_BASE = "https://w3id.org/kgtool/data/"


def check_base(base: str) -> str:
    """Validate a base IRI: absolute http(s) and ending in '/' or '#'."""
    if not (base.startswith("http://") or base.startswith("https://")) or any(
        c in base for c in ' <>"{}|\\^`'
    ):
        raise UsageError(f"--base must be an absolute http(s) IRI, got {base!r}")
    if not base.endswith(("/", "#")):
        base += "/"
    return base


# An absolute IRI: a scheme, then only characters IRIs may hold (RFC 3987 excludes these).
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f-\x9f]+$")


def parse_iri(value: str, what: str = "value") -> URIRef:
    """A user-given absolute IRI, validated (surrounding <> are allowed and dropped).

    Refuses anything that could end an IRI early in SPARQL or Turtle text.
    """
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        v = v[1:-1]
    if not _ABSOLUTE_IRI.match(v):
        raise UsageError(f"{what} must be an absolute IRI without spaces or any of <>\"{{}}|^`\\, got {value!r}")
    return URIRef(v)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~/-]*")


def key_segment(value: str) -> str:
    """A work key's value as the last part of its path."""
    # '/' stays (DOI suffixes and old arXiv ids nest); everything outside the unreserved
    # set is percent-encoded so that SICI-style DOIs ('<', '>', ';') are valid in every syntax.
    # A shortcut for the common all-unreserved value: dumps mint millions of IRIs.
    if _UNRESERVED.fullmatch(value):
        return value
    return quote(value, safe="/")


_segment = lru_cache(maxsize=1 << 14)(key_segment)


# A dump names the same Work object in many records (a citing work in each of its references,
# a popular cited work everywhere), so its path and IRI are memoized on the object itself, in
# its __dict__ (as functools.cached_property does; a frozen dataclass's fields, equality and hash
# are untouched). They live as long as the Work, with no cache to size or evict. Returning the
# same URIRef object also lets writers cache the IRI's text by identity.


def work_path(work: Work) -> str:
    """The path of a work below the base, e.g. 'work/doi/10.7554/elife.01567'."""
    memo = work.__dict__
    path = memo.get("_kg_path")
    if path is None:
        path = memo["_kg_path"] = key_path(*work_key(work.doi, work.arxiv, work.title, work.extra_ids))
    return path


def key_path(scheme: str, value: str) -> str:
    """The path of the work known by (scheme, value) (identifiers.work_key)."""
    return f"{key_prefix(scheme)}{_segment(value)}"


def key_prefix(scheme: str) -> str:
    """What the paths of works keyed by ``scheme`` start with (then key_segment of the value)."""
    return f"work/{quote_segment(scheme)}/"


def work_iri(work: Work, base: str = DEFAULT_BASE) -> URIRef:
    memo = work.__dict__
    hit = memo.get("_kg_iri")
    if hit is not None and hit[0] == base:
        return hit[1]
    iri = minted_iri(base + work_path(work))
    memo["_kg_iri"] = (base, iri)
    return iri


def citation_iri(citing: Work, cited: Work, base: str = DEFAULT_BASE) -> URIRef:
    """One IRI per (citing, cited) pair, whatever the source that reports it."""
    return citation_iri_of_paths(work_path(citing), work_path(cited), base)


def citation_iri_of_paths(citing_path: str, cited_path: str, base: str = DEFAULT_BASE) -> URIRef:
    """citation_iri, from the two works' paths (work_path)."""
    pair = f"{citing_path} {cited_path}".encode()
    return minted_iri(f"{base}citation/{hashlib.sha256(pair).hexdigest()[:20]}")


def citation_prefix(base: str = DEFAULT_BASE) -> str:
    """Every citation IRI (and the nodes minted below it) starts with this."""
    return f"{base}citation/"


def reception_iri(work: Work, base: str = DEFAULT_BASE) -> URIRef:
    return URIRef(f"{base}{work_path(work)}/reception")


def share_iri(reception: URIRef, kind: str, label: str) -> URIRef:
    return URIRef(f"{reception}/{kind}/{_segment(label)}")


@lru_cache(maxsize=256)
def source_iri(sha256: str, base: str = DEFAULT_BASE) -> URIRef:
    return URIRef(f"{base}source/sha256-{sha256}")


def person_iri(work: URIRef, position: int, orcid: str | None, base: str = DEFAULT_BASE) -> URIRef:
    """An author: by ORCID when known, else scoped to the work (names are not identities)."""
    if orcid:
        return URIRef(f"{base}person/orcid/{_segment(orcid)}")
    return URIRef(f"{work}/author/{position}")


@lru_cache(maxsize=1 << 12)
def quote_segment(value: str) -> str:
    """Percent-encode one path segment (no '/')."""
    return quote(value, safe="")


_IRI_FORBIDDEN = set(' <>"{}|\\^`')


def safe_iri(url: str) -> URIRef:
    """An external URL as an IRI, percent-encoding characters IRIs may not hold."""
    out = "".join(
        quote(ch, safe="") if ch in _IRI_FORBIDDEN or ord(ch) < 0x21 else ch for ch in url
    )
    return URIRef(out)
