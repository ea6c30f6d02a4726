"""lock() and check_locks(): wire the core and the adapters. No printing: progress is a callback."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.files import atomic_write
from envbuild.adapters.inputs import (TargetInputs, display_path, load_spec, load_target_inputs, repository_root,
                                      spec_dir)
from envbuild.core.digest import changed_components
from envbuild.core.lockfile import LockFile, LockHeader, Pin, parse_lock, parse_pins, render_lock
from envbuild.core.envvars import expand
from envbuild.core.spec import Spec, Target
from envbuild.errors import EnvbuildError, ResolutionError, UserError
from envbuild.core.progress import Progress, silent

if TYPE_CHECKING:  # the resolvers and the lock diff are imported only when locking: 'lock --check' stays fast
    from envbuild.adapters.resolvers import ResolveRequest, Resolver
    from envbuild.core.lockdiff import Change



def lock_path(directory: Path, target: str) -> Path:
    return directory / "locks" / f"{target}.txt"


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
    progress: Progress = silent,
    environ: Mapping[str, str] | None = None,
    conda_solver: str = "auto",
) -> list[LockOutcome]:
    from envbuild.adapters.resolvers import get_resolver

    environ = os.environ if environ is None else environ
    spec = load_spec(directory)
    root = spec_dir(directory)
    backend = get_resolver(resolver, environ)
    # Every target's inputs are read and checked before any resolver runs, so a bad line in one
    # target's file fails the whole command at once; then the resolvers run in parallel.
    work = [(target, load_target_inputs(spec, root, target)) for target in select_targets(spec, targets)]

    def one(target: Target, inputs: TargetInputs) -> LockOutcome:
        if inputs.conda is not None:
            if resolver != "uv":
                progress(f"[{target.name}] note: the pip part of a conda target is resolved with uv "
                         f"(it needs one URL per file), not {resolver}")
            return _lock_conda(spec, root, target, inputs, conda_solver, progress, environ)
        return _lock_target(spec, root, target, inputs, backend, upgrade, progress, environ)

    if len(work) == 1:
        return [one(*work[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(4, len(work))) as pool:
        futures = [pool.submit(one, target, inputs) for target, inputs in work]
        return [future.result() for future in futures]


def _lock_conda(spec: Spec, root: Path, target: Target, inputs: TargetInputs, solver: str, progress: Progress,
                environ: Mapping[str, str]) -> LockOutcome:
    from envbuild.core.lockdiff import diff_pins
    from envbuild.services.conda_locking import as_pins, lock_conda_target

    started = time.monotonic()
    path, new, previous, written = lock_conda_target(spec, root, target, inputs, solver=solver, progress=progress,
                                                     environ=environ)
    return LockOutcome(target=target.name, path=path, changes=tuple(diff_pins(as_pins(previous), as_pins(new))),
                       packages=len(new.packages), written=written, seconds=time.monotonic() - started)


def _lock_target(spec: Spec, root: Path, target: Target, inputs: TargetInputs, backend: "Resolver", upgrade: bool,
                 progress: Progress, environ: Mapping[str, str]) -> LockOutcome:
    from envbuild.adapters.resolvers import ResolveRequest
    from envbuild.core.lockdiff import diff_pins
    from envbuild.core.target_env import settle_markers

    started = time.monotonic()
    path = lock_path(root, target.name)
    previous_text = path.read_text(encoding="utf-8") if path.is_file() else None
    previous = _parse_previous(previous_text, display_path(path), progress, target.name)
    with tempfile.TemporaryDirectory(prefix="envbuild-lock-") as tmp:
        work = Path(tmp)
        request = ResolveRequest(
            requirements_file=_write_resolver_input(work, inputs),
            output_file=work / "lock.txt",
            python=spec.python,
            platform=spec.platform,
            index_url=expand(inputs.index_url, environ),
            extra_index_urls=tuple(expand(u, environ) for u in inputs.extra_index_urls),
            exclude_newer=spec.exclude_newer,
            prerelease=inputs.prerelease,
            upgrade=upgrade,
        )
        backend.check_host(request)
        if previous_text is not None and not upgrade:
            request.output_file.write_text(previous_text, encoding="utf-8")  # pins to keep
        progress(f"[{target.name}] resolving {len(inputs.requirements)} requirements with {backend.name} "
                 f"for Python {spec.python} on {spec.platform}")
        compiled = backend.compile(request, lambda line: progress(f"[{target.name}]   {line}"))
    try:
        pins = settle_markers(parse_pins(compiled, f"{backend.name} output").pins, spec.python, spec.platform)
    except UserError as exc:
        raise ResolutionError(f"{backend.name} produced a lock envbuild cannot read: {exc.message}") from None
    pins = _with_built_wheels(pins, previous, spec, request, environ, lambda line: progress(f"[{target.name}] {line}"))
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.cuda import check_target, locked_cuda

    cuda = locked_cuda(pins, cuda_data())
    if target.cuda:
        for problem in check_target(target.cuda, cuda):
            if problem:
                progress(f"[{target.name}] warning: {problem}")
    new = LockFile(
        header=LockHeader(
            target=target.name,
            python=spec.python,
            platform=spec.platform,
            resolver=backend.name,
            inputs_digest=inputs.digest,
            inputs=tuple(sorted(inputs.components.items())),
            exclude_newer=spec.exclude_newer,
            command=regenerate_command(root, target.name, backend.name),
            cuda_runtime=f"{cuda.version} ({cuda.source})" if cuda else None,
        ),
        pins=pins,
        index_url=inputs.index_url,
        extra_index_urls=inputs.extra_index_urls,
    )
    text = render_lock(new)
    written = text != previous_text
    if written:
        atomic_write(path, text)
    changes = tuple(diff_pins(previous.pins if previous else (), pins))
    return LockOutcome(target=target.name, path=path, changes=changes, packages=len(pins), written=written,
                       seconds=time.monotonic() - started)


def check_locks(directory: Path, *, targets: Sequence[str] = ()) -> list[CheckOutcome]:
    """Offline: does every lock still match the digest of its inputs?"""
    spec = load_spec(directory)
    root = spec_dir(directory)
    outcomes = []
    for target in select_targets(spec, targets):
        inputs = load_target_inputs(spec, root, target)
        path = target_lock_path(root, target.name, conda=inputs.conda is not None)
        if not path.is_file():
            outcomes.append(CheckOutcome(target=target.name, path=path, fresh=False, reasons=("no lock file",)))
            continue
        recorded_digest, recorded = _recorded_inputs(path, conda=inputs.conda is not None)
        if recorded_digest == inputs.digest:
            outcomes.append(CheckOutcome(target=target.name, path=path, fresh=True, reasons=()))
            continue
        reasons = changed_components(recorded, inputs.components) or ["inputs digest differs"]
        outcomes.append(CheckOutcome(target=target.name, path=path, fresh=False, reasons=tuple(reasons)))
    return outcomes


def target_lock_path(directory: Path, target: str, *, conda: bool) -> Path:
    from envbuild.core.condalock import LOCK_SUFFIX

    return directory / "locks" / f"{target}{LOCK_SUFFIX}" if conda else lock_path(directory, target)


def _recorded_inputs(path: Path, *, conda: bool) -> tuple[str, dict[str, str]]:
    from envbuild.core.condalock import parse_any_lock

    lock = parse_any_lock(path.read_text(encoding="utf-8"), display_path(path), conda=conda)
    return lock.inputs_digest, dict(lock.inputs)


def lock_indexes(lock: LockFile, environ: Mapping[str, str]) -> dict[str, Any]:
    """The lock's index URLs with their ${VAR}s expanded, as keyword arguments of Wheelhouse.fetch."""
    return {"index_url": expand(lock.index_url, environ),
            "extra_index_urls": [expand(u, environ) for u in lock.extra_index_urls]}


