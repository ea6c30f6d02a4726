"""The body of `envbuild verify`, without Typer: cli/verify.py (the options, for --help and every
unusual command line) and cli/fast.py (the usual command lines, parsed without importing Typer)
both call it with the same arguments."""

from __future__ import annotations

from pathlib import Path

from envbuild.cli.discovery import check_level, places, python_version
from envbuild.cli.output import progress


def run(*, directory: Path | None, target: str | None, lock: Path | None, platform: str | None, against: str | None,
        require_lock: str | None, lock_python: str | None, require_reproduced: float | None,
        python: list[str], container: list[str], image: list[str], ssh: list[str], exec_: list[str],
        hosts: Path | None, jobs: int, interpreter: str, ssh_config: Path | None, conda_prefix: str | None,
        files: bool, timeout: float, allow_extra: list[str], gpu: bool, data: bool, as_json: bool, format: str,
        junit: Path | None, fail_on: str) -> int:
    """The exit code."""
    import os

    from envbuild.services import verifying

    from envbuild.cli.output import report_format

    check_level(fail_on)
    fmt = report_format(format, as_json)
    if require_reproduced is not None:
        from envbuild.core.lineage.record import is_mlflow
        from envbuild.errors import UserError

        if against is None or not is_mlflow(against):
            raise UserError("--require-reproduced asks MLflow for the reproductions of a run: it needs --against "
                            "mlflow:runs:/ID or mlflow:models:/NAME@ALIAS")
        if not require_reproduced > 0:
            raise UserError(f"--require-reproduced {require_reproduced:g}: expected a number of days above 0")
    data_only = data and not (directory or target or lock or against or python or container or image or ssh or exec_
                              or hosts)
    where = [] if data_only else places(python, container, image, ssh, interpreter, ssh_config, conda_prefix,
                                                exec_=exec_, hosts=hosts)
    if directory is None and lock is None and against is None and where and \
            not all(place.kind in ("image", "container") for place in where):  # images carry their own lock
        from envbuild.cli.discovery import spec_directory

        directory = spec_directory(None, required=False)
    choice, outcomes = verifying.verify(directory, target, lock, where, environ=os.environ, files=files,
                                        allow_extra=allow_extra, require_gpu=gpu, timeout=timeout, against=against,
                                        data=Path.cwd() if data else None, platform=platform, jobs=jobs,
                                        require_lock=require_lock, lock_python=python_version(lock_python),
                                        progress=progress)
    if require_reproduced is not None:
        outcomes.append(verifying.reproduced(str(against), require_reproduced, environ=os.environ))
    from envbuild.adapters.files import atomic_write
    from envbuild.cli.output import report_error, show_report
    from envbuild.core.report.outcomes import exit_code, to_junit
    from envbuild.errors import FileError

    show_report(outcomes, fmt, lock=choice.label, fail_on=fail_on, title="envbuild verify")
    code = exit_code(outcomes, fail_on)
    if junit is not None:
        try:
            atomic_write(junit, to_junit(outcomes))
        except FileError as exc:  # the verdict above stands; a clean one still fails for want of its report
            report_error(exc)
            code = code or exc.exit_code
    return code

