"""The options that say where an environment is, shared by verify and snapshot (what they mean:
cli/discovery.py, without Typer)."""

from __future__ import annotations

import typer

from envbuild.cli.discovery import check_level, places  # noqa: F401 - the commands' names for them

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
