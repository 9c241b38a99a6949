"""kgtool: scholarly papers and their citations as a validated, queryable CiTO knowledge graph.

The library API (the CLI, ``kgtool.cli``, is a thin layer over it)::

    from kgtool import read_hub_page, build_graph
    result = build_graph([read_hub_page("page.txt")], out_dir="exports", stem="page")

    from kgtool import convert_dump, validate_paths          # dumps of millions of citations
    convert_dump("opencitations-index.csv.gz", to="nt.gz", out_dir="exports/oc", split=5_000_000)
    report = validate_paths(["exports/oc"])                  # DuckDB for folders and large inputs

The library never prints or exits: it raises ``KgtoolError`` subclasses (one-line messages
naming the file, line or field) and hands progress lines to an optional ``progress`` callback
(``kgtool.progress.Progress``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from .errors import InputError, KgtoolError, ValidationFailed  # noqa: E402

# The API is imported on first use: the CLI's start-up (every command) does not pay for the
# converters and the pipeline it does not run.
_LAZY = {
    "ConvertResult": ".map.convert", "convert_dump": ".map.convert", "BuildResult": ".pipeline",
    "build_graph": ".pipeline", "build_hub_pages": ".pipeline", "graph_from_bundles": ".pipeline",
    "parse_hub_page": ".read.sources.hub", "read_hub_page": ".read.sources.hub", "validate_paths": ".validate.sql",
}
if TYPE_CHECKING:
    from .map.convert import ConvertResult, convert_dump
    from .pipeline import BuildResult, build_graph, build_hub_pages, graph_from_bundles
    from .read.sources.hub import parse_hub_page, read_hub_page
    from .validate.sql import validate_paths


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BuildResult",
    "ConvertResult",
    "convert_dump",
    "validate_paths",
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
