"""envbuild record: the environment of a training run, logged into the run (core/lineage/record.py says what).

The environment is probed like `snapshot` (with ``files``, every installed file's verdict is in
the record); the lock is the one the place carries when it is an envbuild image (its label vouches
for it), else the one the user names; the SBOM is the lock's. The run is MLFLOW_RUN_ID's (or the
one given) on MLFLOW_TRACKING_URI's server — the same variables the training code's mlflow reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.version import __version__
from envbuild.adapters.places import DEFAULT_TIMEOUT, Place
from envbuild.errors import UserError

if TYPE_CHECKING:
    from envbuild.core.spec.reproduce import ReproduceRules


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
    from envbuild.adapters import mlflow_runs

    run_id = run_id or environ.get("MLFLOW_RUN_ID")
    if not run_id:
        raise UserError("no MLflow run to record into", hint="pass --run-id, or set MLFLOW_RUN_ID (mlflow sets it "
                        "for the code of `mlflow run`; envbuild.record() also finds the active run)")
    artifacts, tags = collect(place, lock_file=lock_file, files=files, timeout=timeout, directory=directory,
                              dvc_lock=dvc_lock, command=command, workdir=workdir)
    uri = mlflow_runs.log_record(run_id, artifacts, tags, environ=environ)
    return Recorded(run_id=run_id, artifact_uri=uri, artifacts=tuple(sorted(artifacts)), tags=tags)


def collect(place: Place, *, lock_file: Path | None = None, files: bool = False, timeout: float = DEFAULT_TIMEOUT,
            directory: Path | None = None, dvc_lock: Path | None = None, command: list[str] | None = None,
            workdir: str | None = None, invocation: Mapping[str, Any] | None = None,
            image_config: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """The record of ``place``: (artifact name → text, tag → value). ``invocation``: more of what a re-run
    needs (laid over invocation_of's). ``image_config``: the container was started by envbuild with a
    keeper for its first process: its configuration is recorded as its image's."""
    from envbuild.adapters import git
    from envbuild.adapters.dvc import lock_outputs
    from envbuild.adapters.files import read_text
    from envbuild.adapters.places import take_snapshot
    from envbuild.core.lock.carried import carried_lock
    from envbuild.core.lineage.record import record_artifacts
    from envbuild.core.lock import read_lock
    from envbuild.core.lineage.sbom import bom_of_lock, bom_of_snapshot
    from envbuild.core.snapshot import stamped

    data = lock_outputs(dvc_lock, directory or Path.cwd())  # a bad dvc.lock fails before the probe runs
    snapshot = stamped(take_snapshot(place, files=files, timeout=timeout), source=place.label,
                       at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), data=data)
    engine = snapshot.engine
    if image_config and engine is not None and engine.image_config is not None:
        snapshot = replace(snapshot, engine=replace(engine, config=engine.image_config))
    carried = carried_lock(snapshot)
    lock_pair: tuple[str, str] | None
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
    from envbuild.core.lineage.record import invocation_of

    found = invocation_of(snapshot, command=command, workdir=workdir,
                          capabilities=cuda_data().get("gpu_compute_capability"))
    return record_artifacts(snapshot, lock=lock_pair, sbom=sbom, source=place.label,
                            git_commit=git.revision(directory or Path.cwd()), tool_version=__version__,
                            data=data[1] if data else None, invocation={**found, **(invocation or {})})


@dataclass(frozen=True, kw_only=True)
class Trained:
    run_id: str | None  # None: recorded into a file only
    exit_code: int  # the training's own
    command: tuple[str, ...]
    network: str
    metrics: Mapping[str, float]
    artifacts: tuple[str, ...]
    record_file: Path | None = None
    metrics_file: str | None = None  # the spec's metrics-file, when the training did not write it


