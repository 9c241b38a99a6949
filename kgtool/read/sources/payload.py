"""Read fields of a JSON payload with errors that name the source and the field."""

from __future__ import annotations

import json
from typing import Any

from ...errors import InputError
from ...map.model import SourceInfo
from ..readfile import decode_utf8, sha256_hex

_KIND_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer", bool: "true or false"}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


def _got(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def expect(value: Any, kind: type | tuple[type, ...], source: str, where: str) -> Any:
    """value itself, if it is of kind (bool is not taken for int)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        raise InputError(f"field '{where}' should be {_kind_name(kind)}, got {_got(value)}", source=source)
    return value


def need(obj: dict, key: str, kind: type | tuple[type, ...], source: str, where: str = "") -> Any:
    """obj[key], which must be present, non-null and of kind."""
    path = f"{where}{key}"
    if key not in obj or obj[key] is None:
        raise InputError(f"field '{path}' is missing", source=source)
    return expect(obj[key], kind, source, path)


def opt(obj: dict, key: str, kind: type | tuple[type, ...], source: str, where: str = "") -> Any:
    """obj[key] if present and non-null (it must then be of kind), else None."""
    if obj.get(key) is None:
        return None
    return expect(obj[key], kind, source, f"{where}{key}")


def text(value: Any) -> str | None:
    """A string with its whitespace collapsed, or None when empty or not a string."""
    if not isinstance(value, str):
        return None
    t = " ".join(value.split())
    return t or None


def loads(text: str, source: str, line: int | None = None) -> Any:
    """Parsed JSON, or an InputError naming the source (and line) for bad or too deeply nested JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError("the JSON is nested too deeply to read", source=source, line=line) from None
    except ValueError as e:
        raise InputError(f"not valid JSON ({e})", source=source, line=line) from None


def load_saved_json(data: bytes, name: str) -> tuple[Any, SourceInfo]:
    """A saved API answer: its parsed JSON and the SourceInfo that names it."""
    payload = loads(decode_utf8(name, data), name)
    return payload, SourceInfo(name=name, sha256=sha256_hex(data), media_type="application/json")
