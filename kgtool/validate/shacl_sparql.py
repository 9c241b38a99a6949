"""Translate the SELECT query of an sh:sparql constraint into SQL over the triples table.

Only what can be translated exactly is: a basic graph pattern (IRIs, literals and variables,
no blank nodes), optionally under FILTER NOT EXISTS / FILTER EXISTS of basic graph patterns,
projecting $this and optionally ?value and ?path. Anything else is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdflib import Graph, Literal, URIRef, Variable
from rdflib.namespace import SH

from ..errors import UsageError

Refuse = Callable[[str], UsageError]


def _prefixes(g: Graph, node: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for pnode in g.objects(node, SH.prefixes):
        for decl in g.objects(pnode, SH.declare):
            pre, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
            if pre is not None and ns is not None:
                out[str(pre)] = str(ns)
    return out


def _triples(part: Any, refuse: Refuse) -> list[tuple]:
    name = getattr(part, "name", None)
    if name in ("BGP", "TriplesBlock"):
        return list(part["triples"])
    if name == "GroupGraphPatternSub":
        out = []
        for sub in part["part"]:
            out.extend(_triples(sub, refuse))
        return out
    if name == "Join":
        return _triples(part["p1"], refuse) + _triples(part["p2"], refuse)
    raise refuse(
        f"SPARQL {name or type(part).__name__} in sh:select (only basic graph patterns and FILTER (NOT) EXISTS)"
    )


def _bgp_sql(triples: list[tuple], bound: dict[str, str], refuse: Refuse, prefix: str) -> tuple[str, list[str], dict]:
    """FROM items and WHERE conditions for a BGP; ``bound`` maps variables already bound outside."""
    from .shacl_sql_terms import ref as ref_id

    tables: list[str] = []
    conds: list[str] = []
    local: dict[str, str] = {}
    for i, triple in enumerate(triples):
        alias = f"{prefix}{i}"
        tables.append(f"t {alias}")
        for col, term in zip(("s", "p", "o"), triple):
            ref = f"{alias}.{col}"
            if isinstance(term, Variable):
                name = str(term)
                if name in local:
                    conds.append(f"{ref} = {local[name]}")
                elif name in bound:
                    conds.append(f"{ref} = {bound[name]}")
                    local[name] = ref
                else:
                    local[name] = ref
            elif isinstance(term, (URIRef, Literal)):
                conds.append(f"{ref} = {ref_id(term)}")
            else:
                raise refuse("a blank node in sh:select")
    return ", ".join(tables), conds, local


def sparql_constraint_sql(g: Graph, node: Any, focus: str, refuse: Refuse) -> str:
    """SQL with columns (focus, value, path) for the constraint, for focus nodes in ``focus``."""
    from rdflib.plugins.sparql import prepareQuery

    select = g.value(node, SH.select)
    if select is None:
        raise refuse("an sh:sparql constraint without sh:select")
    text = str(select)
    if any(v in text for v in ("$PATH", "$currentShape", "$shapesGraph")):
        raise refuse("$PATH, $currentShape or $shapesGraph in sh:select")
    try:
        query = prepareQuery(text, initNs=_prefixes(g, node))
    except Exception as e:
        raise refuse(f"this sh:select ({' '.join(str(e).split())[:120]})") from None
    algebra = query.algebra
    if algebra.name != "SelectQuery":
        raise refuse("a non-SELECT sh:select")
    top = algebra["p"]
    if top.name != "Project":
        raise refuse(f"SPARQL {top.name} in sh:select (only basic graph patterns and FILTER (NOT) EXISTS)")
    projected = [str(v) for v in top["PV"]]
    if "this" not in projected or set(projected) - {"this", "value", "path"}:
        raise refuse("an sh:select that does not project $this (and only ?value, ?path)")
    body, filters = top["p"], []
    while body.name == "Filter":
        filters.append(body["expr"])
        body = body["p"]
    tables, conds, bound = _bgp_sql(_triples(body, refuse), {}, refuse, "a")
    if "this" not in bound:
        raise refuse("an sh:select whose pattern does not bind $this")
    for i, expr in enumerate(filters):
        kind = getattr(expr, "name", None)
        if kind not in ("Builtin_NOTEXISTS", "Builtin_EXISTS"):
            raise refuse(f"SPARQL FILTER {kind or type(expr).__name__} in sh:select (only FILTER (NOT) EXISTS)")
        inner_tables, inner_conds, _ = _bgp_sql(_triples(expr["graph"], refuse), bound, refuse, f"e{i}_")
        where = " AND ".join(inner_conds) or "true"
        neg = "NOT " if kind == "Builtin_NOTEXISTS" else ""
        conds.append(f"{neg}EXISTS (SELECT 1 FROM {inner_tables} WHERE {where})")
    conds.append(f"{bound['this']} IN (SELECT n FROM {focus})")
    value = bound.get("value", "NULL") if "value" in projected else "NULL"
    path = bound.get("path", "NULL") if "path" in projected else "NULL"
    return (f"SELECT DISTINCT {bound['this']} AS focus, {value} AS value, {path} AS path "
            f"FROM {tables} WHERE {' AND '.join(conds)}")
