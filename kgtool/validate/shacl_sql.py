"""Compile SHACL Core shapes into SQL over a DuckDB table of triples ``t(s, p, o)``.

Terms are held as N-Triples text (``<iri>``, ``_:b``, ``"lex"@lang``, ``"lex"^^<dt>``), so a
literal keeps its lexical form: ``"none"^^xsd:boolean`` is ill-formed, whatever a parser would
make of it. Each shape becomes queries that return result rows ``(focus, value, path, k)``,
``k`` naming the constraint (see :class:`Compiled`); focus nodes live in DuckDB only.

Anything the compiler cannot evaluate exactly as SHACL defines it is refused with a
:class:`~kgtool.errors.UsageError` naming the feature and the shape: nothing is skipped without
a word. Supported: every SHACL Core target, path, and constraint component except those listed
in docs/validation.md; sh:sparql constraints whose query is a basic graph pattern with
FILTER (NOT) EXISTS of basic graph patterns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from ..errors import UsageError

RDF_TYPE = f"<{RDF.type}>"
SUBCLASS = f"<{RDFS.subClassOf}>"
X = str(XSD)
NUMERIC = [f"<{X}{n}>" for n in (
    "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte")]
_TZ = r"(Z|[+-][0-9]{2}:[0-9]{2})?"
#: datatype -> SQL condition on the lexical form ``{l}`` (escapes decoded) that makes it well-formed
LEXICAL: dict[str, str] = {
    "string": "true",
    "anyURI": "true",
    "normalizedString": "true",
    "token": "true",
    "language": "true",
    "boolean": "{l} IN ('true', 'false', '1', '0')",
    "integer": "regexp_full_match({l}, '[+-]?[0-9]+')",
    "decimal": r"regexp_full_match({l}, '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)')",
    "double": r"regexp_full_match({l}, '([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)')",
    "date": (
        "regexp_full_match({l}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}"
        + _TZ.replace("{", "{{").replace("}", "}}")
        + "') AND try_cast({l}[1:10] AS DATE) IS NOT NULL"
    ),
    "dateTime": (
        "regexp_full_match({l}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(\\.[0-9]+)?"
        + _TZ.replace("{", "{{").replace("}", "}}")
        + "') AND try_cast(replace({l}[1:19], 'T', ' ') AS TIMESTAMP) IS NOT NULL"
    ),
    "gYear": "regexp_full_match({l}, '-?[0-9]{{4,}}" + _TZ.replace("{", "{{").replace("}", "}}") + "')",
    "gYearMonth": "regexp_full_match({l}, '-?[0-9]{{4,}}-(0[1-9]|1[0-2])"
    + _TZ.replace("{", "{{").replace("}", "}}")
    + "')",
    "duration": (
        r"regexp_full_match({l}, '-?P([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?')"
        " AND NOT regexp_full_match({l}, '-?P|.*T')"
    ),
}
LEXICAL["float"] = LEXICAL["double"]
_RANGES = {"int": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1), "short": (-2**15, 2**15 - 1),
           "byte": (-128, 127), "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
           "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1), "unsignedInt": (0, 2**32 - 1),
           "unsignedLong": (0, 2**64 - 1), "unsignedShort": (0, 65535), "unsignedByte": (0, 255)}
for _name, (_lo, _hi) in _RANGES.items():
    _cond = [LEXICAL["integer"]]
    if _lo is not None:
        _cond.append(f"try_cast({{l}} AS HUGEINT) >= {_lo}")
    if _hi is not None:
        _cond.append(f"try_cast({{l}} AS HUGEINT) <= {_hi}")
    LEXICAL[_name] = " AND ".join(_cond)
#: Datatypes whose values are compared by their lexical form (same datatype only).
ORDERED_LEXICAL = [f"<{X}{n}>" for n in ("string", "date", "dateTime", "gYear", "gYearMonth")]

MACROS = [
    "SET enable_progress_bar = false",
    "CREATE OR REPLACE MACRO is_iri(x) AS x[1] = '<'",
    "CREATE OR REPLACE MACRO is_bnode(x) AS x[1] = '_'",
    "CREATE OR REPLACE MACRO is_lit(x) AS x[1] = '\"'",
    "CREATE OR REPLACE MACRO lit_end(x) AS length(x) - strpos(reverse(x), '\"') + 1",
    "CREATE OR REPLACE MACRO lit_suffix(x) AS CASE WHEN is_lit(x) THEN x[lit_end(x) + 1:] END",
    # Escapes are decoded (\\ last, through a placeholder) where the lexical form is needed.
    "CREATE OR REPLACE MACRO unesc(b) AS CASE WHEN strpos(b, '\\') = 0 THEN b ELSE "
    "replace(replace(replace(replace(replace(replace(replace(b, '\\\\', chr(1)), '\\\"', '\"'), '\\n', chr(10)),"
    " '\\r', chr(13)), '\\t', chr(9)), '\\''', ''''), chr(1), '\\') END",
    "CREATE OR REPLACE MACRO lex(x) AS CASE WHEN is_lit(x) THEN unesc(x[2:lit_end(x) - 1]) END",
    "CREATE OR REPLACE MACRO str(x) AS CASE WHEN is_iri(x) THEN x[2:-2] WHEN is_lit(x) THEN lex(x) END",
    f"CREATE OR REPLACE MACRO dt(x) AS CASE WHEN NOT is_lit(x) THEN NULL WHEN lit_suffix(x)[1:2] = '^^' "
    f"THEN lit_suffix(x)[3:] WHEN lit_suffix(x)[1] = '@' THEN '<{RDF.langString}>' ELSE '<{X}string>' END",
    "CREATE OR REPLACE MACRO lang(x) AS CASE WHEN is_lit(x) AND lit_suffix(x)[1] = '@' "
    "THEN lower(lit_suffix(x)[2:]) ELSE '' END",
]


def q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def wellformed_sql(d: str, lx: str, names: Iterable[str] | None = None) -> str:
    """SQL: a literal of datatype ``d`` (N-Triples text) and lexical form ``lx`` is well-formed
    (for the datatypes among ``names``, default all known; others are)."""
    names = list(LEXICAL) if names is None else list(names)
    whens = " ".join(f"WHEN '<{X}{n}>' THEN {LEXICAL[n].format(l=lx)}" for n in names)
    return f"(CASE {d} {whens} ELSE true END)"


_NUMERIC_NAMES = [n[len(X) + 1:-1] for n in NUMERIC]
_ORDERED_NAMES = [n[len(X) + 1:-1] for n in ORDERED_LEXICAL]


def order_cols(x: str, prefix: str = "") -> str:
    """SQL columns ``kind, num, lx`` (names prefixed) to compare the term ``x`` by: numbers
    together, else the same datatype (date-times with and without a time zone are not
    comparable); kind NULL: not comparable. Computed from dt/lex once, in a subquery."""
    numeric = ", ".join(q(n) for n in NUMERIC)
    ordered = ", ".join(q(n) for n in ORDERED_LEXICAL)
    kind = (f"(CASE WHEN d IN ({numeric}) AND {wellformed_sql('d', 'l', _NUMERIC_NAMES)} THEN 'n' "
            f"WHEN d IN ({ordered}) AND {wellformed_sql('d', 'l', _ORDERED_NAMES)} THEN d || "
            f"CASE WHEN regexp_matches(l, '(Z|[+-][0-9]{{2}}:[0-9]{{2}})$') THEN 'tz' ELSE '' END END)")
    num = (f"(CASE WHEN d IN ({numeric}) THEN try_cast(l AS DOUBLE) "
           f"WHEN d = '<{X}dateTime>' THEN epoch(try_cast(l AS TIMESTAMPTZ)) END)")
    return (f"(SELECT {kind} AS {prefix}kind, {num} AS {prefix}num, l AS {prefix}lx "
            f"FROM (SELECT dt({x}) AS d, lex({x}) AS l))")


def compare_sql(a: str, b: str, op: str) -> str:
    """SQL: a op b, for prefixes a/b of order_cols columns (NULL when not comparable)."""
    return (f"(CASE WHEN {a}kind IS NULL OR {b}kind IS NULL OR {a}kind <> {b}kind THEN NULL "
            f"WHEN {a}num IS NOT NULL THEN {a}num {op} {b}num ELSE {a}lx {op} {b}lx END)")




def nt(term: Any) -> str:
    """N-Triples text of an rdflib term, written as the loader writes data terms."""
    from ..serialize.terms import escape_string

    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        body = f'"{escape_string(str(term))}"'
        if term.language:
            return f"{body}@{term.language.lower()}"
        if term.datatype is not None and str(term.datatype) != f"{X}string":
            return f"{body}^^<{term.datatype}>"
        return body
    raise TypeError(term)


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


class ShapeCompiler:
    """Turns a shapes graph into SQL (see module doc)."""

    def __init__(self, shapes: Graph):
        self.g = shapes
        self.out = Compiled()
        self._tables = 0
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
        self._tables += 1
        name = f"kg_tmp_{self._tables}"
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
            return f"SELECT s AS x, o AS y FROM t WHERE p = {q(nt(path))}", False
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
            parts = [self.path_rel(shape, p, depth + 1) for p in self._list(shape, alt)]
            return " UNION ".join(f"({r})" for r, _ in parts), any(n for _, n in parts)
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
                    f"AND t.p = {q(nt(path))}")
        rel, nullable = self.path_rel(shape, path)
        sql = f"SELECT F.n AS f, r.y AS v FROM {focus} F JOIN ({rel}) r ON r.x = F.n"
        if nullable:
            sql += f" UNION SELECT n AS f, n AS v FROM {focus}"
        return f"SELECT DISTINCT f, v FROM ({sql})"

    # -- targets ---------------------------------------------------------------------------
    def instances_sql(self, classes: list[Any]) -> str:
        """SQL with column n: the instances of any of these classes or their subclasses (per the data)."""
        roots = ", ".join(q(nt(c)) for c in classes)
        return (
            f"SELECT DISTINCT t.s AS n FROM t WHERE t.p = {q(RDF_TYPE)} AND t.o IN ("
            f"WITH RECURSIVE sub(c) AS (SELECT * FROM (VALUES {', '.join(f'({r})' for r in roots.split(', '))}) v(c) "
            f"UNION SELECT t2.s FROM t t2 JOIN sub ON t2.o = sub.c AND t2.p = {q(SUBCLASS)}) SELECT c FROM sub)"
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
            parts.append("SELECT * FROM (VALUES " + ", ".join(f"({q(nt(n))})" for n in nodes) + ") v(n)")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"SELECT DISTINCT s AS n FROM t WHERE p = {q(nt(p))}")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"SELECT DISTINCT o AS n FROM t WHERE p = {q(nt(p))}")
        if not parts:
            return None
        return " UNION ".join(f"({p})" for p in parts)

    def shapes(self) -> list[Any]:
        """Shapes with targets, in a stable order."""
        found = set()
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
            table = self._table(f"SELECT DISTINCT n FROM ({focus})")
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
        out: list[str] = []

        def add(component: str, select: str, *, value: bool = True, distinct: bool = True) -> None:
            k = self.constraint(shape, component)
            cols = "f AS focus, v AS value" if value else "f AS focus, NULL AS value"
            out.append(f"SELECT {'DISTINCT ' if distinct else ''}{cols}, NULL AS path, {k} AS k FROM ({select})")

        def value_rule(component: str, bad: str) -> None:
            """A result for each value node v for which ``bad`` (SQL on v) is true."""
            add(component, f"SELECT V.f AS f, V.v AS v FROM {values} V WHERE {bad}")

        for cls in g.objects(shape, SH["class"]):
            value_rule("Class", f"v NOT IN ({self.instances_sql([cls])})")
        for dtype in g.objects(shape, SH.datatype):
            if not isinstance(dtype, URIRef):
                raise self.refuse(shape, "a non-IRI sh:datatype")
            if str(dtype).startswith(X) and str(dtype)[len(X):] not in LEXICAL:
                raise self.refuse(shape, f"sh:datatype {self._short(dtype)}")
            local = str(dtype)[len(X):] if str(dtype).startswith(X) else None
            ok = LEXICAL[local].format(l="lex(v)") if local else "true"
            value_rule("Datatype", f"NOT coalesce(is_lit(v) AND dt(v) = {q(nt(dtype))} AND {ok}, false)")
        for kind in g.objects(shape, SH.nodeKind):
            ok = {SH.IRI: "is_iri(v)", SH.BlankNode: "is_bnode(v)", SH.Literal: "is_lit(v)",
                  SH.BlankNodeOrIRI: "NOT is_lit(v)", SH.BlankNodeOrLiteral: "NOT is_iri(v)",
                  SH.IRIOrLiteral: "NOT is_bnode(v)"}.get(kind)
            if ok is None:
                raise self.refuse(shape, f"sh:nodeKind {kind}")
            value_rule("NodeKind", f"NOT ({ok})")
            self.out.constraints[-1].default_message = f"Value is not of Node Kind {self._short(kind)}"
        for param, comp in ((SH.minCount, "MinCount"), (SH.maxCount, "MaxCount")):
            for bound in g.objects(shape, param):
                if path is None:
                    raise self.refuse(shape, f"sh:{comp[0].lower()}{comp[1:]} on a node shape")
                n = self._int(shape, bound)
                op = "<" if comp == "MinCount" else ">"
                add(comp, f"SELECT F.n AS f FROM {focus} F LEFT JOIN {values} V ON V.f = F.n "
                          f"GROUP BY F.n HAVING count(V.v) {op} {n}", value=False)
        for param, comp, op in ((SH.minExclusive, "MinExclusive", ">"), (SH.minInclusive, "MinInclusive", ">="),
                                (SH.maxExclusive, "MaxExclusive", "<"), (SH.maxInclusive, "MaxInclusive", "<=")):
            for bound in g.objects(shape, param):
                if not isinstance(bound, Literal):
                    raise self.refuse(shape, f"a non-literal sh:{comp}")
                add(comp, f"SELECT f, v FROM (SELECT V.f AS f, V.v AS v, dt(V.v) AS d, lex(V.v) AS l FROM {values} V) "
                          f"WHERE NOT coalesce({self._compare_const(shape, op, bound)}, false)")
        for param, comp, op in ((SH.minLength, "MinLength", "<"), (SH.maxLength, "MaxLength", ">")):
            for bound in g.objects(shape, param):
                value_rule(comp, f"is_bnode(v) OR length(str(v)) {op} {self._int(shape, bound)}")
        patterns = list(g.objects(shape, SH.pattern))
        if patterns:
            flags = str(self._one(shape, SH.flags) or "")
            if set(flags) - {"i"}:
                raise self.refuse(shape, f"sh:flags {flags!r} (only 'i')")
            for pattern in patterns:
                value_rule("Pattern", f"is_bnode(v) OR NOT regexp_matches(str(v), {q(str(pattern))}"
                                      f"{', ' + q('i') if flags else ''})")
        for lst in g.objects(shape, SH.languageIn):
            tags = [str(x).lower() for x in self._list(shape, lst)]
            ok = " OR ".join(f"lang(v) = {q(t)} OR starts_with(lang(v), {q(t + '-')})" for t in tags) or "false"
            value_rule("LanguageIn", f"NOT (is_lit(v) AND lang(v) <> '' AND ({ok}))")
        for flag in g.objects(shape, SH.uniqueLang):
            if path is None:
                raise self.refuse(shape, "sh:uniqueLang on a node shape")
            # only "true" activates it ("1"^^xsd:boolean does not, W3C test uniqueLang-002)
            if isinstance(flag, Literal) and flag.datatype == XSD.boolean and str(flag) == "true":
                add("UniqueLang", f"SELECT f FROM (SELECT f, lang(v) AS l FROM {values} WHERE lang(v) <> '' "
                                  "GROUP BY f, l HAVING count(DISTINCT v) > 1)", value=False, distinct=False)
        for param, comp in ((SH.equals, "Equals"), (SH.disjoint, "Disjoint"),
                            (SH.lessThan, "LessThan"), (SH.lessThanOrEquals, "LessThanOrEquals")):
            for other in g.objects(shape, param):
                if not isinstance(other, URIRef):
                    raise self.refuse(shape, f"sh:{comp[0].lower()}{comp[1:]} with a non-IRI")
                others = f"(SELECT s AS f, o AS w FROM t WHERE p = {q(nt(other))})"
                if comp == "Equals":
                    add(comp, f"SELECT f, v FROM {values} V WHERE NOT EXISTS "
                              f"(SELECT 1 FROM {others} O WHERE O.f = V.f AND O.w = V.v) UNION "
                              f"SELECT F.n AS f, O.w AS v FROM {focus} F JOIN {others} O ON O.f = F.n "
                              f"WHERE NOT EXISTS (SELECT 1 FROM {values} V WHERE V.f = F.n AND V.v = O.w)")
                elif comp == "Disjoint":
                    value_rule(comp, f"EXISTS (SELECT 1 FROM {others} O WHERE O.f = V.f AND O.w = V.v)")
                else:
                    op = "<" if comp == "LessThan" else "<="
                    # one result per pair of values that are not in order
                    add(comp, f"SELECT P.f AS f, P.v AS v FROM (SELECT DISTINCT V.f, V.v, O.w FROM {values} V "
                              f"JOIN {others} O ON O.f = V.f) P, LATERAL {order_cols('P.v')} A, "
                              f"LATERAL {order_cols('P.w')} B "
                              f"WHERE NOT coalesce({compare_sql('A.', 'B.', op)}, false)", distinct=False)
        for lst in g.objects(shape, SH["in"]):
            members = ", ".join(q(nt(m)) for m in self._list(shape, lst))
            value_rule("In", f"v NOT IN ({members})" if members else "true")
        for value in g.objects(shape, SH.hasValue):
            add("HasValue", f"SELECT F.n AS f FROM {focus} F WHERE NOT EXISTS "
                            f"(SELECT 1 FROM {values} V WHERE V.f = F.n AND V.v = {q(nt(value))})", value=False)
        candidates = f"(SELECT DISTINCT v AS n FROM {values})"
        for other in g.objects(shape, SH.node):
            value_rule("Node", f"v IN ({self.failing(other, candidates, depth)})")
        for other in g.objects(shape, SH["not"]):
            value_rule("Not", f"v NOT IN ({self.failing(other, candidates, depth)})")
        for lst in g.objects(shape, SH["and"]):
            members = self._list(shape, lst)
            bad = " OR ".join(f"v IN ({self.failing(m, candidates, depth)})" for m in members) or "false"
            value_rule("And", bad)
        for lst in g.objects(shape, SH["or"]):
            members = self._list(shape, lst)
            bad = " AND ".join(f"v IN ({self.failing(m, candidates, depth)})" for m in members) or "true"
            value_rule("Or", bad)
        for lst in g.objects(shape, SH.xone):
            members = self._list(shape, lst)
            conforming = " + ".join(f"(CASE WHEN v IN ({self.failing(m, candidates, depth)}) THEN 0 ELSE 1 END)"
                                    for m in members) or "0"
            value_rule("Xone", f"({conforming}) <> 1")
        self._qualified(shape, focus, values, candidates, add, depth)
        self._closed(shape, focus, out)
        for prop in g.objects(shape, SH.property):
            if isinstance(prop, Literal):
                raise self.refuse(shape, "a literal as sh:property")
            if path is None:
                out.extend(self.shape_queries(prop, focus, top=top, depth=depth + 1))
            else:
                # the nested shape's results, once for each focus node whose value it checked
                for sql in self.shape_queries(prop, candidates, depth=depth + 1):
                    out.append(f"SELECT R.focus, R.value, R.path, R.k FROM ({sql}) R JOIN {values} V ON V.v = R.focus")
        for node in g.objects(shape, SH.sparql):
            if self.g.value(node, SH.deactivated) == Literal(True):
                continue
            from .shacl_sparql import sparql_constraint_sql

            k = self.constraint(shape, "SPARQL")
            info = self.out.constraints[k]
            info.messages = tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)) or info.messages
            for m in info.messages:
                if "{" in str(m):
                    raise self.refuse(shape, "message templates in sh:sparql messages")
            sql = sparql_constraint_sql(g, node, focus, lambda what: self.refuse(shape, what))
            out.append(f"SELECT DISTINCT focus, value, path, {k} AS k FROM ({sql})")
        return out

    def _compare_const(self, shape: Any, op: str, bound: Literal) -> str:
        """SQL on columns d (datatype) and l (lexical form): the value compares ``op`` to ``bound``."""
        import re

        dtype = f"<{bound.datatype or XSD.string}>"
        lexical = str(bound)
        if bound.language:
            raise self.refuse(shape, "a language-tagged bound")
        if dtype in NUMERIC:
            try:
                number = float(lexical)
            except ValueError:
                raise self.refuse(shape, f"the ill-formed bound {lexical!r}") from None
            numeric = ", ".join(q(n) for n in NUMERIC)
            integers = ", ".join(q(n) for n in NUMERIC if n[len(X) + 1:-1] not in ("decimal", "double", "float"))
            wf = (
                f"CASE WHEN d IN ({integers}) THEN regexp_full_match(l, '[+-]?[0-9]+') "
                f"WHEN d = '<{X}decimal>' THEN {LEXICAL['decimal'].format(l='l')} "
                f"ELSE {LEXICAL['double'].format(l='l')} END"
            )
            return f"(d IN ({numeric}) AND {wf} AND try_cast(l AS DOUBLE) {op} {number!r})"
        if dtype in ORDERED_LEXICAL:
            tz = re.search(r"(Z|[+-][0-9]{2}:[0-9]{2})$", lexical) is not None and dtype != f"<{X}string>"
            same_tz = f"regexp_matches(l, '(Z|[+-][0-9]{{2}}:[0-9]{{2}})$') = {str(tz).lower()}"
            local = dtype[len(X) + 1:-1]
            if dtype == f"<{X}dateTime>" and tz:
                cmp = f"epoch(try_cast(l AS TIMESTAMPTZ)) {op} epoch(try_cast({q(lexical)} AS TIMESTAMPTZ))"
            else:
                cmp = f"l {op} {q(lexical)}"
            return f"(d = {q(dtype)} AND {LEXICAL[local].format(l='l')} AND {same_tz} AND {cmp})"
        raise self.refuse(shape, f"a bound of datatype {self._short(bound.datatype)}")

    def _int(self, shape: Any, value: Any) -> int:
        try:
            return int(str(value))
        except ValueError:
            raise self.refuse(shape, f"a non-integer bound {value}") from None

    def _qualified(self, shape: Any, focus: str, values: str, candidates: str, add, depth: int) -> None:
        g = self.g
        qshape = self._one(shape, SH.qualifiedValueShape)
        lo, hi = g.value(shape, SH.qualifiedMinCount), g.value(shape, SH.qualifiedMaxCount)
        if qshape is None:
            return  # without its mandatory parameter the component is not active (SHACL 2.1.2)
        if g.value(shape, SH.path) is None:
            raise self.refuse(shape, "sh:qualifiedValueShape on a node shape")
        conforming = f"v NOT IN ({self.failing(qshape, candidates, depth)})"
        if g.value(shape, SH.qualifiedValueShapesDisjoint) == Literal(True):
            siblings = set()
            for parent in g.subjects(SH.property, shape):
                for sib in g.objects(parent, SH.property):
                    if sib != shape:
                        siblings.update(g.objects(sib, SH.qualifiedValueShape))
            for sib in sorted(siblings, key=str):
                conforming += f" AND v IN ({self.failing(sib, candidates, depth)})"
        counted = (f"SELECT F.n AS f, count(V.v) AS c FROM {focus} F LEFT JOIN "
                   f"(SELECT f, v FROM {values} WHERE {conforming}) V ON V.f = F.n GROUP BY F.n")
        if lo is not None:
            add("QualifiedMinCount", f"SELECT f FROM ({counted}) WHERE c < {self._int(shape, lo)}", value=False)
        if hi is not None:
            add("QualifiedMaxCount", f"SELECT f FROM ({counted}) WHERE c > {self._int(shape, hi)}", value=False)

    def _closed(self, shape: Any, focus: str, out: list[str]) -> None:
        g = self.g
        if g.value(shape, SH.closed) != Literal(True):
            return
        allowed = set()
        for lst in g.objects(shape, SH.ignoredProperties):
            allowed.update(nt(x) for x in self._list(shape, lst))
        for prop in g.objects(shape, SH.property):
            p = g.value(prop, SH.path)
            if isinstance(p, URIRef):
                allowed.add(nt(p))
        k = self.constraint(shape, "Closed")
        keep = " AND ".join(f"t.p <> {q(a)}" for a in sorted(allowed)) or "true"
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