def repo_relative(root: Path) -> str:
    """The image directory relative to its repository root ('.' outside one): the same wherever
    the command runs, so files that mention it stay byte-identical."""
    return Path(os.path.relpath(root.resolve(), repository_root(root))).as_posix()


def regenerate_command(root: Path, target: str, resolver: str) -> str:
    option = f" --resolver {resolver}" if resolver != "uv" else ""
    return f"envbuild lock {repo_relative(root)} --target {target}{option}"


def _write_resolver_input(work: Path, inputs: TargetInputs) -> Path:
    lines = [r.text for r in inputs.requirements]
    if inputs.constraints:
        (work / "constraints.txt").write_text("\n".join(c.text for c in inputs.constraints) + "\n", encoding="utf-8")
        lines.insert(0, "-c constraints.txt")
    path = work / "requirements.in"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _with_built_wheels(pins: Sequence[Pin], previous: LockFile | None, spec: Spec, request: "ResolveRequest",
                       environ: Mapping[str, str], progress: Progress) -> tuple[Pin, ...]:
    """Pins with no wheel for the target get the sha256 of the wheel built from their sdist (see
    adapters/wheelhouse.py). A pin a format-2 previous lock has with the same version and files keeps
    what that lock recorded, so an unchanged re-lock asks the index nothing more."""
    from dataclasses import replace

    from envbuild.adapters.resolvers import wheelless_pins
    from envbuild.adapters.wheelhouse import Wheelhouse
    from envbuild.core.render import source_date_epoch

    before = {p.name: p for p in previous.pins} if previous and previous.header.version >= 2 else {}
    out, ask = {}, []
    for pin in pins:
        old = before.get(pin.name)
        if old is not None and old.version == pin.version and set(pin.hashes) <= set(old.hashes):
            out[pin.name] = replace(pin, hashes=old.hashes)  # with the built wheel's hash, if it had one
        else:
            out[pin.name] = pin
            ask.append(pin)
    if ask:
        with tempfile.TemporaryDirectory(prefix="envbuild-wheels-check-") as tmp:
            names = wheelless_pins([f"{p.name}=={p.version}" for p in ask], request, environ, Path(tmp))
        built = Wheelhouse(environ=environ, epoch=source_date_epoch(spec)).build_from_sdists(
            [p for p in ask if p.name in names], python=spec.python, platform=spec.platform,
            index_url=request.index_url, extra_index_urls=request.extra_index_urls, log=progress)
        for name, digest in built.items():
            out[name] = replace(out[name], hashes=tuple(sorted({*out[name].hashes, f"sha256:{digest}"})))
    return tuple(out[p.name] for p in pins)


def _parse_previous(text: str | None, name: str, progress: Progress, target: str) -> LockFile | None:
    if text is None:
        return None
    try:
        return parse_lock(text, name, check_body=False)  # its pins are preferences, its hashes are not used
    except EnvbuildError as exc:
        progress(f"[{target}] ignoring the previous lock: {exc.message}")
        return None
