"""The sides that verify --against and diff compare: a snapshot file, an MLflow run's record, a
running container or an image probed now, and the lock a snapshot carries. Every one is hostile
until checked: a snapshot must have the snapshot's shape, a carried lock its label's or its body's
digest."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.places import Place, take_snapshot
from envbuild.core.snapshot import Snapshot
from envbuild.errors import UserError

if TYPE_CHECKING:
    from envbuild.core.check.verify import View
    from envbuild.core.lock import Lock
    from envbuild.core.lock.foreign import Foreign


@dataclass(frozen=True)
class Side:
    """One side of a comparison, as a user named it (verify --against SOURCE, diff A B)."""

    kind: str  # "record": an MLflow run's; "lock": a lock file, any tool's; "snapshot": a snapshot file or a place
    label: str
    lock: "Lock | Foreign | None" = None  # a record's lock, or the lock file
    snapshot: Snapshot | None = None  # a record's or a snapshot's environment


def side_of(argument: str, *, environ: Mapping[str, str], interpreter: str = "python3") -> Side:
    """The one reading of what a side names: an MLflow source (mlflow:runs:/..., models:/...), else a
    file that is not JSON (a lock, any tool's), else a snapshot file, a container or an image."""
    from envbuild.adapters.files import read_text
    from envbuild.adapters.lockfiles import read_any_lock_file
    from envbuild.core.lineage.record import is_mlflow

    if is_mlflow(argument):
        lock, where, snapshot = recorded(argument, environ)
        return Side(kind="record", label=where, lock=lock, snapshot=snapshot)
    path = Path(argument)
    if path.is_file() and not read_text(path, argument).lstrip().startswith("{"):
        return Side(kind="lock", label=argument, lock=read_any_lock_file(path))
    return Side(kind="snapshot", label=argument, snapshot=snapshot_of(argument, interpreter))


def recorded(source: str, environ: Mapping[str, str]) -> tuple["Lock | None", str, Snapshot]:
    """(the lock, where it comes from, the snapshot) that `envbuild record` logged into the run
    behind an MLflow source: hostile until checked."""
    from envbuild.adapters import mlflow_runs
    from envbuild.core.lineage import record as lineage
    from envbuild.core.lock import read_lock

    parsed = lineage.parse_source(source)
    run_id = mlflow_runs.run_of(parsed, environ=environ)
    found = mlflow_runs.read_record(run_id, environ=environ)
    if lineage.SNAPSHOT not in found:
        raise UserError(f"{source}: run {run_id} has no envbuild record",
                        hint="record the training environment with 'envbuild record' or envbuild.record()")
    where = f"{source} (run {run_id})"
    snapshot = parse_snapshot(found[lineage.SNAPSHOT], f"{where}: {lineage.SNAPSHOT}")
    if snapshot.data is None and lineage.DVC in found:  # a record whose snapshot did not carry its data yet
        from envbuild.core.lineage.data import checked_outputs
        from envbuild.core.snapshot import Data

        dvc_json = _json(found[lineage.DVC], f"{where}: {lineage.DVC}")
        outputs = checked_outputs(dvc_json.get("outputs") if isinstance(dvc_json, dict) else None,
                                  f"{where}: {lineage.DVC}")
        snapshot = replace(snapshot, data=Data.read({"outputs": outputs}, f"{where}: {lineage.DVC}"))
    lock = next((read_lock(found[name], f"{where}: {name}", format=format)  # its body digest must hold
                 for format, name in lineage.LOCKS.items() if name in found), None)
    return lock, where, snapshot


def snapshot_of(argument: str, interpreter: str = "python3") -> Snapshot:
    from envbuild.adapters.files import read_text

    path = Path(argument)
    if argument.startswith("container:"):
        return take_snapshot(Place(kind="container", name=argument.split(":", 1)[1], interpreter=interpreter))
    if path.is_file():
        return parse_snapshot(read_text(path, argument), argument)
    if path.suffix in (".json", ".txt", ".lock", ".yml", ".yaml"):
        raise UserError(f"{argument}: no such file")
    return take_snapshot(Place(kind="image", name=argument, interpreter=interpreter))


def parse_snapshot(text: str, label: str) -> Snapshot:
    from envbuild.core.snapshot import InvalidSnapshot, read_snapshot

    try:
        return read_snapshot(_json(text, label))
    except InvalidSnapshot as exc:
        raise UserError(f"{label}: not an envbuild snapshot: {exc}",
                        hint="make one with 'envbuild snapshot -o FILE'") from None


def _json(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UserError(f"{label}: not valid JSON: {exc}") from None


def view_of(snapshot: Snapshot, label: str) -> "View":
    from envbuild.core.check.conda_verify import view_of_conda_snapshot

    return view_of_conda_snapshot(snapshot, label)
