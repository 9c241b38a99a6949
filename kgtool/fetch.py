"""Fetch a work and its citations from a scholarly API (or a saved answer) and build the graph."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import UsageError
from .map.model import Bundle
from .pipeline import BuildResult, build_graph
from .read.http import HttpClient, HttpSettings, Progress, quiet
from .read.readfile import read_bytes
from .read.sources.registry import get_source

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def fetch_bundle(
    source: str,
    identifier: str | None = None,
    *,
    citations: bool = False,
    references: bool = False,
    limit: int | None = None,
    input_path: str | Path | None = None,
    http: HttpSettings | None = None,
    progress: Progress = quiet,
) -> Bundle:
    """Records for one work from ``source`` (by identifier), or from a saved answer file."""
    module = get_source(source)
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    if input_path is not None:
        if identifier:
            raise UsageError("give either an identifier or --input, not both")
        name, data = read_bytes(input_path)
        return module.read_saved(data, name)
    if not identifier:
        raise UsageError(f"give the identifier of a work to fetch from {module.NAME} (or --input FILE)")
    with HttpClient(http, progress) as client:
        return module.fetch(
            client, identifier, citations=citations, references=references, limit=limit, progress=progress
        )


def default_stem(source: str, identifier: str | None, input_path: str | Path | None = None) -> str:
    """'openalex-W2741809807', 'crossref-10.7554_elife.01567'; a saved file's own stem."""
    if input_path is not None and str(input_path) != "-":
        return Path(input_path).stem
    name = get_source(source).NAME
    if not identifier:
        return name
    return f"{name}-{_UNSAFE.sub('_', identifier.strip()).strip('_')[:80]}"


def fetch_and_build(
    source: str,
    identifier: str | None = None,
    *,
    citations: bool = False,
    references: bool = False,
    limit: int | None = None,
    input_path: str | Path | None = None,
    http: HttpSettings | None = None,
    progress: Progress = quiet,
    **build_kwargs,
) -> BuildResult:
    """Fetch everything first (a crawl that fails writes nothing), then map, validate, export."""
    bundle = fetch_bundle(
        source, identifier, citations=citations, references=references, limit=limit,
        input_path=input_path, http=http, progress=progress,
    )
    build_kwargs.setdefault("stem", default_stem(source, identifier, input_path))
    return build_graph([bundle], progress=progress, **build_kwargs)
