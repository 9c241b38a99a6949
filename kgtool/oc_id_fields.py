"""The first sight of an OpenCitations id field: its work's path and lines from the field's text.

A dump of N citations names most works only a few times, so a worker meets a new id field
(``omid:br/061 doi:10.1/x pmid:9``) about every other row. The full way (``parse_ids``, a Work,
``RecordLines.work``, ``iris.work_path``) costs some 30 µs a field; this costs a fraction.

A field's *shape* is its run of scheme prefixes (``omid doi pmid``). Once the full way has
mapped a field of a shape, the shape's lane knows which token becomes the DOI, which become the
extra ids (in order) and which names the work's path, and it fills RecordLines' checked template
of a lean work's lines (``RecordLines.lean_lane``) with texts made from the tokens. A token the
lane cannot vouch for (a DOI that needs normalizing, an empty value) sends the field the full
way. The first field of each shape and every ``CHECK_EVERY``-th one go the full way too, and
there the lane's path and texts must equal the full way's, or the run stops with an internal
error rather than write different lines.

While mapping chunks, a lane gives only the work's path; the work's lines are deferred: a
stand-in holding the field goes to the work's dedupe bucket (dedupe.DEFERRED), and ``expand``
makes the lines when the bucket is drained. Both workers meet most works, many several times,
and the stand-ins are deduplicated first, so each work's lines are made once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import iris
from .dedupe import DEFERRED, BucketRouter
from .errors import KgtoolError
from .identifiers import _DOI_SHAPE, work_key
from .iris import key_segment
from .ntlines import format_term
from .record_templates import Fill, RecordLines, plain_text
from .sources.oc_csv_stream import parse_ids

#: How often the first sight of a field whose shape has a lane still goes the full way, as a check.
CHECK_EVERY = 4096
#: At most this many field shapes get a lane (a dump has a handful).
MAX_LANES = 256


@dataclass(frozen=True)
class _Lane:
    skips: tuple[int, ...]  # per token: the characters before its value ("doi:"; 0 for a bare DOI)
    doi: int  # the DOI's token, or -1
    extras: tuple[tuple[int, str], ...]  # (token, lower-cased scheme) of each extra id, in order
    key: int  # the token whose value names the work
    key_prefix: str  # its path's start (iris.key_prefix)
    lines: Fill  # fills the work's lines with holes (RecordLines.lean_lane)
    count: int


def _shape(tokens: list[str]) -> tuple[str, ...]:
    # As parse_ids reads a token: a bare DOI first, else the part before the first colon.
    return tuple(["10." if t.startswith("10.") else t.partition(":")[0] for t in tokens])


class _Collected:
    """A router that keeps the lines it is given (the work lines ``expand`` makes the full way)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, line: str) -> None:
        self.parts.append(line)

    def add_block(self, subject: str, text: str, lines: int) -> None:
        self.parts.append(text)


