"""Summary figures of a graph, computed with SPARQL from the graph (never from input text)."""

from __future__ import annotations

import json
from decimal import Decimal

from rdflib import Graph, Literal
from rdflib.term import Identifier

from ..map.vocab import KG
from .engines import Engine, engine_for
from .rows import Row, select

COUNTS = """
SELECT
  (COUNT(DISTINCT ?w) AS ?works)
  (COUNT(DISTINCT ?c) AS ?citations)
  (COUNT(DISTINCT ?cw) AS ?cited_works)
  (COUNT(DISTINCT ?gw) AS ?citing_works)
WHERE {
  { ?w a fabio:Expression }
  UNION { ?c a cito:Citation ; cito:hasCitedEntity ?cw ; cito:hasCitingEntity ?gw }
}"""

RECEPTIONS = """
SELECT ?work ?title ?polarity ?role ?share
  (COUNT(DISTINCT ?c) AS ?citations)
  (COUNT(DISTINCT ?rep) AS ?representative)
  (COUNT(DISTINCT ?summ) AS ?with_summary)
WHERE {
  ?r a kg:Reception ; kg:receptionOf ?work .
  OPTIONAL { ?work dcterms:title ?title }
  OPTIONAL { ?r kg:overallPolarity ?polarity }
  OPTIONAL { ?r kg:mostCommonRole ?role }
  OPTIONAL { ?r kg:mostCommonRoleShare ?share }
  OPTIONAL {
    ?c cito:hasCitedEntity ?work ; cito:hasCitingEntity ?citing .
    OPTIONAL { ?c kg:isRepresentative true . BIND(?c AS ?rep) }
    OPTIONAL { ?citing kg:summary ?s . BIND(?citing AS ?summ) }
  }
}
GROUP BY ?work ?title ?polarity ?role ?share
ORDER BY ?title ?work"""

DISTRIBUTION = """
SELECT DISTINCT ?work ?link ?prop ?label ?share ?n WHERE {
  ?r kg:receptionOf ?work ; ?link ?row .
  ?row ?prop ?label .
  OPTIONAL { ?row kg:share ?share }
  OPTIONAL { ?row kg:count ?n }
} ORDER BY DESC(?share) DESC(?n) ?label"""


def _label(iri: Identifier | None) -> str | None:
    return None if iri is None else str(iri).rstrip("/").rsplit("/", 1)[-1]


def _num(term: Identifier | None) -> object:
    """A share or count as JSON takes it (a literal's value; an IRI's text)."""
    if term is None:
        return None
    v = term.toPython() if isinstance(term, Literal) else str(term)
    return float(v) if isinstance(v, Decimal) else v


def compute_stats(source: Graph | Engine) -> dict:
    """Counts of works, citations and triples, and each hub's reception.

    ``source`` is an rdflib Graph or any engine (the embedded store, an endpoint): the same
    SPARQL runs on each.
    """
    engine = engine_for(source)
    (row,) = select(engine, COUNTS)
    out: dict = {
        "triples": engine.triple_count(),
        "works": row.count("works"),
        "citations": row.count("citations"),
        "cited_works": row.count("cited_works"),
        "citing_works": row.count("citing_works"),
        "receptions": [_reception(engine, r) for r in select(engine, RECEPTIONS)],
    }
    return out


def _reception(engine: Engine, r: Row) -> dict:
    """One hub's reception figures and its role and polarity distributions."""
    rec: dict = {
        "work": r.text("work"),
        "title": r.text("title"),
        "polarity": _label(r.term("polarity")),
        "most_common_role": _label(r.term("role")),
        "most_common_role_share": _num(r.term("share")),
        "citations": r.count("citations"),
        "representative": r.count("representative"),
        "citing_with_summary": r.count("with_summary"),
    }
    work = r["work"]
    for key, link, prop in (
        ("roles", KG.hasRoleShare, KG.role),
        ("polarities", KG.hasPolarityShare, KG.polarity),
    ):
        rows = select(engine, DISTRIBUTION, {"work": work, "link": link, "prop": prop})
        rec[key] = [
            {"label": _label(d.term("label")), "share": _num(d.term("share")), "count": _num(d.term("n"))}
            for d in rows
        ]
    return rec


def render_stats_text(stats: dict) -> str:
    lines = [
        f"triples    {stats['triples']}",
        f"works      {stats['works']}",
        f"citations  {stats['citations']}  "
        f"({stats['citing_works']} citing works -> {stats['cited_works']} cited works)",
    ]
    for rec in stats["receptions"]:
        lines.append("")
        lines.append(f"hub: {rec['title'] or rec['work']}")
        lines.append(f"  {rec['work']}")
        lines.append(
            f"  citations {rec['citations']}, representative {rec['representative']}, "
            f"citing works with a summary {rec['citing_with_summary']}"
        )
        if rec["polarity"]:
            lines.append(f"  polarity {rec['polarity']}")
        if rec["most_common_role"]:
            share = rec["most_common_role_share"]
            pct = f" ({share * 100:.0f}%)" if share is not None else ""
            lines.append(f"  most common role {rec['most_common_role']}{pct}")
        for key in ("roles", "polarities"):
            if rec[key]:
                parts = []
                for d in rec[key]:
                    v = f"{d['share'] * 100:.0f}%" if d["share"] is not None else str(d["count"])
                    parts.append(f"{d['label']} {v}")
                lines.append(f"  {key}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def render_stats_json(stats: dict) -> str:
    return json.dumps(stats, indent=2, ensure_ascii=False) + "\n"
