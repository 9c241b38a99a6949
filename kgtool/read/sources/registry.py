"""Scholarly API sources by name: imported only when first used; third parties add their own
through the 'kgtool.sources' entry-point group (name = module path).

A source module has NAME, API (an http.Api), ``fetch(client, identifier, *, citations,
references, limit, progress) -> Bundle``, ``read_saved(data, name) -> Bundle`` and, when the
API can search by title, ``search_title(client, title) -> (works, response)``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from types import ModuleType

from ...errors import UsageError

BUILTIN: dict[str, str] = {
    "openalex": "kgtool.read.sources.openalex",
    "semanticscholar": "kgtool.read.sources.semanticscholar",
    "crossref": "kgtool.read.sources.crossref",
    "opencitations": "kgtool.read.sources.opencitations",
}
ALIASES: dict[str, str] = {"s2": "semanticscholar", "oc": "opencitations", "coci": "opencitations"}


def _registered() -> dict[str, str]:
    found = dict(BUILTIN)
    for ep in entry_points(group="kgtool.sources"):
        found.setdefault(ep.name, ep.value)
    return found


def source_names() -> list[str]:
    """Every source name (aliases not included)."""
    return list(_registered())


def get_source(name: str) -> ModuleType:
    """The source module for a name or alias; an unknown name lists the valid ones."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    modules = _registered()
    if key not in modules:
        valid = ", ".join(sorted(modules) + [f"{a} (= {t})" for a, t in sorted(ALIASES.items())])
        raise UsageError(f"unknown source {name!r} (choose from: {valid})")
    return importlib.import_module(modules[key])


def searchable(name: str) -> ModuleType:
    """A source that can look works up by title (for --enrich)."""
    module = get_source(name)
    if not hasattr(module, "search_title"):
        able = [n for n in source_names() if hasattr(get_source(n), "search_title")]
        raise UsageError(f"{module.NAME} cannot look works up by title (sources that can: {', '.join(able)})")
    return module
