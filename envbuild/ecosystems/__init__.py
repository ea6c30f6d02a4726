"""Ecosystems: how one kind of package manager locks, fetches, renders and checks an environment.

Two today: ``pip`` (a venv at /opt/venv from a hash-pinned requirements lock) and ``conda`` (a conda
prefix at /opt/conda from a conda-lock file, with an optional pip part). Each implements the one
interface below; ``for_target`` and ``for_lock`` are the only places that choose, and no other
module asks "pip or conda?". A third ecosystem (a system-package manager, say) is one more module
here and one more line in ``_ECOSYSTEMS``: the services, the renderer and verify talk to the
interface only.

Layering: services → ecosystems → adapters → core. An ecosystem imports no service.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.core.lockfile import Lock
from envbuild.core.progress import Progress
from envbuild.core.render import RenderExtras
from envbuild.core.spec import Spec, Target

if TYPE_CHECKING:
    from envbuild.adapters.inputs import TargetInputs
    from envbuild.adapters.wheelhouse import Wheelhouse
    from envbuild.core.findings import Finding
    from envbuild.core.verify import View
    from envbuild.ecosystems.pip import WheelSource


@dataclass(frozen=True, kw_only=True)
class LockJob:
    """Everything one target's lock is made from; the service writes the file."""

    spec: Spec
    root: Path  # the image directory
    target: Target
    inputs: "TargetInputs"
    previous: Lock | None  # the lock there now, read for its pins (its body is not trusted)
    command: str  # how to regenerate it, for its header
    environ: Mapping[str, str]
    progress: Progress
    resolver: str = "uv"  # uv or pip-tools
    upgrade: bool = False
    conda_solver: str = "auto"


@dataclass(frozen=True, kw_only=True)
class BuildFiles:
    """What an ecosystem puts into the build context: files for /tmp/wheels, text files for
    /tmp/envbuild, and directories of its own (name → files), all hash-checked already."""

    wheels: tuple[Path, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    folders: Mapping[str, Mapping[str, Path | str]] = field(default_factory=dict)  # "conda" → {file name: path or text}
    summary: str = ""  # "12 wheels", "12 wheels and 40 conda packages"


class Ecosystem(ABC):
    name: str
    lock_format: str  # the lock file format (core/lockfile): "requirements", "conda-lock"
    prefix: str  # where the environment lives in an image

    @abstractmethod
    def lock(self, job: LockJob) -> Lock:
        """Resolve the target's inputs into a new lock (hashes for every file it may install)."""

    @abstractmethod
    def fetch(self, lock: Lock, spec: Spec, target: Target, wheels: "Wheelhouse", environ: Mapping[str, str],
              progress: Progress) -> BuildFiles:
        """Every file the lock installs, hash-checked on the host, for an offline install in the builder."""

    @abstractmethod
    def template(self, target: Target) -> str:
        """The Dockerfile template's name."""

    @abstractmethod
    def render_extras(self, lock: Lock) -> RenderExtras: ...

    @abstractmethod
    def check(self, lock: Lock, snapshot: dict[str, Any], *, allow_extra: Iterable[str], files: bool,
              wheels: "WheelSource", log: Progress) -> tuple[dict[str, Any], list["Finding"]]:
        """The snapshot's packages against the lock (core/verify.py and friends): the findings, and the
        snapshot with what ``files`` learnt about each distribution's files. ``wheels``: where the
        locked wheels come from, for ``files``."""

    @abstractmethod
    def view(self, lock: Lock, label: str) -> "View":
        """The lock as one side of `envbuild diff`."""

    def checked_names(self, lock: Lock) -> tuple[str, ...]:
        """The locked names a report lists one test case each for."""
        return tuple(p.key for p in lock.packages)


def _ecosystems() -> Sequence[Ecosystem]:
    from envbuild.ecosystems.conda import CondaEcosystem
    from envbuild.ecosystems.pip import PipEcosystem

    return (PipEcosystem(), CondaEcosystem())


def for_target(spec: Spec, target: Target) -> Ecosystem:
    """The ecosystem a target's spec asks for: conda when it names an environment file, else pip."""
    return by_name("conda" if spec.conda_for(target) else "pip")


def for_lock(lock: Lock) -> Ecosystem:
    """The ecosystem whose lock format this lock was read from."""
    return next(e for e in _ecosystems() if e.lock_format == lock.format)


def by_name(name: str) -> Ecosystem:
    return next(e for e in _ecosystems() if e.name == name)


def lock_formats() -> dict[str, str]:
    """Ecosystem name → its lock format."""
    return {e.name: e.lock_format for e in _ecosystems()}
