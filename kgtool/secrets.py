"""The secrets kgtool is configured with, and masking them out of any text it shows.

Every credential kgtool sends comes from the environment; ``configured()`` lists their
values, and ``mask`` replaces each (and its common encodings) with ``***`` so that a server
echoing a key in an error body cannot make kgtool print it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

#: Environment variables that hold credentials (API keys, tokens, passwords).
SECRET_ENV = (
    "KGTOOL_S2_API_KEY",
    "S2_API_KEY",
    "KGTOOL_OPENCITATIONS_TOKEN",
    "KGTOOL_ENDPOINT_TOKEN",
    "KGTOOL_ENDPOINT_PASSWORD",
)
MIN_SECRET = 4  # shorter values would mask ordinary words; no real key is this short


def configured(env: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> list[str]:
    """The secret values set in the environment (plus ``extra``), longest first."""
    env = os.environ if env is None else env
    values = {env[n] for n in SECRET_ENV if env.get(n)} | {v for v in extra if v}
    user, password = env.get("KGTOOL_ENDPOINT_USER"), env.get("KGTOOL_ENDPOINT_PASSWORD")
    if user and password:  # what HTTP Basic sends, should a server echo the header
        values.add(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
    forms: set[str] = set()
    for v in values:
        if len(v) >= MIN_SECRET:
            forms.update({v, quote(v, safe=""), quote_plus(v)})
    return sorted(forms, key=len, reverse=True)


def mask(text: str, env: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> str:
    """``text`` with every configured secret replaced by ``***``."""
    for secret in configured(env, extra):
        if secret in text:
            text = text.replace(secret, "***")
    return text
