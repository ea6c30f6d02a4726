"""envbuild snapshot [--python EXE | --container NAME | --image REF | --ssh HOST] [--files] [--dvc-lock FILE] [--output FILE]"""

from __future__ import annotations

import json
from pathlib import Path

import typer

import envbuild.cli.places as opt
from envbuild.cli.output import progress, write_result


def snapshot(
    python: list[str] = opt.PYTHON,
    container: list[str] = opt.CONTAINER,
    image: list[str] = opt.IMAGE,
    ssh: list[str] = opt.SSH,
    exec_: list[str] = opt.EXEC,
    interpreter: str = opt.INTERPRETER,
    ssh_config: Path = opt.SSH_CONFIG,
    conda_prefix: str = opt.CONDA_PREFIX,
    files: bool = opt.FILES,
    timeout: float = opt.TIMEOUT,
    dvc_lock: Path | None = typer.Option(None, "--dvc-lock", help="The data versions to record beside it (default: "
                                  "./dvc.lock when there is one)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout; - is stdout."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout: the document (wrapped unless it is JSON), "
                                 "or what was written to -o FILE."),
) -> None:
    """Record an environment as JSON, to archive next to a trained model and diff later."""
    from envbuild.errors import UserError
    from envbuild.services import diffing

    where = opt.places(python, container, image, ssh, interpreter, ssh_config, conda_prefix, exec_=exec_)
    if len(where) != 1:
        raise UserError("snapshot takes one environment at a time")
    text = json.dumps(diffing.snapshot(where[0], files=files, timeout=timeout, dvc_lock=dvc_lock,
                                         progress=progress).to_dict(), indent=2, sort_keys=True) + "\n"
    write_result(text, output, as_json=as_json)
