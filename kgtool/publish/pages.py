"""The body of every page: hub reports, work pages, citation and other resource pages, indexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node as Term

from ..map.vocab import CITO, KG, PREFIXES
from ..serialize.terms import TurtleTerms, sort_key
from .charts import PALETTE, POLARITY_COLOURS, REST_COLOUR, Bar, Node, bar_chart, citation_graph, percent
from .data import CitingRef, Distribution, SiteData, WorkInfo
from .html import esc, external, link, paragraphs
from .layout import Resource, relative

GRAPH_LIMIT = 48  # neighbours drawn in the citation picture
INVERSE_LIMIT = 50  # 'referenced by' rows on a resource page


@dataclass
class Linker:
    """Hrefs between pages: a published resource links to its page, anything else does not."""

    resources: dict[URIRef, Resource]

    def page(self, iri: Term | None, here: str) -> str | None:
        r = self.resources.get(iri) if isinstance(iri, URIRef) else None  # only IRIs are published
        return relative(here, r.page) if r else None

    def to(self, path: str, here: str) -> str:
        return relative(here, path)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- work pages and hub reports


def work_page(w: WorkInfo, data: SiteData, links: Linker, here: str) -> tuple[str, str, str | None]:
    """(title, body, description) of a work's page; a work with citing works gets the hub report."""
    title = w.title or str(w.iri)
    kind = "Citation hub" if w.is_hub else "Work"
    out = ['<article class="work">', f'<p class="kind">{kind}']
    if w.citing:
        out.append(f" · cited by {_plural(len(w.citing), 'work')} in this graph")
    out.append("</p>")
    out.append(f"<h1>{esc(title)}</h1>")
    meta = []
    if w.year:
        meta.append(f'<span class="year">{esc(w.year)}</span>')
    if w.venue:
        meta.append(f"<span>{esc(w.venue)}</span>")
    if w.doi:
        meta.append("DOI " + external("https://doi.org/" + w.doi, w.doi))
    if w.arxiv:
        meta.append("arXiv " + external("https://arxiv.org/abs/" + w.arxiv, w.arxiv))
    if meta:
        out.append(f'<p class="meta">{" · ".join(meta)}</p>')
    if w.authors:
        out.append(f'<p class="authors">{esc(", ".join(w.authors))}</p>')
    if w.summary:
        out.append(f'<p class="summary lead">{esc(w.summary)}</p>')
    if w.reception is not None:
        out.append(_reception(w, data, links, here))
    if w.abstract:
        out.append('<section aria-labelledby="h-abstract"><h2 id="h-abstract">Abstract</h2>')
        out.append(paragraphs(w.abstract, "abstract"))
        out.append("</section>")
    if w.citing or w.cites:
        out.append(_graph_section(w, data, links, here))
    if w.citing:
        reps = [c for c in w.citing if c.representative]
        if reps:
            out.append(_representatives(reps, w, data, links, here))
        out.append(_citing_list(w, data, links, here))
    if w.cites:
        out.append(_cites_list(w, data, links, here))
    extra = [("Code", u) for u in w.code] + [("See also", u) for u in w.see_also]
    if extra:
        out.append('<section aria-labelledby="h-links"><h2 id="h-links">Links</h2><ul class="plain">')
        out += [f"<li>{esc(k)}: {external(u)}</li>" for k, u in extra]
        out.append("</ul></section>")
    out.append(f'<p class="iri">IRI <code>{esc(w.iri)}</code></p>')
    out.append("</article>")
    description = w.summary or (w.abstract[:300] if w.abstract else None)
    return title, "\n".join(out), description


