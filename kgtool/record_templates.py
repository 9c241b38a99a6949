"""The mapping's lines for one record, reused as a template for the next records of its shape.

Mapping a record (``mapping.citation_triples``, ``work_triples``) and formatting its lines costs
tens of µs in Python, and a dump has millions of records. Records of one dump mostly differ only
in the values that ``mapping.citation_terms`` / ``work_terms`` turn into terms (the works, the
citation node, dates, identifiers, titles), and for those the mapping yields the same lines apart
from those terms. So the first record of each *shape* (the values of every other field, and which
terms are absent) is mapped for real and its formatted lines are kept as format strings with the
terms as holes; filled with that record's own terms they must give back what the mapping gave.
The next record of the shape is mapped both ways and must come out the same, else the shape is
never templated. Every line still comes from the one mapping; a template is a cache of its
output, checked before it is trusted.
"""

from __future__ import annotations

import ast
import dataclasses
import operator
import string
from operator import itemgetter
from typing import Any, Callable, Iterable

from rdflib import URIRef
from rdflib.term import Node

from . import iris
from .dedupe import BucketRouter
from .errors import KgtoolError
from .mapping import (
    CITATION_TERM_FIELDS,
    WORK_TERM_FIELDS,
    CitationTerms,
    WorkTerms,
    citation_terms,
    citation_triples,
    work_terms,
    work_triples,
)
from .model import Citation, SourceInfo, Work
from .ntlines import NTLineEncoder, format_term
from .terms import _NEEDS_ESCAPE, escape_string

#: At most this many shapes are remembered per kind of record (records with free text outside
#: the terms, such as citation contexts or author names, make a shape each; those simply go
#: through the mapping every time).
MAX_SHAPES = 1024
#: How often a record of an already checked lean lane still goes the full way, as a check.
CHECK_EVERY = 4096

_UNSEEN = object()
_first = itemgetter(0)
Triple = tuple[Node, Node, Node]


Fill = Callable[..., str]


def fill_function(fmt: str) -> Fill:
    """``fmt.format`` (holes ``{0}``, ``{1}``, ...) as a compiled function: an f-string.

    str.format parses its format string on every call, which for a citation's 600 characters
    costs several times the copying; the f-string is parsed once. Other formats get str.format.
    """
    pieces: list[ast.expr] = []
    top = -1
    for literal, field, spec, conversion in string.Formatter().parse(fmt):
        if literal:
            pieces.append(ast.Constant(literal))
        if field is None:
            continue
        if not field.isdigit() or spec or conversion:
            return fmt.format
        top = max(top, int(field))
        pieces.append(ast.FormattedValue(ast.Name(f"a{int(field)}", ast.Load()), -1, None))
    params = ast.arguments(posonlyargs=[], args=[ast.arg(f"a{i}") for i in range(top + 1)], vararg=ast.arg("_"),
                           kwonlyargs=[], kw_defaults=[], defaults=[])
    tree = ast.fix_missing_locations(ast.Expression(ast.Lambda(params, ast.JoinedStr(pieces))))
    return eval(compile(tree, "<template>", "eval"))  # built from the tree above: no source text is parsed


