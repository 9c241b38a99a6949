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


def normalize_title(title: str) -> str:
    """Fold a title to a comparison key: no accents, case, LaTeX commands or punctuation."""
    t = unicodedata.normalize("NFKD", title)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = _LATEX_CMD.sub(" ", t).casefold()
    return _NON_WORD.sub(" ", t).strip()


def title_hash(title: str) -> str:
    """A short stable hash of the normalized title (64 bits, hex)."""
    return hashlib.sha256(normalize_title(title).encode("utf-8")).hexdigest()[:16]


def work_key(
    doi: str | None,
    arxiv: str | None,
    title: str | None,
    extra_ids: tuple[tuple[str, str], ...] = (),
) -> tuple[str, str]:
    """The (scheme, value) a work is known by: DOI, else arXiv id, else its title hash.

    A work that has none of these (a citation dump names it only by, e.g., an OpenCitations
    OMID or an OpenAlex id) is known by its first other identifier.
    """
    if doi:
        return ("doi", doi)
    if arxiv:
        return ("arxiv", arxiv)
    if title and normalize_title(title):
        return ("title", title_hash(title))
    for scheme, value in extra_ids:
        if scheme and value:
            return (scheme, value)
    raise ValueError("a work needs a DOI, an arXiv id, a title or another identifier")
