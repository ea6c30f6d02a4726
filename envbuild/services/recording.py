"""envbuild record: the environment of a training run, logged into the run (core/lineage.py says what).

The environment is probed like `snapshot` (with ``files``, every installed file's verdict is in
the record); the lock is the one the place carries when it is an envbuild image (its label vouches
for it), else the one the user names; the SBOM is the lock's. The run is MLFLOW_RUN_ID's (or the
one given) on MLFLOW_TRACKING_URI's server — the same variables the training code's mlflow reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from envbuild.version import __version__
from envbuild.adapters.places import DEFAULT_TIMEOUT, Place
from envbuild.errors import UserError


@dataclass(frozen=True, kw_only=True)
class Recorded:
    run_id: str
    artifact_uri: str
    artifacts: tuple[str, ...]
    tags: Mapping[str, str]


def record(place: Place, *, environ: Mapping[str, str], run_id: str | None = None, lock_file: Path | None = None,
           files: bool = False, timeout: float = DEFAULT_TIMEOUT, directory: Path | None = None,
           dvc_lock: Path | None = None, command: list[str] | None = None,
           workdir: str | None = None) -> Recorded:
    """``dvc_lock`` (default: dvc.lock in ``directory``, the current one, when there is one): the data
    versions the run trained on. ``command``, ``workdir``: how the training was started (envbuild.record()
    passes its own process's; for an image or a container, the engine's entrypoint and command)."""
    from envbuild.adapters import git, mlflow_runs
    from envbuild.adapters.dvc import lock_outputs
    from envbuild.adapters.files import read_text
    from envbuild.adapters.places import take_snapshot
    from envbuild.core.image_checks import carried_lock
    from envbuild.core.lineage import record_artifacts
    from envbuild.core.lockfile import read_lock
    from envbuild.core.sbom import bom_of_lock, bom_of_snapshot

    run_id = run_id or environ.get("MLFLOW_RUN_ID")
    if not run_id:
        raise UserError("no MLflow run to record into", hint="pass --run-id, or set MLFLOW_RUN_ID (mlflow sets it "
                        "for the code of `mlflow run`; envbuild.record() also finds the active run)")
    data = lock_outputs(dvc_lock, directory or Path.cwd())  # a bad dvc.lock fails before the probe runs
    snapshot = take_snapshot(place, files=files, timeout=timeout)
    snapshot["taken"] = {"from": place.label, "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if data is not None:
        snapshot["data"] = {"dvc_lock": data[0], "outputs": data[1]}
    carried = carried_lock(snapshot)
    if lock_file is not None:
        if not lock_file.is_file():
            raise UserError(f"no lock file at {lock_file}", hint="create it with 'envbuild lock'")
        text = read_text(lock_file, str(lock_file))
        lock = read_lock(text, str(lock_file))
        lock_pair, sbom = (lock.format, text), bom_of_lock(text, str(lock_file), tool_version=__version__)
    else:
        # bom_of_snapshot reads the carried lock as verify does: it stands where the engine's label
        # vouches for it or its own body digest holds, and is refused otherwise
        lock_pair, sbom = carried, bom_of_snapshot(snapshot, place.name or place.label, tool_version=__version__)
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.lineage import invocation_of

    invocation = invocation_of(snapshot, command=command, workdir=workdir,
                               capabilities=cuda_data().get("gpu_compute_capability"))
    artifacts, tags = record_artifacts(snapshot, lock=lock_pair, sbom=sbom, source=place.label,
                                       git_commit=git.revision(directory or Path.cwd()), tool_version=__version__,
                                       data=data[1] if data else None, invocation=invocation)
    uri = mlflow_runs.log_record(run_id, artifacts, tags, environ=environ)
    return Recorded(run_id=run_id, artifact_uri=uri, artifacts=tuple(sorted(artifacts)), tags=tags)
