"""A client for SPARQL 1.1 endpoints: Query, Update and the Graph Store HTTP Protocol.

Credentials come from the environment (never from the command line, never printed):
``KGTOOL_ENDPOINT_TOKEN`` for a bearer token, or ``KGTOOL_ENDPOINT_USER`` and
``KGTOOL_ENDPOINT_PASSWORD``, sent as HTTP Digest or Basic, whichever the server's challenge
asks for. Transient failures (connection refused or
reset, timeouts, HTTP 429/502/503/504) are retried with exponential backoff; a request that
is not safe to repeat is retried only when it provably never reached the server.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from rdflib import BNode, Graph, Literal, URIRef
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from requests.cookies import extract_cookies_to_jar

from .. import __version__
from ..errors import EndpointError, UsageError
from ..secrets import mask
from ..store.engines import QueryResult

ENV_TOKEN = "KGTOOL_ENDPOINT_TOKEN"
ENV_USER = "KGTOOL_ENDPOINT_USER"
ENV_PASSWORD = "KGTOOL_ENDPOINT_PASSWORD"

TRANSIENT_STATUS = frozenset({429, 502, 503, 504})
RESULTS_JSON = "application/sparql-results+json"
MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class Layout:
    """Where a server keeps its services, relative to the base URL the user gives."""

    query: str
    update: str
    store: str | None  # Graph Store Protocol service; None when the server has none
    base_example: str
    graph_param: str = "graph"  # how the Graph Store service names the graph
    #: (query, update, store) paths to use instead when a user and password are given
    with_password: tuple[str, str, str] | None = None


#: Service paths of the stores kgtool documents; "oxigraph" and "virtuoso" are exercised by the
#: tests against real servers.
LAYOUTS: dict[str, Layout] = {
    "oxigraph": Layout("query", "update", "store", "http://127.0.0.1:7878"),
    "fuseki": Layout("query", "update", "data", "http://127.0.0.1:3030/DATASET"),
    "graphdb": Layout("", "statements", "rdf-graphs/service", "http://127.0.0.1:7200/repositories/REPO"),
    # Virtuoso's anonymous /sparql may not update (SR186) unless granted; its -auth twins take
    # a database user (HTTP Digest).
    "virtuoso": Layout("sparql", "sparql", "sparql-graph-crud", "http://127.0.0.1:8890", "graph-uri",
                       ("sparql-auth", "sparql-auth", "sparql-graph-crud-auth")),
    "qlever": Layout("", "", "", "http://127.0.0.1:7001"),
}


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(<hidden>)"


class PasswordAuth(AuthBase):
    """A user and password, sent as the server's ``WWW-Authenticate`` challenge asks: HTTP Digest
    (Virtuoso's -auth endpoints) or Basic (Fuseki, GraphDB, proxies).

    Nothing is sent before the first challenge, so a password never travels in clear to a server
    that wants Digest; once the scheme is known it is used from the first request on.
    """

    def __init__(self, username: str, password: str):
        self.username = username
        self.password = password
        self.scheme: str | None = None  # "digest" or "basic" once a server has asked
        self._digest = HTTPDigestAuth(username, password)
        self._basic = HTTPBasicAuth(username, password)

    def __repr__(self) -> str:
        return f"PasswordAuth({self.username!r}, <hidden>)"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.scheme == "basic":
            return self._basic(r)
        r = self._digest(r)  # answers a Digest challenge itself, then signs each request
        if self.scheme is None:
            r.register_hook("response", self._challenged)
        return r

    def _challenged(self, r: requests.Response, **kwargs) -> requests.Response:
        if r.status_code != 401:
            if any(h.status_code == 401 and "digest" in h.headers.get("WWW-Authenticate", "").lower()
                   for h in r.history):
                self.scheme = "digest"  # the digest hook answered the challenge
            return r
        challenge = r.headers.get("WWW-Authenticate", "").lower()
        if "digest" in challenge:
            self.scheme = "digest"  # the digest hook has already answered it
            return r
        if "basic" not in challenge:
            return r
        self.scheme = "basic"
        r.content  # noqa: B018  (read the body so the connection can be reused)
        r.close()
        prep = r.request.copy()
        assert prep._cookies is not None  # set by prepare()
        extract_cookies_to_jar(prep._cookies, r.request, r.raw)
        prep.prepare_cookies(prep._cookies)
        self._basic(prep)
        again = r.connection.send(prep, **kwargs)
        again.history.append(r)
        again.request = prep
        return again


def auth_from_env(env: Mapping[str, str] | None = None) -> AuthBase | None:
    """Bearer or user/password credentials from the environment, or None."""
    env = os.environ if env is None else env
    token, user, password = env.get(ENV_TOKEN), env.get(ENV_USER), env.get(ENV_PASSWORD)
    if token and (user or password):
        raise UsageError(f"set either {ENV_TOKEN} or {ENV_USER}/{ENV_PASSWORD}, not both")
    if token:
        return BearerAuth(token)
    if user or password:
        if not (user and password is not None):
            missing = ENV_PASSWORD if user else ENV_USER
            raise UsageError(f"{missing} is not set ({ENV_USER} and {ENV_PASSWORD} go together)")
        return PasswordAuth(user, password)
    return None


def _join(base: str, path: str) -> str:
    return base if not path else base.rstrip("/") + "/" + path


def check_url(url: str, what: str = "endpoint URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the {what} must be an http(s) URL, got {url!r}")
    if parts.username or parts.password:
        raise UsageError(
            f"the {what} holds credentials; put them in {ENV_USER}/{ENV_PASSWORD} or {ENV_TOKEN} instead"
        )
    return url


def _excerpt(text: str, limit: int = 400) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request provably did not reach the server (so repeating it is safe)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        name = type(e).__name__
        if name in ("NewConnectionError", "ConnectionRefusedError", "NameResolutionError"):
            return True
        nxt = getattr(e, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = e.args[0] if e.args and isinstance(e.args[0], BaseException) else e.__cause__ or e.__context__
        e = nxt
    return False


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if _never_sent(exc):
        return "connection refused"
    text = str(exc)
    for marker in ("RemoteDisconnected", "Connection reset", "Connection aborted", "BrokenPipe", "IncompleteRead"):
        if marker in text:
            return "the connection was dropped before the answer arrived"
    return _excerpt(text, 200)


def _term(b: dict):
    kind, value = b.get("type"), b.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in b:
        return Literal(value, lang=b["xml:lang"])
    dt = b.get("datatype")
    return Literal(value, datatype=URIRef(dt)) if dt else Literal(value)


def parse_results_json(data: bytes) -> QueryResult:
    """A SPARQL 1.1 Query Results JSON document as a QueryResult."""
    doc = json.loads(data)
    if "boolean" in doc:
        return QueryResult("ASK", boolean=bool(doc["boolean"]))
    names = list(doc.get("head", {}).get("vars", []))
    rows = [
        [_term(b[n]) if n in b else None for n in names] for b in doc.get("results", {}).get("bindings", [])
    ]
    return QueryResult("SELECT", names, rows)


_RDF_MEDIA = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle", "application/rdf+xml": "xml"}


@dataclass
class Endpoint:
    """The query, update and graph-store URLs of one server, with auth and a retry policy."""

    query_url: str
    update_url: str | None = None
    store_url: str | None = None
    auth: AuthBase | None = field(default=None, repr=False)
    retries: int = 3
    backoff: float = 0.5
    timeout: float = 120.0
    graph_param: str = "graph"
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    layout: str | None = None  # the server kind, when known: push adapts to its limits

    @classmethod
    def from_base(
        cls,
        base: str,
        layout: str = "oxigraph",
        *,
        query_url: str | None = None,
        update_url: str | None = None,
        store_url: str | None = None,
        env: Mapping[str, str] | None = None,
        **options,
    ) -> Endpoint:
        """Service URLs from a base URL and a server layout; explicit URLs win."""
        if layout not in LAYOUTS:
            raise UsageError(f"unknown server layout {layout!r} (choose from: {', '.join(LAYOUTS)})")
        lay = LAYOUTS[layout]
        base = check_url(base)
        auth = auth_from_env(env)
        q, u, st = lay.with_password if lay.with_password and isinstance(auth, PasswordAuth) else (
            lay.query, lay.update, lay.store)
        ep = cls(
            query_url=check_url(query_url or _join(base, q), "query URL"),
            update_url=check_url(update_url or _join(base, u), "update URL"),
            store_url=check_url(store_url, "graph store URL") if store_url
            else (_join(base, st) if st is not None else None),
            auth=auth,
            graph_param=lay.graph_param,
            layout=layout,
            **options,
        )
        ep.session.headers["User-Agent"] = f"kgtool/{__version__}"
        return ep

    # --- transport ---------------------------------------------------------------------------

    def request(self, method: str, url: str, *, idempotent: bool = True, **kwargs) -> requests.Response:
        """Send one request, retrying transient failures; raise EndpointError with the server's answer."""
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                r = self.session.request(method, url, auth=self.auth, timeout=self.timeout, **kwargs)
            except requests.RequestException as e:
                if attempt < attempts and (idempotent or _never_sent(e)):
                    time.sleep(wait)
                    continue
                tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                raise EndpointError(f"{method} {url}: {_reason(e)}{tries}", maybe_applied=not _never_sent(e)) from None
            if r.status_code in TRANSIENT_STATUS and attempt < attempts:
                time.sleep(self._retry_after(r, wait))
                continue
            if r.status_code in (401, 403):
                hint = "set the credentials" if self.auth is None else "check the credentials"
                raise EndpointError(
                    f"{method} {url}: HTTP {r.status_code} {r.reason}: the endpoint refused access; "
                    f"{hint} in {ENV_USER}/{ENV_PASSWORD} or {ENV_TOKEN}"
                )
            if r.status_code >= 400:
                answer = _excerpt(mask(r.text)) or "(empty answer)"
                if "SR186" in answer and self.auth is None:  # Virtuoso's anonymous user may not write
                    answer += (f" (set {ENV_USER}/{ENV_PASSWORD} to a Virtuoso user with the SPARQL_UPDATE role, "
                               "e.g. dba, to use its authenticated endpoints)")
                raise EndpointError(f"{method} {url}: HTTP {r.status_code} {r.reason}: {answer}")
            return r
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _retry_after(r: requests.Response, default: float) -> float:
        try:
            return min(MAX_RETRY_AFTER, max(0.0, float(r.headers.get("Retry-After", ""))))
        except ValueError:
            return default

    # --- SPARQL 1.1 Protocol -------------------------------------------------------------------

    def query(self, text: str, default_graphs: Iterable[str] = ()) -> QueryResult:
        """Run a query (POST, form-encoded) and parse JSON results or RDF."""
        form = [("query", text)] + [("default-graph-uri", g) for g in default_graphs]
        r = self.request(
            "POST",
            self.query_url,
            data=form,
            headers={"Accept": f"{RESULTS_JSON}, application/n-triples;q=0.9, text/turtle;q=0.8"},
        )
        media = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if media in (RESULTS_JSON, "application/json"):
                return parse_results_json(r.content)
            if media in _RDF_MEDIA:
                g = Graph().parse(data=r.content, format=_RDF_MEDIA[media])
                return QueryResult("CONSTRUCT", triples=list(g))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise EndpointError(f"POST {self.query_url}: unreadable {media} answer "
                                f"({_excerpt(mask(str(e) or type(e).__name__), 200)})") from None
        raise EndpointError(f"POST {self.query_url}: unexpected answer type {media or '(none)'}")

    def update(self, text: str, *, idempotent: bool = True) -> None:
        """Run a SPARQL 1.1 Update request (POST, application/sparql-update)."""
        if not self.update_url:
            raise UsageError("this endpoint has no update URL; give --update-url")
        self.request(
            "POST",
            self.update_url,
            idempotent=idempotent,
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )

    def count(self, graph: str) -> int:
        """Number of triples in a named graph."""
        from ..serialize.terms import iri_ref

        res = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}")
        return int(str(res.rows[0][0])) if res.rows and res.rows[0][0] is not None else 0

    # --- SPARQL 1.1 Graph Store HTTP Protocol --------------------------------------------------

    def _store_url(self) -> str:
        if not self.store_url:
            raise UsageError("this endpoint has no Graph Store Protocol URL; use --protocol update or give --store-url")
        return self.store_url

    def put_graph(self, graph: str, body: bytes, media_type: str, extra: Mapping[str, str] | None = None) -> None:
        """Replace a named graph's content (HTTP PUT); ``extra``: server-specific query parameters."""
        self.request("PUT", self._store_url(), params={self.graph_param: graph, **(extra or {})}, data=body,
                     headers={"Content-Type": media_type})

    def post_graph(self, graph: str, body: bytes, media_type: str, *, idempotent: bool = True) -> None:
        """Add triples to a named graph (HTTP POST); not idempotent when the body has blank nodes."""
        self.request(
            "POST", self._store_url(), idempotent=idempotent, params={self.graph_param: graph}, data=body,
            headers={"Content-Type": media_type},
        )
