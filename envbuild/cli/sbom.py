"""envbuild sbom [DIR --target T | --lock FILE | --image REF | SNAPSHOT.json] [--format cyclonedx-json] [-o FILE]"""

from __future__ import annotations

from pathlib import Path

import typer

from envbuild.cli.output import progress, write_result

FORMATS = ("cyclonedx-json", "spdx-json")


def sbom(
    source: str = typer.Argument(".", help="An image directory holding envbuild.yaml, or a snapshot JSON file."),
    target: str = typer.Option(None, "--target", "-t", help="The target of the image directory."),
    lock: Path | None = typer.Option(None, "--lock", help="A lock file instead of an image directory."),
    image: str = typer.Option(None, "--image", help="An image: what it carries (its embedded lock, image.json, labels)."),
    format: str = typer.Option("cyclonedx-json", "--format", help="cyclonedx-json (CycloneDX 1.6) or spdx-json (SPDX 2.3)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout; - is stdout."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout: the document (wrapped unless it is JSON), "
                                 "or what was written to -o FILE."),
    interpreter: str = typer.Option("python3", "--interpreter", help="The Python to run in the image."),
) -> None:
    """Print the SBOM of a target, a lock, an image or a snapshot: every package with its purl and hashes."""
    import os

    from envbuild.errors import UserError
    from envbuild.services import sboms

    if format not in FORMATS:
        raise UserError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
    given = [name for name, value in (("--lock", lock), ("--image", image)) if value is not None]
    path = Path(source)
    if len(given) > 1 or (given and source != "."):
        raise UserError("give one source: DIR --target T, --lock FILE, --image REF or SNAPSHOT.json")
    if lock is not None:
        text = sboms.of_lock(lock)
    elif image is not None:
        text = sboms.of_image(image, interpreter=interpreter)
    elif path.is_file() or path.suffix == ".json":
        text = sboms.of_snapshot(path)
    else:
        if target is None:
            raise UserError(f"{source}: an image directory needs --target", hint="or pass --lock FILE or --image REF")
        from envbuild.adapters.engine.docker import Engine, api_timeout
        from envbuild.adapters.index.wheelhouse import Wheelhouse
        from envbuild.errors import ToolUnavailable
        from envbuild.services import images

        engine = None
        if images.needs_engine(path, target):
            try:
                engine = Engine.connect(api_timeout(os.environ))
            except ToolUnavailable as exc:
                progress(f"note: {exc.message}; the base image is named as written, without its digest")
        text = images.sbom(path, target, engine=engine, wheels=Wheelhouse(environ=os.environ), environ=os.environ,
                           progress=progress)
    if format == "spdx-json":  # the same document, translated: the two formats cannot disagree
        try:
            from envbuild.core.lineage.spdx import spdx_json
        except ImportError:
            from envbuild.errors import ToolUnavailable

            raise ToolUnavailable("SPDX output needs spdx-tools", hint="pip install 'envbuild[spdx]'") from None
        text = spdx_json(text)
    write_result(text, output, as_json=as_json)
