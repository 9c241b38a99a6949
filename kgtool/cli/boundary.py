"""The error boundary: library errors become one line on stderr and an exit code."""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from ..errors import KgtoolError, ValidationFailed

EXIT_INVALID = 1
EXIT_ERROR = 2
# 'kgtool' alone prints the help (click 8.2+ raises it as a usage error).
_HELP: tuple[type[Exception], ...] = tuple(
    c for c in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if c is not None
)


class OneLineUsageError(click.ClickException):
    """A usage error click found (unknown option, bad value), shown as one line like every error."""

    exit_code = EXIT_ERROR

    def __init__(self, e: click.UsageError):
        super().__init__(e.format_message())
        self.command_path = e.ctx.command_path if e.ctx is not None else "kgtool"

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"kgtool: error: {' '.join(self.message.split())} (see '{self.command_path} --help')", err=True)


@contextmanager
def one_line_usage() -> Iterator[None]:
    """Turn click's usage errors (three lines: usage, hint, error) into one line."""
    try:
        yield
    except _HELP:
        raise
    except click.UsageError as e:
        raise OneLineUsageError(e) from None


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr and exit code 2 (1 for non-conformance)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as e:
            from ..validate.shacl import render_text

            click.echo(render_text(e.report), err=True, nl=False)  # type: ignore[arg-type]
            click.echo(f"kgtool: error: {e}", err=True)
            sys.exit(EXIT_INVALID)
        except KgtoolError as e:
            fail(str(e), e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as e:  # the boundary: no traceback reaches a user (KGTOOL_DEBUG=1 shows it)
            if os.environ.get("KGTOOL_DEBUG"):
                raise
            fail(describe_unexpected(e), EXIT_ERROR)

    return wrapper


def fail(message: str, code: int) -> None:
    """One line on stderr (every configured secret masked), then exit."""
    from ..secrets import mask

    click.echo(f"kgtool: error: {mask(' '.join(message.split()))}", err=True)
    sys.exit(code)


def describe_unexpected(e: BaseException) -> str:
    """One line for an error the library did not turn into a KgtoolError."""
    if isinstance(e, OSError):
        what = e.strerror or " ".join(str(e).split()) or type(e).__name__
        where = e.filename if e.filename is not None else None
        if e.errno == errno.ENOSPC:
            what = "no space left on the device (nothing was kept of the partial output)"
        elif e.errno == errno.EDQUOT:
            what = "disk quota exceeded (nothing was kept of the partial output)"
        return f"{where}: {what}" if where is not None else what
    if isinstance(e, MemoryError):
        return "out of memory"
    if isinstance(e, RecursionError):
        return "the input is nested too deeply to process"
    detail = " ".join(str(e).split())[:300]
    return (f"unexpected {type(e).__name__}{': ' + detail if detail else ''} "
            "(a kgtool bug; run again with KGTOOL_DEBUG=1 for the traceback and report it)")
