"""verify(), snapshot() and diff(): probe environments and compare them with a lock or each other."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.targets import Place, start_snapshots, take_snapshot
from envbuild.errors import ToolUnavailable, UserError

if TYPE_CHECKING:  # imported when needed: verify starts its probes before it reads the lock
    from envbuild.core.condalock import CondaLock
    from envbuild.core.lockfile import LockFile
    from envbuild.core.report import Outcome
    from envbuild.core.verify import Finding, View


@dataclass(frozen=True, kw_only=True)
class LockChoice:
    """Where the lock comes from: a file, an image directory's target, or (None) each image's own."""

    lock: "LockFile | CondaLock | None"
    label: str | None


def choose_lock(directory: Path | None, target: str | None, lock_file: Path | None,
                places: Sequence[Place]) -> LockChoice:
    if lock_file is not None:
        return LockChoice(lock=_read_lock(lock_file), label=str(lock_file))
    if directory is not None or target is not None:
        from envbuild.adapters.inputs import load_spec, spec_dir
        from envbuild.services.locking import target_lock_path

        spec = load_spec(directory or Path("."))
        name = target or (spec.targets[0].name if len(spec.targets) == 1 else None)
        if name is None:
            raise UserError("this spec has several targets: say which with --target",
                            hint=f"targets: {', '.join(t.name for t in spec.targets)}")
        chosen = spec.target(name)
        path = target_lock_path(spec_dir(directory or Path(".")), chosen.name, conda=bool(spec.conda_for(chosen)))
        return LockChoice(lock=_read_lock(path), label=str(path))
    if places and all(p.kind in ("image", "container") for p in places):
        return LockChoice(lock=None, label=None)  # each is verified against the lock its image carries
    raise UserError("nothing to verify against", hint="pass an image directory and --target, or --lock FILE "
                    "(an image built by envbuild carries its own lock: --image REF alone is enough)")


def verify(directory: Path | None, target: str | None, lock_file: Path | None, places: Sequence[Place], *,
           files: bool = False, allow_extra: Sequence[str] = (),
           require_gpu: bool = False) -> tuple[LockChoice, list["Outcome"]]:
    wait = start_snapshots(places, files=files)  # the probes run while the lock is read and parsed
    choice = choose_lock(directory, target, lock_file, places)
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.conda_verify import verify_conda
    from envbuild.core.condalock import CondaLock, parse_any_lock
    from envbuild.core.cuda import gpu_findings, lock_cuda
    from envbuild.core.report import Outcome
    from envbuild.core.verify import verify as verify_lock

    outcomes = []
    for place, snapshot in zip(places, wait()):
        if isinstance(snapshot, ToolUnavailable):
            outcomes.append(Outcome(label=place.label, error=snapshot.message))
            continue
        lock, notes = choice.lock, []
        if lock is None:
            carried = snapshot.get("envbuild") or {}
            if carried.get("conda_lock"):
                lock = parse_any_lock(carried["conda_lock"], f"{place.name}:/etc/envbuild/lock.conda-lock.yml",
                                      conda=True)
                notes.append("verified against the lock embedded in its image (/etc/envbuild/lock.conda-lock.yml)")
            elif carried.get("lock"):
                lock = parse_any_lock(carried["lock"], f"{place.name}:/etc/envbuild/lock.txt", conda=False)
                notes.append("verified against the lock embedded in its image (/etc/envbuild/lock.txt)")
            else:
                raise UserError(f"{place.label} carries no /etc/envbuild/lock.txt (not built by envbuild?)",
                                hint="pass --lock FILE, or an image directory and --target")
        if isinstance(lock, CondaLock):
            findings = verify_conda(lock, snapshot, allow_extra=allow_extra)
            names = tuple(p.key for p in lock.packages)
        else:
            findings = verify_lock(lock, snapshot, allow_extra=allow_extra)
            names = tuple(p.name for p in lock.pins)
        more, gpu_notes = gpu_findings(lock_cuda(lock, cuda_data()), snapshot.get("gpu") or {}, cuda_data(),
                                       require_gpu=require_gpu)
        findings.extend(more)
        notes.extend(gpu_notes)
        notes.extend(f"could not read {p['path']}: {p['problem']}" for p in snapshot.get("problems", [])[:5])
        for dist in snapshot.get("distributions", []):
            unreadable = (dist.get("files") or {}).get("unreadable") or []
            if unreadable:
                notes.append(f"{dist['name']}: {len(unreadable)} file(s) could not be read to check: {unreadable[0]}")
        outcomes.append(Outcome(label=place.label, findings=tuple(findings), packages=names, notes=tuple(notes)))
    return choice, outcomes


def snapshot(place: Place, *, files: bool = False) -> dict[str, Any]:
    data = take_snapshot(place, files=files)
    data["taken"] = {"from": place.label, "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return data


def view(argument: str, *, interpreter: str = "python3") -> "View":
    """A lock file, a snapshot JSON file, or (when no such file exists) an image reference."""
    from envbuild.core.conda_verify import view_of_conda_lock, view_of_conda_snapshot
    from envbuild.core.condalock import CondaLock, parse_any_lock
    from envbuild.core.verify import view_of_lock

    path = Path(argument)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            try:
                return view_of_conda_snapshot(json.loads(text), argument)
            except ValueError as exc:
                raise UserError(f"{argument}: not valid JSON: {exc}") from None
        lock = parse_any_lock(text, argument)
        return view_of_conda_lock(lock, argument) if isinstance(lock, CondaLock) else view_of_lock(lock, argument)
    if path.suffix in (".json", ".txt", ".lock", ".yml", ".yaml"):
        raise UserError(f"{argument}: no such file")
    data = take_snapshot(Place(kind="image", name=argument, interpreter=interpreter))
    return view_of_conda_snapshot(data, argument)


def diff(a: str, b: str) -> list["Finding"]:
    from envbuild.core.verify import diff_views

    return diff_views(view(a), view(b))


def _read_lock(path: Path) -> "LockFile | CondaLock":
    from envbuild.core.condalock import parse_any_lock

    if not path.is_file():
        raise UserError(f"no lock file at {path}", hint="create it with 'envbuild lock'")
    return parse_any_lock(path.read_text(encoding="utf-8"), str(path))
