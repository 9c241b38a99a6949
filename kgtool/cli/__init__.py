"""The kgtool command line: thin click commands over the library API, one module per stage.

The only place that prints and exits: ``boundary`` turns the library's ``KgtoolError``s into one
line on stderr and an exit code; ``options`` holds what the commands share.
"""

from __future__ import annotations

import click

from .. import __version__
from .build import build, fetch
from .convert import convert
from .options import Context, Group
from .publish import serve, site
from .push import diff, push
from .store import load, query, stats
from .validate import validate


@click.group("kgtool", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kgtool")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@click.pass_context
def main(ctx: click.Context, quiet: bool) -> None:
    """Turn scholarly papers and their citations into a validated CiTO knowledge graph."""
    from ..leftovers import sweep_common

    ctx.obj = Context(quiet)
    sweep_common()  # scratch folders of runs that were killed


for _command in (build, fetch, convert, validate, query, stats, load, push, diff, site, serve):
    main.add_command(_command)

__all__ = ["main"]
