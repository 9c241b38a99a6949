"""Line templates derived from the mapping, for engines that write a dump's lines in SQL.

The mapping (mapping.py) stays the only place that knows the ontology. Here it is run on marker
records: a citation whose terms are stand-ins (``<urn:kgtool:slot:citing>``, a literal whose text
is a slot's name between private-use characters) for every combination of the facts a dump row
may or may not have. Each distinct output line becomes a template: constant text with slots,
and the condition under which it appears (the facts that must all hold, found by comparing the
shapes; a line that no such conjunction explains is refused). Lines without any slot are the
same for every record (e.g. a PROV agent's label) and are written once.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rdflib import Literal, URIRef

from ..errors import KgtoolError
from ..serialize.ntlines import NTLineEncoder
from .mapping import CitationTerms, WorkTerms, citation_triples, oci_literal, work_triples
from .model import Citation, SourceInfo, Work

#: The facts of one citation row that decide which lines it has.
CITATION_FLAGS = ("author_self", "journal_self", "creation", "timespan", "oci")
#: Slots holding a whole N-Triples term: the engine fills them with term texts.
TERM_SLOTS = ("citing", "cited", "node", "creation", "timespan")
#: Slots holding a raw value inside a literal (the OCI, whose digits and '-' need no escaping).
RAW_SLOTS = ("oci",)

_SLOT = re.compile(r'<urn:kgtool:slot:(\w+)>|"\ue000(\w+)\ue001"|\ue002(\w+)\ue003')


def _iri(name: str) -> URIRef:
    return URIRef(f"urn:kgtool:slot:{name}")


def _term(name: str) -> Literal:
    return Literal(f"\ue000{name}\ue001")


def _raw(name: str) -> str:
    return f"\ue002{name}\ue003"


@dataclass(frozen=True)
class LineTemplate:
    """One output line: ``parts`` alternate constant text and slot names (odd positions), without
    the final ' .'; the line is written when every fact in ``when`` holds."""

    parts: tuple[str, ...]
    when: frozenset[str]

    def fill(self, values: dict[str, str]) -> str:
        return "".join(values[p] if i % 2 else p for i, p in enumerate(self.parts)) + " .\n"


@dataclass(frozen=True)
class CitationPlan:
    templates: tuple[LineTemplate, ...]
    constants: tuple[str, ...]  # N-Triples lines, written once


def _parts(line: str) -> tuple[str, ...]:
    parts: list[str] = []
    pos = 0
    for m in _SLOT.finditer(line):
        parts += [line[pos:m.start()], next(g for g in m.groups() if g)]
        pos = m.end()
    parts.append(line[pos:])
    return tuple(parts)


def marker_citation_lines(shape: frozenset[str], source: SourceInfo, base: str, label_source: str | None) -> list[str]:
    """The mapping's lines for a citation with the facts in ``shape``, its values as markers."""
    c = Citation(citing=Work(doi="10.0/citing"), cited=Work(doi="10.0/cited"),
                 author_self="author_self" in shape, journal_self="journal_self" in shape, label_source=label_source)
    terms = CitationTerms(
        citing=_iri("citing"), cited=_iri("cited"), node=_iri("node"),
        creation=_term("creation") if "creation" in shape else None,
        timespan=_term("timespan") if "timespan" in shape else None,
        oci=oci_literal(_raw("oci")) if "oci" in shape else None,
    )
    return NTLineEncoder().lines(citation_triples(c, (source,), base, terms))


def citation_plan(source: SourceInfo, base: str, label_source: str | None) -> CitationPlan:
    """The citation templates of one source's records (its PROV source and attribution fixed)."""
    shapes = [frozenset(f for f, on in zip(CITATION_FLAGS, bits) if on)
              for bits in itertools.product((False, True), repeat=len(CITATION_FLAGS))]
    return CitationPlan(*_templates(shapes, lambda s: marker_citation_lines(s, source, base, label_source)))


#: The facts of a work named only by identifiers (an id field of a citation row).
WORK_FLAGS = ("doi", "arxiv", "extra")


def marker_work_lines(shape: frozenset[str], source: SourceInfo, base: str) -> list[str]:
    """The mapping's lines for a work known by identifiers, its values as markers."""
    terms = WorkTerms(iri=_iri("work"), title=None, abstract=None, summary=None,
                      doi=_term("doi") if "doi" in shape else None,
                      arxiv=_term("arxiv") if "arxiv" in shape else None, year=None, venue=None,
                      extra_ids=(_term("extra"),) if "extra" in shape else ())
    return NTLineEncoder().lines(work_triples(Work(), (source,), base, terms))


