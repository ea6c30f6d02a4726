"""envbuild context [DIR] [--target NAME] --output DIR [--templates DIR] [--json]"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import typer

from envbuild.cli.output import out, progress


def context(
    directory: Path | None = typer.Argument(None, help="Image directory holding envbuild.yaml (default: the nearest one "
                                     "here or above)."),
    target: str = typer.Option(None, "--target", "-t", help="Target (the only one if the spec has one)."),
    output: Path = typer.Option(..., "--output", "-o", help="A new (or empty) directory for the context."),
    templates: Path | None = typer.Option(None, "--templates", help="Directory of template overrides."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Write the complete hermetic build context of a target (Dockerfile, hash-checked wheels and
    archives, embedded files) for any builder: docker, buildx, podman, buildah, kaniko (and
    Dockerfile.buildkit, the same image built faster by BuildKit and podman)."""
    import os

    from envbuild.adapters.engine.docker import Engine, api_timeout
    from envbuild.adapters.inputs import load_spec
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.ecosystems import chosen_target
    from envbuild.errors import ToolUnavailable
    from envbuild.services import images

    from envbuild.cli.discovery import spec_directory

    directory = spec_directory(directory)
    target = chosen_target(load_spec(directory), target).name
    engine = None
    if images.needs_engine(directory, target):  # to pin the base by digest, as build does
        try:
            engine = Engine.connect(api_timeout(os.environ))
        except ToolUnavailable as exc:
            progress(f"note: {exc.message}; the base image is named as written, not pinned")
    made = images.context(directory, target, output=output, engine=engine, wheels=Wheelhouse(environ=os.environ),
                          environ=os.environ, templates=templates, progress=progress)
    where = shlex.quote(str(made.path))
    # Dockerfile builds under any builder; Dockerfile.buildkit (RUN --mount binds, no COPY of the wheels)
    # under BuildKit and podman/buildah, faster: the same layers either way.
    fast = f"-f {shlex.quote(str(made.path / images.BUILDKIT_DOCKERFILE))} " if made.buildkit else ""
    commands = {"docker": f"docker build -t {made.ref} {where}",
                "buildx": f"docker buildx build --load {fast}-t {made.ref} {where}",
                "podman": f"podman build {fast}-t {made.ref} {where}",
                "buildah": f"buildah bud {fast}-t {made.ref} {where}",
                "kaniko": f"/kaniko/executor --context dir://{made.path} --destination REGISTRY/{made.ref}"}
    if as_json:
        out(json.dumps({"schema": 1, "context": str(made.path), "image": made.ref, "source_date_epoch": made.epoch,
                        "commands": commands}, sort_keys=True))
        return
    out(f"wrote the build context of {made.ref} to {made.path} ({made.summary})")
    for name, command in commands.items():
        out(f"  {name + ':':8} {command}")
