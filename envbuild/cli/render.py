"""envbuild render [DIR] [--target NAME] [--output FILE] [--templates DIR] [--buildkit] [--json]"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from envbuild.cli.output import progress


def render(
    directory: Path | None = typer.Argument(None, help="Image directory holding envbuild.yaml (default: the nearest one "
                                     "here or above)."),
    target: str = typer.Option(None, "--target", "-t", help="Target to render (the only one if the spec has one)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    templates: Path | None = typer.Option(None, "--templates", help="Directory of template overrides."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: the target, the Dockerfile (or "
                                 "where it was written)."),
    buildkit: bool = typer.Option(False, "--buildkit", help="The Dockerfile a BuildKit build runs (RUN --mount binds "
                                  "of the wheels), not the portable one."),
) -> None:
    """Print the Dockerfile for a target: multi-stage, offline install, non-root, lineage labels."""
    import os

    from envbuild.adapters.engine.docker import Engine, api_timeout
    from envbuild.errors import ToolUnavailable
    from envbuild.services import images

    from envbuild.cli.discovery import spec_directory

    directory = spec_directory(directory)
    from envbuild.adapters.inputs import load_spec
    from envbuild.ecosystems import chosen_target

    target = chosen_target(load_spec(directory), target).name
    engine = None
    if images.needs_engine(directory, target):  # a base pinned by digest needs no engine: never wait for one
        try:
            engine = Engine.connect(api_timeout(os.environ))
        except ToolUnavailable as exc:
            progress(f"note: {exc.message}; the base image is used as written")
    from envbuild.adapters.index.wheelhouse import Wheelhouse

    if output is not None and str(output) == "-":  # -o - is standard output, as for every other document
        output = None
    text = images.render(directory, target, engine=engine, wheels=Wheelhouse(environ=os.environ), environ=os.environ,
                         output=output, templates=templates, progress=progress, buildkit=buildkit)
    if as_json:
        import json

        from envbuild.cli.output import out

        out(json.dumps({"schema": 1, "directory": str(directory), "target": target, "path": str(output) if output
                        else None, "dockerfile": None if output else text}, sort_keys=True))
    elif output is None:
        sys.stdout.write(text)
