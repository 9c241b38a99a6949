"""Find the data files shipped with kgtool (ontology, shapes, queries), wherever installed."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # In a wheel the top-level folders are shipped as kgtool/_data/<name>;
    # in a source checkout (editable install, tests) they sit beside the package.
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kgtool data folder {name!r} is missing from the installation")


def ontology_dir() -> Path:
    return _data_dir("ontology")


def shapes_dir() -> Path:
    return _data_dir("shapes")


def queries_dir() -> Path:
    """The shipped SPARQL queries (kgtool/store/queries/*.rq, inside the package)."""
    return _PKG / "store" / "queries"


def ontology_file() -> Path:
    return ontology_dir() / "kgtool.ttl"


def context_file() -> Path:
    return ontology_dir() / "context.jsonld"


def shapes_file() -> Path:
    return shapes_dir() / "kgtool-shapes.ttl"


@lru_cache(maxsize=1)
def jsonld_context() -> dict:
    """The JSON-LD context object (the value of its '@context')."""
    return json.loads(context_file().read_text(encoding="utf-8"))["@context"]
