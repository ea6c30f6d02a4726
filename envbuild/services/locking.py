"""lock() and check_locks(): wire the core, the ecosystems and the adapters. No printing: progress is a callback."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.adapters.files import atomic_write, read_text
from envbuild.adapters.inputs import (TargetInputs, display_path, load_spec, load_target_inputs, regenerate_command,
                                      spec_dir, target_lock_path)
from envbuild.core.digest import changed_components
from envbuild.core.lock import Lock, read_lock, render_lock
from envbuild.core.progress import Progress, silent
from envbuild.core.spec.model import Spec, Target
from envbuild.errors import EnvbuildError

if TYPE_CHECKING:  # the ecosystems and the lock diff are imported only when locking: 'lock --check' stays fast
    from envbuild.core.lock.changes import Change
    from envbuild.ecosystems.ecosystem import Shared


@dataclass(frozen=True, kw_only=True)
class LockOutcome:
    target: str
    path: Path
    changes: tuple["Change", ...]
    packages: int
    written: bool
    seconds: float


@dataclass(frozen=True, kw_only=True)
class CheckOutcome:
    target: str
    path: Path
    fresh: bool
    reasons: tuple[str, ...]


def select_targets(spec: Spec, names: Sequence[str]) -> list[Target]:
    return [spec.target(n) for n in names] if names else list(spec.targets)


def lock(
    directory: Path,
    *,
    targets: Sequence[str] = (),
    resolver: str = "uv",
    upgrade: bool = False,
    environ: Mapping[str, str],
    progress: Progress = silent,
    conda_solver: str = "auto",
) -> list[LockOutcome]:
    """``environ``: where ${VAR}s in index and channel URLs get their values, and the resolvers'
    environment (their own index settings removed: adapters/index/resolvers.resolver_env)."""
    from envbuild.adapters.index.resolvers import get_resolver

    spec = load_spec(directory)
    root = spec_dir(directory)
    get_resolver(resolver, environ)  # an unknown resolver is refused before anything is read
    # Every target's inputs are read and checked before any resolver runs, so a bad line in one
    # target's file fails the whole command at once; then the resolvers run in parallel.
    work = [(target, load_target_inputs(spec, root, target)) for target in select_targets(spec, targets)]
    from envbuild.ecosystems.ecosystem import Shared

    shared = Shared()  # targets with the same inputs and platform resolve once

    def one(target: Target, inputs: TargetInputs) -> LockOutcome:
        return _lock_target(spec, root, target, inputs, resolver=resolver, upgrade=upgrade, progress=progress,
                            environ=environ, conda_solver=conda_solver, shared=shared)

    if len(work) == 1:
        return [one(*work[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(4, len(work))) as pool:
        futures = [pool.submit(one, target, inputs) for target, inputs in work]
        return [future.result() for future in futures]


def _lock_target(spec: Spec, root: Path, target: Target, inputs: TargetInputs, *, resolver: str, upgrade: bool,
                 progress: Progress, environ: Mapping[str, str], conda_solver: str, shared: "Shared") -> LockOutcome:
    """One target: its ecosystem resolves, this writes the file (atomically, only when it changed)."""
    from envbuild import ecosystems
    from envbuild.core.lock.changes import diff_locks

    started = time.monotonic()
    ecosystem = ecosystems.for_target(spec, target)
    path = target_lock_path(root, target.name, ecosystem.lock_format)
    previous_text = read_text(path, display_path(path)) if path.is_file() else None
    previous = read_previous(previous_text, display_path(path), ecosystem.lock_format,
                             lambda line: progress(f"[{target.name}] {line}"))
    base = None
    if spec.inherits(target) and ecosystem.inherits_base:  # base-packages: inherit (ecosystems/pip_base.py)
        from envbuild.adapters.engine.bases import read_base_packages
        from envbuild.core.image.render import required_base

        ref = required_base(spec, target)
        base, _ = shared.once(("base-packages", ref), lambda: read_base_packages(
            ref, environ, lambda line: progress(f"[{target.name}] {line}")))
    job = ecosystems.LockJob(spec=spec, root=root, target=target, inputs=inputs, previous=previous, base=base,
                             command=regenerate_command(root, target.name, ecosystem.regenerate_options(
                                 resolver=resolver, conda_solver=conda_solver)),
                             environ=environ, progress=progress, resolver=resolver, upgrade=upgrade,
                             conda_solver=conda_solver, shared=shared)
    new = ecosystem.lock(job)
    text = render_lock(new)
    written = text != previous_text
    if written:
        atomic_write(path, text)
    return LockOutcome(target=target.name, path=path, changes=tuple(diff_locks(previous, new)),
                       packages=len(new.packages), written=written, seconds=time.monotonic() - started)


def read_previous(text: str | None, source: str, format: str, progress: Progress) -> Lock | None:
    """The lock there before, for its pins only (re-lock keeps them; the new hashes come from the
    index): one that cannot be read is ignored, and said so."""
    if text is None:
        return None
    try:
        return read_lock(text, source, format=format, check_body=False)
    except EnvbuildError as exc:
        progress(f"ignoring the previous lock: {exc.message}")
        return None


def check_locks(directory: Path, *, targets: Sequence[str] = ()) -> list[CheckOutcome]:
    """Offline: does every lock still match the digest of its inputs?"""
    from envbuild import ecosystems

    spec = load_spec(directory)
    root = spec_dir(directory)
    outcomes = []
    for target in select_targets(spec, targets):
        inputs = load_target_inputs(spec, root, target)
        format = ecosystems.for_target(spec, target).lock_format
        path = target_lock_path(root, target.name, format)
        if not path.is_file():
            outcomes.append(CheckOutcome(target=target.name, path=path, fresh=False, reasons=("no lock file",)))
            continue
        recorded = read_lock(read_text(path, display_path(path)), display_path(path), format=format)
        if recorded.inputs_digest == inputs.digest:
            outcomes.append(CheckOutcome(target=target.name, path=path, fresh=True, reasons=()))
            continue
        reasons = changed_components(dict(recorded.inputs), inputs.components) or ["inputs digest differs"]
        outcomes.append(CheckOutcome(target=target.name, path=path, fresh=False, reasons=tuple(reasons)))
    return outcomes
