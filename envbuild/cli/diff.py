"""envbuild diff A B — any two of: lock file, snapshot JSON, container:NAME, mlflow: source, image."""

from __future__ import annotations

import json

import typer

import envbuild.cli.places as opt
from envbuild.cli.output import out


def diff(
    a: str = typer.Argument(..., help="Lock file, snapshot JSON, container:NAME, mlflow:runs:/ID, mlflow:models:/… or image (the expected side)."),
    b: str = typer.Argument(..., help="Lock file, snapshot JSON, container:NAME or image reference (the actual side)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    fail_on: str = opt.FAIL_ON,
) -> None:
    """Show what differs between two environments (e.g. training and production); exit 1 if anything does."""
    from envbuild.cli.output import out_text
    from envbuild.core.report import Outcome, exit_code, to_json, to_table
    from envbuild.services import verifying

    opt.check_level(fail_on)
    import os

    findings = verifying.diff(a, b, environ=os.environ)
    outcome = Outcome(label=f"{a} -> {b}", findings=tuple(findings))
    if as_json:
        out(json.dumps(to_json([outcome], lock=None, fail_on=fail_on), sort_keys=True))
    else:
        out_text(to_table([outcome], ok_summary=lambda _count: "no differences"))
    if exit_code([outcome], fail_on):
        raise typer.Exit(1)
