"""Command-line entry point. Commands are thin: parse options, call one service, render the result.

Errors from the one error tree become one line and a hint on stderr with the class's exit code;
anything else is an internal error (70). ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys

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


def main(argv: list[str] | None = None) -> None:
    from envbuild.cli.output import report_error, use_meter
    from envbuild.errors import EnvbuildError, UserError

    from envbuild.adapters.process import Stopped, kill_children, stop_on_signals

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    stop_on_signals()
    use_meter()
    try:
        code = typer.main.get_command(app).main(args=args, prog_name="envbuild", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.TyperException as exc:  # click's usage errors: one line and a hint, as every other error
        if not hasattr(exc, "format_message"):
            raise
        context = getattr(exc, "ctx", None)
        where = context.command_path if context is not None else "envbuild"
        error = UserError(exc.format_message(), hint=f"'{where} -h' lists its arguments and options")
        report_error(error)
        sys.exit(getattr(exc, "exit_code", error.exit_code))
    except EnvbuildError as exc:
        if debug:
            _traceback()
        report_error(exc)
        sys.exit(exc.exit_code)
    except (Stopped, KeyboardInterrupt, typer.Abort) as exc:
        kill_children()
        print(f"envbuild: interrupted ({exc or 'SIGINT'}); nothing was left running", file=sys.stderr)
        sys.exit(128 + getattr(exc, "signum", 2))
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            _traceback()
        if isinstance(exc, OSError) and exc.filename:  # disk full, permissions: the path and the OS's words
            from envbuild.errors import FileError

            error = FileError.of(exc, doing="write or read")
            report_error(error)
            sys.exit(error.exit_code)
        from envbuild.core.redact import redact_text
        from envbuild.core.text import printable

        print(f"envbuild: internal error: {type(exc).__name__}: {printable(redact_text(str(exc)))}", file=sys.stderr)
        print("hint: run again with --debug for the traceback, and report it", file=sys.stderr)
        sys.exit(70)


def _traceback() -> None:
    """--debug: the traceback, redacted like every other line envbuild prints (a token expanded
    into a URL appears in messages and local values)."""
    import traceback

    from envbuild.core.redact import redact_text

    print(redact_text(traceback.format_exc()), file=sys.stderr, end="")
