"""envbuild diff A B [--format text|json|markdown] [--json] [--fail-on LEVEL] — any two of: lock file, snapshot JSON, container:NAME, mlflow: source, image."""

from __future__ import annotations

import typer

import envbuild.cli.places as opt


def diff(
    a: str = typer.Argument(..., help="Lock file, snapshot JSON, container:NAME, mlflow:runs:/ID, mlflow:models:/… or image (the expected side)."),
    b: str = typer.Argument(..., help="Lock file, snapshot JSON, container:NAME or image reference (the actual side)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (--format json)."),
    format: str = typer.Option("text", "--format", "-f", help="text, json or markdown (a table per kind of finding)."),
    python: str = typer.Option(None, "--python", help="Settle another tool's lock (uv.lock, pylock.toml) for this "
                               "Python (X.Y); default: the other side's, else the one running envbuild (or the "
                               "newest the lock's requires-python allows)."),
    fail_on: str = opt.FAIL_ON,
) -> None:
    """Show what differs between two environments (e.g. training and production); exit 1 if anything does."""
    from envbuild.cli.output import report_format, show_report
    from envbuild.core.report.outcomes import Outcome, exit_code
    from envbuild.services import diffing

    opt.check_level(fail_on)
    fmt = report_format(format, as_json)
    import os

    from envbuild.cli.discovery import python_version

    findings = diffing.diff(a, b, environ=os.environ, python=python_version(python))
    outcome = Outcome(label=f"{a} -> {b}", findings=tuple(findings))
    show_report([outcome], fmt, lock=None, fail_on=fail_on, title="envbuild diff",
                ok_summary=lambda _count: "no differences")
    if exit_code([outcome], fail_on):
        raise typer.Exit(1)
