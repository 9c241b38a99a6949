"""SQL for RDF terms and literals, as the SHACL compiler (shacl_sql.py) uses them.

Data terms are integer ids into a table ``terms(id, term)`` that the loader builds; ``term``
holds N-Triples text (``<iri>``, ``_:b``, ``"lex"@lang``, ``"lex"^^<dt>``), so a literal keeps
its lexical form: ``"none"^^xsd:boolean`` is ill-formed, whatever a parser would make of it.
The macros below work on that text; ``ref`` names a term of the shapes in a query, as a
placeholder the loader replaces by the term's id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

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
    # Escapes are decoded where the lexical form is needed: those of the one written form of a
    # term (see sql.SIMPLE_LITERAL) are all JSON's; else \\ last, through a placeholder.
    "CREATE OR REPLACE MACRO unesc(b) AS CASE WHEN strpos(b, '\\') = 0 THEN b ELSE coalesce("
    "try(json_extract_string('\"' || b || '\"', '$')), replace(replace(replace(replace(replace(replace("
    "replace(b, '\\\\', chr(1)), '\\\"', '\"'), '\\n', chr(10)),"
    " '\\r', chr(13)), '\\t', chr(9)), '\\''', ''''), chr(1), '\\')) END",
    "CREATE OR REPLACE MACRO lex(x) AS CASE WHEN is_lit(x) THEN unesc(x[2:lit_end(x) - 1]) END",
    "CREATE OR REPLACE MACRO str(x) AS CASE WHEN is_iri(x) THEN x[2:-2] WHEN is_lit(x) THEN lex(x) END",
    f"CREATE OR REPLACE MACRO dt(x) AS CASE WHEN NOT is_lit(x) THEN NULL WHEN lit_suffix(x)[1:2] = '^^' "
    f"THEN lit_suffix(x)[3:] WHEN lit_suffix(x)[1] = '@' THEN '<{RDF.langString}>' ELSE '<{X}string>' END",
    "CREATE OR REPLACE MACRO lang(x) AS CASE WHEN is_lit(x) AND lit_suffix(x)[1] = '@' "
    "THEN lower(lit_suffix(x)[2:]) ELSE '' END",
]


def q(text: str) -> str:
    """A SQL string literal (a NUL written as chr(0): NUL marks the placeholders of ``ref``)."""
    return "'" + text.replace("'", "''").replace("\0", "' || chr(0) || '") + "'"


#: A placeholder for the id of a term, N-Triples text between two NULs (see ref).
REF_RE = re.compile("\0([^\0]*)\0")


def ref_nt(text: str) -> str:
    """SQL for the id of the term with this N-Triples text: a placeholder that the loader
    replaces once it has numbered the terms (the terms of the shapes are numbered with the
    data's, so every placeholder gets an id)."""
    return f"\0{text}\0"


def ref(term: Any) -> str:
    """SQL for the id of an rdflib term (see ref_nt)."""
    return ref_nt(nt(term))


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


def compare_const(op: str, bound: Literal, refuse: Callable[[str], UsageError],
                  short: Callable[[Any], str]) -> str:
    """SQL on columns d (datatype) and l (lexical form): the value compares ``op`` to ``bound``."""
    dtype = f"<{bound.datatype or XSD.string}>"
    lexical = str(bound)
    if bound.language:
        raise refuse("a language-tagged bound")
    if dtype in NUMERIC:
        try:
            number = float(lexical)
        except ValueError:
            raise refuse(f"the ill-formed bound {lexical!r}") from None
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
    raise refuse(f"a bound of datatype {short(bound.datatype)}")
