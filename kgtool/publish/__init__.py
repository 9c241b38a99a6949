"""Publish a kgtool graph as linked data: a static site with content-negotiable RDF.

    from kgtool.publish import build_site
    build_site(graph, "site", "https://example.org/kg/")
"""

from __future__ import annotations

from .site import SiteResult, build_site, graph_bases, resolve_base

__all__ = ["SiteResult", "build_site", "graph_bases", "resolve_base"]