def work_plan(source: SourceInfo, base: str) -> tuple[LineTemplate, ...]:
    """The templates of an identifier-only work; a template with the slot 'extra' is written once
    per extra identifier."""
    shapes = [frozenset(f for f, on in zip(WORK_FLAGS, bits) if on)
              for bits in itertools.product((False, True), repeat=len(WORK_FLAGS))]
    return _templates(shapes, lambda s: marker_work_lines(s, source, base))[0]


def _templates(shapes: list[frozenset[str]], make) -> tuple[tuple[LineTemplate, ...], tuple[str, ...]]:
    seen: dict[str, list[frozenset[str]]] = {}
    for shape in shapes:
        for line in make(shape):
            seen.setdefault(line, []).append(shape)
    templates, constants = [], []
    for line, present in seen.items():
        when = frozenset.intersection(*present)
        if {s for s in shapes if when <= s} != set(present):
            raise AssertionError(f"the mapping writes {line!r} under a condition templates cannot express")
        if not _SLOT.search(line):
            constants.append(line)
            continue
        assert line.endswith(" .\n")
        templates.append(LineTemplate(_parts(line[:-3]), when))
    return tuple(templates), tuple(constants)


# -- id fields the engine parses itself ------------------------------------------------------------

#: A token of an id field that the engine may read itself: 'scheme:value', the value in the
#: characters that the parser, the IRI's path segment and an N-Triples literal all keep as they are.
PLAIN_TOKEN = r"[A-Za-z0-9]+:[A-Za-z0-9_.~/-]+"
#: A field of such tokens, one space apart (anything else goes through the parser).
PLAIN_FIELD = rf"^{PLAIN_TOKEN}( {PLAIN_TOKEN})*$"
#: A DOI value kept as it is by identifiers.normalize_doi (lower case, the DOI shape) and not an
#: arXiv DataCite DOI (10.48550/...), whose arXiv id depends on the value.
PLAIN_DOI = r"^10\.[0-9]{4,9}/[a-z0-9_.~/-]+$"
ARXIV_DOI_PREFIX = "10.48550/"
_MARK = re.compile(r"10\.9999/zz(\d+)slotzz|zz(\d+)slotzz")


@dataclass(frozen=True)
class IdFieldPlan:
    """How the parser reads every plain id field whose schemes are ``schemes`` (as written):
    the work's path, IRI text, DOI, arXiv and extra identifiers' term texts, as parts alternating
    constant text and the (0-based) index of the token whose value goes there."""

    schemes: tuple[str, ...]
    path: tuple[str, ...]
    work: tuple[str, ...]
    doi: tuple[str, ...] | None
    arxiv: tuple[str, ...] | None
    extras: tuple[tuple[str, ...], ...]

    def doi_tokens(self) -> list[int]:
        """The tokens whose values must be plain DOIs (PLAIN_DOI, not ARXIV_DOI_PREFIX)."""
        return [i for i, s in enumerate(self.schemes) if s.lower() == "doi"]

    def fill(self, values: list[str]) -> tuple[str, str, str | None, str | None, list[str]]:
        """The plan applied to a field's values in Python (what the engine's SQL computes)."""
        def text(parts: tuple[str, ...]) -> str:
            return "".join(values[int(p)] if i % 2 else p for i, p in enumerate(parts))
        return (text(self.path), text(self.work), text(self.doi) if self.doi else None,
                text(self.arxiv) if self.arxiv else None, [text(x) for x in self.extras])


def id_field_plan(schemes: tuple[str, ...], read) -> IdFieldPlan | None:
    """The plan of plain fields with these schemes, found by reading a marker field with ``read``
    (field -> (path, IRI text, DOI, arXiv, extras) by the parser and the mapping); None where the
    result depends on the values, not only on the schemes (an arXiv id loses its version; a
    repeated scheme is deduplicated): such fields go through the parser."""
    lower = [s.lower() for s in schemes]
    if "arxiv" in lower or len(set(lower)) < len(lower):
        return None
    marker = " ".join(f"{s}:{'10.9999/' if s.lower() == 'doi' else ''}zz{i}slotzz" for i, s in enumerate(schemes))
    try:
        path, work, doi, arxiv, extras = read(marker)
    except (ValueError, KgtoolError):
        return None

    def parts(text: str) -> tuple[str, ...]:
        out: list[str] = []
        pos = 0
        for m in _MARK.finditer(text):
            out += [text[pos:m.start()], next(g for g in m.groups() if g)]
            pos = m.end()
        return (*out, text[pos:])

    return IdFieldPlan(tuple(schemes), parts(path), parts(work), parts(doi) if doi else None,
                       parts(arxiv) if arxiv else None, tuple(parts(x) for x in extras))