@dataclasses.dataclass
class _Template:
    own: str | None  # the formatted own lines, with holes (line formats); None for Turtle
    own_lines: tuple[str, ...]  # the own N-Triples lines, with holes
    shared: tuple[tuple[str, str, int], ...]  # (subject, lines, count) per run of one subject
    verified: bool = False

    def __post_init__(self) -> None:
        self.fill_own: Fill | None = fill_function(self.own) if self.own is not None and self.own_lines else None
        self.fill_shared = tuple((fill_function(s), fill_function(lines), n) for s, lines, n in self.shared)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Templates:
    """Shape -> template for one mapping function, and the mapped/filled output of records.

    Own lines (``own_prefix`` subjects, or the subject ``also_own`` gives) are formatted with
    ``formatter`` and appended to ``out``; the other lines go to ``router`` by subject.
    """

    def __init__(self, triples: Callable[[Any, Any], Iterable[Triple]], texts: Callable[[Any, Any], list[str]],
                 encoder: NTLineEncoder, router: BucketRouter, formatter, own_prefix: str,
                 also_own: Callable[[Any], Node | None], enabled: bool):
        self.triples, self._texts, self.encoder, self.router = triples, texts, encoder, router
        self.formatter = formatter
        self.own_prefix, self.also_own, self.enabled = own_prefix, also_own, enabled
        self.line_format = not hasattr(formatter, "header")  # LineFormatter, not Turtle
        self._cache: dict[Any, _Template | None] = {}

    def add(self, record: Any, terms: Any, flat: tuple, key: Any, out: list[str]) -> int:
        """Output ``record``, whose terms are ``terms`` (``flat``: spread out, in the order
        ``texts`` gives their text); returns the number of own lines."""
        if not self.enabled:
            return self._mapped(record, terms, out, self.router.add)
        tpl = self._cache.get(key, _UNSEEN)
        if tpl is None:
            return self._mapped(record, terms, out, self.router.add)
        if tpl is _UNSEEN:
            n = self._mapped(record, terms, out, self.router.add)
            if len(self._cache) < MAX_SHAPES:
                tpl = self._build(record, terms, flat)
                if tpl is not None:  # else terms that coincide say nothing: try the next record
                    self._cache[key] = tpl
            return n
        if tpl.verified:
            return self._fill(tpl, self._texts(record, terms), out, self.router.add_block)
        # The second record of a shape: the template must give what the mapping gives.
        mine: list[str] = []
        theirs: list[str] = []
        n = self._mapped(record, terms, mine, theirs.append)
        ok = False
        if not _coincide(flat):
            filled: list[str] = []
            blocks: list[str] = []
            self._fill(tpl, self._texts(record, terms), filled, lambda s, text, k: blocks.append(text))
            ok = filled == mine and "".join(blocks) == "".join(theirs)
        if ok:
            tpl.verified = True
        else:
            self._cache[key] = None
        out.extend(mine)
        for line in theirs:
            self.router.add(line)
        return n

    def template(self, key: Any) -> _Template | None:
        """The checked template of a shape, if there is one."""
        tpl = self._cache.get(key)
        return tpl if tpl is not None and tpl.verified else None

    def fill(self, tpl: _Template, texts: list[str], out: list[str]) -> int:
        return self._fill(tpl, texts, out, self.router.add_block)

    def _mapped(self, record: Any, terms: Any, out: list[str], shared: Callable[[str], None]) -> int:
        block: list[str] = []
        self.encoder.split_lines(self.triples(record, terms), self.own_prefix, block, shared,
                                 self.also_own(terms))
        if not block:
            return 0
        out.append("".join(self.formatter.lines(block)) if self.line_format else self.formatter.block(block))
        return len(block)

    def _build(self, record: Any, terms: Any, flat: tuple) -> _Template | None:
        if _coincide(flat):
            return None
        holes = {id(t): "{%d}" % i for i, t in enumerate(flat) if t is not None}
        also = self.also_own(terms)
        also_text = self.encoder.term(also) if also is not None else None
        own: list[str] = []
        shared: list[tuple[str, str]] = []
        term = self.encoder.term
        for triple in self.triples(record, terms):
            s, p, o = (holes.get(id(t)) or _escape(term(t)) for t in triple)
            real_subject = term(triple[0])
            if real_subject == also_text or real_subject.startswith(self.own_prefix):
                own.append(f"{s} {p} {o} .\n")
            else:
                shared.append((s, f"{s} {p} {o} .\n"))
        runs: list[tuple[str, str, int]] = []
        for s, line in shared:
            if runs and runs[-1][0] == s:
                runs[-1] = (s, runs[-1][1] + line, runs[-1][2] + 1)
            else:
                runs.append((s, line, 1))
        formatted = "".join(self.formatter.lines(own)) if self.line_format else None
        tpl = _Template(formatted, tuple(own), tuple(runs))
        try:  # filled with this record's terms, the template must give back the mapping's output
            mine: list[str] = []
            blocks: list[str] = []
            self._fill(tpl, self._texts(record, terms), mine, lambda s, text, k: blocks.append(text))
            expected: list[str] = []
            expected_shared: list[str] = []
            self._mapped(record, terms, expected, expected_shared.append)
        except (IndexError, KeyError, ValueError):  # e.g. a brace the formatter added
            return None
        return tpl if mine == expected and "".join(blocks) == "".join(expected_shared) else None

    def _fill(self, tpl: _Template, texts: list[str], out: list[str],
              shared: Callable[[str, str, int], None]) -> int:
        if tpl.fill_own is not None:
            out.append(tpl.fill_own(*texts))
        elif tpl.own is None and tpl.own_lines:
            out.append(self.formatter.block([line.format(*texts) for line in tpl.own_lines]))
        for subject, lines, count in tpl.fill_shared:
            shared(subject(*texts), lines(*texts), count)
        return len(tpl.own_lines)


