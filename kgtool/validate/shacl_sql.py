"""Compile SHACL Core shapes into SQL over a DuckDB table of triples ``t(s, p, o)``.

Terms are integer ids into a dictionary ``terms(id, term)`` of N-Triples text (see
shacl_sql_terms.py: literals keep their lexical form). Each shape becomes queries that return
result rows ``(focus, value, path, k)`` of ids, ``k`` naming the constraint (see
:class:`Compiled`); focus nodes live in DuckDB only.

Anything the compiler cannot evaluate exactly as SHACL defines it is refused with a
:class:`~kgtool.errors.UsageError` naming the feature and the shape: nothing is skipped without
a word. Supported: every SHACL Core target, path, and constraint component except those listed
in docs/validation.md; sh:sparql constraints whose query is a basic graph pattern with
FILTER (NOT) EXISTS of basic graph patterns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from ..errors import UsageError
from .shacl_sql_terms import (
    LEXICAL,
    MACROS,
    RDF_TYPE,
    REF_RE,
    SUBCLASS,
    X,
    compare_const,
    compare_sql,
    nt,
    order_cols,
    q,
    ref,
    ref_nt,
)

__all__ = ["MACROS", "Compiled", "ConstraintInfo", "ShapeCompiler"]


@dataclass
class ConstraintInfo:
    """What a result row's ``k`` stands for."""

    shape: Any  # the shape node
    component: URIRef
    severity: URIRef
    messages: tuple[Literal, ...]
    path: Any  # the shape's sh:path node (None for node shapes)
    default_message: str = ""  # when the shape has no sh:message (as pySHACL words it, where known)


@dataclass
class Compiled:
    """The SQL statements that fill ``results(focus, value, path, k)``, and what each k means."""

    setup: list[str] = field(default_factory=list)  # CREATE TEMP TABLE ... (focus and value sets)
    queries: list[str] = field(default_factory=list)  # SELECT focus, value, path, k
    constraints: list[ConstraintInfo] = field(default_factory=list)

    def constants(self) -> set[str]:
        """The N-Triples texts of the terms the queries name (see shacl_sql_terms.ref)."""
        return {text for sql in self.setup + self.queries for text in REF_RE.findall(sql)}


_COMPONENTS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minExclusive, SH.minInclusive,
    SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern, SH.flags, SH.languageIn,
    SH.uniqueLang, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals, SH["not"], SH["and"], SH["or"],
    SH.xone, SH.node, SH.property, SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.closed, SH.ignoredProperties, SH.hasValue, SH["in"], SH.sparql,
}
#: Parameters that are not constraints: they are read, or harmless to ignore.
_OTHER = {RDF.type, SH.path, SH.severity, SH.message, SH.deactivated, SH.name, SH.description, SH.order,
          SH.group, SH.defaultValue, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
          RDFS.label, RDFS.comment, RDFS.subClassOf, SH.declare, SH.prefixes, SH.labelTemplate}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


class _Shape:
    """One shape being compiled against one focus set: where its rules put their queries."""

    def __init__(self, compiler: ShapeCompiler, shape: Any, focus: str, values: str, path: Any, depth: int,
                 top: bool):
        self.compiler, self.shape, self.focus, self.values = compiler, shape, focus, values
        self.path, self.depth, self.top = path, depth, top
        self.candidates = f"(SELECT DISTINCT v AS n FROM {values})"
        self.out: list[str] = []

    def add(self, component: str, select: str, *, value: bool = True, distinct: bool = True) -> None:
        """Results ``select`` gives (columns f, and v when ``value``) for a new constraint."""
        k = self.compiler.constraint(self.shape, component)
        cols = "f AS focus, v AS value" if value else "f AS focus, NULL AS value"
        self.out.append(f"SELECT {'DISTINCT ' if distinct else ''}{cols}, NULL AS path, {k} AS k FROM ({select})")

    def value_rule(self, component: str, bad: str, *, text: bool = False) -> None:
        """A result for each value node v (an id) for which ``bad`` is true; with ``text``,
        ``bad`` is on x, the node's N-Triples text (d its datatype, l its lexical form), and
        is computed once per distinct value."""
        if text:
            # a table of the values' texts, shared by the rules on these values (in one query,
            # DuckDB would push ``bad`` below the join, onto every term)
            texts = self.compiler._table(f"SELECT D.v, T.term AS x FROM (SELECT DISTINCT v FROM {self.values}) D "
                                         "JOIN terms T ON T.id = D.v")
            bad = f"V.v IN (SELECT v FROM (SELECT v, x, dt(x) AS d, lex(x) AS l FROM {texts}) WHERE {bad})"
        self.add(component, f"SELECT V.f AS f, V.v AS v FROM {self.values} V WHERE {bad}")