def _reception(w: WorkInfo, data: SiteData, links: Linker, here: str) -> str:
    rec = w.reception
    assert rec is not None
    out = ['<section class="reception" aria-labelledby="h-reception">',
           '<h2 id="h-reception">How this work is cited</h2>', '<p class="verdict">']
    if rec.polarity is not None:
        key = data.label(rec.polarity).casefold()
        out.append(
            f'<span class="badge" data-polarity="{esc(key)}">{esc(data.label(rec.polarity))}</span> citation behaviour.'
        )
    if rec.role is not None:
        share = f" ({esc(percent(rec.role_share))} of citations)" if rec.role_share is not None else ""
        out.append(f" Most common role: <strong>{esc(data.label(rec.role))}</strong>{share}.")
    out.append("</p>")
    out.append('<div class="charts">')
    out.append(_distribution_figure("Citation roles", rec.roles, data, None))
    out.append(_distribution_figure("Citation polarity", rec.polarities, data, rec.polarity))
    out.append("</div>")
    href = links.page(rec.iri, here)
    if href:
        out.append(f'<p class="small">{link(href, "The reception as data")}</p>')
    out.append("</section>")
    return "\n".join(out)


def _distribution_figure(caption: str, dist: Distribution | None, data: SiteData, overall: Term | None) -> str:
    out = ["<figure>", f"<figcaption>{esc(caption)}</figcaption>"]
    if dist is None or not dist.rows:
        if overall is not None:
            out.append(f'<p class="note">No breakdown in the data; overall: {esc(data.label(overall))}.</p>')
        else:
            out.append('<p class="note">No breakdown in the data.</p>')
        out.append("</figure>")
        return "".join(out)
    bars = []
    for i, row in enumerate(dist.rows):
        if row.label is None:
            bars.append(Bar("other roles", row.share or Decimal(0), REST_COLOUR))
            continue
        name = data.label(row.label)
        colour = POLARITY_COLOURS.get(name.casefold()) or PALETTE[i % len(PALETTE)]
        bars.append(Bar(name, row.share or Decimal(0), colour))
    out.append(bar_chart(bars, caption))
    notes = {
        "reported": "Shares as reported by the source.",
        "counted": f"Counted over {dist.total} citations with a role label; a citation can have several.",
        "top-only": "Only the most common role's share is in the data; the other roles are not broken down.",
    }
    out.append(f'<p class="note">{esc(notes[dist.origin])}</p>')
    counts = [(r.label, r.count) for r in dist.rows if r.count is not None and r.label is not None]
    if counts and dist.origin == "reported":
        out.append(
            '<p class="note">'
            + esc(", ".join(f"{data.label(label)}: {_plural(n, 'citation')}" for label, n in counts))
            + "</p>"
        )
    out.append("</figure>")
    return "\n".join(out)


def _graph_section(w: WorkInfo, data: SiteData, links: Linker, here: str) -> str:
    numbered = list(enumerate(w.citing, start=1))
    # representative papers first, so that the picture shows them when it must leave some out
    chosen = sorted(numbered, key=lambda nc: (not nc[1].representative, nc[0]))[:GRAPH_LIMIT]
    chosen.sort(key=lambda nc: nc[0])
    nodes = [
        Node(str(i), data.title(c.work), links.page(c.work, here), True, c.representative) for i, c in chosen
    ]
    room = max(0, GRAPH_LIMIT - len(nodes))
    nodes += [
        Node(f"R{i}", data.title(c.work), links.page(c.work, here), False)
        for i, c in list(enumerate(w.cites, start=1))[:room]
    ]
    total = len(w.citing) + len(w.cites)
    out = ['<section aria-labelledby="h-graph">', '<h2 id="h-graph">Citation graph</h2>', '<figure class="graph">']
    out.append(citation_graph(w.title or str(w.iri), nodes, total))
    legend = []
    if w.citing:
        legend.append('<span class="key key-rep"></span> representative citing paper · '
                      '<span class="key key-in"></span> other citing work (numbers as in the list below)')
    if w.cites:
        legend.append('<span class="key key-out"></span> work it cites (R numbers as under “Cites”)')
    shown = f"Showing {len(nodes)} of {total} neighbours. " if len(nodes) < total else ""
    out.append(f'<figcaption>{shown}{" · ".join(legend)}. Arrows point from the citing to the cited work.</figcaption>')
    out.append("</figure></section>")
    return "\n".join(out)


