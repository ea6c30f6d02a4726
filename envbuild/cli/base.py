"""envbuild base [--suite S] [--package P]... [--tag NAME] [--mirror URL] [--rebuild]"""

from __future__ import annotations

import typer

from envbuild.cli.output import out, progress


def base(
    suite: str = typer.Option("bookworm", "--suite", help="Debian suite."),
    package: list[str] = typer.Option([], "--package", "-p", help="Extra Debian package (repeatable)."),
    tag: str = typer.Option(None, "--tag", help="Image name (default envbuild/base:<suite>)."),
    mirror: str = typer.Option("http://deb.debian.org/debian", "--mirror", help="Debian mirror."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Make it again even if the tag exists."),
    platform: str = typer.Option(None, "--platform", help="linux/amd64 or linux/arm64 (default: the engine's own); "
                                 "another needs QEMU's binfmt handlers on this machine."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Bootstrap a Debian base image (python3, python3-venv) from the Debian archive, tagged by content."""
    import os

    from envbuild.adapters.engine.docker import Engine, api_timeout
    from envbuild.services.base import make_base

    result = make_base(Engine.connect(api_timeout(os.environ)), suite=suite, packages=package, tag=tag, mirror=mirror,
                       rebuild=rebuild, progress=progress, environ=os.environ, platform=platform)
    if as_json:
        import json

        out(json.dumps({"schema": 1, "image": result.ref, "content_ref": result.content_ref, "id": result.image_id,
                        "built": result.built}, sort_keys=True))
        return
    out(f"{result.ref} = {result.content_ref} ({result.image_id}){'' if result.built else ' (exists)'}")
