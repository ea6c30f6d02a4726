"""Command-line entry point. Commands are thin: parse options, call one service, render the result.
The Typer app (cli/typer_app.py) is imported only when cli/fast.py cannot take the command line alone.

Errors from the one error tree become one line and a hint on stderr with the class's exit code;
anything else is an internal error (70). ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":  # envbuild.cli.typer_app.app, imported when asked for
        from envbuild.cli.typer_app import app

        return app
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    """One command line's exit code (the console script exits with it). Re-entrant: each call starts
    afresh (_fresh_run) and puts back the signal handlers it found, so that tests run the CLI
    in-process (tests/conftest.py's run_cli)."""
    from envbuild.cli.output import report_error, use_meter
    from envbuild.errors import EnvbuildError, UserError

    from envbuild.adapters.process import Stopped, kill_children, stop_on_signals

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    _fresh_run()
    restore = stop_on_signals()
    use_meter()
    from envbuild.cli.fast import fast_verify

    try:
        code = fast_verify(args)
        if code is None:
            import typer

            from envbuild.cli.typer_app import app

            code = typer.main.get_command(app).main(args=args, prog_name="envbuild", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except _usage_errors() as exc:  # click's usage errors: one line and a hint, as every other error
        if not hasattr(exc, "format_message"):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # `envbuild` alone, or a group with no command: the help
            print(exc.format_message())
            return 2
        context = getattr(exc, "ctx", None)
        where = context.command_path if context is not None else "envbuild"
        error = UserError(exc.format_message(), hint=f"'{where} -h' lists its arguments and options")
        report_error(error)
        return getattr(exc, "exit_code", error.exit_code)
    except EnvbuildError as exc:
        if debug:
            _traceback()
        report_error(exc)
        return exc.exit_code
    except _interruptions(Stopped) as exc:
        kill_children()
        print(f"envbuild: interrupted ({exc or 'SIGINT'}); nothing was left running", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            _traceback()
        if isinstance(exc, OSError) and exc.filename:  # disk full, permissions: the path and the OS's words
            from envbuild.errors import FileError

            failed = FileError.of(exc, doing="write or read")
            report_error(failed)
            return failed.exit_code
        from envbuild.core.redact import redact_text
        from envbuild.core.text import printable

        print(f"envbuild: internal error: {type(exc).__name__}: {printable(redact_text(str(exc)))}", file=sys.stderr)
        print("hint: run again with --debug for the traceback, and report it", file=sys.stderr)
        return 70
    finally:
        restore()


def _fresh_run() -> None:
    """Each command line starts afresh: the default settings, no secret of another's ${VAR}s, no
    index page remembered from another (asked of the index client only where an earlier command line
    loaded it: importing it costs every command ~5 ms)."""
    from envbuild.cli.settings import reset_settings
    from envbuild.core.redact import forget_secrets

    reset_settings()
    forget_secrets()
    pages = sys.modules.get("envbuild.adapters.index.pages")
    if pages is not None:
        pages.forget_pages()


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Typer's usage errors, when Typer has been imported (the fast path never imports it)."""
    typer = sys.modules.get("typer")
    return (typer.TyperException,) if typer is not None else ()


def _interruptions(stopped: type[BaseException]) -> tuple[type[BaseException], ...]:
    """A signal envbuild stopped on, ^C, and click's Abort when the Typer app was loaded (the fast
    path never imports it)."""
    typer = sys.modules.get("typer")
    return (stopped, KeyboardInterrupt, *((typer.Abort,) if typer is not None else ()))


def _traceback() -> None:
    """--debug: the traceback, redacted like every other line envbuild prints (a token expanded
    into a URL appears in messages and local values)."""
    import traceback

    from envbuild.core.redact import redact_text

    print(redact_text(traceback.format_exc()), file=sys.stderr, end="")