def _representatives(reps: list[CitingRef], w: WorkInfo, data: SiteData, links: Linker, here: str) -> str:
    out = ['<section aria-labelledby="h-reps">',
           f'<h2 id="h-reps">Representative citing papers ({len(reps)})</h2>', '<ul class="cards">']
    for c in reps:
        cw = data.works.get(c.work)
        out.append("<li>" + f'<p class="title">{link(links.page(c.work, here), data.title(c.work))}</p>')
        if cw and cw.summary:
            out.append(f'<p class="summary">{esc(cw.summary)}</p>')
        out.append("</li>")
    out.append("</ul></section>")
    return "\n".join(out)


def _citing_list(w: WorkInfo, data: SiteData, links: Linker, here: str) -> str:
    out = ['<section aria-labelledby="h-citing">',
           f'<h2 id="h-citing">All citing works ({len(w.citing)})</h2>', '<ol class="works">']
    for i, c in enumerate(w.citing, start=1):
        cw = data.works.get(c.work)
        bits = [
            f'<li id="citing-{i}" value="{i}"><p class="title">{link(links.page(c.work, here), data.title(c.work))}'
        ]
        if c.representative:
            bits.append(' <span class="tag">representative</span>')
        bits.append("</p>")
        if cw and cw.summary:
            bits.append(f'<p class="summary">{esc(cw.summary)}</p>')
        detail = []
        if cw and cw.year:
            detail.append(esc(cw.year))
        if c.citation is not None and links.page(c.citation, here):
            detail.append(link(links.page(c.citation, here), "citation record"))
        if detail:
            bits.append(f'<p class="small">{" · ".join(detail)}</p>')
        bits.append("</li>")
        out.append("".join(bits))
    out.append("</ol></section>")
    return "\n".join(out)


def _cites_list(w: WorkInfo, data: SiteData, links: Linker, here: str) -> str:
    out = ['<section aria-labelledby="h-cites">', f'<h2 id="h-cites">Cites ({len(w.cites)})</h2>', '<ol class="works">']
    for i, c in enumerate(w.cites, start=1):
        extra = ""
        if c.citation is not None and links.page(c.citation, here):
            extra = f' <span class="small">· {link(links.page(c.citation, here), "citation record")}</span>'
        out.append(
            f'<li id="cites-{i}" value="{i}">R{i}. {link(links.page(c.work, here), data.title(c.work))}{extra}</li>'
        )
    out.append("</ol></section>")
    return "\n".join(out)


# ---------------------------------------------------------------- every other resource

_LABEL_PROPS = (DCTERMS.title, RDFS.label, FOAF.name, SKOS.prefLabel)


def resource_title(graph: Graph, iri: URIRef, data: SiteData) -> str:
    """A short human title for any resource: its label, or what it is about."""
    types = set(graph.objects(iri, RDF.type))
    if CITO.Citation in types:
        citing = next(iter(sorted(graph.objects(iri, CITO.hasCitingEntity), key=sort_key)), None)
        cited = next(iter(sorted(graph.objects(iri, CITO.hasCitedEntity), key=sort_key)), None)
        if citing is not None and cited is not None:
            return f"Citation: {data.title(citing)} → {data.title(cited)}"
    if KG.Reception in types:
        of = next(iter(sorted(graph.objects(iri, KG.receptionOf), key=sort_key)), None)
        if of is not None:
            return f"Reception of {data.title(of)}"
    for cls, prop, word in ((KG.RoleShare, KG.role, "Role share"), (KG.PolarityShare, KG.polarity, "Polarity share"),
                            (KG.RoleLabel, KG.role, "Role label")):
        if cls in types:
            v = next(iter(sorted(graph.objects(iri, prop), key=sort_key)), None)
            if isinstance(v, URIRef):
                return f"{word}: {data.label(v)}"
    for p in _LABEL_PROPS:
        for o in sorted(graph.objects(iri, p), key=sort_key):
            return str(o)
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def resource_page(graph: Graph, iri: URIRef, data: SiteData, links: Linker, here: str) -> tuple[str, str]:
    """(title, body): the resource's statements as a table, and what refers to it."""
    fmt = TurtleTerms(PREFIXES)
    title = resource_title(graph, iri, data)
    types = sorted(graph.objects(iri, RDF.type), key=sort_key)
    out = ['<article class="resource">']
    if types:
        out.append(f'<p class="kind">{esc(", ".join(fmt.term(t) for t in types))}</p>')
    out.append(f"<h1>{esc(title)}</h1>")
    out.append(f'<p class="iri">IRI <code>{esc(iri)}</code></p>')
    out.append(_statements(graph, iri, data, links, here, fmt, seen={iri}))
    refs = sorted(((s, p) for s, p in graph.subject_predicates(iri) if p != RDF.type),
                  key=lambda sp: (sort_key(sp[1]), sort_key(sp[0])))
    if refs:
        out.append('<section aria-labelledby="h-refs"><h2 id="h-refs">Referred to by</h2><ul class="plain">')
        for s, p in refs[:INVERSE_LIMIT]:
            target = link(links.page(s, here), resource_title(graph, s, data)) if isinstance(s, URIRef) else esc(s)
            out.append(f"<li>{target} <span class=\"small\">({esc(fmt.term(p, predicate=True))})</span></li>")
        if len(refs) > INVERSE_LIMIT:
            out.append(f"<li>… and {len(refs) - INVERSE_LIMIT:,} more (see the data)</li>")
        out.append("</ul></section>")
    out.append("</article>")
    return title, "\n".join(out)


