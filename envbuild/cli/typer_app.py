"""The command line as Typer declares it: every command, its options and --help. main() in
cli/__init__.py runs it (after cli/fast.py has had its chance at the usual verify command lines)."""

from __future__ import annotations

import typer

from envbuild.version import __version__
from envbuild.cli.conventions import with_conventions
from envbuild.cli import base as base_cmd
from envbuild.cli import build as build_cmd
from envbuild.cli import lock as lock_cmd
from envbuild.cli import probe as probe_cmd
from envbuild.cli import prune as prune_cmd
from envbuild.cli import record as record_cmd
from envbuild.cli import context as context_cmd
from envbuild.cli import diff as diff_cmd
from envbuild.cli import export as export_cmd
from envbuild.cli import init as init_cmd
from envbuild.cli import render as render_cmd
from envbuild.cli import sbom as sbom_cmd
from envbuild.cli import schema as schema_cmd
from envbuild.cli import snapshot as snapshot_cmd
from envbuild.cli import verify as verify_cmd

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
for _name, _command in (("init", init_cmd.init), ("lock", lock_cmd.lock), ("render", render_cmd.render),
                        ("context", context_cmd.context), ("build", build_cmd.build), ("base", base_cmd.base),
                        ("verify", verify_cmd.verify), ("snapshot", snapshot_cmd.snapshot), ("diff", diff_cmd.diff),
                        ("record", record_cmd.record), ("prune", prune_cmd.prune), ("sbom", sbom_cmd.sbom),
                        ("export", export_cmd.export), ("probe", probe_cmd.probe), ("schema", schema_cmd.schema)):
    app.command(_name)(with_conventions(_command))
