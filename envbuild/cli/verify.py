"""envbuild verify [DIR --target NAME | --lock FILE | --against SOURCE] [--python EXE | --container NAME | --image REF | --ssh HOST ...] [--data]"""

from __future__ import annotations

from pathlib import Path

import typer

import envbuild.cli.places as opt
from envbuild.cli.output import progress


def verify(
    directory: Path = typer.Argument(None, help="Image directory holding envbuild.yaml (with --target)."),
    target: str = typer.Option(None, "--target", "-t", help="Target whose lock to verify against."),
    lock: Path = typer.Option(None, "--lock", help="A lock file to verify against: envbuild's, a hashed requirements "
                              "file (pip-compile, uv), pylock.toml, uv.lock or a conda-lock file."),
    platform: str = typer.Option(None, "--platform", help="Which platform of a multi-platform conda-lock file "
                                 "(linux/amd64, linux-64, osx-arm64; default: each environment's own)."),
    against: str = typer.Option(None, "--against", help="What another environment had: mlflow:runs:/ID, "
                                "mlflow:models:/NAME/VERSION or @ALIAS (its recorded snapshot and lock), a snapshot "
                                "JSON, a lock file or an image."),
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
    junit: Path = typer.Option(None, "--junit", help="Also write a JUnit XML report here."),
    fail_on: str = opt.FAIL_ON,
) -> None:
    """Diff environments against a lock: missing, unexpected, version, modified, duplicate, python, platform, data."""
    import os

    from envbuild.services import verifying

    from envbuild.cli.output import report_format

    opt.check_level(fail_on)
    fmt = report_format(format, as_json)
    data_only = data and not (directory or target or lock or against or python or container or image or ssh or exec_
                              or hosts)
    where = [] if data_only else opt.places(python, container, image, ssh, interpreter, ssh_config, conda_prefix,
                                                exec_=exec_, hosts=hosts)
    if directory is None and lock is None and against is None and where and \
            not all(place.kind in ("image", "container") for place in where):  # images carry their own lock
        from envbuild.cli.discovery import spec_directory

        directory = spec_directory(None, required=False)
    choice, outcomes = verifying.verify(directory, target, lock, where, environ=os.environ, files=files,
                                        allow_extra=allow_extra, require_gpu=gpu, timeout=timeout, against=against,
                                        data=Path.cwd() if data else None, platform=platform, jobs=jobs, log=progress)
    from envbuild.adapters.files import atomic_write
    from envbuild.cli.output import report_error, show_report
    from envbuild.core.report import exit_code, to_junit
    from envbuild.errors import FileError

    show_report(outcomes, fmt, lock=choice.label, fail_on=fail_on, title="envbuild verify")
    code = exit_code(outcomes, fail_on)
    if junit is not None:
        try:
            atomic_write(junit, to_junit(outcomes))
        except FileError as exc:  # the verdict above stands; a clean one still fails for want of its report
            report_error(exc)
            code = code or exc.exit_code
    if code:
        raise typer.Exit(code)