class ShapeCompiler:
    """Turns a shapes graph into SQL (see module doc)."""

    def __init__(self, shapes: Graph):
        self.g = shapes
        self.out = Compiled()
        self._made: dict[str, str] = {}  # SQL -> the temporary table holding its rows
        self._path_cache: dict[Any, tuple[str, bool]] = {}

    # -- helpers ---------------------------------------------------------------------------
    def refuse(self, shape: Any, what: str) -> UsageError:
        return UsageError(f"the DuckDB validator does not support {what} (shape {self._name(shape)}); "
                          "validate with --engine pyshacl instead")

    def _name(self, node: Any) -> str:
        if isinstance(node, URIRef):
            return self.g.namespace_manager.normalizeUri(node) if not str(node).startswith("file:") else f"<{node}>"
        return "a blank node shape" + (f" on sh:path {self._name(self.g.value(node, SH.path))}"
                                       if self.g.value(node, SH.path) is not None else "")

    def _short(self, iri: Any) -> str:
        try:
            return self.g.namespace_manager.normalizeUri(iri)
        except Exception:
            return f"<{iri}>"

    def _table(self, sql: str) -> str:
        """A temporary table of what ``sql`` selects, made once for all the shapes that need it."""
        name = self._made.get(sql)
        if name is None:
            name = self._made[sql] = f"kg_tmp_{len(self._made) + 1}"
            self.out.setup.append(f"CREATE TEMP TABLE {name} AS {sql}")
        return name

    def _list(self, shape: Any, node: Any) -> list:
        try:
            return list(Collection(self.g, node))
        except Exception:
            raise self.refuse(shape, "a malformed RDF list") from None

    def _one(self, shape: Any, param: URIRef) -> Any:
        values = list(self.g.objects(shape, param))
        if len(values) > 1:
            raise self.refuse(shape, f"several values of sh:{param.removeprefix(str(SH))}")
        return values[0] if values else None

    def deactivated(self, shape: Any) -> bool:
        return self.g.value(shape, SH.deactivated) == Literal(True)

    # -- paths -----------------------------------------------------------------------------
    def path_rel(self, shape: Any, path: Any, depth: int = 0) -> tuple[str, bool]:
        """SQL with columns (x, y) for the pairs the path links by one or more steps, and
        whether the path also links every node to itself (zero steps)."""
        if depth > 16:
            raise self.refuse(shape, "a path nested this deep")
        if isinstance(path, URIRef):
            return f"SELECT s AS x, o AS y FROM t WHERE p = {ref(path)}", False
        if isinstance(path, Literal) or path is None:
            raise self.refuse(shape, "a literal as sh:path")
        kinds = [k for k in (RDF.first, SH.alternativePath, SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath,
                             SH.zeroOrOnePath) if (path, k, None) in self.g]
        if len(kinds) != 1:
            raise self.refuse(shape, "an sh:path node that is not exactly one kind of path")
        if (path, RDF.first, None) in self.g:
            steps = [self.path_rel(shape, p, depth + 1) for p in self._list(shape, path)]
            if len(steps) < 2:
                raise self.refuse(shape, "a sequence path of fewer than two steps")
            rel, nullable = steps[0]
            for nxt, n2 in steps[1:]:
                parts = [f"SELECT a.x, b.y FROM ({rel}) a JOIN ({nxt}) b ON a.y = b.x"]
                if n2:
                    parts.append(rel)
                if nullable:
                    parts.append(nxt)
                rel, nullable = " UNION ".join(f"({p})" for p in parts), nullable and n2
            return rel, nullable
        alt = self.g.value(path, SH.alternativePath)
        if alt is not None:
            alts = [self.path_rel(shape, p, depth + 1) for p in self._list(shape, alt)]
            return " UNION ".join(f"({r})" for r, _ in alts), any(n for _, n in alts)
        inv = self.g.value(path, SH.inversePath)
        if inv is not None:
            rel, nullable = self.path_rel(shape, inv, depth + 1)
            return f"SELECT y AS x, x AS y FROM ({rel})", nullable
        for kind in (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
            inner = self.g.value(path, kind)
            if inner is None:
                continue
            rel, nullable = self.path_rel(shape, inner, depth + 1)
            if kind == SH.zeroOrOnePath:
                return rel, True
            closure = (f"WITH RECURSIVE c(x, y) AS (SELECT x, y FROM ({rel}) UNION "
                       f"SELECT c.x, r.y FROM c JOIN ({rel}) r ON c.y = r.x) SELECT x, y FROM c")
            return closure, nullable or kind == SH.zeroOrMorePath
        raise self.refuse(shape, "this kind of sh:path")

    def values_sql(self, shape: Any, path: Any, focus: str) -> str:
        """(f, v): each focus node (column n of ``focus``) with its value nodes along ``path``."""
        if isinstance(path, URIRef):
            return (f"SELECT DISTINCT F.n AS f, t.o AS v FROM {focus} F JOIN t ON t.s = F.n "
                    f"AND t.p = {ref(path)}")
        rel, nullable = self.path_rel(shape, path)
        sql = f"SELECT F.n AS f, r.y AS v FROM {focus} F JOIN ({rel}) r ON r.x = F.n"
        if nullable:
            sql += f" UNION SELECT n AS f, n AS v FROM {focus}"
        return f"SELECT DISTINCT f, v FROM ({sql})"

    # -- targets ---------------------------------------------------------------------------
    def instances_sql(self, classes: list[Any]) -> str:
        """SQL with column n: the instances of any of these classes or their subclasses (per the data)."""
        roots = ", ".join(f"({ref(c)})" for c in classes)
        return (
            f"SELECT DISTINCT t.s AS n FROM t WHERE t.p = {ref_nt(RDF_TYPE)} AND t.o IN ("
            f"WITH RECURSIVE sub(c) AS (SELECT * FROM (VALUES {roots}) v(c) "
            f"UNION SELECT t2.s FROM t t2 JOIN sub ON t2.o = sub.c AND t2.p = {ref_nt(SUBCLASS)}) SELECT c FROM sub)"
        )

    def focus_sql(self, shape: Any) -> str | None:
        parts = []
        if list(self.g.objects(shape, SH.target)):
            raise self.refuse(shape, "sh:target (SHACL-AF targets)")
        classes = list(self.g.objects(shape, SH.targetClass))
        if (shape, RDF.type, RDFS.Class) in self.g and isinstance(shape, URIRef):
            classes.append(shape)  # an implicit class target
        if classes:
            parts.append(self.instances_sql(classes))
        nodes = list(self.g.objects(shape, SH.targetNode))
        if nodes:
            parts.append("SELECT DISTINCT n FROM (VALUES " + ", ".join(f"({ref(n)})" for n in nodes) + ") v(n)")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"SELECT DISTINCT s AS n FROM t WHERE p = {ref(p)}")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"SELECT DISTINCT o AS n FROM t WHERE p = {ref(p)}")
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else " UNION ".join(f"({p})" for p in parts)  # each part is distinct

    def shapes(self) -> list[Any]:
        """Shapes with targets, in a stable order."""
        found: set[Any] = set()
        for param in _TARGETS + (SH.target,):
            found.update(self.g.subjects(param, None))
        for s in self.g.subjects(RDF.type, RDFS.Class):
            if (s, RDF.type, SH.NodeShape) in self.g or (s, RDF.type, SH.PropertyShape) in self.g:
                found.add(s)
        return sorted(found, key=lambda n: (isinstance(n, BNode), str(n)))

    # -- constraints -----------------------------------------------------------------------
    def compile(self) -> Compiled:
        for shape in self.shapes():
            if self.deactivated(shape):
                continue
            focus = self.focus_sql(shape)
            if focus is None:
                continue
            table = self._table(focus)
            self.out.queries.extend(self.shape_queries(shape, table, top=True))
        return self.out

    def constraint(self, shape: Any, component: str) -> int:
        sev = self.g.value(shape, SH.severity) or SH.Violation
        msgs = tuple(m for m in self.g.objects(shape, SH.message) if isinstance(m, Literal))
        self.out.constraints.append(ConstraintInfo(shape, SH[component + "ConstraintComponent"], sev, msgs,
                                                   self.g.value(shape, SH.path)))
        return len(self.out.constraints) - 1

    def shape_queries(self, shape: Any, focus: str, top: bool = False, depth: int = 0) -> list[str]:
        """SELECT focus, value, path, k: the results of ``shape`` on the nodes in ``focus``."""
        if depth > 12:
            raise self.refuse(shape, "recursive shapes")
        if self.deactivated(shape):
            return []
        g = self.g
        for p in set(g.predicates(shape)):
            if p not in _COMPONENTS and p not in _OTHER and str(p).startswith(str(SH)):
                raise self.refuse(shape, self._short(p))
        path = g.value(shape, SH.path)
        if path is None and (shape, RDF.type, SH.PropertyShape) in g:
            raise self.refuse(shape, "a property shape without sh:path")
        if path is None:
            values = f"(SELECT n AS f, n AS v FROM {focus})"
        else:
            sql = self.values_sql(shape, path, focus)
            values = self._table(sql) if top else f"({sql})"
        c = _Shape(self, shape, focus, values, path, depth, top)
        self._term_rules(c)
        self._count_rules(c)
        self._literal_rules(c)
        self._pair_rules(c)
        self._logic_rules(c)
        self._qualified(c)
        self._closed(shape, focus, c.out)
        self._nested(c)
        self._sparql(c)
        return c.out

    def _term_rules(self, c: _Shape) -> None:
        """sh:class, sh:datatype, sh:nodeKind, sh:in, sh:hasValue."""
        g, shape = self.g, c.shape
        for cls in g.objects(shape, SH["class"]):
            c.value_rule("Class", f"v NOT IN (SELECT n FROM {self._table(self.instances_sql([cls]))})")
        for dtype in g.objects(shape, SH.datatype):
            if not isinstance(dtype, URIRef):
                raise self.refuse(shape, "a non-IRI sh:datatype")
            if str(dtype).startswith(X) and str(dtype)[len(X):] not in LEXICAL:
                raise self.refuse(shape, f"sh:datatype {self._short(dtype)}")
            local = str(dtype)[len(X):] if str(dtype).startswith(X) else None
            ok = LEXICAL[local].format(l="lex(x)") if local else "true"
            c.value_rule("Datatype", f"NOT coalesce(is_lit(x) AND dt(x) = {q(nt(dtype))} AND {ok}, false)", text=True)
        kinds: dict[Any, str] = {SH.IRI: "is_iri(x)", SH.BlankNode: "is_bnode(x)", SH.Literal: "is_lit(x)",
                                 SH.BlankNodeOrIRI: "NOT is_lit(x)", SH.BlankNodeOrLiteral: "NOT is_iri(x)",
                                 SH.IRIOrLiteral: "NOT is_bnode(x)"}
        for kind in g.objects(shape, SH.nodeKind):
            if kind not in kinds:
                raise self.refuse(shape, f"sh:nodeKind {kind}")
            c.value_rule("NodeKind", f"NOT ({kinds[kind]})", text=True)
            self.out.constraints[-1].default_message = f"Value is not of Node Kind {self._short(kind)}"
        for lst in g.objects(shape, SH["in"]):
            members = ", ".join(ref(m) for m in self._list(shape, lst))
            c.value_rule("In", f"v NOT IN ({members})" if members else "true")
        for value in g.objects(shape, SH.hasValue):
            c.add("HasValue", f"SELECT F.n AS f FROM {c.focus} F WHERE NOT EXISTS "
                              f"(SELECT 1 FROM {c.values} V WHERE V.f = F.n AND V.v = {ref(value)})", value=False)

    def _count_rules(self, c: _Shape) -> None:
        """sh:minCount, sh:maxCount: the values of each focus node counted once for all."""
        bounds = []
        for param, comp in ((SH.minCount, "MinCount"), (SH.maxCount, "MaxCount")):
            for bound in self.g.objects(c.shape, param):
                if c.path is None:
                    raise self.refuse(c.shape, f"sh:{comp[0].lower()}{comp[1:]} on a node shape")
                op = "<" if comp == "MinCount" else ">"
                bounds.append((self.constraint(c.shape, comp), f"n {op} {self._int(c.shape, bound)}"))
        if bounds:
            counted = f"SELECT f, count(*) AS n FROM {c.values} GROUP BY f"
            if any(not bad.startswith("n > ") for _, bad in bounds):  # may hold for focus nodes without values
                counted = (f"SELECT F.n AS f, coalesce(C.n, 0) AS n FROM {c.focus} F "
                           f"LEFT JOIN ({counted}) C ON C.f = F.n")
            ks = ", ".join(f"CASE WHEN {bad} THEN {k} END" for k, bad in bounds)
            c.out.append(f"SELECT f AS focus, NULL AS value, NULL AS path, k FROM (SELECT f, unnest([{ks}]) AS k "
                         f"FROM ({counted}) WHERE {' OR '.join(bad for _, bad in bounds)}) WHERE k IS NOT NULL")

    def _literal_rules(self, c: _Shape) -> None:
        """Ranges, lengths, patterns and language tags: rules on the values' text."""
        g, shape = self.g, c.shape
        for param, comp, op in ((SH.minExclusive, "MinExclusive", ">"), (SH.minInclusive, "MinInclusive", ">="),
                                (SH.maxExclusive, "MaxExclusive", "<"), (SH.maxInclusive, "MaxInclusive", "<=")):
            for bound in g.objects(shape, param):
                if not isinstance(bound, Literal):
                    raise self.refuse(shape, f"a non-literal sh:{comp}")
                cmp = compare_const(op, bound, lambda what: self.refuse(shape, what), self._short)
                c.value_rule(comp, f"NOT coalesce({cmp}, false)", text=True)
        for param, comp, op in ((SH.minLength, "MinLength", "<"), (SH.maxLength, "MaxLength", ">")):
            for bound in g.objects(shape, param):
                c.value_rule(comp, f"is_bnode(x) OR length(str(x)) {op} {self._int(shape, bound)}", text=True)
        patterns = list(g.objects(shape, SH.pattern))
        if patterns:
            flags = str(self._one(shape, SH.flags) or "")
            if set(flags) - {"i"}:
                raise self.refuse(shape, f"sh:flags {flags!r} (only 'i')")
            for pattern in patterns:
                c.value_rule("Pattern", f"is_bnode(x) OR NOT regexp_matches(str(x), {q(str(pattern))}"
                                        f"{', ' + q('i') if flags else ''})", text=True)
        for lst in g.objects(shape, SH.languageIn):
            tags = [str(x).lower() for x in self._list(shape, lst)]
            ok = " OR ".join(f"lang(x) = {q(t)} OR starts_with(lang(x), {q(t + '-')})" for t in tags) or "false"
            c.value_rule("LanguageIn", f"NOT (is_lit(x) AND lang(x) <> '' AND ({ok}))", text=True)
        for flag in g.objects(shape, SH.uniqueLang):
            if c.path is None:
                raise self.refuse(shape, "sh:uniqueLang on a node shape")
            # only "true" activates it ("1"^^xsd:boolean does not, W3C test uniqueLang-002)
            if isinstance(flag, Literal) and flag.datatype == XSD.boolean and str(flag) == "true":
                c.add("UniqueLang", f"SELECT f FROM (SELECT V.f AS f, lang(T.term) AS l, V.v AS v FROM {c.values} V "
                                    "JOIN terms T ON T.id = V.v) WHERE l <> '' GROUP BY f, l "
                                    "HAVING count(DISTINCT v) > 1", value=False, distinct=False)

    def _pair_rules(self, c: _Shape) -> None:
        """sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals."""
        for param, comp in ((SH.equals, "Equals"), (SH.disjoint, "Disjoint"),
                            (SH.lessThan, "LessThan"), (SH.lessThanOrEquals, "LessThanOrEquals")):
            for other in self.g.objects(c.shape, param):
                if not isinstance(other, URIRef):
                    raise self.refuse(c.shape, f"sh:{comp[0].lower()}{comp[1:]} with a non-IRI")
                others = f"(SELECT s AS f, o AS w FROM t WHERE p = {ref(other)})"
                if comp == "Equals":
                    c.add(comp, f"SELECT f, v FROM {c.values} V WHERE NOT EXISTS "
                                f"(SELECT 1 FROM {others} O WHERE O.f = V.f AND O.w = V.v) UNION "
                                f"SELECT F.n AS f, O.w AS v FROM {c.focus} F JOIN {others} O ON O.f = F.n "
                                f"WHERE NOT EXISTS (SELECT 1 FROM {c.values} V WHERE V.f = F.n AND V.v = O.w)")
                elif comp == "Disjoint":
                    c.value_rule(comp, f"EXISTS (SELECT 1 FROM {others} O WHERE O.f = V.f AND O.w = V.v)")
                else:
                    op = "<" if comp == "LessThan" else "<="
                    # one result per pair of values that are not in order
                    c.add(comp, f"SELECT P.f AS f, P.v AS v FROM (SELECT DISTINCT V.f, V.v, O.w, TV.term AS tv, "
                                f"TW.term AS tw FROM {c.values} V JOIN {others} O ON O.f = V.f "
                                "JOIN terms TV ON TV.id = V.v JOIN terms TW ON TW.id = O.w) P, "
                                f"LATERAL {order_cols('P.tv')} A, LATERAL {order_cols('P.tw')} B "
                                f"WHERE NOT coalesce({compare_sql('A.', 'B.', op)}, false)", distinct=False)

    def _logic_rules(self, c: _Shape) -> None:
        """sh:node, sh:not, sh:and, sh:or, sh:xone."""
        g, shape, depth, cand = self.g, c.shape, c.depth, c.candidates
        for other in g.objects(shape, SH.node):
            c.value_rule("Node", f"v IN ({self.failing(other, cand, depth)})")
        for other in g.objects(shape, SH["not"]):
            c.value_rule("Not", f"v NOT IN ({self.failing(other, cand, depth)})")
        for lst in g.objects(shape, SH["and"]):
            members = self._list(shape, lst)
            bad = " OR ".join(f"v IN ({self.failing(m, cand, depth)})" for m in members) or "false"
            c.value_rule("And", bad)
        for lst in g.objects(shape, SH["or"]):
            members = self._list(shape, lst)
            bad = " AND ".join(f"v IN ({self.failing(m, cand, depth)})" for m in members) or "true"
            c.value_rule("Or", bad)
        for lst in g.objects(shape, SH.xone):
            members = self._list(shape, lst)
            conforming = " + ".join(f"(CASE WHEN v IN ({self.failing(m, cand, depth)}) THEN 0 ELSE 1 END)"
                                    for m in members) or "0"
            c.value_rule("Xone", f"({conforming}) <> 1")

    def _nested(self, c: _Shape) -> None:
        """sh:property: a node shape's property shapes, or a property shape's nested ones."""
        for prop in self.g.objects(c.shape, SH.property):
            if isinstance(prop, Literal):
                raise self.refuse(c.shape, "a literal as sh:property")
            if c.path is None:
                c.out.extend(self.shape_queries(prop, c.focus, top=c.top, depth=c.depth + 1))
            else:
                # the nested shape's results, once for each focus node whose value it checked
                for sql in self.shape_queries(prop, c.candidates, depth=c.depth + 1):
                    c.out.append(f"SELECT R.focus, R.value, R.path, R.k FROM ({sql}) R JOIN {c.values} V "
                                 "ON V.v = R.focus")

    def _sparql(self, c: _Shape) -> None:
        g, shape = self.g, c.shape
        for node in g.objects(shape, SH.sparql):
            if g.value(node, SH.deactivated) == Literal(True):
                continue
            from .shacl_sparql import sparql_constraint_sql

            k = self.constraint(shape, "SPARQL")
            info = self.out.constraints[k]
            info.messages = tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)) or info.messages
            for m in info.messages:
                if "{" in str(m):
                    raise self.refuse(shape, "message templates in sh:sparql messages")
            sql = sparql_constraint_sql(g, node, c.focus, lambda what: self.refuse(shape, what))
            c.out.append(f"SELECT DISTINCT focus, value, path, {k} AS k FROM ({sql})")

    def _int(self, shape: Any, value: Any) -> int:
        try:
            return int(str(value))
        except ValueError:
            raise self.refuse(shape, f"a non-integer bound {value}") from None

    def _qualified(self, c: _Shape) -> None:
        g, shape, candidates, depth = self.g, c.shape, c.candidates, c.depth
        qshape = self._one(shape, SH.qualifiedValueShape)
        lo, hi = g.value(shape, SH.qualifiedMinCount), g.value(shape, SH.qualifiedMaxCount)
        if qshape is None:
            return  # without its mandatory parameter the component is not active (SHACL 2.1.2)
        if g.value(shape, SH.path) is None:
            raise self.refuse(shape, "sh:qualifiedValueShape on a node shape")
        conforming = f"v NOT IN ({self.failing(qshape, candidates, depth)})"
        if g.value(shape, SH.qualifiedValueShapesDisjoint) == Literal(True):
            siblings: set[Any] = set()
            for parent in g.subjects(SH.property, shape):
                for sib in g.objects(parent, SH.property):
                    if sib != shape:
                        siblings.update(g.objects(sib, SH.qualifiedValueShape))
            for sib in sorted(siblings, key=str):
                conforming += f" AND v IN ({self.failing(sib, candidates, depth)})"
        counted = (f"SELECT F.n AS f, count(V.v) AS c FROM {c.focus} F LEFT JOIN "
                   f"(SELECT f, v FROM {c.values} WHERE {conforming}) V ON V.f = F.n GROUP BY F.n")
        if lo is not None:
            c.add("QualifiedMinCount", f"SELECT f FROM ({counted}) WHERE c < {self._int(shape, lo)}", value=False)
        if hi is not None:
            c.add("QualifiedMaxCount", f"SELECT f FROM ({counted}) WHERE c > {self._int(shape, hi)}", value=False)

    def _closed(self, shape: Any, focus: str, out: list[str]) -> None:
        g = self.g
        if g.value(shape, SH.closed) != Literal(True):
            return
        allowed = set()
        for lst in g.objects(shape, SH.ignoredProperties):
            allowed.update(self._list(shape, lst))
        for prop in g.objects(shape, SH.property):
            p = g.value(prop, SH.path)
            if isinstance(p, URIRef):
                allowed.add(p)
        k = self.constraint(shape, "Closed")
        keep = " AND ".join(f"t.p <> {ref(a)}" for a in sorted(allowed, key=nt)) or "true"
        values_of = f"(SELECT n AS f, n AS v FROM {focus})" if g.value(shape, SH.path) is None else None
        if values_of is None:
            raise self.refuse(shape, "sh:closed on a property shape")
        out.append(f"SELECT DISTINCT F.n AS focus, t.o AS value, t.p AS path, {k} AS k "
                   f"FROM {focus} F JOIN t ON t.s = F.n WHERE {keep}")

    def failing(self, shape: Any, candidates: str, depth: int) -> str:
        """SQL (one column): the candidate nodes that do not conform to ``shape``."""
        queries = self.shape_queries(shape, candidates, top=False, depth=depth + 1)
        if not queries:
            return "SELECT NULL WHERE false"
        return " UNION ".join(f"SELECT focus FROM ({sql})" for sql in queries)
