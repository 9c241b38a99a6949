"""The JSON index behind the offline search box (read by assets/search.js)."""

from __future__ import annotations

import json

from rdflib import URIRef

from .data import SiteData
from .layout import Resource
from .pages import sorted_works

FIELDS = ["title", "year", "citations", "url", "summary", "doi"]


def search_index(data: SiteData, resources: dict[URIRef, Resource]) -> str:
    """One row per published work, most cited first; 'url' is relative to the site root."""
    rows = []
    for w in sorted_works(data.works.values(), "citations"):
        r = resources.get(w.iri) if isinstance(w.iri, URIRef) else None  # only IRIs are published
        if r is None:
            continue
        rows.append([w.title or str(w.iri), w.year, len(w.citing), r.page, w.summary, w.doi])
    return json.dumps({"fields": FIELDS, "works": rows}, ensure_ascii=False, separators=(",", ":")) + "\n"
