"""envbuild export [DIR --target T | --lock FILE] --format requirements|pylock.toml|conda-lock [-o FILE]"""

from __future__ import annotations

from pathlib import Path

import typer

from envbuild.cli.output import write_result


def export(
    directory: Path | None = typer.Argument(None, help="Image directory holding envbuild.yaml."),
    target: str = typer.Option(None, "--target", "-t", help="The target whose lock to export (the only one if one)."),
    lock: Path | None = typer.Option(None, "--lock", help="A lock file instead of an image directory."),
    format: str = typer.Option(..., "--format", "-f", help="requirements (pip --require-hashes), pylock.toml "
                               "(PEP 751: uv, pip) or conda-lock (conda-lock, micromamba, pixi)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout; - is stdout."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout: the document (wrapped unless it is JSON), "
                                 "or what was written to -o FILE."),
) -> None:
    """Write a lock in another tool's format: every pin and hash as locked."""
    import os

    from envbuild.errors import UserError
    from envbuild.services import exporting

    if lock is not None and (directory is not None or target is not None):
        raise UserError("give one source: DIR [--target T] or --lock FILE")
    if lock is None:
        from envbuild.cli.discovery import spec_directory
        from envbuild.core.lock.export import check_format

        check_format(format)  # a wrong format is the first thing said, wherever this runs

        directory = spec_directory(directory)
    text = exporting.export(directory, target, lock, format, environ=os.environ)
    write_result(text, output, as_json=as_json)
