"""The command line as Typer declares it: every command, its options and --help. main() in
cli/__init__.py runs it (after cli/fast.py has had its chance at the usual verify command lines)."""

from __future__ import annotations

import typer

from envbuild.version import __version__
from envbuild.cli.conventions import with_conventions
from envbuild.cli.base import base
from envbuild.cli.build import build
from envbuild.cli.lock import lock
from envbuild.cli.probe import probe
from envbuild.cli.prune import prune
from envbuild.cli.record import record
from envbuild.cli.context import context
from envbuild.cli.diff import diff
from envbuild.cli.export import export
from envbuild.cli.init import init
from envbuild.cli.render import render
from envbuild.cli.reproduce import reproduce
from envbuild.cli.run import run
from envbuild.cli.sbom import sbom
from envbuild.cli.schema import schema
from envbuild.cli.snapshot import snapshot
from envbuild.cli.verify import verify

app = typer.Typer(
    name="envbuild",
    help="Lock, build and verify ML environments.",
    add_completion=True,  # --install-completion / --show-completion [bash|zsh|fish|powershell]
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # never print locals: they can hold credentials
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"envbuild {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Lock, build and verify ML environments."""
    del version


app.callback()(with_conventions(_root))
for _name, _command in (("init", init), ("lock", lock), ("render", render),
                        ("context", context), ("build", build), ("base", base),
                        ("verify", verify), ("snapshot", snapshot), ("diff", diff),
                        ("record", record), ("run", run), ("reproduce", reproduce), ("prune", prune), ("sbom", sbom),
                        ("export", export), ("probe", probe), ("schema", schema)):
    app.command(_name)(with_conventions(_command))
