"""Validate RDF of any size against SHACL shapes in bounded memory, with pySHACL's results.

The data is never loaded whole. It is partitioned by subject into bucket files, then each
bucket is validated alone, by worker processes:

1. partition: every triple goes to the bucket of its subject (rdf_lines.py canonicalizes it);
   rdfs:subClassOf triples are also kept aside (targets and sh:class follow the hierarchy).
2. focus: in each bucket, every node a shape targets is checked: sh:minCount/maxCount and
   sh:disjoint on its own triples; value-level constraints (sh:datatype, sh:pattern, sh:in,
   sh:or ...) by pySHACL's own components on the bucket's distinct values (cached). sh:class
   needs the value's types, which live in the value's bucket: a request is sent there. A
   sh:sparql constraint needs the focus node's neighbourhood: the nodes it links to are asked
   for their triples.
3. join: each bucket answers: class requests against its subjects' types (so a citation whose
   work node is absent anywhere is found, whichever buckets they fall in), neighbour triples.
4. sparql: each bucket with SPARQL focus nodes loads them and their neighbours into a small
   in-memory pyoxigraph store and runs the query there, for its focus nodes only.

Results are exactly pySHACL's (same focus, path, value, shape, component, severity, message;
tests/test_validate_scale.py checks this against pySHACL on graphs with planted violations of
every constraint of kgtool's shapes). Limits: SPARQL constraints see the focus node's triples
and those of the nodes it links to (one hop); shapes that need more raise UsageError (see
shacl_plan.py).
"""

from __future__ import annotations

import gc
import heapq
import logging
import re
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from . import leftovers
from .errors import InputError, UsageError
from .progress import ProgressMeter, Report as ProgressReport, quiet
from .rdf_lines import canonical_chunk, expand_inputs, file_kind, line_chunks, parsed_lines
from .shacl_plan import VALUE_COMPONENTS, Constraint, Plan, compile_plan
from .terms import TurtleTerms, escape_string, nt_term
from .validate import EXAMPLES_PER_GROUP, SEVERITIES, Report, Result, _path_text, _short
from .vocab import PREFIXES
from .workers import OrderedPool

RDF_TYPE = f"<{RDF.type}>"
SUBCLASS_OF = f"<{RDFS.subClassOf}>"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
#: A datatype namespace pyoxigraph does not know, so that it keeps typed literals as written.
_PRIVATE_DT = "urn:x-kgtool:xsd#"
# The closing quote of a literal typed in the XSD namespace (not xsd:string): a quote with an
# even number of backslashes before it (inside a string a quote is always escaped).
_XSD_LITERAL = re.compile(r'(?<!\\)((?:\\\\)*)"\^\^<http://www\.w3\.org/2001/XMLSchema#(?!string>)')
_CHUNK = 1 << 20
_PROJECTS_THIS = re.compile(r"^\s*SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?(?:\*|[^{]*?\?this\b)", re.IGNORECASE)

# (constraint key, focus, value or None, message, result path override or None) - N-Triples text
RawResult = tuple[int, str, "str | None", str, "str | None"]


def bucket_of(subject: str, fanout: int) -> int:
    return zlib.crc32(subject.encode("utf-8")) % fanout


def term_from_nt(text: str) -> Any:
    """An rdflib term from canonical N-Triples text (literals built as rdflib's parser builds them)."""
    if text.startswith("<"):
        return URIRef(text[1:-1])
    if text.startswith("_:"):
        return BNode(text[2:])
    end = text.rindex('"')
    body = _unescape_literal(text[1:end])
    suffix = text[end + 1:]
    if suffix.startswith("@"):
        return Literal(body, lang=suffix[1:])
    if suffix.startswith("^^<"):
        return Literal(body, datatype=URIRef(suffix[3:-1]))
    return Literal(body)


_ESC = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape_literal(body: str) -> str:
    if "\\" not in body:
        return body
    return _ESC.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                    else _ECHARS.get(m.group(3), m.group(3)), body)


