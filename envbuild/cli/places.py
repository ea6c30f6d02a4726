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
EXEC = typer.Option([], "--exec", help="Any command that runs its arguments with stdin attached: 'kubectl exec -i "
                    "POD --', 'podman exec -i C', 'ssh -J bastion host' (repeatable; checked in parallel).")
HOSTS = typer.Option(None, "--hosts", help="A file of ssh hosts, one per line ('#' starts a comment).")
JOBS = typer.Option(16, "--jobs", "-j", min=1, help="How many environments are probed at once.")
FAIL_ON = typer.Option("low", "--fail-on", help="The least severe finding that fails: low (any), medium, high, "
                       "critical (README: Severities).")
INTERPRETER = typer.Option("python3", "--interpreter", help="The Python to run in containers, images, hosts.")
SSH_CONFIG = typer.Option(None, "--ssh-config", help="An ssh config file (ssh -F).")
CONDA_PREFIX = typer.Option(None, "--conda-prefix",
                            help="The conda environment to inventory (default: the image's, or the interpreter's).")
FILES = typer.Option(False, "--files", help="Check every installed file against the locked wheels' RECORD.")
TIMEOUT = typer.Option(120.0, "--timeout", min=1, help="Seconds each environment may take to answer.")


def places(python: list[str], container: list[str], image: list[str], ssh: list[str], interpreter: str,
           ssh_config: Path | None, conda_prefix: str | None = None, *, exec_: list[str] = (),
           hosts: Path | None = None) -> list["Place"]:
    from envbuild.adapters.places import Place

    found = [Place(kind="python", name=p) for p in python]
    found += [Place(kind="container", name=c, interpreter=interpreter) for c in container]
    found += [Place(kind="image", name=i, interpreter=interpreter) for i in image]
    found += [Place(kind="ssh", name=h, interpreter=interpreter, ssh_config=str(ssh_config) if ssh_config else None)
              for h in [*ssh, *(_hosts(hosts) if hosts is not None else [])]]
    found += [Place(kind="exec", name=command, interpreter=interpreter) for command in exec_]
    if not found:
        import os

        from envbuild.cli.discovery import default_place

        found = [default_place(os.environ)]
    if conda_prefix:
        from dataclasses import replace

        found = [replace(place, conda_prefix=conda_prefix) for place in found]
    return found


def _hosts(path: Path) -> list[str]:
    """One host per line; blank lines and '#' comments skipped; a file with none is a mistake."""
    from envbuild.adapters.files import read_text
    from envbuild.errors import UserError

    if not path.is_file():
        raise UserError(f"--hosts {path}: no such file")
    found = [line.split("#", 1)[0].strip() for line in read_text(path, str(path)).splitlines()]
    found = [host for host in found if host]
    for host in found:
        if len(host.split()) != 1:
            raise UserError(f"--hosts {path}: {host!r}: one host per line (user@host or an ssh config alias)")
    if not found:
        raise UserError(f"--hosts {path}: no hosts in it")
    return found


def check_level(level: str) -> None:
    from envbuild.core.severity import LEVELS
    from envbuild.errors import UserError

    if level not in LEVELS:
        raise UserError(f"--fail-on {level}: expected one of {', '.join(LEVELS)}")