def _statements(graph: Graph, subject, data: SiteData, links: Linker, here: str, fmt: TurtleTerms, seen: set) -> str:
    by_pred: dict = {}
    for p, o in graph.predicate_objects(subject):
        if p != RDF.type:
            by_pred.setdefault(p, []).append(o)
    if not by_pred:
        return ""
    rows = [
        '<table class="props"><thead><tr><th scope="col">Property</th><th scope="col">Value</th></tr></thead><tbody>'
    ]
    for p in sorted(by_pred, key=sort_key):
        values = sorted(by_pred[p], key=sort_key)
        cells = "<br>".join(_value(graph, o, data, links, here, fmt, seen) for o in values)
        rows.append(f'<tr><th scope="row"><code>{esc(fmt.term(p, predicate=True))}</code></th><td>{cells}</td></tr>')
    rows.append("</tbody></table>")
    return "".join(rows)


def _value(graph: Graph, o, data: SiteData, links: Linker, here: str, fmt: TurtleTerms, seen: set) -> str:
    if isinstance(o, URIRef):
        href = links.page(o, here)
        if href:
            return link(href, resource_title(graph, o, data))
        if o in data.labels:
            return external(str(o), data.label(o))
        return external(str(o), fmt.iri(str(o)))
    if isinstance(o, BNode):
        if o in seen:
            return esc(f"_:{o}")
        return _statements(graph, o, data, links, here, fmt, seen | {o})
    if isinstance(o, Literal):
        text = esc(o)
        if o.language:
            return f'{text} <span class="small">@{esc(o.language)}</span>'
        if o.datatype and o.datatype != XSD.string:
            return f'{text} <span class="small">({esc(fmt.iri(str(o.datatype)))})</span>'
        return text
    return esc(o)


# ---------------------------------------------------------------- indexes

SORTS = {
    "citations": ("works-by-citations.html", "Citations"),
    "year": ("works-by-year.html", "Year"),
    "title": ("works-by-title.html", "Title"),
}


def sorted_works(works: Iterable[WorkInfo], by: str) -> list[WorkInfo]:
    def title(w: WorkInfo) -> tuple:
        return ((w.title or str(w.iri)).casefold(), str(w.iri))

    ws = list(works)
    if by == "citations":
        return sorted(ws, key=lambda w: (-len(w.citing), *title(w)))
    if by == "year":
        return sorted(ws, key=lambda w: (w.year is None, "" if w.year is None else _neg_year(w.year), *title(w)))
    return sorted(ws, key=title)


def _neg_year(year: str) -> str:
    # newest first: sort on the complement of each digit
    return "".join(chr(ord("9") - ord(ch) + ord("0")) if ch.isdigit() else ch for ch in year.zfill(6))


