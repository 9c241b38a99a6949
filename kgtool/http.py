"""One HTTP session for every scholarly API.

Timeouts; retries with exponential backoff on 429, 5xx, timeouts and broken connections,
honouring Retry-After; a rate limit per API; a contact User-Agent; API keys read from the
environment and sent only as request headers (never in a URL, a message or the cache); an
on-disk response cache, and an offline mode that reads only the cache.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import requests

from . import __version__
from .errors import ApiError, UsageError
from .httpcache import ResponseCache, default_cache_dir
from .model import SourceInfo

Progress = Callable[[str], None]  # receives one-line progress messages (the CLI prints them on stderr)
CACHE_MODES = ("use", "refresh", "off", "only")


def quiet(_: str) -> None:
    """The Progress that says nothing."""


@dataclass(frozen=True)
class Api:
    """A scholarly API: where it lives (overridable by an env var) and how fast to call it."""

    name: str
    base_url: str  # the part before the API's own paths, e.g. https://api.openalex.org
    url_env: str  # env var that overrides base_url (mirrors, local replays)
    rate: float  # requests per second at most
    key_env: tuple[str, ...] = ()  # env vars that may hold an API key (first set wins)
    key_header: str | None = None

    def base(self) -> str:
        base = os.environ.get(self.url_env) or self.base_url
        if not base.startswith(("http://", "https://")):
            raise UsageError(f"{self.url_env} must be an http(s) URL, got {redact(base)!r}")
        return base.rstrip("/")

    def key(self) -> str | None:
        return next((os.environ[e] for e in self.key_env if os.environ.get(e)), None)


def _env_float(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise UsageError(f"{name} must not be negative, got {raw!r}")
    return value


@dataclass(frozen=True)
class HttpSettings:
    """How the client behaves. ``from_env`` reads the KGTOOL_HTTP_* variables."""

    timeout: float = 30.0  # seconds to wait for the server to answer (read timeout)
    connect_timeout: float = 10.0
    retries: int = 4  # extra attempts after the first
    backoff: float = 1.0  # first wait between attempts; doubles each time
    max_wait: float = 120.0  # longest single wait; a longer Retry-After is an error
    rate: float | None = None  # requests per second for every API (None: each API's own; 0: no limit)
    cache_dir: Path | None = None  # None: default_cache_dir()
    cache: str = "use"  # use | refresh (fetch, then store) | off | only (offline)
    mailto: str | None = None
    max_pages: int = 10_000  # a crawl that pages further is taken as a cursor that never ends
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def from_env(cls, **overrides: Any) -> "HttpSettings":
        """Settings from KGTOOL_HTTP_TIMEOUT, KGTOOL_HTTP_RETRIES, KGTOOL_HTTP_BACKOFF,
        KGTOOL_HTTP_MAX_WAIT, KGTOOL_RATE_LIMIT and KGTOOL_MAILTO; ``overrides`` (e.g. from
        command-line options) win when not None."""
        base = cls()
        values: dict[str, Any] = {
            "timeout": _env_float("KGTOOL_HTTP_TIMEOUT", base.timeout),
            "retries": int(_env_float("KGTOOL_HTTP_RETRIES", base.retries) or 0),
            "backoff": _env_float("KGTOOL_HTTP_BACKOFF", base.backoff),
            "max_wait": _env_float("KGTOOL_HTTP_MAX_WAIT", base.max_wait),
            "rate": _env_float("KGTOOL_RATE_LIMIT", None),
            "mailto": os.environ.get("KGTOOL_MAILTO") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass(frozen=True)
class Response:
    """A parsed JSON answer, the URL it came from (as shown to users) and its body's digest."""

    url: str
    data: Any
    sha256: str
    cached: bool


def redact(url: str) -> str:
    """A URL fit for messages: no user:password, no key-like query parameters."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        kept = []
        for pair in query.split("&"):
            name = pair.split("=", 1)[0].lower()
            secret = any(s in name for s in ("key", "token", "secret", "password", "mailto", "email"))
            kept.append(f"{pair.split('=', 1)[0]}=***" if secret else pair)
        query = "&".join(kept)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def build_url(api: Api, path: str, params: Mapping[str, object] | None = None) -> str:
    """base + path + sorted query, so that one request always has one URL (and cache key)."""
    url = api.base() + path
    if params:
        pairs = sorted((k, str(v)) for k, v in params.items() if v is not None)
        url += "?" + urlencode(pairs, quote_via=quote, safe=":,*|")
    return url


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _error_detail(body: bytes) -> str:
    """A short reason from an error body ({"message": ...} or {"error": ...}), if any."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if isinstance(data, dict):
        for k in ("message", "error", "detail"):
            if isinstance(data.get(k), str) and data[k].strip():
                return ": " + " ".join(data[k].split())[:200]
    return ""


