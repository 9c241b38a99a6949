"""What the commands share: the run's context, option groups, old option names, help examples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from ..map import iris

if TYPE_CHECKING:
    from ..read.http import HttpSettings

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """The run's settings every command sees (click's ``obj``)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def progress(self, message: str) -> None:
        """The library's progress callback: a line on stderr unless --quiet."""
        if not self.quiet:
            click.echo(f"kgtool: {message}", err=True)


class RenamedOption(click.Option):
    """An option's old spelling, hidden from --help and kept for one release.

    Its value goes to the new option (a note on stderr says so); giving both is an error.
    """

    def __init__(self, param_decls: list[str], *, new: str, target: str, **kwargs: Any):
        old = param_decls[0]
        super().__init__([old, f"renamed__{target}"], hidden=True, **kwargs)
        self.old, self.new, self.target = old, new, target

    def move(self, ctx: click.Context) -> None:
        value = ctx.params.pop(self.name or "", None)
        if value is None or ctx.get_parameter_source(self.name or "") is not ParameterSource.COMMANDLINE:
            return
        if ctx.get_parameter_source(self.target) is ParameterSource.COMMANDLINE:
            raise click.UsageError(f"{self.old} is the old name of {self.new}; give only {self.new}", ctx)
        if not ctx.resilient_parsing:
            click.echo(f"kgtool: note: {self.old} is now {self.new} (the old name goes in the next release)",
                       err=True)
        ctx.params[self.target] = value


def renamed(old: str, new: str, target: str, **kwargs: Any) -> Callable[[F], F]:
    """Keep OLD working as a hidden alias of the option NEW (its parameter is TARGET)."""
    return click.option(old, cls=RenamedOption, new=new, target=target, **kwargs)


class Command(click.Command):
    """A command whose renamed options hand their values to the new ones."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        for param in self.params:
            if isinstance(param, RenamedOption):
                param.move(ctx)
        return rest


def _quiet_here(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and isinstance(ctx.obj, Context):
        ctx.obj.quiet = True


class Group(click.Group):
    """Every command also takes -q/--quiet after its name (``kgtool convert ... --quiet``); a usage
    error is one line."""

    command_class = Command

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        from .boundary import one_line_usage

        with one_line_usage():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        from .boundary import one_line_usage

        with one_line_usage():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they were added: the pipeline's

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.params.append(click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_quiet_here,
                                       help="No progress messages on stderr."))
        super().add_command(cmd, name)


def command(example_line: str) -> Callable[[Callable[..., Any]], Command]:
    """A kgtool command whose help ends with EXAMPLE_LINE (a test runs every example's options)."""
    return click.command(cls=Command, epilog=f"\b\nExample:\n  {example_line}")


def check_name(name: str | None) -> str | None:
    """--name, if given, must name a file inside --out."""
    from ..safenames import check_stem

    return None if name is None else check_stem(name)


def input_format_option(fn: F) -> F:
    return click.option("--input-format", default=None,
                        help="RDF format of the inputs when the suffix does not tell.")(fn)


def out_options(fn: F) -> F:
    """--out, --name, --to, --base and --no-validate, shared by commands that build a graph."""
    fn = click.option("--no-validate", is_flag=True, help="Skip SHACL validation.")(fn)
    fn = click.option(
        "--base", default=iris.DEFAULT_BASE, show_default=True, help="Base IRI for minted entity IRIs."
    )(fn)
    fn = renamed("--format", "--to", "formats")(fn)
    fn = click.option(
        "--to", "formats", default="ttl,jsonld", show_default=True,
        help="Comma-separated output formats: ttl, jsonld, nt, nq.",
    )(fn)
    fn = click.option(
        "--out", default="exports", show_default=True,
        help="Output folder; '-' writes the one requested format to stdout.",
    )(fn)
    fn = click.option("--name", default=None, help="Output file stem (default: the input's stem, else 'graph').")(fn)
    return fn


def http_options(fn: F) -> F:
    """Options of commands that call scholarly APIs (see docs/sources.md)."""
    fn = click.option("--retries", type=click.IntRange(min=0), default=None,
                      help="Extra attempts after a 429, 5xx, timeout or broken connection [default: 4].")(fn)
    fn = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
                      help="Seconds to wait for an answer [default: 30].")(fn)
    fn = click.option("--cache-dir", type=click.Path(file_okay=False), envvar="KGTOOL_CACHE_DIR", default=None,
                      help="Response cache folder [default: ~/.cache/kgtool/http].")(fn)
    fn = click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")(fn)
    fn = click.option("--refresh", is_flag=True, help="Fetch again and overwrite what the cache holds.")(fn)
    fn = click.option("--offline", is_flag=True, help="Use only cached responses; a miss is an error.")(fn)
    fn = click.option("--mailto", envvar="KGTOOL_MAILTO", default=None,
                      help="Contact e-mail sent in the User-Agent (polite pools) [env: KGTOOL_MAILTO].")(fn)
    return fn


def http_settings(mailto: str | None, offline: bool, refresh: bool, no_cache: bool, cache_dir: str | None,
                  timeout: float | None, retries: int | None) -> HttpSettings:
    """The HTTP settings the http_options ask for."""
    from ..errors import UsageError
    from ..read.http import HttpSettings

    if sum((offline, refresh, no_cache)) > 1:
        raise UsageError("use at most one of --offline, --refresh and --no-cache")
    mode = "only" if offline else "refresh" if refresh else "off" if no_cache else "use"
    return HttpSettings.from_env(
        mailto=mailto, cache=mode, cache_dir=Path(cache_dir) if cache_dir else None, timeout=timeout, retries=retries
    )


def endpoint_options(required: bool, services: tuple[str, ...] = ("query", "update", "store")) -> Callable[[F], F]:
    """--endpoint and the options that locate and reach its services."""
    opts = [
        click.option("--endpoint", required=required, metavar="URL",  # no default: click 8.5 takes one as given
                     help="The SPARQL server's base URL (see --layout)."),
        click.option("--layout", default="oxigraph", show_default=True, metavar="SERVER",
                     help="Service paths under --endpoint: oxigraph, fuseki, graphdb, virtuoso, qlever."),
    ]
    what = {"query": "SPARQL query", "update": "SPARQL update", "store": "Graph Store Protocol"}
    opts += [click.option(f"--{svc}-url", default=None, metavar="URL", help=f"Override the {what[svc]} service URL.")
             for svc in services]
    opts += [
        click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 10),
                     help="Retries of a transient failure (connection refused, timeout, HTTP 429/502/503/504)."),
        click.option("--timeout", default=120.0, show_default=True, type=click.FloatRange(min=1),
                     help="Seconds to wait for each answer."),
    ]

    def decorate(fn: F) -> F:
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return decorate
