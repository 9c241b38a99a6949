"""kgtool: scholarly papers and their citations as a validated, queryable CiTO knowledge graph.

The library API (the CLI is a thin layer over it)::

    from kgtool import read_hub_page, build_graph
    result = build_graph([read_hub_page("page.txt")], out_dir="exports", stem="page")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError, KgtoolError, ValidationFailed  # noqa: E402
from .pipeline import BuildResult, build_graph, build_hub_pages, graph_from_bundles  # noqa: E402
from .sources.hub import parse_hub_page, read_hub_page  # noqa: E402

__all__ = [
    "BuildResult",
    "InputError",
    "KgtoolError",
    "ValidationFailed",
    "build_graph",
    "build_hub_pages",
    "graph_from_bundles",
    "parse_hub_page",
    "read_hub_page",
    "__version__",
]
