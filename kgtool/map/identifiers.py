"""Normalize identifiers so that the same work from any source gets the same key."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV_PREFIX = re.compile(r"^(?:https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)", re.IGNORECASE)
_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)
_ARXIV_OLD = re.compile(r"^([a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\s*")


def normalize_doi(value: str) -> str | None:
    """Return the DOI lower-cased without resolver prefixes, or None if it is not a DOI."""
    v = _DOI_PREFIX.sub("", value.strip()).strip()
    v = v.lower()
    return v if _DOI_SHAPE.match(v) else None


def normalize_arxiv(value: str) -> str | None:
    """Return the arXiv id without prefix or version (old-style ids keep their archive)."""
    v = _ARXIV_PREFIX.sub("", value.strip()).strip()
    m = _ARXIV_NEW.match(v)
    if m:
        return m.group(1)
    m = _ARXIV_OLD.match(v)
    return m.group(1).lower() if m else None


def arxiv_from_doi(doi: str) -> str | None:
    """The arXiv id inside an arXiv DataCite DOI (10.48550/arXiv.2504.01805), else None."""
    m = _ARXIV_DOI.match(doi.lower())
    return normalize_arxiv(m.group(1)) if m else None


def normalize_orcid(value: str) -> str | None:
    """'https://orcid.org/0000-0003-1613-5981' -> '0000-0003-1613-5981'; None if not an ORCID iD."""
    m = _ORCID.match(value.strip())
    return m.group(1).upper() if m else None


def normalize_title(title: str) -> str:
    """Fold a title to a comparison key: no accents, case, LaTeX commands or punctuation."""
    t = unicodedata.normalize("NFKD", title)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = _LATEX_CMD.sub(" ", t).casefold()
    return _NON_WORD.sub(" ", t).strip()


def title_hash(title: str) -> str:
    """A short stable hash of the normalized title (64 bits, hex)."""
    return hashlib.sha256(normalize_title(title).encode("utf-8")).hexdigest()[:16]


#: The scheme of the local key of a reference known by neither identifier nor title.
REFERENCE_SCHEME = "ref"


def reference_key(anchor: tuple[str, str], local: str) -> tuple[str, str]:
    """The key of a reference that has no identifier and no title: 20 hex digits of the SHA-256
    of '<scheme>:<value> <local>', where (scheme, value) is the work_key of the work whose list
    holds the reference and ``local`` is the reference's key in that list (Crossref's ``key``)
    or '#<position>' (1-based). Its IRI is then <base>work/ref/<hash>."""
    text = f"{anchor[0]}:{anchor[1]} {local}".encode()
    return (REFERENCE_SCHEME, hashlib.sha256(text).hexdigest()[:20])


def work_key(
    doi: str | None,
    arxiv: str | None,
    title: str | None,
    extra_ids: tuple[tuple[str, str], ...] = (),
) -> tuple[str, str]:
    """The (scheme, value) a work is known by: DOI, else arXiv id, else its first other
    identifier (e.g. ("openalex", "W2741809807"): two records that share only a title, such as
    two papers called "Editorial", stay two works), else the hash of its title."""
    if doi:
        return ("doi", doi)
    if arxiv:
        return ("arxiv", arxiv)
    if extra_ids:
        return extra_ids[0]
    if title and normalize_title(title):
        return ("title", title_hash(title))
    raise ValueError("a work needs a DOI, an arXiv id, another identifier or a title")
