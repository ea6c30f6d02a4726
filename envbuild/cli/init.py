"""envbuild init [DIR] --from FILE"""

from __future__ import annotations

from pathlib import Path

import typer

from envbuild.cli.output import out


def init(
    directory: Path = typer.Argument(Path("."), help="Where to write envbuild.yaml."),
    source: Path = typer.Option(..., "--from", help="requirements.txt/.in, pyproject.toml, environment.yml or an MLflow project's MLproject."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Write a starter envbuild.yaml from the file a project already has (never over an existing one)."""
    from datetime import datetime, timezone

    from envbuild.adapters.inputs import display_path
    from envbuild.services.initializing import init as make_spec

    spec, starter = make_spec(directory, source, today=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    from envbuild.cli.output import progress

    for warning in starter.warnings:
        progress(f"warning: {warning}")
    targets = "cpu, cuda" if starter.cuda else "cpu"
    if as_json:
        import json

        out(json.dumps({"schema": 1, "spec": display_path(spec), "input": str(starter.input), "python": starter.python,
                        "targets": targets.split(", "), "project": bool(starter.project),
                        "next": f"envbuild lock {display_path(directory)}"}, sort_keys=True))
        return
    project = "; project ." if starter.project else ""
    out(f"wrote {display_path(spec)} (from {starter.input}: python {starter.python}, targets {targets}{project})")
    out(f"next: envbuild lock {display_path(directory)}")