def train(image: str, *, environ: Mapping[str, str], args: Sequence[str] | None = None,
          rules: "ReproduceRules | None" = None, definition: Mapping[str, str] | None = None,
          env: Mapping[str, str] | None = None, env_names: Sequence[str] = (), data: Path | None = None,
          data_mount: str = "/data", network: str | None = None, gpus: str | None = None,
          record_file: Path | None = None,
          files: bool = True, show: Callable[[str], None] = print, timeout: float | None = None) -> Trained:
    """`envbuild run`: train in ``image`` (its entrypoint; ``args`` instead of its command, as `docker run`
    takes them), as a new MLflow run (or MLFLOW_RUN_ID's), then record that very container into the run:
    snapshot (``files``: every file's verdict), lock, SBOM, image, invocation, hardware — and the metrics
    the training wrote to the spec's metrics-file. ``record_file``: the record is also written there
    (with no MLFLOW_TRACKING_URI: only there). The container's network is none unless the training logs
    to MLflow itself (no metrics-file): then the tracking server must be reachable — the host's network
    for a server on this machine's loopback, else the default bridge."""
    from envbuild.adapters import mlflow_runs
    from envbuild.adapters.engine import training
    from envbuild.adapters.places import Place, engine_record
    from envbuild.core.spec.reproduce import ReproduceRules, rules_to_json

    rules = rules or ReproduceRules()
    config = engine_record(Place(kind="image", name=image), timeout=120.0).get("config") or {}
    entrypoint = list(config.get("entrypoint") or [])
    command = [*entrypoint, *(list(args) if args is not None else list(config.get("cmd") or []))]
    tracking = environ.get("MLFLOW_TRACKING_URI")
    use_mlflow = record_file is None or bool(tracking)
    chosen = network or training.network_for(metrics_file=rules.metrics_file,
                                             tracking_uri=tracking if use_mlflow else None)
    missing = [name for name in env_names if name not in environ]
    if missing:
        raise UserError(f"-e {missing[0]}: not set here", hint="set it, or give its value: -e NAME=VALUE")
    mounts = [training.Mount(source=str(data.resolve()), target=data_mount)] if data is not None else []
    run_id = None
    if use_mlflow:
        run_id, experiment = mlflow_runs.start_run(environ, run_id=environ.get("MLFLOW_RUN_ID"),
                                                   tags={"envbuild.image": image})
    run_env = {**(env or {}), **{name: environ[name] for name in env_names}}
    if run_id is not None and chosen != "none":
        run_env.update(mlflow_runs.container_env(environ, run_id, experiment))
    invocation = {"entrypoint": entrypoint, "env": dict(env or {}), "env_names": sorted(env_names),
                  "network": chosen, "reproduce": rules_to_json(rules), "definition": dict(definition or {}) or None,
                  "data_mount": data_mount if data is not None else None, "gpus": gpus}
    try:
        with training.container(image, network=chosen, mounts=mounts, gpus=gpus) as name:
            code, _tail = training.train(name, command, env=run_env, workdir=config.get("workdir") or None,
                                         show=show, timeout=timeout)
            found = training.read_metrics(name, rules.metrics_file, where=f"{image}:{rules.metrics_file}") \
                if rules.metrics_file else None
            metrics = found or {}
            artifacts, tags = collect(Place(kind="container", name=name), files=files, directory=data,
                                      command=command, workdir=config.get("workdir") or None,
                                      invocation={**invocation, "exit_code": code}, image_config=True)
    except BaseException:
        if run_id is not None and not environ.get("MLFLOW_RUN_ID"):  # interrupted or failed: not left RUNNING
            mlflow_runs.finish_run(run_id, ok=False, environ=environ)
        raise
    if run_id is not None:
        if metrics:
            mlflow_runs.log_metrics(run_id, metrics, environ=environ)
        mlflow_runs.log_record(run_id, artifacts, {**tags, "envbuild.run.exit": str(code)}, environ=environ)
        if not environ.get("MLFLOW_RUN_ID"):  # a run someone else started is theirs to end
            mlflow_runs.finish_run(run_id, ok=code == 0, environ=environ)
    if record_file is not None:
        write_record_file(record_file, run_id=run_id, artifacts=artifacts, tags=tags, metrics=metrics)
    return Trained(run_id=run_id, exit_code=code, command=tuple(command), network=chosen, metrics=metrics,
                   artifacts=tuple(sorted(artifacts)), record_file=record_file,
                   metrics_file=rules.metrics_file if rules.metrics_file and found is None else None)


def write_record_file(path: Path, *, run_id: str | None, artifacts: Mapping[str, str], tags: Mapping[str, str],
                      metrics: Mapping[str, float]) -> None:
    """A record as one JSON file (what reproduce reads where there is no MLflow): written atomically."""
    import json

    from envbuild.adapters.files import atomic_write
    from envbuild.core.lineage.reproduction import RECORD_KIND

    atomic_write(path, json.dumps({"schema": 1, "kind": RECORD_KIND, "run_id": run_id, "artifacts": dict(artifacts),
                                   "tags": dict(tags), "metrics": dict(metrics)}, indent=2, sort_keys=True) + "\n")
