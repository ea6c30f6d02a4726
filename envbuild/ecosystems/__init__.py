"""Ecosystems: how one kind of package manager locks, fetches, renders and checks an environment.

Two today: ``pip`` (a venv at /opt/venv from a hash-pinned requirements lock) and ``conda`` (a conda
prefix at /opt/conda from a conda-lock file, with an optional pip part). Each implements the one
interface in base.py; ``for_target`` and ``for_lock`` below are the only places that choose, and no
other module asks "pip or conda?". A third ecosystem (a system-package manager, say) is one more
module here and one more entry in ``_ECOSYSTEMS``: the services, the renderer and verify talk to the
interface only.

Layering: services → ecosystems → adapters → core. An ecosystem imports no service.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from importlib import import_module

from envbuild.core.lock import Lock
from envbuild.ecosystems.ecosystem import BuildFiles, Ecosystem, LockJob

if TYPE_CHECKING:
    from envbuild.core.spec.model import Spec, Target

__all__ = ["BuildFiles", "Ecosystem", "LockJob", "by_name", "for_lock", "for_target"]

# name: (module, class, the lock format it reads and writes). Each module is imported when its
# ecosystem is first asked for: verifying a venv never loads the conda ecosystem's imports.
_ECOSYSTEMS = {"pip": ("envbuild.ecosystems.pip", "PipEcosystem", "requirements"),
               "conda": ("envbuild.ecosystems.conda", "CondaEcosystem", "conda-lock")}
_LOADED: dict[str, Ecosystem] = {}


def for_target(spec: "Spec", target: "Target") -> Ecosystem:
    """The ecosystem a target's spec asks for: conda when it names an environment file, else pip."""
    return by_name("conda" if spec.conda_for(target) else "pip")


def for_lock(lock: Lock) -> Ecosystem:
    """The ecosystem whose lock format this lock was read from; a conda-lock file with no conda
    package (pip pins only, as `export --format conda-lock` writes a pip target's) is pip's."""
    if lock.packages and not lock.conda:
        return by_name("pip")
    return by_name(next(name for name, (_, _, fmt) in _ECOSYSTEMS.items() if fmt == lock.format))


def by_name(name: str) -> Ecosystem:
    if name not in _LOADED:
        module, cls, fmt = _ECOSYSTEMS[name]
        ecosystem = getattr(import_module(module), cls)()
        assert ecosystem.name == name and ecosystem.lock_format == fmt, "the table above disagrees with the module"
        _LOADED[name] = ecosystem
    return _LOADED[name]


def target_lock_file(directory: Path | None, target: str | None) -> Path:
    """The lock of an image directory's target (the only target when it has one)."""
    from envbuild.adapters.inputs import load_spec, spec_dir, target_lock_path

    spec = load_spec(directory or Path("."))
    chosen = chosen_target(spec, target)
    return target_lock_path(spec_dir(directory or Path(".")), chosen.name, for_target(spec, chosen).lock_format)


def chosen_target(spec: "Spec", name: str | None) -> "Target":
    """The target named, or the only one when none is named (--target may be left out then)."""
    from envbuild.errors import UserError

    if name is not None:
        return spec.target(name)
    if len(spec.targets) != 1:
        raise UserError("this spec has several targets: say which with --target",
                        hint=f"targets: {', '.join(t.name for t in spec.targets)}")
    return spec.targets[0]