def _unclosed(text: str) -> bool:
    """True when JSON text ends inside a string or with brackets still open (cut short)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return in_string or depth > 0


def parse_json(text: str, url: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        if not text.strip():
            raise ApiError(f"empty response body where JSON was expected: {url}") from None
        what = "truncated JSON" if _unclosed(text) else "not valid JSON"
        raise ApiError(f"{what} ({e.msg}, line {e.lineno} column {e.colno}): {url}") from None


class HttpClient:
    """The one session every source goes through."""

    def __init__(self, settings: HttpSettings | None = None, progress: Progress = quiet):
        self.settings = settings or HttpSettings.from_env()
        if self.settings.cache not in CACHE_MODES:
            raise UsageError(f"unknown cache mode {self.settings.cache!r} (choose from: {', '.join(CACHE_MODES)})")
        self.progress = progress
        self.cache_dir = Path(self.settings.cache_dir) if self.settings.cache_dir else default_cache_dir()
        self.cache = ResponseCache(self.cache_dir)
        self.session = requests.Session()
        contact = f"; mailto:{self.settings.mailto}" if self.settings.mailto else ""
        self.session.headers.update(
            {"User-Agent": f"kgtool/{__version__} (+https://w3id.org/kgtool{contact})", "Accept": "application/json"}
        )
        self._next_slot: dict[str, float] = {}
        self.requests_made = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(self, api: Api, path: str, params: Mapping[str, object] | None = None) -> Response:
        """GET base+path?params and parse the JSON body (from the cache when allowed)."""
        url = build_url(api, path, params)
        shown = redact(url)
        mode = self.settings.cache
        # The cache is keyed by the URL as shown: no password of a mirror's base URL on disk.
        if mode in ("use", "only"):
            body = self.cache.get(api.name, shown)
            if body is not None:
                return Response(shown, parse_json(body, shown), _digest(body), cached=True)
            if mode == "only":
                raise ApiError(
                    f"offline, and no cached response for {shown} "
                    f"(run once without --offline to fill the cache at {self.cache_dir})"
                )
        body = self._fetch(api, url, shown)
        data = parse_json(body, shown)
        if mode in ("use", "refresh"):
            self.cache.put(api.name, shown, body)
        return Response(shown, data, _digest(body), cached=False)

    def pager(self, api: Api, path: str, params: Mapping[str, object] | None = None) -> "Pager":
        """A guard for a paged crawl of path (params: those every page shares)."""
        return Pager(redact(build_url(api, path, params)), self.settings.max_pages)

    def _throttle(self, api: Api) -> None:
        rate = self.settings.rate if self.settings.rate is not None else api.rate
        if not rate:
            return
        now = time.monotonic()
        slot = self._next_slot.get(api.name, now)
        if slot > now:
            self.settings.sleep(slot - now)
        self._next_slot[api.name] = max(slot, now) + 1.0 / rate

    def _fetch(self, api: Api, url: str, shown: str) -> str:
        s = self.settings
        headers = {}
        key = api.key()
        if key and api.key_header:
            headers[api.key_header] = key
        attempt = 0
        while True:
            self._throttle(api)
            retry_after: float | None = None
            self.requests_made += 1
            try:
                r = self.session.get(url, headers=headers, timeout=(s.connect_timeout, s.timeout))
                raw = r.content
            except requests.Timeout:
                problem = f"no answer within {s.timeout:g} s"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
                problem = "the response was cut short"
            except requests.ConnectionError:
                problem = "cannot connect"
            except requests.RequestException as e:
                raise ApiError(f"request failed ({type(e).__name__}): {shown}") from None
            else:
                if r.status_code == 200:
                    try:
                        return raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise ApiError(f"the response is not UTF-8 text (not JSON): {shown}") from None
                if r.status_code == 404:
                    raise ApiError(f"not found (HTTP 404){_error_detail(raw)}: {shown}")
                if r.status_code != 429 and r.status_code < 500:
                    raise ApiError(f"HTTP {r.status_code} {r.reason or ''}".rstrip() + f"{_error_detail(raw)}: {shown}")
                problem = f"HTTP {r.status_code}"
                retry_after = retry_after_seconds(r.headers.get("Retry-After"))
            attempt += 1
            if attempt > s.retries:
                raise ApiError(f"{problem}; gave up after {attempt} attempts: {shown}")
            if retry_after is not None and retry_after > s.max_wait:
                raise ApiError(
                    f"{problem}: the server asks to retry after {retry_after:g} s, longer than the "
                    f"{s.max_wait:g} s allowed (KGTOOL_HTTP_MAX_WAIT): {shown}"
                )
            wait = retry_after if retry_after is not None else min(s.backoff * 2 ** (attempt - 1), s.max_wait)
            self.progress(f"{api.name}: {problem}; retry {attempt} of {s.retries} in {wait:g} s: {shown}")
            s.sleep(wait)


class Pager:
    """Guards a paged crawl against a cursor (or offset) that never ends."""

    def __init__(self, url: str, max_pages: int):
        self.url = url
        self.max_pages = max_pages
        self.seen: set[str] = set()

    def advance(self, token: object) -> None:
        """Record the token of the next page; raise if it was seen before or pages run on."""
        t = str(token)
        if t in self.seen:
            raise ApiError(f"paging does not advance (the next page {t!r} was already fetched): {self.url}")
        self.seen.add(t)
        if len(self.seen) > self.max_pages:
            raise ApiError(f"paging did not end after {self.max_pages} pages: {self.url}")


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def source_info(responses: Iterable[Response]) -> SourceInfo:
    """One PROV source for a crawl: named by its first URL, digest over every body in order."""
    responses = list(responses)
    if not responses:
        raise ValueError("no responses")
    h = hashlib.sha256()
    for r in responses:
        h.update(f"{r.url}\t{r.sha256}\n".encode("utf-8"))
    return SourceInfo(name=responses[0].url, sha256=h.hexdigest(), media_type="application/json")


def path_segment(value: str, safe: str = ":/") -> str:
    """An identifier as part of a URL path (DOIs keep their '/', SICI characters are escaped)."""
    return quote(value, safe=safe)
