"""snapshot() and diff(): what an environment has, and how two of them (or a lock and one) differ."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.adapters.places import DEFAULT_TIMEOUT, Place, take_snapshot
from envbuild.adapters.sides import parse_snapshot, side_of, view_of
from envbuild.core.progress import Progress, silent
from envbuild.errors import BuildError, ToolUnavailable

if TYPE_CHECKING:
    from envbuild.core.snapshot import Snapshot
    from envbuild.core.findings import Finding
    from envbuild.core.lock import Lock
    from envbuild.core.lock.foreign import Foreign
    from envbuild.core.check.verify import View


def snapshot(place: Place, *, files: bool = False, timeout: float = DEFAULT_TIMEOUT, dvc_lock: Path | None = None,
             directory: Path | None = None, progress: Progress = silent) -> "Snapshot":
    """``dvc_lock`` (default: the one of ``directory``, the current one, when there is one): the data
    versions recorded beside the environment. ``progress``: the progress of hashing (``files``)."""
    from datetime import datetime, timezone

    from envbuild.adapters.dvc import lock_outputs

    from envbuild.core.snapshot import stamped

    versions = lock_outputs(dvc_lock, directory or Path.cwd())  # a bad dvc.lock fails before the probe runs
    return stamped(take_snapshot(place, files=files, timeout=timeout, progress=progress), source=place.label,
                   at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), data=versions)


def view(argument: str, *, interpreter: str = "python3", environ: Mapping[str, str] | None = None) -> "View":
    """A lock file (envbuild's or another tool's, settled for the interpreter running envbuild), a
    snapshot JSON file, ``container:NAME`` (a running container, via docker exec), an MLflow source
    (the snapshot its run recorded), or (when no such file exists) an image reference."""
    side = _side(argument, interpreter=interpreter, environ=environ)
    return side if not isinstance(side, tuple) else _lock_view(side, None)


def diff(a: str, b: str, *, environ: Mapping[str, str] | None = None, python: str | None = None) -> list["Finding"]:
    """Another tool's lock is settled for ``python`` (X.Y) when given, else for the environment on the
    other side (when that side is one), else for the other side's envbuild lock, else for the
    interpreter running envbuild (or, where the lock's requires-python leaves that out, the newest
    Python it allows)."""
    from envbuild.core.lock import Lock
    from envbuild.core.check.verify import diff_views

    sides = [_side(a, environ=environ), _side(b, environ=environ)]
    known = next((s for s in sides if not isinstance(s, tuple) and s.python and s.platform and not s.hashes), None)
    ours = next((s[0] for s in sides if isinstance(s, tuple) and isinstance(s[0], Lock) and s[0].python), None)
    where = _settle_for(known, python, ours, [s[0] for s in sides if isinstance(s, tuple)])
    left, right = (s if not isinstance(s, tuple) else _lock_view(s, where) for s in sides)
    findings = diff_views(left, right)
    if isinstance(sides[0], tuple) and not isinstance(sides[1], tuple):
        findings = _file_checks(findings, sides[0][0], b, environ or {})
    return findings


def _file_checks(findings: list["Finding"], lock: "Lock | Foreign", argument: str,
                 environ: Mapping[str, str]) -> list["Finding"]:
    """`diff LOCK SNAPSHOT` of a --files snapshot runs verify's checks on what it recorded: its files
    against the locked wheels' own RECORD (not the installed one), the files no locked wheel owns,
    start-up code, shadowing. They replace diff's reading of the snapshot's own RECORD verdicts."""
    from envbuild import ecosystems
    from envbuild.adapters.files import read_text
    from envbuild.core.lock.foreign import Foreign
    from envbuild.core.check.outside import with_engine_files
    from envbuild.core.check.ownership import shadowed_findings
    from envbuild.ecosystems.pip_wheels import cache_wheels

    path = Path(argument)
    if isinstance(lock, Foreign) or not path.is_file():
        return findings
    snapshot = parse_snapshot(read_text(path, argument), argument)
    if not snapshot.files_checked:
        return findings
    snapshot, checked = with_engine_files(snapshot)
    try:
        snapshot, more = ecosystems.for_lock(lock).check(lock, snapshot, allow_extra=(), files=True,
                                                          wheels=cache_wheels(environ), progress=silent)
    except (ToolUnavailable, BuildError) as exc:
        raise ToolUnavailable(f"{argument}: the locked wheels' RECORD: {exc.message}") from None
    files = ("modified", "unowned", "shadowed", "concealed")
    kept = [f for f in findings if f.kind != "modified"]
    return kept + checked + [f for f in more + shadowed_findings(snapshot) if f.kind in files]


def _side(argument: str, *, interpreter: str = "python3",
          environ: Mapping[str, str] | None = None) -> "View | tuple[Lock | Foreign, str]":
    side = side_of(argument, environ=environ if environ is not None else {}, interpreter=interpreter)
    if side.snapshot is None:
        assert side.lock is not None  # a lock file always reads as one
        return side.lock, side.label
    return view_of(side.snapshot, side.label)

def _settle_for(environment: "View | None", python: str | None, ours: "Lock | None",
                locks: "list[Lock | Foreign]") -> tuple[str, str, str]:
    """(python X.Y[.Z], platform, machine) that another tool's locks are settled for, the same for
    both sides: ``python`` when given, else the environment's (a snapshot's), else the envbuild
    lock's, else this interpreter's (or, where a lock's requires-python leaves it out, the newest
    Python that lock allows)."""
    import platform as host
    import sys

    from envbuild.core.lock.foreign import python_for
    from envbuild.core.platforms import PLATFORMS, of_machine

    if environment is not None and environment.python:
        name = environment.platform or ""
        version, machine, platform = environment.python, name.rsplit("/", 1)[-1], name if name in PLATFORMS else ""
    elif ours is not None:
        version, platform = ours.python or "", ours.platform
        machine = platform.rsplit("/", 1)[-1]
    else:
        here = ".".join(map(str, sys.version_info[:3]))
        version = next((v for v in (python_for(lock, here) for lock in locks) if v != here), here)
        machine = host.machine()
        platform = of_machine(machine) or ""
    return python or version, platform, machine


def _lock_view(side: "tuple[Lock | Foreign, str]", where: tuple[str, str, str] | None) -> "View":
    """A lock's view; another tool's settled for ``where`` (_settle_for), else for this interpreter."""
    from envbuild import ecosystems
    from envbuild.core.lock.foreign import settle

    lock, label = side
    python, platform, machine = where or _settle_for(None, None, None, [lock])
    settled = settle(lock, python=python, platform=platform, machine=machine)
    return ecosystems.for_lock(settled).view(settled, label)
