"""envbuild schema [-o FILE]: the JSON Schema of envbuild.yaml, for editors."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from envbuild.cli.output import write_result


def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout; - is stdout."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout: the document (wrapped unless it is JSON), "
                                 "or what was written to -o FILE."),
) -> None:
    """Print the JSON Schema of envbuild.yaml (completion and checks in editors: yaml-language-server's
    '# yaml-language-server: $schema=envbuild.schema.json' line, or VS Code's yaml.schemas)."""
    from envbuild.core.spec.schema import spec_schema

    text = json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n"
    write_result(text, output, as_json=as_json)