def search_form(here: str) -> str:
    return (
        '<form class="search" role="search" action="" method="get">'
        '<label for="q">Search the works</label> '
        '<input id="q" name="q" type="search" autocomplete="off" placeholder="title, summary or DOI">'
        ' <button type="submit">Search</button></form>'
        '<div id="search-status" class="small" aria-live="polite"></div>'
        '<ol id="search-results" class="works"></ol>'
        '<noscript><p class="note">The search box needs JavaScript; every work is listed on the work lists.</p>'
        "</noscript>"
    )


def works_table(works: list[WorkInfo], by: str, links: Linker, here: str) -> str:
    head = []
    for key, col in (("title", "Title"), ("year", "Year"), ("citations", "Citations")):
        page, _ = SORTS[key]
        sort = (
            ' aria-sort="descending"'
            if key == by and key != "title"
            else (' aria-sort="ascending"' if key == by else "")
        )
        label = (
            f'<a href="{esc(relative(here, page))}">{col}</a>'
            if key != by
            else f'{col} <span aria-hidden="true">{"▲" if key == "title" else "▼"}</span>'
        )
        head.append(f'<th scope="col"{sort}>{label}</th>')
    rows = [f'<div class="scroll"><table class="works"><thead><tr>{"".join(head)}</tr></thead><tbody>']
    for w in works:
        rows.append(
            f"<tr><td>{link(links.page(w.iri, here), w.title or str(w.iri))}</td>"
            f'<td>{esc(w.year or "")}</td><td class="num">{len(w.citing) if w.citing else ""}</td></tr>'
        )
    rows.append("</tbody></table></div>")
    return "".join(rows)


def works_list_page(data: SiteData, by: str, links: Linker) -> tuple[str, str]:
    works = sorted_works(data.works.values(), by)
    sort_links = " · ".join(
        (f"<strong>{label}</strong>" if key == by else f'<a href="{page}">{label}</a>')
        for key, (page, label) in SORTS.items()
    )
    body = [
        f"<h1>All works ({len(works):,})</h1>",
        search_form(""),
        f'<p class="sortby">Sort by: {sort_links}</p>',
        works_table(works, by, links, ""),
    ]
    return f"All works by {SORTS[by][1].lower()}", "\n".join(body)


def home_page(data: SiteData, links: Linker, counts: dict, dumps: list[tuple[str, str]], site_name: str) -> str:
    hubs = sorted_works((w for w in data.works.values() if w.is_hub), "citations")
    body = [
        f"<h1>{esc(site_name)}</h1>",
        f'<p class="lead">{counts["works"]:,} works, {counts["citations"]:,} citations and '
        f"{counts['triples']:,} triples, published as linked data: every work and citation has a page and "
        "Turtle, JSON-LD and N-Triples descriptions.</p>",
        search_form(""),
        '<section aria-labelledby="h-hubs">',
        f'<h2 id="h-hubs">Citation hubs ({len(hubs):,})</h2>',
        '<ul class="cards">',
    ]
    for w in hubs:
        bits = [
            f'<li><p class="title">{link(links.page(w.iri, ""), w.title or str(w.iri))}</p>'
            f'<p class="small">cited by {_plural(len(w.citing), "work")}'
        ]
        if w.reception is not None and w.reception.polarity is not None:
            bits.append(f" · {esc(data.label(w.reception.polarity))}")
        if w.reception is not None and w.reception.role is not None:
            bits.append(f" · mostly {esc(data.label(w.reception.role))}")
            if w.reception.role_share is not None:
                bits.append(f" ({esc(percent(w.reception.role_share))})")
        bits.append("</p></li>")
        body.append("".join(bits))
    body.append("</ul></section>")
    body.append('<section aria-labelledby="h-browse"><h2 id="h-browse">Browse</h2><ul class="plain">')
    for _key, (page, label) in SORTS.items():
        body.append(f'<li><a href="{page}">All works by {label.lower()}</a></li>')
    body.append("</ul></section>")
    body.append('<section aria-labelledby="h-data"><h2 id="h-data">Data</h2><ul class="plain">')
    body.append('<li><a href="void.ttl" type="text/turtle">Dataset description (VoID and DCAT, Turtle)</a></li>')
    for href, label in dumps:
        body.append(f'<li><a href="{esc(href)}">{esc(label)}</a></li>')
    body.append("</ul></section>")
    return "\n".join(body)
