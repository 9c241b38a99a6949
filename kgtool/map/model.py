"""Plain records that every source produces and the mapping consumes (no RDF here)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Person:
    """An author as a source names them."""

    name: str
    orcid: str | None = None


@dataclass(frozen=True)
class Work:
    """A scholarly work. Identifiers are stored normalized (see identifiers.py).

    ``extra_ids`` holds (scheme, value) pairs such as ("openalex", "W2741809807").
    A reference that names no identifier and no title is kept as a work with its
    ``citation_text`` and the local key ("ref", hash) (see identifiers.reference_key).
    """

    title: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    extra_ids: tuple[tuple[str, str], ...] = ()
    abstract: str | None = None
    summary: str | None = None
    year: int | None = None
    authors: tuple[Person, ...] = ()
    venue: str | None = None
    urls: tuple[str, ...] = ()
    code_urls: tuple[str, ...] = ()
    citation_text: str | None = None  # the reference as the source wrote it


@dataclass(frozen=True)
class RoleLabel:
    """One citation-function label put on a citation, and who said so."""

    role: str  # a key of vocab.ROLES
    source: str  # e.g. "semanticscholar"


@dataclass(frozen=True)
class Citation:
    """``citing`` cites ``cited``; both are Works (possibly known only by identifier)."""

    citing: Work
    cited: Work
    roles: tuple[RoleLabel, ...] = ()
    contexts: tuple[str, ...] = ()
    influential: bool | None = None
    representative: bool = False
    position: int | None = None  # order on the source page, 1-based
    creation: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    timespan: str | None = None  # xsd:duration lexical form, may be negative
    author_self: bool = False
    journal_self: bool = False
    oci: str | None = None
    label_source: str | None = None  # who supplied the citation-level facts


@dataclass(frozen=True)
class Share:
    """One row of a distribution: a label with its share in [0, 1] and/or a count."""

    label: str
    share: Decimal | None = None
    count: int | None = None


@dataclass(frozen=True)
class Reception:
    """How a hub work is cited, in aggregate."""

    work: Work
    polarity: str | None = None  # a key of vocab.POLARITIES
    top_role: str | None = None  # a key of vocab.ROLES
    top_role_share: Decimal | None = None
    roles: tuple[Share, ...] = ()
    polarities: tuple[Share, ...] = ()


@dataclass(frozen=True)
class TitleMatch:
    """A work known only by title, matched to a record of a scholarly API.

    ``work`` carries the queried title and what the API record adds (identifiers, year,
    authors, venue); ``score`` is the similarity of the normalized titles, in [0, 1].
    """

    work: Work
    source: str  # the API, e.g. "openalex"
    score: Decimal
    matched_title: str


@dataclass(frozen=True)
class SourceInfo:
    """Where records came from: recorded with PROV on every entity derived from it."""

    name: str  # file name or URL, no secrets
    sha256: str
    media_type: str = "text/plain"


@dataclass(frozen=True)
class Bundle:
    """Everything one source read yields."""

    source: SourceInfo
    works: tuple[Work, ...] = ()
    citations: tuple[Citation, ...] = ()
    receptions: tuple[Reception, ...] = ()
    notes: tuple[str, ...] = ()  # things the reader worked around, for the user to see
    matches: tuple[TitleMatch, ...] = ()
