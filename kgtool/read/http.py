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
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .. import __version__
from ..errors import ApiError, UsageError
from ..map.model import SourceInfo
from ..progress import Progress, quiet
from ..secrets import mask
from .httpcache import ResponseCache, default_cache_dir

CACHE_MODES = ("use", "refresh", "off", "only")


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
    deadline: float = 300.0  # seconds for one whole answer, however slowly it trickles in (0: none)
    max_bytes: int = 256 << 20  # bytes of one (decoded) answer at most (0: no cap)
    max_crawl_bytes: int = 2 << 30  # bytes of all the pages of one paged crawl at most (0: no cap)
    max_redirects: int = 5
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def from_env(cls, **overrides: Any) -> HttpSettings:
        """Settings from KGTOOL_HTTP_TIMEOUT, KGTOOL_HTTP_RETRIES, KGTOOL_HTTP_BACKOFF,
        KGTOOL_HTTP_MAX_WAIT, KGTOOL_HTTP_DEADLINE, KGTOOL_HTTP_MAX_BYTES, KGTOOL_HTTP_MAX_PAGES,
        KGTOOL_HTTP_MAX_CRAWL_BYTES, KGTOOL_RATE_LIMIT and KGTOOL_MAILTO; ``overrides`` (e.g.
        from command-line options) win when not None."""
        base = cls()
        values: dict[str, Any] = {
            "timeout": _env_float("KGTOOL_HTTP_TIMEOUT", base.timeout),
            "retries": int(_env_float("KGTOOL_HTTP_RETRIES", base.retries) or 0),
            "backoff": _env_float("KGTOOL_HTTP_BACKOFF", base.backoff),
            "max_wait": _env_float("KGTOOL_HTTP_MAX_WAIT", base.max_wait),
            "rate": _env_float("KGTOOL_RATE_LIMIT", None),
            "mailto": os.environ.get("KGTOOL_MAILTO") or None,
            "deadline": _env_float("KGTOOL_HTTP_DEADLINE", base.deadline),
            "max_bytes": int(_env_float("KGTOOL_HTTP_MAX_BYTES", base.max_bytes) or 0),
            "max_pages": int(_env_float("KGTOOL_HTTP_MAX_PAGES", base.max_pages) or 0),
            "max_crawl_bytes": int(_env_float("KGTOOL_HTTP_MAX_CRAWL_BYTES", base.max_crawl_bytes) or 0),
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
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _error_detail(body: bytes, secrets: tuple[str, ...] = ()) -> str:
    """A short reason from an error body ({"message": ...} or {"error": ...}), if any, with
    every configured secret masked (servers echo keys back)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ""
    if isinstance(data, dict):
        for k in ("message", "error", "detail"):
            if isinstance(data.get(k), str) and data[k].strip():
                return ": " + mask(" ".join(mask(data[k], extra=secrets).split()), extra=secrets)[:200]
    return ""


def same_origin(a: str, b: str) -> bool:
    """True when both URLs have the same scheme, host and port."""
    pa, pb = urlsplit(a), urlsplit(b)
    default = {"http": 80, "https": 443}
    try:
        return (pa.scheme, pa.hostname, pa.port or default.get(pa.scheme)) == (
            pb.scheme, pb.hostname, pb.port or default.get(pb.scheme))
    except ValueError:  # a port that is not a number
        return False


class _Watch:
    """The connections one request uses, and whether its deadline has passed."""

    def __init__(self) -> None:
        self.conns: weakref.WeakSet[Any] = weakref.WeakSet()
        self.expired = False


_current = threading.local()  # .watch: the _Watch of the request this thread is making


class _TrackedPool:
    """A connection pool that tells the current request's _Watch which connection it hands out."""

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.conns.add(conn)
        return conn


class _HTTPPool(_TrackedPool, urllib3.HTTPConnectionPool):
    pass


class _HTTPSPool(_TrackedPool, urllib3.HTTPSConnectionPool):
    pass


class _TrackedAdapter(HTTPAdapter):
    """requests' adapter, with pools whose connections a deadline can cut."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, *args, **kwargs):
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


class _Deadline:
    """Cuts the connections of one request once ``seconds`` have passed (a read that trickles
    one byte at a time never trips the per-read timeout; this bounds the whole answer)."""

    def __init__(self, seconds: float):
        self.watch = _Watch()
        self.seconds = seconds
        self._done = threading.Event()

    def __enter__(self) -> _Watch:
        _current.watch = self.watch
        if self.seconds:
            threading.Thread(target=self._run, name="kgtool-http-deadline", daemon=True).start()
        return self.watch

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        _current.watch = None

    def _run(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.watch.expired = True
        while not self._done.is_set():  # again and again: a connection may be made after the first cut
            for conn in list(self.watch.conns):
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self._done.wait(0.05)


class _TooLarge(Exception):
    pass


def _read_capped(r: requests.Response, cap: int) -> bytes:
    """The (decoded) body, or _TooLarge once it passes ``cap`` bytes (0: no cap)."""
    if cap:
        try:
            if int(r.headers.get("Content-Length", "0")) > cap and not r.headers.get("Content-Encoding"):
                raise _TooLarge
        except ValueError:
            pass
    buf = bytearray()
    for chunk in r.iter_content(64 << 10):
        buf += chunk
        if cap and len(buf) > cap:
            raise _TooLarge
    return bytes(buf)


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
    except RecursionError:
        raise ApiError(f"the JSON answer is nested too deeply to read: {url}") from None
    except json.JSONDecodeError as e:
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
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, _TrackedAdapter())
        contact = f"; mailto:{self.settings.mailto}" if self.settings.mailto else ""
        self.session.headers.update(
            {"User-Agent": f"kgtool/{__version__} (+https://w3id.org/kgtool{contact})", "Accept": "application/json"}
        )
        self._next_slot: dict[str, float] = {}
        self.requests_made = 0
        self.bytes_returned = 0  # bodies handed out by get_json (cached or not): what paging crawls count

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
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
                self.bytes_returned += len(body)
                return Response(shown, parse_json(body, shown), _digest(body), cached=True)
            if mode == "only":
                raise ApiError(
                    f"offline, and no cached response for {shown} "
                    f"(run once without --offline to fill the cache at {self.cache_dir})"
                )
        body = self._fetch(api, url, shown)
        self.bytes_returned += len(body)
        data = parse_json(body, shown)
        if mode in ("use", "refresh"):
            self.cache.put(api.name, shown, body)
        return Response(shown, data, _digest(body), cached=False)

    def pager(self, api: Api, path: str, params: Mapping[str, object] | None = None) -> Pager:
        """A guard for a paged crawl of path (params: those every page shares)."""
        return Pager(redact(build_url(api, path, params)), self.settings.max_pages,
                     max_bytes=self.settings.max_crawl_bytes, counter=lambda: self.bytes_returned)

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
        key = api.key()
        secrets = (key,) if key else ()
        attempt = 0
        while True:
            self._throttle(api)
            retry_after: float | None = None
            self.requests_made += 1
            try:
                with _Deadline(s.deadline) as watch:
                    try:
                        status, reason, headers, raw = self._get(api, url, key)
                    except requests.RequestException:
                        if watch.expired:
                            raise _Expired from None
                        raise
                    if watch.expired:  # a cut in the headers can look like a whole, empty answer
                        raise _Expired
            except _Expired:
                problem = f"the answer did not complete within {s.deadline:g} s (KGTOOL_HTTP_DEADLINE)"
            except _TooLarge:
                raise ApiError(
                    f"the answer is larger than {s.max_bytes:,} bytes (KGTOOL_HTTP_MAX_BYTES): {shown}") from None
            except requests.Timeout:
                problem = f"no answer within {s.timeout:g} s"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
                problem = "the response was cut short"
            except requests.ConnectionError:
                problem = "cannot connect"
            except requests.RequestException as e:
                raise ApiError(f"request failed ({type(e).__name__}): {shown}") from None
            else:
                if status == 200:
                    try:
                        return raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise ApiError(f"the response is not UTF-8 text (not JSON): {shown}") from None
                detail = _error_detail(raw, secrets)
                if status == 404:
                    raise ApiError(f"not found (HTTP 404){detail}: {shown}")
                if status in (301, 302, 303, 307, 308):
                    raise ApiError(f"more than {s.max_redirects} redirects: {shown}")
                if status != 429 and status < 500:
                    raise ApiError(mask(f"HTTP {status} {reason or ''}".rstrip(), extra=secrets) + f"{detail}: {shown}")
                problem = f"HTTP {status}"
                retry_after = retry_after_seconds(headers.get("Retry-After"))
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

    def _get(self, api: Api, url: str, key: str | None) -> tuple[int, str, Mapping[str, str], bytes]:
        """One GET, following redirects by hand: the key goes only to the origin it was meant for.

        Returns status, reason, headers and the body (an error body is cut at 64 KiB).
        """
        s = self.settings
        origin = url
        for _ in range(s.max_redirects + 1):
            headers = {}
            if key and api.key_header and same_origin(url, origin):
                headers[api.key_header] = key
            r = self.session.get(url, headers=headers, timeout=(s.connect_timeout, s.timeout),
                                 stream=True, allow_redirects=False)
            try:
                location = r.headers.get("Location")
                if r.status_code in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    if urlsplit(url).scheme not in ("http", "https"):
                        raise ApiError(f"redirected to a URL that is not http(s): {redact(url)}")
                    continue
                if r.status_code == 200:
                    raw = _read_capped(r, s.max_bytes)
                else:
                    raw = next(r.iter_content(64 << 10), b"")
                return r.status_code, r.reason, r.headers, raw
            finally:
                r.close()
        return r.status_code, r.reason, r.headers, b""


class _Expired(Exception):
    pass


class Pager:
    """Guards a paged crawl against a cursor (or offset) that never ends."""

    def __init__(self, url: str, max_pages: int, *, max_bytes: int = 0, counter: Callable[[], int] | None = None):
        self.url = url
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self._counter = counter
        self._start = counter() if counter else 0
        self.seen: set[str] = set()

    def advance(self, token: object) -> None:
        """Record the token of the next page; raise if it was seen before or pages run on."""
        t = str(token)
        if t in self.seen:
            raise ApiError(f"paging does not advance (the next page {t!r} was already fetched): {self.url}")
        self.seen.add(t)
        if self.max_pages and len(self.seen) > self.max_pages:
            raise ApiError(f"paging did not end after {self.max_pages:,} pages (KGTOOL_HTTP_MAX_PAGES): {self.url}")
        got = self._counter() - self._start if self._counter else 0
        if self.max_bytes and got > self.max_bytes:
            raise ApiError(f"paging stopped after {len(self.seen) - 1:,} pages: they hold {got:,} bytes, more than "
                           f"the {self.max_bytes:,} allowed (KGTOOL_HTTP_MAX_CRAWL_BYTES): {self.url}")


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def source_info(responses: Iterable[Response]) -> SourceInfo:
    """One PROV source for a crawl: named by its first URL, digest over every body in order."""
    responses = list(responses)
    if not responses:
        raise ValueError("no responses")
    h = hashlib.sha256()
    for r in responses:
        h.update(f"{r.url}\t{r.sha256}\n".encode())
    return SourceInfo(name=responses[0].url, sha256=h.hexdigest(), media_type="application/json")


def path_segment(value: str, safe: str = ":/") -> str:
    """An identifier as part of a URL path (DOIs keep their '/', SICI characters are escaped)."""
    return quote(value, safe=safe)
