"""The options that say where an environment is, shared by verify and snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from envbuild.adapters.places import Place

PYTHON = typer.Option([], "--python", help="An interpreter or venv's python (repeatable).")
CONTAINER = typer.Option([], "--container", help="A running container, via docker exec (repeatable).")
IMAGE = typer.Option([], "--image", help="An image, via docker run --network none (repeatable).")
SSH = typer.Option([], "--ssh", help="A host, via ssh HOST python3 - (repeatable; checked in parallel).")
FAIL_ON = typer.Option("low", "--fail-on", help="The least severe finding that fails: low (any), medium, high, "
                       "critical (README: Severities).")
INTERPRETER = typer.Option("python3", "--interpreter", help="The Python to run in containers, images, hosts.")
SSH_CONFIG = typer.Option(None, "--ssh-config", help="An ssh config file (ssh -F).")
CONDA_PREFIX = typer.Option(None, "--conda-prefix",
                            help="The conda environment to inventory (default: the image's, or the interpreter's).")
FILES = typer.Option(False, "--files", help="Check every installed file against the locked wheels' RECORD.")
TIMEOUT = typer.Option(120.0, "--timeout", min=1, help="Seconds each environment may take to answer.")


def places(python: list[str], container: list[str], image: list[str], ssh: list[str], interpreter: str,
           ssh_config: Path | None, conda_prefix: str | None = None) -> list["Place"]:
    from envbuild.adapters.places import Place

    found = [Place(kind="python", name=p) for p in python]
    found += [Place(kind="container", name=c, interpreter=interpreter) for c in container]
    found += [Place(kind="image", name=i, interpreter=interpreter) for i in image]
    found += [Place(kind="ssh", name=h, interpreter=interpreter, ssh_config=str(ssh_config) if ssh_config else None)
              for h in ssh]
    found = found or [Place(kind="local")]
    if conda_prefix:
        from dataclasses import replace

        found = [replace(place, conda_prefix=conda_prefix) for place in found]
    return found


def check_level(level: str) -> None:
    from envbuild.core.severity import LEVELS
    from envbuild.errors import UserError

    if level not in LEVELS:
        raise UserError(f"--fail-on {level}: expected one of {', '.join(LEVELS)}")