def _drop_literal_warnings(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Failed to convert Literal lexical form")


class _QuietRdflib:
    """rdflib logs a traceback for every ill-typed literal it meets; the report names them anyway."""

    def __enter__(self):
        logging.getLogger("rdflib.term").addFilter(_drop_literal_warnings)
        return self

    def __exit__(self, *exc):
        logging.getLogger("rdflib.term").removeFilter(_drop_literal_warnings)


@dataclass
class Context:
    """What every bucket task needs besides its own files."""

    tmp: Path
    fanout: int
    superclasses: dict[str, frozenset[str]] = field(default_factory=dict)  # type -> itself + supertypes
    target_nodes: dict[str, list[str]] = field(default_factory=dict)  # node -> shapes targeting it
    has_sparql: bool = False
    sparql_predicates: frozenset[str] | None = frozenset()  # None: any predicate


class BucketValidator:
    """Worker-side state: the compiled shapes, and caches of term conversions and value checks."""

    def __init__(self, shapes_ttl: str):
        from pyshacl.pytypes import SHACLExecutor

        shapes = Graph().parse(data=shapes_ttl, format="turtle")
        self.plan: Plan = compile_plan(shapes)
        self.executor = SHACLExecutor()
        self.executor.advanced_mode = True
        self.datagraph = Graph()  # for pySHACL's wording of generic messages
        self._terms: dict[str, Any] = {}
        self._norm: dict[str, str] = {}
        self._value_results: dict[tuple[int, str], tuple[str, ...]] = {}
        self._messages: dict[tuple[int, str | None, str | None], str] = {}
        self._class_memo: dict[tuple[str, str], bool] = {}
        self._shape_messages: dict[int, str] = {}
        self._or_plans: dict[int, list | None] = {}

    # -- terms -------------------------------------------------------------------------------
    def term(self, text: str) -> Any:
        t = self._terms.get(text)
        if t is None:
            t = term_from_nt(text)
            if len(self._terms) > 1 << 18:
                self._terms.clear()
            self._terms[text] = t
        return t

    def normalize(self, text: str) -> str:
        """A typed literal as rdflib holds it once parsed ('01'^^xsd:integer is '1')."""
        if not text.startswith('"') or '"^^<' not in text:
            return text
        n = self._norm.get(text)
        if n is None:
            n = nt_term(term_from_nt(text))
            if len(self._norm) > 1 << 18:
                self._norm.clear()
            self._norm[text] = n
        return n

    def message(self, c: Constraint, focus: str, value: str | None) -> str:
        """The result message pySHACL gives: the shape's sh:message, else its generic one."""
        fixed = self._shape_messages.get(c.key)
        if fixed is None:
            msgs = sorted(str(m) for m in c.shape.message)
            fixed = self._shape_messages[c.key] = msgs[0] if msgs else ""
        if fixed:
            return fixed
        generic_key = (c.key, focus if c.kind in ("count", "disjoint") else None, value)
        m = self._messages.get(generic_key)
        if m is None:
            got = c.component.make_generic_messages(
                self.datagraph, self.term(focus), self.term(value) if value is not None else None)
            m = sorted(str(x) for x in got)[0] if got else ""
            if len(self._messages) > 1 << 16:
                self._messages.clear()
            self._messages[generic_key] = m
        return m

    # -- pass 1 ------------------------------------------------------------------------------
    def partition(self, name: str, first_line: int, data: bytes, fanout: int) -> tuple[list[bytes], list[str], int]:
        lines = canonical_chunk(data, name, first_line)
        return _partition_lines(lines, fanout)

    # -- pass 2 ------------------------------------------------------------------------------
    def focus(self, bucket: int, ctx: Context) -> dict:
        """Check the focus nodes of one bucket; ask other buckets what only they know."""
        nodes = self._load(ctx.tmp / f"triples-{bucket}.nt")
        for node in ctx.target_nodes:
            if bucket_of(node, ctx.fanout) == bucket:
                nodes.setdefault(node, {})
        fanout = ctx.fanout
        results: list[RawResult] = []
        class_asked: dict[tuple[str, int], None] = {}  # (value, constraint): asked once per bucket
        class_pending: list[str] = []  # value, constraint, focus: resolved once the answers are in
        nbr_asked: dict[str, None] = {}
        sparql_focus: list[str] = []
        pending: dict[int, list[tuple[str, str]]] = {}  # value constraint -> (focus, value)
        sparql_preds = ctx.sparql_predicates
        targeted = self.plan.targeted
        by_type = self._shapes_by_type(ctx)
        any_subjects_of = any(ts.subjects_of for ts in targeted)
        focus_count = 0
        message = self.message
        for s, preds in nodes.items():
            types = preds.get(RDF_TYPE)
            if types is None:
                shapes: Any = ()
            elif len(types) == 1:
                shapes = by_type(next(iter(types)))
            else:
                found = {id(x): x for t in types for x in by_type(t)}
                shapes = sorted(found.values(), key=targeted.index)
            if any_subjects_of or s in ctx.target_nodes:
                here = ctx.target_nodes.get(s, ())
                extra = [ts for ts in targeted if ts not in shapes and (
                    ts.shape.node in here or any(p in preds for p in ts.subjects_of))]
                if extra:
                    shapes = sorted(list(shapes) + extra, key=targeted.index)
            for ts in shapes:
                focus_count += 1
                for check in ts.checks:
                    if check.predicates is None:
                        values: Any = (s,)
                    elif len(check.predicates) == 1:
                        values = preds.get(check.predicates[0], ())
                    else:
                        values = dict.fromkeys(v for p in check.predicates for v in preds.get(p, ()))
                    for c in check.constraints:
                        kind = c.kind
                        if kind == "value":
                            if values:
                                pending.setdefault(c.key, []).extend((s, v) for v in values)
                        elif kind == "count":
                            n = len(values)
                            if (n < c.bound) if c.is_min else (n > c.bound):
                                results.append((c.key, s, None, message(c, s, None), None))
                        elif kind == "class":
                            for v in values:
                                if v[0] == '"':  # a literal is an instance of no class
                                    for _ in c.classes:
                                        results.append((c.key, s, v, message(c, s, v), None))
                                else:
                                    class_asked[(v, c.key)] = None
                                    class_pending.append(f"{v}\t{c.key}\t{s}\n")
                        elif kind == "disjoint":
                            for other in c.predicates:
                                others = preds.get(other, ())
                                for v in values:
                                    if v in others:
                                        results.append((c.key, s, v, message(c, s, v), None))
                        elif kind == "sparql":
                            sparql_focus.append(f"{c.key}\t{s}\n")
                            nbr_asked[s] = None
                            for p, vals in preds.items():
                                if sparql_preds is None or p in sparql_preds:
                                    for v in vals:
                                        if v[0] != '"':
                                            nbr_asked[v] = None
        results.extend(self._value_checks(pending))
        class_req: list[list[str]] = [[] for _ in range(fanout)]
        for v, key in class_asked:
            class_req[bucket_of(v, fanout)].append(f"{v}\t{key}\t{bucket}\n")
        nbr_req: list[list[str]] = [[] for _ in range(fanout)]
        for v in nbr_asked:
            nbr_req[bucket_of(v, fanout)].append(f"{v}\t{bucket}\n")
        if class_pending:
            (ctx.tmp / f"classpend-{bucket}.tsv").write_text("".join(class_pending), encoding="utf-8")
        if sparql_focus:
            (ctx.tmp / f"sparql-{bucket}.tsv").write_text("".join(sparql_focus), encoding="utf-8")
        self._write_join_view(ctx, bucket, nodes)
        return {
            "results": results,
            "class_requests": ["".join(r).encode("utf-8") for r in class_req],
            "neighbour_requests": ["".join(r).encode("utf-8") for r in nbr_req],
            "focus": focus_count,
        }

    def _shapes_by_type(self, ctx: Context) -> Callable[[str], tuple]:
        """type -> the shapes that target its instances (following rdfs:subClassOf)."""
        cache: dict[str, tuple] = {}
        targeted = self.plan.targeted
        supers = ctx.superclasses

        def get(t: str) -> tuple:
            got = cache.get(t)
            if got is None:
                classes = supers.get(t, (t,))
                got = cache[t] = tuple(ts for ts in targeted if not ts.classes.isdisjoint(classes))
            return got

        return get

    def _write_join_view(self, ctx: Context, bucket: int, nodes: dict) -> None:
        """What the join pass needs of this bucket: types, and the triples SPARQL constraints use."""
        preds = ctx.sparql_predicates
        out = []
        for s, po in nodes.items():
            for p, vals in po.items():
                if p == RDF_TYPE or (ctx.has_sparql and (preds is None or p in preds)):
                    out.extend(f"{s} {p} {o} .\n" for o in vals)
        (ctx.tmp / f"view-{bucket}.nt").write_text("".join(out), encoding="utf-8")

    def _load(self, path: Path) -> dict[str, dict[str, dict[str, None]]]:
        nodes: dict[str, dict[str, dict[str, None]]] = {}
        if not path.exists():
            return nodes
        norm = self.normalize
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
        for line in text.split("\n"):
            if not line:
                continue
            s, p, o = line[:-2].split(" ", 2)
            if o[0] == '"':
                o = norm(o)
            preds = nodes.get(s)
            if preds is None:
                nodes[s] = {p: {o: None}}
            else:
                vals = preds.get(p)
                if vals is None:
                    preds[p] = {o: None}
                else:
                    vals[o] = None
        return nodes

    def _value_checks(self, pending: dict[int, list[tuple[str, str]]]) -> list[RawResult]:
        out: list[RawResult] = []
        cache = self._value_results
        for key, pairs in pending.items():
            c = self.plan.constraints[key]
            todo = [v for v in dict.fromkeys(v for _, v in pairs) if (key, v) not in cache]
            failing = self._evaluate_values(c, todo) if todo else {}
            # Literals (dates, spans, flags) recur across buckets: remember their verdicts. IRIs
            # are nearly all distinct, and each bucket already checks each once.
            if len(cache) > 1 << 17:
                cache.clear()
            for v in todo:
                if v.startswith('"'):
                    cache[(key, v)] = failing.get(v, ())
            for s, v in pairs:
                msgs = failing.get(v)
                if msgs is None:
                    msgs = cache.get((key, v), ())
                for msg in msgs:
                    out.append((key, s, v, msg, None))
        return out

    def _evaluate_values(self, c: Constraint, values: list[str]) -> dict[str, tuple[str, ...]]:
        """Run pySHACL's component on distinct values; the failing ones with their messages."""
        if c.name == "NodeKindConstraintComponent" and len(values) > 3:
            # Its verdict and message depend on the kind of node only (IRI, blank node or
            # literal): ask pySHACL about one value of each kind, apply to the others.
            first: dict[str, str] = {}
            for v in values:
                first.setdefault(v[0], v)
            verdict = self._evaluate_values(c, list(first.values()))
            return {v: verdict[first[v[0]]] for v in values if first[v[0]] in verdict}
        if c.name == "OrConstraintComponent" and len(values) > 3:
            alternatives = self._or_alternatives(c)
            if alternatives is not None:
                # pySHACL validates each value against each alternative shape in turn (~0.3 ms
                # a value); instead, each alternative's components run once on all the values,
                # and only the values no alternative accepts go to sh:or itself (verdict, message).
                # A value refused by one shape is asked of the next (pySHACL's report of a
                # refusal is what costs); the shape that accepts most is asked first.
                rejected: set[str] = set()
                for shapes in alternatives:  # one sh:or list: some shape must accept the value
                    left = values
                    shapes.sort(key=lambda alt: -alt[0])
                    for alt in shapes:
                        refused: set[str] = set()
                        for sub in alt[1]:
                            refused.update(self._evaluate_values(sub, left))
                        alt[0] += len(left) - len(refused)
                        left = [v for v in left if v in refused]
                        if not left:
                            break
                    rejected.update(left)
                values = [v for v in values if v in rejected]
                if not values:
                    return {}
        terms = {}
        for v in values:
            terms[self.term(v)] = v
        dummy = URIRef("urn:x-kgtool:focus")
        _, reports = c.component.evaluate(self.executor, self.datagraph, {dummy: list(terms)}, [])
        failing: dict[str, list[str]] = {}
        for _desc, _node, triples in reports:
            value = None
            msgs = []
            for _s, p, o in triples:
                if p == SH.value:
                    value = o[1] if isinstance(o, tuple) else o
                elif p == SH.resultMessage:
                    msgs.append(str(o[1] if isinstance(o, tuple) else o))
            if value is None or value not in terms:
                continue
            failing.setdefault(terms[value], []).append(sorted(msgs)[0] if msgs else "")
        return {v: tuple(m) for v, m in failing.items()}

    def _or_alternatives(self, c: Constraint) -> list[list[list]] | None:
        """sh:or's lists of shapes, each shape as [values it accepted so far, its components],
        when every shape is a node shape of value components only (as pySHACL would run them on
        the value); else None."""
        if c.key in self._or_plans:
            return self._or_plans[c.key]
        from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP

        plan: list[list[list]] | None = []
        sg = c.shape.sg
        for or_c in c.component.or_list:
            shapes = []
            for node in dict.fromkeys(sg.graph.items(or_c)):
                alt = None if sg.is_filtered_out_shape(node) else c.shape.get_other_shape(node)
                if alt is None or alt.is_property_shape or alt.deactivated:
                    plan = None
                    break
                components = []
                for comp_cls in dict.fromkeys(CONSTRAINT_PARAMETERS_MAP[p] for p in sg.graph.predicates(node)
                                              if p in CONSTRAINT_PARAMETERS_MAP):
                    if comp_cls.constraint_name() not in VALUE_COMPONENTS:
                        plan = None
                        break
                    components.append(Constraint("value", comp_cls.constraint_name(), comp_cls(alt), alt))
                if plan is None:
                    break
                shapes.append([0, components])
            if plan is None or not shapes:
                plan = None
                break
            plan.append(shapes)
        self._or_plans[c.key] = plan
        return plan

    # -- pass 3 ------------------------------------------------------------------------------
    def join(self, bucket: int, ctx: Context) -> dict:
        """Answer the class requests about this bucket's nodes; send neighbours their triples."""
        class_path = ctx.tmp / f"class-{bucket}.tsv"
        nbr_path = ctx.tmp / f"nbrreq-{bucket}.tsv"
        failed: list[list[str]] = [[] for _ in range(ctx.fanout)]
        neighbours: list[list[str]] = [[] for _ in range(ctx.fanout)]
        links: list[list[str]] = [[] for _ in range(ctx.fanout)]
        types: dict[str, set[str]] = {}
        wanted: dict[str, set[int]] = {}
        if nbr_path.exists():
            for line in nbr_path.read_text(encoding="utf-8").splitlines():
                node, _, to = line.rpartition("\t")
                wanted.setdefault(node, set()).add(int(to))
        view = ctx.tmp / f"view-{bucket}.nt"
        sparql_preds = ctx.sparql_predicates
        if view.exists() and (wanted or class_path.exists()):
            for line in view.read_text(encoding="utf-8").split("\n"):
                if not line:
                    continue
                s, p, o = line[:-2].split(" ", 2)
                if p == RDF_TYPE:
                    types.setdefault(s, set()).add(o)
                targets = wanted.get(s)
                if targets and (sparql_preds is None or p in sparql_preds):
                    line += "\n"
                    if p == RDF_TYPE or o[0] == '"':
                        for b in targets:
                            neighbours[b].append(line)
                    else:
                        # A link between two nodes: kept for the buckets that asked for both
                        # ends, which the bucket of the object decides (join_links).
                        links[bucket_of(o, ctx.fanout)].append(f"{','.join(map(str, sorted(targets)))}\t{line}")
        if class_path.exists():
            supers = ctx.superclasses
            memo = self._class_memo
            for line in class_path.read_text(encoding="utf-8").splitlines():
                v, key, asker = line.split("\t")
                c = self.plan.constraints[int(key)]
                vtypes = types.get(v, ())
                missing = 0
                for cls in c.classes:
                    found = False
                    for t in vtypes:
                        hit = memo.get((t, cls))
                        if hit is None:
                            hit = memo[(t, cls)] = cls in supers.get(t, (t,))
                        if hit:
                            found = True
                            break
                    missing += not found
                if missing:
                    failed[int(asker)].append(f"{v}\t{key}\t{missing}\n")
        return {"failed": ["".join(x).encode("utf-8") for x in failed],
                "neighbours": ["".join(n).encode("utf-8") for n in neighbours],
                "links": ["".join(x).encode("utf-8") for x in links]}

    def class_results(self, bucket: int, ctx: Context) -> list[RawResult]:
        """Results for this bucket's focus nodes whose values failed a class check elsewhere."""
        failed_path = ctx.tmp / f"classfail-{bucket}.tsv"
        pend_path = ctx.tmp / f"classpend-{bucket}.tsv"
        if not failed_path.exists() or not pend_path.exists():
            return []
        failed: dict[tuple[str, int], int] = {}
        for line in failed_path.read_text(encoding="utf-8").splitlines():
            v, key, missing = line.split("\t")
            failed[(v, int(key))] = int(missing)
        out: list[RawResult] = []
        for line in pend_path.read_text(encoding="utf-8").splitlines():
            v, key, s = line.split("\t")
            missing = failed.get((v, int(key)))
            if missing:
                c = self.plan.constraints[int(key)]
                out.extend((c.key, s, v, self.message(c, s, v), None) for _ in range(missing))
        return out

    def join_links(self, bucket: int, ctx: Context) -> list[bytes]:
        """Links (n p o) whose object is in this bucket, to the buckets that asked for n and o."""
        links_path = ctx.tmp / f"links-{bucket}.tsv"
        nbr_path = ctx.tmp / f"nbrreq-{bucket}.tsv"
        out: list[list[str]] = [[] for _ in range(ctx.fanout)]
        if not links_path.exists() or not nbr_path.exists():
            return [b""] * ctx.fanout
        wanted: dict[str, set[int]] = {}
        for line in nbr_path.read_text(encoding="utf-8").splitlines():
            node, _, to = line.rpartition("\t")
            wanted.setdefault(node, set()).add(int(to))
        with open(links_path, "rb") as fh:
            for raw in fh:
                targets, line = raw.decode("utf-8").split("\t", 1)
                o = line[:-3].split(" ", 2)[2]
                both = wanted.get(o)
                if both:
                    for b in targets.split(","):
                        if int(b) in both:
                            out[int(b)].append(line)
        return ["".join(x).encode("utf-8") for x in out]

    # -- pass 4 ------------------------------------------------------------------------------
    def sparql(self, bucket: int, ctx: Context) -> list[RawResult]:
        import pyoxigraph as ox

        focus_path = ctx.tmp / f"sparql-{bucket}.tsv"
        if not focus_path.exists():
            return []
        by_constraint: dict[int, list[str]] = {}
        for line in focus_path.read_text(encoding="utf-8").splitlines():
            key, s = line.split("\t")
            by_constraint.setdefault(int(key), []).append(s)
        nbr = ctx.tmp / f"nbr-{bucket}.nt"
        store = ox.Store()
        if nbr.exists():
            store.bulk_load(_for_store(nbr.read_text(encoding="utf-8")).encode("utf-8"), ox.RdfFormat.N_TRIPLES)
        results: list[RawResult] = []
        for key, focus in sorted(by_constraint.items()):
            c = self.plan.constraints[key]
            sc = c.sparql
            focus_set = set(focus)
            if _PROJECTS_THIS.search(sc.select):
                # One run over the bucket's neighbourhood; rows about other nodes are dropped.
                queries = [f"{sc.prologue}{sc.select}"]
            else:  # ?this is not projected: bind it, a batch of focus nodes at a time
                part = sorted(focus_set)
                queries = [
                    f"{sc.prologue}SELECT * WHERE {{ VALUES ?this {{ {' '.join(_skolem(f) for f in part[i:i + 2000])} }}"
                    f" {{ {sc.select} }} }}" for i in range(0, len(part), 2000)
                ]
            seen: set = set()
            for query in queries:
                rows = store.query(query)
                for row in rows:
                    bound = {}
                    for var in rows.variables:
                        val = row[var]
                        if val is not None:
                            bound[var.value] = _ox_to_nt(val)
                    this = bound.pop("this", None)
                    if this not in focus_set:
                        continue
                    if "failure" in bound:
                        raise InputError(f"the SPARQL constraint {sc.node} reported a failure for {this}")
                    path = bound.pop("path", None)
                    value = bound.pop("value", None)
                    dedupe = (this, path, value, tuple(sorted(bound.items())))
                    if dedupe in seen:
                        continue
                    seen.add(dedupe)
                    results.append((key, this, value if value is not None else this,
                                    self._sparql_message(c, this, path, value, bound), path))
        return results

    def _sparql_message(self, c: Constraint, this: str | None, path: str | None, value: str | None,
                        others: dict[str, str]) -> str:
        fdict: dict[str, Any] = {k: self.term(v) for k, v in others.items()}
        for name, v in (("this", this), ("path", path), ("value", value)):
            if v is not None:
                fdict[name] = self.term(v)
        msgs = []
        for m in list(c.shape.message) + list(c.sparql.messages):
            text = str(m)
            for var, val in fdict.items():
                text = re.sub("{{[?$]{}}}".format(var), str(val), text)
            msgs.append(text)
        return sorted(msgs)[0] if msgs else ""


_SKOLEM = "urn:x-kgtool:bnode:"


def _skolem(term: str) -> str:
    return f"<{_SKOLEM}{term[2:]}>" if term.startswith("_:") else term


def _for_store(text: str) -> str:
    """N-Triples as pyoxigraph should hold them: typed literals under a datatype it does not know,
    so that it keeps them as written (it would store "P0D" as "PT0S"), and blank nodes as IRIs,
    so that queries can name them. _ox_to_nt maps both back."""
    if "_:" not in text:
        if '\\"^^<' + XSD_NS not in text:  # no escaped quote that could look like a literal's end
            return text.replace('"^^<' + XSD_NS, '"^^<' + _PRIVATE_DT).replace(
                '"^^<' + _PRIVATE_DT + 'string>', '"^^<' + XSD_NS + 'string>')
        return _XSD_LITERAL.sub(lambda m: f'{m.group(1)}"^^<{_PRIVATE_DT}', text)
    out = []
    for line in text.split("\n"):
        if not line:
            continue
        s, p, o = line[:-2].split(" ", 2)
        if o.startswith('"'):
            end = o.rfind('"^^<')
            if end > 0 and o.startswith(XSD_NS, end + 4) and not o.endswith("#string>"):
                o = o[:end] + '"^^<' + _PRIVATE_DT + o[end + 4 + len(XSD_NS):]
        elif o.startswith("_:"):
            o = _skolem(o)
        out.append(f"{_skolem(s)} {p} {o} .\n")
    return "".join(out)


def _ox_to_nt(term: Any) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        if term.value.startswith(_SKOLEM):
            return f"_:{term.value[len(_SKOLEM):]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    text = f'"{escape_string(term.value)}"'
    if term.language:
        return f"{text}@{term.language}"
    dt = term.datatype.value
    if dt.startswith(_PRIVATE_DT):
        dt = XSD_NS + dt[len(_PRIVATE_DT):]
    return text if dt == XSD_NS + "string" else f"{text}^^<{dt}>"


def _partition_lines(lines: list[str], fanout: int) -> tuple[list[bytes], list[str], int]:
    buckets: list[list[str]] = [[] for _ in range(fanout)]
    subclass: list[str] = []
    last_s, last_b = "", 0
    for line in lines:
        s = line[: line.index(" ")]
        if s != last_s:
            last_s, last_b = s, zlib.crc32(s.encode("utf-8")) % fanout
        buckets[last_b].append(line)
        if SUBCLASS_OF in line and line.split(" ", 2)[1] == SUBCLASS_OF:
            subclass.append(line)
    return ["".join(b).encode("utf-8") for b in buckets], subclass, len(lines)


# -- worker-process glue ---------------------------------------------------------------------
_worker: BucketValidator | None = None


def _init(shapes_ttl: str) -> None:
    import signal

    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("rdflib.term").addFilter(_drop_literal_warnings)  # this process is ours
    gc.disable()  # millions of small containers per bucket, no cycles: GC passes only cost time
    _worker = BucketValidator(shapes_ttl)


def _call(method: str, *args):
    assert _worker is not None
    return getattr(_worker, method)(*args)


# -- the report ------------------------------------------------------------------------------
@dataclass
class StreamedReport(Report):
    """A Report whose groups were counted as results streamed in (examples kept, not all results).

    ``results`` holds every result only when validation was asked to collect them.
    """

    counts: dict[str, int] = field(default_factory=dict)
    grouped: list[dict] = field(default_factory=list)
    triples: int = 0
    focus_nodes: int = 0

    def count(self, severity: str) -> int:
        return self.counts.get(severity, 0)

    def groups(self) -> list[dict]:
        return self.grouped


class _Aggregator:
    """Counts results per group, keeping the first examples in (focus, value) order."""

    def __init__(self, plan: Plan, collect: bool):
        self.plan = plan
        self.collect = collect
        self.results: list[Result] = []
        self.raw: list[RawResult] = []
        self.counts: dict[str, int] = {}
        self._groups: dict[tuple, list] = {}  # key -> [count, heap of (-focus,-value) examples]
        self._fmt = TurtleTerms({**PREFIXES, "kgsh": "https://w3id.org/kgtool/shapes#", "sh": str(SH)})
        self._terms: dict[str, Any] = {}
        self._static: dict[tuple[int, str | None], tuple[str, str | None, str, str]] = {}

    def _term(self, text: str) -> Any:
        t = self._terms.get(text)
        if t is None:
            t = term_from_nt(text)
            if len(self._terms) > 1 << 16:
                self._terms.clear()
            self._terms[text] = t
        return t

    def _static_parts(self, key: int, path_override: str | None) -> tuple[str, str | None, str, str]:
        got = self._static.get((key, path_override))
        if got is None:
            c = self.plan.constraints[key]
            shape = c.shape
            sev = str(shape.severity).rsplit("#", 1)[-1]
            shape_text = _short(shape.node, self._fmt) if isinstance(shape.node, URIRef) else "(anonymous shape)"
            if path_override is not None:
                path = _path_text(self.plan.shapes_graph, self._term(path_override), self._fmt)
            elif shape.is_property_shape:
                path = _path_text(self.plan.shapes_graph, shape.path(), self._fmt)
            else:
                path = None
            comp_iri = SH.SPARQLConstraintComponent if c.kind == "sparql" else c.component.shacl_constraint_component
            comp = str(comp_iri).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
            got = (sev, path, shape_text or "", comp)
            self._static[(key, path_override)] = got
        return got

    def add(self, raw: RawResult) -> None:
        key, focus, value, message, path_override = raw
        sev, path, shape, comp = self._static_parts(key, path_override)
        focus_term = self._term(focus)
        value_text = _short(self._term(value), self._fmt) if value is not None else None
        focus_text = str(focus_term)
        self.counts[sev] = self.counts.get(sev, 0) + 1
        gkey = (sev, shape, path or "", comp, message)
        g = self._groups.get(gkey)
        if g is None:
            g = self._groups[gkey] = [0, []]
        g[0] += 1
        example = (focus_text, value_text or "")
        heap = g[1]
        neg = (_Neg(example),)
        if len(heap) < EXAMPLES_PER_GROUP:
            heapq.heappush(heap, neg)
        elif example < heap[0][0].value:
            heapq.heapreplace(heap, neg)
        if self.collect:
            self.results.append(Result(sev, focus_text, path, value_text, shape, comp, message))
            self.raw.append(raw)

    def groups(self) -> list[dict]:
        out = []
        for (sev, shape, path, comp, msg), (count, heap) in sorted(
            self._groups.items(), key=lambda kv: (SEVERITIES.index(kv[0][0]), kv[0][1:])
        ):
            examples = sorted(e[0].value for e in heap)
            out.append({
                "severity": sev, "shape": shape, "path": path or None, "constraint": comp, "message": msg,
                "count": count, "examples": [{"focus": f, "value": v or None} for f, v in examples],
            })
        return out

    def results_graph(self, conforms: bool) -> Graph:
        """pySHACL's report shape, for --format ttl (only when results were collected)."""
        g = Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(conforms)))
        sg = self.plan.shapes_graph
        for key, focus, value, message, path_override in self.raw:
            c = self.plan.constraints[key]
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.focusNode, self._term(focus)))
            g.add((r, SH.resultSeverity, c.shape.severity))
            g.add((r, SH.sourceShape, c.shape.node))
            comp = SH.SPARQLConstraintComponent if c.kind == "sparql" else c.component.shacl_constraint_component
            g.add((r, SH.sourceConstraintComponent, comp))
            if value is not None:
                g.add((r, SH.value, self._term(value)))
            if message:
                g.add((r, SH.resultMessage, Literal(message)))
            path = self._term(path_override) if path_override else (c.shape.path() if c.shape.is_property_shape else None)
            if path is not None:
                g.add((r, SH.resultPath, path))
                if isinstance(path, BNode):
                    _copy_bnode(sg, path, g)
        return g


