"""The ecosystem interface, and what passes through it; ecosystems/__init__.py holds the chooser.

An ecosystem is how one kind of package manager locks, fetches, renders and checks an environment.
Each method's inputs come in as arguments (the environment, the fetcher, the progress callback): an
ecosystem reads no global state and imports no service.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from envbuild.core.lock import Lock, Package
from envbuild.core.progress import Progress

if TYPE_CHECKING:  # annotations only: verify loads an ecosystem without the spec reader or the renderer
    from envbuild.core.snapshot import Snapshot
    from concurrent.futures import Future

    from envbuild.core.image.bases import BaseEnv
    from envbuild.core.image.render import RenderExtras
    from envbuild.core.spec.model import Spec, Target
    from envbuild.adapters.inputs import TargetInputs
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.findings import Finding
    from envbuild.core.spec.layers import LayerPlan, LayerRules
    from envbuild.core.check.verify import View

# The locked wheels for these pins (name → RECORD text of the very file the lock pins), fetched for
# the lock's Python and platform: envbuild's wheel cache by default, the tests' own in tests. The
# 4th argument (exact wheel tags) asks for the variant an environment installed.
T = TypeVar("T")

WheelSource = Callable[[Lock, Sequence[Package], Progress, "Sequence[str] | None"], Mapping[str, str]]


class Shared:
    """What the targets of one `lock` run share: a result several of them ask for (the same inputs
    resolved for the same Python and platform) is computed once, by the first to ask; the others wait."""

    def __init__(self) -> None:
        import threading  # here: verify loads this module, and needs neither

        self._guard = threading.Lock()
        self._results: dict[Hashable, "Future[Any]"] = {}

    def once(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        """(the result, whether this call computed it)."""
        from concurrent.futures import Future

        with self._guard:
            future = self._results.get(key)
            first = future is None
            if future is None:
                future = self._results[key] = Future()
        if first:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result(), first


@dataclass(frozen=True, kw_only=True)
class LockJob:
    """Everything one target's lock is made from; the service writes the file."""

    spec: "Spec"
    root: Path  # the image directory
    target: "Target"
    inputs: "TargetInputs"
    previous: Lock | None  # the lock there now, read for its pins (its body is not trusted)
    command: str  # how to regenerate it, for its header
    environ: Mapping[str, str]
    progress: Progress
    resolver: str = "uv"  # uv or pip-tools
    upgrade: bool = False
    conda_solver: str = "auto"
    shared: Shared = field(default_factory=Shared)  # one per `lock` run: its targets share results
    base: "BaseEnv | None" = None  # the base image's own packages, where the target inherits them


@dataclass(frozen=True, kw_only=True)
class BuildFiles:
    """What an ecosystem puts into the build context: files for /tmp/wheels, text files for
    /tmp/envbuild, and directories of its own (name → files), all hash-checked already."""

    wheels: tuple[Path, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    folders: Mapping[str, Mapping[str, Path | str]] = field(default_factory=dict)  # "conda" → {file name: path or text}
    summary: str = ""  # "12 wheels", "12 wheels and 40 conda packages"
    # A layered ecosystem's wheels by package name: (the file, its install line), for the context's layers/
    by_package: Mapping[str, tuple[Path, str]] = field(default_factory=dict)


class Ecosystem(ABC):
    name: str
    lock_format: str  # the lock file format (core/lock): "requirements", "conda-lock"
    prefix: str  # where the environment lives in an image
    inherits_base: bool = False  # base-packages: inherit applies (a framework base's own packages)
    uses_base_python: bool = False  # the environment runs on the base image's Python (else it brings its own)

    def regenerate_options(self, *, resolver: str, conda_solver: str) -> str:
        """What a lock's "regenerate it with" command adds to `envbuild lock DIR --target T`: the
        choices that made this lock and are not the defaults."""
        return ""

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
    def render_extras(self, lock: Lock) -> "RenderExtras":
        """The ecosystem's part of the template context, the labels and image.json."""

    @abstractmethod
    def check(self, lock: Lock, snapshot: "Snapshot", *, allow_extra: Iterable[str], files: bool,
              wheels: WheelSource, progress: Progress) -> tuple["Snapshot", list["Finding"]]:
        """The snapshot's packages against the lock (core/check/verify.py and friends): the findings, and the
        snapshot with what ``files`` learnt about each distribution's files. ``wheels``: where the
        locked wheels come from, for ``files``."""

    @abstractmethod
    def view(self, lock: Lock, label: str) -> "View":
        """The lock as one side of `envbuild diff`."""

    def layer_plan(self, lock: Lock, rules: "LayerRules", *, project: bool, file: str, key: str) -> "LayerPlan | None":
        """How the image's layers group the lock's packages (core/spec/layers.py); None: one layer for all."""
        return None

    def checked_names(self, lock: Lock) -> tuple[str, ...]:
        """The locked names a report lists one test case each for (not the optional ones: an absent
        one is not a match)."""
        return tuple(p.key for p in lock.packages if not p.optional) + tuple(name for name, _ in lock.base_packages)
