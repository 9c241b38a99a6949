"""An on-disk cache of API response bodies, so that re-runs (and --offline) need no network."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..atomic import write_files_atomically


def default_cache_dir() -> Path:
    """$KGTOOL_CACHE_DIR, else $XDG_CACHE_HOME/kgtool/http, else ~/.cache/kgtool/http."""
    if os.environ.get("KGTOOL_CACHE_DIR"):
        return Path(os.environ["KGTOOL_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kgtool" / "http"


class ResponseCache:
    """Response bodies by API and URL. Only successful JSON bodies are stored; request
    headers (where an API key travels) never are."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, api: str, url: str) -> Path:
        h = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / api / h[:2] / f"{h}.json"

    def get(self, api: str, url: str) -> str | None:
        """The cached body for url, or None (a missing or unreadable entry is a miss)."""
        try:
            entry = json.loads(self.path(api, url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("url") != url or not isinstance(entry.get("body"), str):
            return None
        return entry["body"]

    def put(self, api: str, url: str, body: str) -> None:
        data = json.dumps({"url": url, "body": body}, ensure_ascii=False).encode("utf-8")
        write_files_atomically({self.path(api, url): lambda fh: fh.write(data)})
