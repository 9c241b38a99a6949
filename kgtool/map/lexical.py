"""Lexical forms of the typed values sources give (no RDF here, so parsers can check them)."""

from __future__ import annotations

import re

_GYEAR = re.compile(r"^-?\d{4}$")
_GYEARMONTH = re.compile(r"^-?\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^-?\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def date_precision(value: str) -> str | None:
    """'date', 'gYearMonth' or 'gYear' for YYYY-MM-DD, YYYY-MM or YYYY; None for anything else."""
    if _DATE.match(value):
        return "date"
    if _GYEARMONTH.match(value):
        return "gYearMonth"
    if _GYEAR.match(value):
        return "gYear"
    return None


def is_duration(value: str) -> bool:
    """True for an xsd:duration lexical form such as 'P2Y9M', 'P0D' or '-P1Y'."""
    return bool(_DURATION.match(value))


def is_negative_duration(value: str) -> bool:
    return value.startswith("-")
