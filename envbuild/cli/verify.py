"""envbuild verify [DIR --target NAME | --lock FILE | --against SOURCE | --require-lock LOCK] [--python EXE | --container NAME | --image REF | --ssh HOST ...] [--data]"""

from __future__ import annotations

from pathlib import Path

import typer

import envbuild.cli.places as opt


def verify(
    directory: Path | None = typer.Argument(None, help="Image directory holding envbuild.yaml (with --target)."),
    target: str = typer.Option(None, "--target", "-t", help="Target whose lock to verify against."),
    lock: Path | None = typer.Option(None, "--lock", help="A lock file to verify against: envbuild's, a hashed requirements "
                              "file (pip-compile, uv), pylock.toml, uv.lock or a conda-lock file."),
    platform: str = typer.Option(None, "--platform", help="Which platform of a multi-platform conda-lock file "
                                 "(linux/amd64, linux-64, osx-arm64; default: each environment's own)."),
    against: str = typer.Option(None, "--against", help="What another environment had: mlflow:runs:/ID, "
                                "mlflow:models:/NAME/VERSION or @ALIAS (its recorded snapshot and lock), a snapshot "
                                "JSON, a lock file or an image."),
    lock_python: str = typer.Option(None, "--lock-python", help="Another tool's lock (uv.lock, pylock.toml, a "
                                    "requirements file with markers) is settled for this Python (X.Y) instead of each "
                                    "environment's own."),
    require_lock: str = typer.Option(None, "--require-lock", help="The lock an image must carry: a lock file (the "
                                     "repository's) or mlflow:runs:/ID (the run's); another one fails. Without it, "
                                     "--image alone is verified against its own, self-attested lock."),
    require_reproduced: float = typer.Option(None, "--require-reproduced", help="With --against mlflow:...: fail "
                                             "unless the run has a passing envbuild reproduce newer than this many "
                                             "days."),
    python: list[str] = opt.PYTHON,
    container: list[str] = opt.CONTAINER,
    image: list[str] = opt.IMAGE,
    ssh: list[str] = opt.SSH,
    exec_: list[str] = opt.EXEC,
    hosts: Path = opt.HOSTS,
    jobs: int = opt.JOBS,
    interpreter: str = opt.INTERPRETER,
    ssh_config: Path = opt.SSH_CONFIG,
    conda_prefix: str = opt.CONDA_PREFIX,
    files: bool = opt.FILES,
    timeout: float = opt.TIMEOUT,
    allow_extra: list[str] = typer.Option([], "--allow-extra", help="A package that is not drift (repeatable)."),
    gpu: bool = typer.Option(False, "--gpu", help="Require a working NVIDIA driver (a GPU server, not a CI runner)."),
    data: bool = typer.Option(False, "--data", help="Also check the DVC workspace here with `dvc status` (and "
                              "against the data --against recorded); alone, only the data."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (--format json)."),
    format: str = typer.Option("text", "--format", "-f", help="text, json or markdown (a table per kind of finding)."),
    junit: Path | None = typer.Option(None, "--junit", help="Also write a JUnit XML report here."),
    fail_on: str = opt.FAIL_ON,
) -> None:
    """Diff environments against a lock: missing, unexpected, version, modified, duplicate, python, platform, data."""
    options = dict(locals())  # every parameter, as parsed
    from envbuild.cli.verify_run import run

    code = run(**options)
    if code:
        raise typer.Exit(code)
