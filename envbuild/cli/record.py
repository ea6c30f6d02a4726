"""envbuild record [--run-id ID] [--python EXE | --container NAME | --image REF | --ssh HOST] [--lock FILE] [--dvc-lock FILE] [--files]"""

from __future__ import annotations

import json
from pathlib import Path

import typer

import envbuild.cli.places as opt
from envbuild.cli.output import out


def record(
    run_id: str = typer.Option(None, "--run-id", help="The MLflow run (default: MLFLOW_RUN_ID)."),
    python: list[str] = opt.PYTHON,
    container: list[str] = opt.CONTAINER,
    image: list[str] = opt.IMAGE,
    ssh: list[str] = opt.SSH,
    exec_: list[str] = opt.EXEC,
    interpreter: str = opt.INTERPRETER,
    ssh_config: Path = opt.SSH_CONFIG,
    conda_prefix: str = opt.CONDA_PREFIX,
    lock: Path | None = typer.Option(None, "--lock", help="The lock the environment was installed from (default: the "
                              "one an envbuild image carries)."),
    dvc_lock: Path | None = typer.Option(None, "--dvc-lock", help="The data versions trained on (default: ./dvc.lock, "
                                  "when there is one)."),
    files: bool = opt.FILES,
    timeout: float = opt.TIMEOUT,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Log the environment of a training run into its MLflow run: snapshot, lock, SBOM, image, git commit."""
    import os

    from envbuild.errors import UserError
    from envbuild.services import recording

    where = opt.places(python, container, image, ssh, interpreter, ssh_config, conda_prefix, exec_=exec_)
    if len(where) != 1:
        raise UserError("record takes one environment at a time")
    done = recording.record(where[0], environ=os.environ, run_id=run_id, lock_file=lock, files=files, timeout=timeout,
                            dvc_lock=dvc_lock)
    if as_json:
        out(json.dumps({"run_id": done.run_id, "artifact_uri": done.artifact_uri, "artifacts": list(done.artifacts),
                        "tags": dict(done.tags)}, sort_keys=True))
        return
    out(f"recorded {where[0].label} into run {done.run_id}: {len(done.artifacts)} artifacts under envbuild/")
    for key, value in sorted(done.tags.items()):
        out(f"  {key} = {value}")
