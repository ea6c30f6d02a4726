"""envbuild render [DIR] --target NAME [--output FILE] [--templates DIR]"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from envbuild.cli.output import progress


def render(
    directory: Path = typer.Argument(Path("."), help="Image directory holding envbuild.yaml."),
    target: str = typer.Option(..., "--target", "-t", help="Target to render."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    templates: Path = typer.Option(None, "--templates", help="Directory of template overrides."),
) -> None:
    """Print the Dockerfile for a target: multi-stage, offline install, non-root, lineage labels."""
    from envbuild.services import images

    text = images.render(directory, target, output=output, templates=templates, progress=progress)
    if output is None:
        sys.stdout.write(text)