class IdFieldWorks:
    """Routes the lines of the works that id fields name; one per worker process."""

    def __init__(self, records: RecordLines, router: BucketRouter | _Collected, base: str,
                 make_records: Callable[[_Collected], RecordLines]):
        """``make_records(router)``: a RecordLines like ``records`` routing to ``router`` (for expand)."""
        self.records, self.router, self.base = records, router, base
        self._make_records = make_records
        self._iri_start = "<" + base
        self._lanes: dict[tuple[str, ...], _Lane | None] = {}
        self._countdown = 0
        self._expander: IdFieldWorks | None = None
        self._collected: _Collected | None = None

    def first_sight(self, field: str, column: str) -> str:
        """Route the lines of the work ``field`` names (in column ``column``), or their
        stand-in; the work's path."""
        tokens = field.split()
        shape = _shape(tokens)
        lane = self._lanes.get(shape)
        self._countdown -= 1
        if lane is not None and self._countdown > 0:
            path = self._path(lane, tokens)
            if path is not None:
                subject = f"{self._iri_start}{path}>"
                self.router.add_new(subject, f"{DEFERRED}{subject} {' '.join(tokens)}\n")
                return path
        self._countdown = CHECK_EVERY
        return self._full(field, column, tokens, shape, lane)

    def expand(self, deferred: list[str]) -> str:
        """The N-Triples lines of the works behind stand-ins that first_sight made."""
        if self._expander is None:  # its own lanes and RecordLines, routing to a list
            self._collected = _Collected()
            self._expander = IdFieldWorks(self._make_records(self._collected), self._collected, self.base,
                                          self._make_records)
        make, collected = self._expander._lines, self._collected
        assert collected is not None
        for entry in deferred:
            subject, _, field = entry.partition(" ")
            make(subject[len(DEFERRED):], field)
        text = "".join(collected.parts)
        collected.parts.clear()
        return text

    def _lines(self, subject: str, field: str) -> None:
        tokens = field.split(" ")
        shape = _shape(tokens)
        lane = self._lanes.get(shape)
        self._countdown -= 1
        if lane is not None and self._countdown > 0:
            texts = self._texts(lane, tokens, subject)  # first_sight's lane made the subject
            if texts is not None:
                self.router.add_block(subject, lane.lines(*texts), lane.count)
                return
        self._countdown = CHECK_EVERY
        path = self._full(field, "id field", tokens, shape, lane)
        if f"{self._iri_start}{path}>" != subject:
            raise KgtoolError(f"internal error: the id field {field!r} was sent under {subject}; please report it")

    def _path(self, lane: _Lane, tokens: list[str]) -> str | None:
        """The work's path, if the lane vouches for every token (as _texts).

        It repeats _texts' checks rather than sharing a list of every token's value: this runs on
        each first sight, and slicing only the key and DOI tokens measured ~6% faster there.
        """
        skips = lane.skips
        value = tokens[lane.key][skips[lane.key]:]
        if lane.doi >= 0:
            low = tokens[lane.doi][skips[lane.doi]:].lower()
            if not _DOI_SHAPE.match(low):
                return None
            if lane.key == lane.doi:
                value = low
        for i, _ in lane.extras:
            if len(tokens[i]) == skips[i]:
                return None
        return lane.key_prefix + key_segment(value)  # iris.key_path

    def _fill(self, lane: _Lane, tokens: list[str]) -> tuple[str, list[str] | None] | None:
        """The work's path and the texts of its template's holes (as RecordLines.lean_texts)."""
        path = self._path(lane, tokens)
        return None if path is None else (path, self._texts(lane, tokens, f"{self._iri_start}{path}>"))

    def _texts(self, lane: _Lane, tokens: list[str], iri_text: str) -> list[str] | None:
        """The texts of the holes of a work's template, given its IRI's."""
        values = [t[k:] for t, k in zip(tokens, lane.skips)]
        doi_text = ""
        if lane.doi >= 0:
            low = values[lane.doi].lower()
            if not _DOI_SHAPE.match(low):  # parse_ids would normalize it: the full way
                return None
            doi_text = plain_text(low)
        extras = []
        for i, scheme in lane.extras:
            if not values[i]:  # parse_ids refuses it, naming the column
                return None
            extras.append(plain_text(f"{scheme}:{values[i]}"))
        return [iri_text, "", "", "", doi_text, "", "", "", *extras]

    def _full(self, field: str, column: str, tokens: list[str], shape: tuple[str, ...], lane: _Lane | None) -> str:
        w = parse_ids(field, column)
        self.records.work(w)
        path = iris.work_path(w)
        iri_text = format_term(iris.work_iri(w, self.base))
        if iri_text != f"{self._iri_start}{path}>":  # paths are percent-encoded, the base checked
            raise KgtoolError(f"internal error: the IRI of {field!r} is not written as its path says ({iri_text})")
        if lane is None and shape not in self._lanes:
            lane = self._learn(w, tokens, shape)
        if lane is not None:
            filled = self._fill(lane, tokens)
            if filled is not None and filled != (path, self.records.lean_texts(w)):
                raise KgtoolError(f"internal error: the id field lane disagrees with the mapping on {field!r} "
                                  f"({filled!r}); please report it")
        return path

    def _learn(self, w, tokens: list[str], shape: tuple[str, ...]) -> _Lane | None:
        lean = self.records.lean_lane(w)
        if lean is None:  # RecordLines has not checked a template for such works yet: next time
            return None
        lane = None
        schemes = ["doi" if s == "10." else s.lower() for s in shape]
        key_scheme, _ = work_key(w.doi, w.arxiv, w.title, w.extra_ids)
        # One token per scheme, no arXiv id (normalize_arxiv rewrites it): otherwise, always the full way.
        if len(set(schemes)) == len(schemes) and "arxiv" not in schemes and key_scheme in schemes:
            lane = _Lane(skips=tuple(0 if s == "10." else len(s) + 1 for s in shape),
                         doi=schemes.index("doi") if "doi" in schemes else -1,
                         extras=tuple((i, s) for i, s in enumerate(schemes) if s != "doi"),
                         key=schemes.index(key_scheme), key_prefix=iris.key_prefix(key_scheme), lines=lean[0],
                         count=lean[1])
        if len(self._lanes) < MAX_LANES:
            self._lanes[shape] = lane
        return lane