def _coincide(flat: tuple) -> bool:
    present = [t for t in flat if t is not None]
    return len(set(present)) != len(present)


def _shape_of(cls: type, term_fields: tuple[str, ...]) -> Callable[[Any], tuple]:
    names = [f.name for f in dataclasses.fields(cls) if f.name not in term_fields]
    get = operator.attrgetter(*names)
    return get if len(names) > 1 else (lambda r: (get(r),))


def _work_iri_text(w: Work, iri: URIRef) -> str:
    """The N-Triples text of a work's IRI, memoized on the Work (see iris.work_path)."""
    hit = w.__dict__.get("_kg_nt")
    if hit is not None and hit[0] is iri:
        return hit[1]
    text = format_term(iri)
    w.__dict__["_kg_nt"] = (iri, text)
    return text


class RecordLines:
    """Citations and works of a dump as formatted own lines and routed shared lines."""

    def __init__(self, sources: tuple[SourceInfo, ...], base: str, encoder: NTLineEncoder, router: BucketRouter,
                 formatter, own_prefix: str, cites_inline: bool, templates: bool = True):
        self.base = base
        self._citation_shape = _shape_of(Citation, CITATION_TERM_FIELDS)
        self._work_shape = _shape_of(Work, WORK_TERM_FIELDS + ("extra_ids",))
        cached = encoder.term  # typed literals (dates, spans, years) recur: cached by identity

        def citation_texts(c: Citation, t: CitationTerms) -> list[str]:
            """The text of each hole of a citation's template."""
            # In the order of CitationTerms (a template built on another order fails its check).
            return [_work_iri_text(c.citing, t.citing), _work_iri_text(c.cited, t.cited), format_term(t.node),
                    "" if t.creation is None else cached(t.creation),
                    "" if t.timespan is None else cached(t.timespan),
                    "" if t.oci is None else format_term(t.oci)]

        def work_texts(w: Work, t: WorkTerms) -> list[str]:
            texts = [_work_iri_text(w, t.iri)]
            texts += ["" if x is None else format_term(x) for x in t[1:6]]
            texts.append("" if t.year is None else cached(t.year))
            texts.append("" if t.venue is None else format_term(t.venue))
            texts += [format_term(x) for x in t.extra_ids]
            return texts

        self.citation_texts = citation_texts
        self._work_texts = work_texts
        self._router = router
        self._work_lanes: dict[tuple, tuple[Fill, int]] = {}  # work shape -> (its lines, filled; count)
        self._lean_lanes: dict[tuple, tuple[Fill, int]] = {}  # the same, keyed by fields (see work())
        self._lean_countdown = 0
        self._citations = _Templates(
            lambda c, t: citation_triples(c, sources, base, t), citation_texts, encoder, router, formatter,
            own_prefix, (lambda t: t.citing) if cites_inline else (lambda t: None), templates)
        # A work's lines never start with the citation prefix: all of them are shared.
        self._works = _Templates(lambda w, t: work_triples(w, sources, base, t), work_texts, encoder, router,
                                 formatter, "\x00", lambda t: None, templates)

    def _citation_key(self, c: Citation, t: CitationTerms) -> tuple:
        return (self._citation_shape(c), t.creation is None, t.timespan is None, t.oci is None)

    def citation(self, c: Citation, out: list[str]) -> int:
        """Append ``c``'s own lines to ``out`` (formatted); returns how many."""
        t = citation_terms(c, self.base)
        return self._citations.add(c, t, t, self._citation_key(c, t), out)

    def citation_template(self, c: Citation) -> tuple[_Template | None, list[str]]:
        """The checked template for citations of ``c``'s shape (None if there is none yet), and
        ``c``'s texts for its holes."""
        t = citation_terms(c, self.base)
        tpl = self._citations.template(self._citation_key(c, t))
        return tpl, self.citation_texts(c, t)

    def fill_citation(self, tpl: _Template, texts: list[str], out: list[str]) -> int:
        """A citation's own lines from a template of citation_template() and its texts."""
        return self._citations.fill(tpl, texts, out)

    def work(self, w: Work) -> None:
        """Route ``w``'s lines to the dedupe buckets."""
        key = self._lean_key(w)
        if key is not None:
            # The lean lane: the hole texts straight from the fields, without the terms. Checked
            # against the full way on the first use of each shape and every CHECK_EVERY-th work.
            lane = self._lean_lanes.get(key)
            self._lean_countdown -= 1
            if lane is not None and self._lean_countdown > 0:
                texts = self.lean_texts(w)
                self._router.add_block(texts[0], lane[0](*texts), lane[1])
                return
            self._lean_countdown = CHECK_EVERY
            lane = self._full_work(w)
            if lane is not None:
                if self.lean_texts(w) != lane[2]:
                    raise KgtoolError(f"internal error: the lean lane for works disagrees with the mapping on {w!r}")
                self._lean_lanes[key] = lane[:2]
            return
        self._full_work(w)

    @staticmethod
    def _lean_key(w: Work) -> tuple | None:
        if w.year is None and not (w.authors or w.urls or w.code_urls):
            return (tuple(map(_first, w.extra_ids)), not w.title, not w.abstract, not w.summary, not w.doi,
                    not w.arxiv, not w.venue)
        return None

    def lean_lane(self, w: Work) -> tuple[Fill, int] | None:
        """The checked template of the lines of works of ``w``'s lean shape, as a function of
        the texts of its holes (``lean_texts``), and how many lines it makes; None while there is none."""
        key = self._lean_key(w)
        return None if key is None else self._lean_lanes.get(key)

    def lean_texts(self, w: Work) -> list[str]:
        """The texts of the holes of a lean work's template."""
        q = plain_text
        texts = [_work_iri_text(w, iris.work_iri(w, self.base)), q(w.title) if w.title else "",
                 q(w.abstract) if w.abstract else "", q(w.summary) if w.summary else "",
                 q(w.doi) if w.doi else "", q(w.arxiv) if w.arxiv else "", "", q(w.venue) if w.venue else ""]
        texts += [q(f"{scheme}:{value}") for scheme, value in w.extra_ids]
        return texts

    def _full_work(self, w: Work) -> tuple[str, int, list[str]] | None:
        """The work through its terms; its checked one-subject template and texts, if any."""
        t = work_terms(w, self.base)
        key = (self._work_shape(w), tuple(map(_first, w.extra_ids)), t[1] is None, t[2] is None, t[3] is None,
               t[4] is None, t[5] is None, t[6] is None, t[7] is None)
        lane = self._work_lanes.get(key)
        if lane is not None:  # a checked template of one subject's lines
            texts = self._work_texts(w, t)
            self._router.add_block(texts[0], lane[0](*texts), lane[1])
            return (*lane, texts)
        self._works.add(w, t, t[:8] + t[8], key, _NO_OWN)
        tpl = self._works.template(key)
        if tpl is not None and not tpl.own_lines and len(tpl.shared) == 1 and tpl.shared[0][0] == "{0}":
            self._work_lanes[key] = tpl.fill_shared[0][1:]
        return None


def plain_text(value: str) -> str:
    """The N-Triples text of a plain literal (as format_term(Literal(value)))."""
    return f'"{escape_string(value)}"' if _NEEDS_ESCAPE.search(value) else f'"{value}"'


class _NoOwn(list):
    def append(self, item: str) -> None:  # pragma: no cover - a work has no own lines
        raise AssertionError("a work's lines are never a citation's own")


_NO_OWN = _NoOwn()