def _copy_bnode(src: Graph, node: BNode, dst: Graph, depth: int = 0) -> None:
    if depth > 16:
        return
    for p, o in src.predicate_objects(node):
        dst.add((node, p, o))
        if isinstance(o, BNode):
            _copy_bnode(src, o, dst, depth + 1)


class _Neg:
    """Reverses ordering, so that a min-heap keeps the largest example on top."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other: "_Neg") -> bool:
        return self.value > other.value


# -- the API ---------------------------------------------------------------------------------
ENGINES = ("auto", "pyshacl", "stream")
#: Above this much data (gzip counted at 5x), "auto" streams instead of loading into pySHACL.
STREAM_THRESHOLD = 16 << 20


def choose_engine(paths: Iterable[str | Path], engine: str = "auto") -> str:
    """'pyshacl' or 'stream' for these inputs: folders and large inputs stream."""
    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r} (choose from: {', '.join(ENGINES)})")
    paths = [str(p) for p in paths]
    if engine != "auto":
        if engine == "stream" and "-" in paths:
            raise UsageError("the streaming validator reads files, not stdin ('-'); use --engine pyshacl")
        return engine
    if "-" in paths:
        return "pyshacl"
    size = 0
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            return "stream"
        if p.is_file():
            size += p.stat().st_size * (5 if p.name.lower().endswith(".gz") else 1)
    return "stream" if size > STREAM_THRESHOLD else "pyshacl"


def validate_paths(
    paths: Iterable[str | Path],
    shapes_path: str | Path | None = None,
    *,
    engine: str = "auto",
    input_format: str | None = None,
    collect: bool = False,
    jobs: int | None = None,
    progress: ProgressReport = quiet,
) -> Report:
    """Validate files or folders with pySHACL (small) or the streaming validator (large, folders).

    Both give the same Report (results, groups and counts); see choose_engine.
    """
    from .validate import load_shapes, validate_graph

    paths = list(paths)
    shapes = load_shapes(shapes_path)
    if choose_engine(paths, engine) == "pyshacl":
        from .rdfload import load_graph

        graph = load_graph([p if str(p) == "-" else f for p in paths
                            for f in ([p] if str(p) == "-" else expand_inputs([p]))], input_format)
        progress(f"validating {len(graph):,} triples with pySHACL")
        return validate_graph(graph, shapes)
    return validate_files(paths, shapes, jobs=jobs, collect=collect, progress=progress, input_format=input_format)


def validate_files(
    paths: Iterable[str | Path],
    shapes: Graph,
    *,
    jobs: int | None = None,
    collect: bool = False,
    progress: ProgressReport = quiet,
    tmp_dir: str | Path | None = None,
    fanout: int | None = None,
    input_format: str | None = None,
) -> StreamedReport:
    """Validate RDF files (or folders of them) against ``shapes``, streaming; see module doc.

    ``collect`` keeps every result (Report.results and a results graph); otherwise the report
    holds counts per group and the first examples, in memory that does not grow with the data.
    """
    files = expand_inputs(list(paths))
    for f in files:
        file_kind(f, input_format)  # an unknown suffix fails before any work
    shapes_ttl = shapes.serialize(format="turtle")
    plan = compile_plan(shapes)  # fails early on shapes this validator cannot run
    total_bytes = sum(f.stat().st_size for f in files)
    if fanout is None:
        fanout = max(16, min(4096, total_bytes // (16 << 20) + 1))
    if jobs is None:
        from .convert import available_cpus

        jobs = available_cpus() if total_bytes > (8 << 20) else 1
    tmp = Path(leftovers.mkdtemp(".kgtool-validate-", tmp_dir))
    pool = OrderedPool(jobs, lambda: BucketValidator(shapes_ttl), _call, _init, (shapes_ttl,))
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as in the workers
    try:
        with _QuietRdflib():
            return _run(files, plan, pool, tmp, fanout, collect, progress, total_bytes, input_format)
    finally:
        if gc_was_enabled:
            gc.enable()
        pool.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _run(files: list[Path], plan: Plan, pool: OrderedPool, tmp: Path, fanout: int, collect: bool,
         progress: ProgressReport, total_bytes: int, input_format: str | None) -> StreamedReport:
    out_files = _BucketFiles(tmp)
    subclass_lines: list[str] = []
    # Progress by bytes read is exact for plain files; gzip files only count once finished.
    plain = not any(f.name.lower().endswith(".gz") for f in files)
    meter = ProgressMeter(progress, "validating: reading", total_bytes if plain else None, unit="triples")
    triples = done = 0
    with out_files:
        for f in files:
            kind = file_kind(f, input_format)
            sizes: list[int] = []
            if kind in ("nt", "nq"):
                chunks = ((str(f), first, data, fanout) for first, data in _sized(line_chunks(f, _CHUNK), sizes))
                parts: Iterator = pool.map("partition", chunks)
            else:
                parts = (_partition_lines(batch, fanout) for batch in _batches(parsed_lines(f, kind), 50000))
            for buckets, subclass, n in parts:
                out_files.append("triples", buckets)
                subclass_lines.extend(subclass)
                triples += n
                meter.update(triples, None, done + sum(sizes))
            done += f.stat().st_size
    sparql = plan.sparql_constraints()
    preds: frozenset[str] | None = frozenset()
    for _, c in sparql:
        preds = None if preds is None or c.sparql.predicates is None else preds | c.sparql.predicates
    ctx = Context(tmp, fanout, _superclasses(subclass_lines), _target_nodes(plan), bool(sparql), preds)
    agg = _Aggregator(plan, collect)
    focus_nodes = 0
    meter.update(triples, None, total_bytes, force=True)
    progress(f"validating: {triples:,} triples in {fanout} buckets")
    step = ProgressMeter(progress, "validating: checking focus nodes", fanout, unit="buckets")
    with out_files:
        for i, out in enumerate(pool.map("focus", ((b, ctx) for b in range(fanout))), start=1):
            for raw in out["results"]:
                agg.add(raw)
            out_files.append("class", out["class_requests"])
            out_files.append("nbrreq", out["neighbour_requests"])
            focus_nodes += out["focus"]
            step.update(i, None, i)
    progress(f"validating: {focus_nodes:,} focus nodes checked")
    step = ProgressMeter(progress, "validating: joining references across buckets", fanout, unit="buckets")
    with out_files:
        for i, out in enumerate(pool.map("join", ((b, ctx) for b in range(fanout))), start=1):
            out_files.append("classfail", out["failed"])
            out_files.append("nbr", out["neighbours"])
            out_files.append("links", out["links"])
            step.update(i, None, i)
    for out in pool.map("class_results", ((b, ctx) for b in range(fanout))):
        for raw in out:
            agg.add(raw)
    if sparql:
        with out_files:
            for out in pool.map("join_links", ((b, ctx) for b in range(fanout))):
                out_files.append("nbr", out)
        step = ProgressMeter(progress, "validating: SPARQL constraints", fanout, unit="buckets")
        for i, out in enumerate(pool.map("sparql", ((b, ctx) for b in range(fanout))), start=1):
            for raw in out:
                agg.add(raw)
            step.update(i, None, i)
    conforms = agg.counts.get("Violation", 0) == 0
    graph = agg.results_graph(conforms) if collect else Graph()
    if collect:
        agg.results.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9,
                                        r.shape, r.focus))
    report = StreamedReport(conforms=conforms, results=agg.results, graph=graph, counts=dict(agg.counts),
                            grouped=agg.groups(), triples=triples, focus_nodes=focus_nodes)
    progress(f"validating: done, {sum(agg.counts.values()):,} results in {meter.elapsed():.1f} s")
    return report


def _sized(chunks: Iterator[tuple[int, bytes]], sizes: list[int]) -> Iterator[tuple[int, bytes]]:
    for first, data in chunks:
        sizes.append(len(data))
        yield first, data


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _BucketFiles:
    """Appends per-bucket data to files named STEM-BUCKET, buffered (many small pieces arrive)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self._buffers: dict[tuple[str, int], list[bytes]] = {}
        self._sizes: dict[tuple[str, int], int] = {}

    def append(self, stem: str, parts: list[bytes]) -> None:
        for i, data in enumerate(parts):
            if data:
                key = (stem, i)
                buf = self._buffers.setdefault(key, [])
                buf.append(data)
                size = self._sizes[key] = self._sizes.get(key, 0) + len(data)
                if size >= 1 << 18:
                    self._flush(key)

    def _flush(self, key: tuple[str, int]) -> None:
        stem, i = key
        ext = "nt" if stem in ("triples", "nbr") else "tsv"
        with open(self.tmp / f"{stem}-{i}.{ext}", "ab") as fh:
            fh.write(b"".join(self._buffers.pop(key)))
        self._sizes.pop(key, None)

    def __enter__(self) -> "_BucketFiles":
        return self

    def __exit__(self, *exc) -> None:
        for key in list(self._buffers):
            self._flush(key)


def _superclasses(lines: list[str]) -> dict[str, frozenset[str]]:
    """type -> the type and every class it is (transitively) an rdfs:subClassOf."""
    parents: dict[str, set[str]] = {}
    for line in lines:
        s, _, rest = line.split(" ", 2)
        o = rest[:-3]
        parents.setdefault(s, set()).add(o)
    out: dict[str, frozenset[str]] = {}
    for t in parents:
        seen = {t}
        todo = [t]
        while todo:
            for sup in parents.get(todo.pop(), ()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        out[t] = frozenset(seen)
    return out


def _target_nodes(plan: Plan) -> dict[str, list[str]]:
    nodes: dict[str, list[str]] = {}
    for ts in plan.targeted:
        for n in ts.nodes:
            nodes.setdefault(n, []).append(ts.shape.node)
    return nodes

