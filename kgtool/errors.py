"""Exceptions raised by the kgtool library; the CLI turns them into exit codes."""

from __future__ import annotations


class KgtoolError(Exception):
    """Base class: a problem the user can fix; the message says what and where."""

    exit_code = 2


class InputError(KgtoolError):
    """Input data that cannot be read (bad file, bad line, bad field)."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 column: int | None = None):
        where = ""
        if source is not None:
            where = f"{source}: "
            if line is not None:
                where = f"{source}:{line}:{column}: " if column is not None else f"{source}:{line}: "
        super().__init__(f"{where}{message}")
        self.source = source
        self.line = line
        self.column = column


class ValidationFailed(KgtoolError):
    """The graph does not conform to the shapes; carries the report."""

    exit_code = 1

    def __init__(self, report: object, message: str = "the graph does not conform to the shapes"):
        super().__init__(message)
        self.report = report


class UsageError(KgtoolError):
    """An option or argument the library cannot act on."""


class ApiError(KgtoolError):
    """A scholarly API failed, or answered something unusable; the message names the URL
    (never a key or password)."""


class EndpointError(KgtoolError):
    """A SPARQL endpoint could not be reached or refused a request; carries its answer.

    ``maybe_applied`` is true when the request reached the server but no answer came back,
    so it may have taken effect.
    """

    def __init__(self, message: str, *, maybe_applied: bool = False):
        super().__init__(message)
        self.maybe_applied = maybe_applied
