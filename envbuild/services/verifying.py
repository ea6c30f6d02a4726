"""verify(): probe environments and compare them with a lock, an image's own, or another environment's
record (snapshot() and diff() are services/diffing.py; the sides both read, adapters/sides.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.places import DEFAULT_TIMEOUT, Place, start_snapshots
from envbuild.adapters.sides import side_of, view_of
from envbuild.core.progress import Progress, silent
from envbuild.errors import BuildError, ToolUnavailable, UserError

if TYPE_CHECKING:  # imported when needed: verify starts its probes before it reads the lock
    from envbuild.core.snapshot import Snapshot
    from envbuild.core.findings import Finding
    from envbuild.core.lock import Lock
    from envbuild.core.lock.foreign import Foreign
    from envbuild.core.report.outcomes import Outcome
    from envbuild.core.check.verify import View
    from envbuild.ecosystems.ecosystem import WheelSource


@dataclass(frozen=True, kw_only=True)
class LockChoice:
    """Where the lock comes from: a file, an image directory's target, or (None) each image's own;
    with --against, also what that environment had (``expected``: a recorded snapshot's view)."""

    lock: "Lock | Foreign | None"  # Foreign: another tool's lock, settled for each place (core/lock/foreign.py)
    label: str | None
    expected: "View | None" = None


def choose_lock(directory: Path | None, target: str | None, lock_file: Path | None,
                places: Sequence[Place], platform: str | None = None) -> LockChoice:
    """``lock_file`` may be another tool's lock (``platform``: which of a conda-lock file's platforms)."""
    from envbuild.adapters.lockfiles import read_any_lock_file, read_lock_file
    from envbuild.ecosystems import target_lock_file

    if lock_file is not None:
        return LockChoice(lock=read_any_lock_file(lock_file, platform), label=str(lock_file))
    if directory is not None or target is not None:
        path = target_lock_file(directory, target)
        return LockChoice(lock=read_lock_file(path), label=str(path))
    if places and all(p.kind in ("image", "container") for p in places):
        return LockChoice(lock=None, label=None)  # each is verified against the lock its image carries
    raise UserError("nothing to verify against", hint="pass an image directory and --target, or --lock FILE "
                    "(an image built by envbuild carries its own lock: --image REF alone is enough)")


def verify(directory: Path | None, target: str | None, lock_file: Path | None, places: Sequence[Place], *,
           environ: Mapping[str, str], files: bool = False, allow_extra: Sequence[str] = (),
           require_gpu: bool = False, timeout: float = DEFAULT_TIMEOUT, wheels: "WheelSource | None" = None,
           against: str | None = None, data: Path | None = None, platform: str | None = None,
           jobs: int = 16, require_lock: str | None = None, lock_python: str | None = None,
           progress: Progress = silent) -> tuple[LockChoice, list["Outcome"]]:
    """``wheels`` gives the locked wheels whose own RECORD is the expected side of ``files``
    (default: envbuild's wheel cache, downloading what it lacks, with ``environ``'s ${VAR}s).
    ``against``: another environment is the expected side (see expected_of). ``data``: a directory
    of a DVC workspace, checked by DVC (and against the data ``against`` recorded); with no
    ``places``, only the data is checked. ``require_lock`` (a lock file, or an MLflow source whose
    run recorded one): an image's own lock must be that one, byte for byte, else a finding.
    ``lock_python``: another tool's lock is settled for that Python, not each place's own."""

    from envbuild.core.lock.foreign import Foreign, settle_for
    from envbuild.core.report.outcomes import Outcome
    from envbuild.core.check.verify import diff_views
    from envbuild.ecosystems.pip_wheels import cache_wheels

    if against is not None and (directory is not None or target is not None or lock_file is not None):
        raise UserError("--against names the expected side: it takes no image directory, --target or --lock")
    if require_lock is not None and (against is not None or directory is not None or target is not None
                                     or lock_file is not None):
        raise UserError("--require-lock checks the lock an image carries: it takes no --lock, --against, image "
                        "directory or --target", hint="with --lock FILE the image is verified against that file already")
    required = _required_lock(require_lock, environ) if require_lock is not None else None
    wait = start_snapshots(places, files=files, timeout=timeout, jobs=jobs, progress=progress)  # the probes run while the lock is read
    if against:
        choice = expected_of(against, environ=environ)
    elif places or directory is not None or target is not None or lock_file is not None:
        choice = choose_lock(directory, target, lock_file, places, platform)
    else:
        choice = LockChoice(lock=None, label=None)  # the data alone
    source = wheels or cache_wheels(environ)
    prefetch = getattr(source, "prefetch", None)  # the default source reads the cached wheels meanwhile
    if files and prefetch is not None and choice.lock is not None and not isinstance(choice.lock, Foreign) \
            and choice.lock.pip:
        prefetch(choice.lock)  # (another tool's lock is settled per place, once its interpreter is known)
    outcomes = []
    for place, snapshot in zip(places, wait()):
        if isinstance(snapshot, ToolUnavailable):
            outcomes.append(Outcome(label=place.label, error=snapshot.message))
            continue
        if choice.lock is None and choice.expected is not None:
            outcome = Outcome(label=place.label, packages=tuple(sorted(choice.expected.packages)),
                              notes=("the expected side carries no lock: compared as installed",))
        else:
            lock = settle_for(choice.lock, snapshot.interpreter, lock_python)  # another tool's: for this place
            outcome = _check_place(place, snapshot, lock, files=files, allow_extra=allow_extra,
                                   require_gpu=require_gpu, wheels=source, progress=progress,
                                   environ=environ, timeout=timeout, required=required)
        if choice.expected is not None and outcome.error is None:
            # what the expected environment actually had, beyond its lock: each difference said once
            from envbuild.core.check.conda_verify import view_of_conda_snapshot

            seen = {(f.kind, f.name) for f in outcome.findings}
            more = [f for f in diff_views(choice.expected, view_of_conda_snapshot(snapshot, place.label),
                                          ignore=set(allow_extra) | {"pip", "setuptools", "wheel"})
                    if (f.kind, f.name) not in seen and (f.kind, f.name.removesuffix(" (conda)")) not in seen]
            outcome = replace(outcome, findings=outcome.findings + tuple(more))
        outcomes.append(outcome)
    if data is not None:
        outcomes.append(_check_data(data, choice, environ=environ))
    return choice, outcomes


def _check_data(directory: Path, choice: LockChoice, *, environ: Mapping[str, str]) -> "Outcome":
    """The workspace's data through `dvc status`; against a record that has data, its dvc.lock's
    outputs against the ones the recorded run had. No DVC here: an error outcome (exit 5), not a pass."""
    from envbuild.adapters import dvc
    from envbuild.core.lineage.data import compare_outputs, status_findings
    from envbuild.core.report.outcomes import Outcome

    root = dvc.workspace_root(directory)
    label = f"data ({root})"
    current = dvc.lock_outputs(None, root)
    try:
        findings = status_findings(dvc.status(root, environ=environ), str(root))
    except ToolUnavailable as exc:
        return Outcome(label=label, error=exc.message)
    recorded = choice.expected.data if choice.expected is not None else None
    notes = []
    if recorded is not None:
        findings += compare_outputs(recorded, current[1] if current else [], expected_label=str(choice.label),
                                    actual_label=current[0] if current else f"{root} (no dvc.lock)")
    elif choice.expected is not None:
        notes.append(f"{choice.label} recorded no data versions: the workspace was checked against its own dvc.lock")
    return Outcome(label=label, findings=tuple(findings), notes=tuple(notes), subject="versioned output",
                   packages=tuple(o["path"] for o in current[1]) if current else ())


def expected_of(source: str, *, environ: Mapping[str, str]) -> LockChoice:
    """The expected side of ``verify --against``: an MLflow run's record (its lock and the snapshot of
    what it trained in), a snapshot file (and the lock it carries), a lock file, or an image."""
    from envbuild.core.lock.carried import read_carried

    side = side_of(source, environ=environ)
    if side.snapshot is None:
        return LockChoice(lock=side.lock, label=side.label)
    lock = side.lock if side.kind == "record" else read_carried(side.snapshot, side.label)
    return LockChoice(lock=lock, label=side.label, expected=view_of(side.snapshot, side.label))


def _check_place(place: Place, snapshot: "Snapshot", lock: "Lock | None", *, files: bool,
                 allow_extra: Sequence[str], require_gpu: bool, wheels: "WheelSource", progress: Progress,
                 environ: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT,
                 required: tuple[str, str] | None = None) -> "Outcome":
    """One place's snapshot against the lock (or, with none given, the lock its image carries:
    ``required`` (sha256, where it comes from) is the one it must be)."""
    from envbuild import ecosystems
    from envbuild.adapters.engine.checks import engine_verdict
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.check.cuda import gpu_findings, lock_cuda
    from envbuild.core.check.outside import with_engine_files
    from envbuild.core.check.ownership import shadowed_findings
    from envbuild.core.report.outcomes import Outcome
    from envbuild.core.names import canonical_name
    from envbuild.core.check.verify import determinism_findings, hook_findings

    notes: list[str] = []
    embedded_text = None
    if lock is None:
        lock, embedded_text, where, refused = _embedded_lock(place, snapshot)
        if refused is not None:
            more, _ = engine_verdict(place.kind, snapshot, embedded_text, files=files, environ=environ, timeout=timeout)
            return Outcome(label=place.label, findings=(refused, *more))
        if required is None:
            notes.append(f"self-attested: verified against the lock its image carries ({where}), which whoever "
                         "can push the image can rewrite with it; --require-lock FILE makes another lock a failure")
        else:
            notes.append(f"verified against the lock its image carries ({where}), required to be {required[1]}")
    if required is not None and embedded_text is not None:
        from envbuild.core.check.image import required_lock_findings

        other = required_lock_findings(embedded_text, *required)
        if other:  # its verdicts would be taken against a lock nobody vouches for
            return Outcome(label=place.label, findings=tuple(other), notes=tuple(notes))
    lock = _with_project(lock, snapshot)
    ecosystem = ecosystems.for_lock(lock)
    snapshot, concealed = with_engine_files(snapshot)  # an image's or a container's files as the engine reads them
    try:
        snapshot, findings = ecosystem.check(lock, snapshot, allow_extra=allow_extra, files=files, wheels=wheels,
                                             progress=progress)
    except (ToolUnavailable, BuildError) as exc:
        return Outcome(label=place.label, error=f"the locked wheels' RECORD: {exc.message}")
    findings[:0] = concealed
    findings.extend(shadowed_findings(snapshot))
    hooks, hook_notes = hook_findings(snapshot, lock)
    findings.extend(f for f in hooks if (f.kind, f.name) not in {(g.kind, g.name) for g in findings})
    notes.extend(hook_notes)
    notes.extend(f"allowed, not locked, and checked against its own RECORD only: {why}"
                 for why in snapshot.unvouched)
    if snapshot.engine:  # what the engine knows, against the record of the build (adapters/engine/checks.py)
        more, more_notes = engine_verdict(place.kind, snapshot, embedded_text, files=files, environ=environ,
                                          timeout=timeout)
        findings.extend(more)
        notes.extend(more_notes)
    said = snapshot.envbuild.image.determinism if snapshot.envbuild and snapshot.envbuild.image else None
    if said is not None:  # what the image set, against what the place runs with
        findings.extend(determinism_findings({k: str(v) for k, v in said.items()}, snapshot.environment,
                                             "set by the image"))
    # What the place installed of the lock: an extra's or a group's package counts (the CUDA it
    # brings, the packages checked) only where it is there.
    installed = {canonical_name(d.name) for d in snapshot.distributions}
    in_use = replace(lock, packages=tuple(replace(p, optional=False) if p.optional and p.name in installed else p
                                          for p in lock.packages if not p.optional or p.name in installed))
    more, gpu_notes = gpu_findings(lock_cuda(in_use, cuda_data()), snapshot.gpu, cuda_data(),
                                   require_gpu=require_gpu)
    findings.extend(more)
    notes.extend(gpu_notes)
    notes.extend(f"could not read {p.path}: {p.problem}" for p in snapshot.problems[:5])
    for dist in snapshot.distributions:
        unreadable = dist.files.unreadable if dist.files else ()
        if unreadable:
            notes.append(f"{dist.name}: {len(unreadable)} file(s) could not be read to check: {unreadable[0]}")
    return Outcome(label=place.label, findings=tuple(findings), packages=ecosystem.checked_names(in_use),
                   notes=tuple(notes))


def _required_lock(source: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """(sha256 of the lock's text, where it comes from) for --require-lock: a lock file (the
    repository's), or the lock an MLflow run recorded."""
    import hashlib

    from envbuild.core.lineage.record import LOCKS, is_mlflow

    if is_mlflow(source):
        from envbuild.adapters import mlflow_runs
        from envbuild.core.lineage import record as lineage

        run_id = mlflow_runs.run_of(lineage.parse_source(source), environ=environ)
        found = mlflow_runs.read_record(run_id, environ=environ)
        text = next((found[name] for name in LOCKS.values() if name in found), None)
        if text is None:
            raise UserError(f"--require-lock {source}: run {run_id} recorded no lock",
                            hint="record the training environment with 'envbuild record'")
        return hashlib.sha256(text.encode("utf-8")).hexdigest(), f"the lock of {source} (run {run_id})"
    from envbuild.adapters.files import read_text

    return hashlib.sha256(read_text(Path(source), f"--require-lock {source}").encode("utf-8")).hexdigest(), source


def _with_project(lock: "Lock", snapshot: "Snapshot") -> "Lock":
    """An image built with a project expects it beside the lock: its name, version and wheel come
    from the image's label (the engine's record, not the files inside)."""

    from envbuild.core.lock import Package
    from envbuild.core.image.project import from_label

    found = from_label(snapshot.engine.labels if snapshot.engine else {})
    if found is None or lock.package(found[0]) is not None:
        return lock
    name, version, sha256 = found
    return replace(lock, packages=lock.packages + (Package(name=name, version=version, hashes=(f"sha256:{sha256}",)),))


def _embedded_lock(place: Place, snapshot: "Snapshot") -> tuple[Any, str, str, "Finding | None"]:
    """(the lock the place carries, its text, where it lies, None) — or, when that lock is not one
    envbuild wrote, (None, its text, where, the finding that says so)."""
    from envbuild.core.findings import Finding
    from envbuild.core.layout import EMBEDDED_LOCKS
    from envbuild.core.lock.carried import carried_lock, carried_path, read_carried

    found = carried_lock(snapshot)
    if found is None:
        names = " or ".join(carried_path(format) for format in EMBEDDED_LOCKS)
        raise UserError(f"{place.label} carries no {names} (not built by envbuild?)",
                        hint="pass --lock FILE, or an image directory and --target")
    format, text = found
    where = carried_path(format)
    try:
        lock = read_carried(snapshot, place.name)
    except UserError as exc:
        return None, text, where, Finding(kind="modified", name="/etc/envbuild lock", expected="the lock the image "
                                          "was built with", actual="not a lock envbuild wrote", detail=exc.message)
    return lock, text, where, None


def reproduced(source: str, days: float, *, environ: Mapping[str, str]) -> "Outcome":
    """Whether the run behind ``source`` has a passing `envbuild reproduce` newer than ``days``: a finding
    (kind ``reproduction``) when not. A model promoted on a run nobody could repeat lately fails here."""
    import time

    from envbuild.adapters import mlflow_runs
    from envbuild.core.lineage.record import parse_source
    from envbuild.core.lineage.reproduction import freshness
    from envbuild.core.report.outcomes import Outcome

    run_id = mlflow_runs.run_of(parse_source(source), environ=environ)
    _metrics, experiment = mlflow_runs.run_metrics(run_id, environ=environ)
    found = mlflow_runs.reproductions(run_id, experiment, environ=environ)
    finding, note = freshness(found, run_id=run_id, days=days, now_ms=int(time.time() * 1000))
    return Outcome(label=f"reproduction of run {run_id}", findings=(finding,) if finding else (), notes=(note,),
                   packages=(run_id,), subject="reproduced run")
