"""envbuild render [DIR] --target NAME [--output FILE] [--templates DIR]"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from envbuild.cli.output import progress


def render(
    directory: Path = typer.Argument(None, help="Image directory holding envbuild.yaml (default: the nearest one "
                                     "here or above)."),
    target: str = typer.Option(None, "--target", "-t", help="Target to render (the only one if the spec has one)."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    templates: Path = typer.Option(None, "--templates", help="Directory of template overrides."),
) -> None:
    """Print the Dockerfile for a target: multi-stage, offline install, non-root, lineage labels."""
    import os

    from envbuild.adapters.docker import Engine, api_timeout
    from envbuild.errors import ToolUnavailable
    from envbuild.services import images

    from envbuild.cli.discovery import spec_directory

    directory = spec_directory(directory)
    engine = None
    if images.needs_engine(directory, target):  # a base pinned by digest needs no engine: never wait for one
        try:
            engine = Engine.connect(api_timeout(os.environ))
        except ToolUnavailable as exc:
            progress(f"note: {exc.message}; the base image is used as written")
    from envbuild.adapters.wheelhouse import Wheelhouse

    text = images.render(directory, target, engine=engine, wheels=Wheelhouse(environ=os.environ), environ=os.environ,
                         output=output, templates=templates, progress=progress)
    if output is None:
        sys.stdout.write(text)
