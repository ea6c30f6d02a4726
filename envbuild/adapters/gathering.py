"""What an image is built from, gathered before anything is planned: its epoch (from git or the
lock), the project's wheel (built here, checked against the lock), the spec's files (confined to the
repository), and the CUDA the lock's torch needs against the target's. services/images.prepare calls
these, then plans purely (core/image/render.py, core/image/plan.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.adapters import git
from envbuild.adapters.inputs import confined
from envbuild.core.lock import Lock
from envbuild.core.progress import Progress
from envbuild.core.image.project import ProjectWheel
from envbuild.core.image.render import source_date_epoch
from envbuild.core.spec.runtime import FileCopy
from envbuild.core.spec.model import Spec, Target
from envbuild.errors import SpecError, UserError

if TYPE_CHECKING:
    from envbuild.adapters.index.wheelhouse import Wheelhouse


def image_epoch(spec: Spec, root: Path, lock_path: Path) -> int:
    """The image's created time (its label, its config, every file's mtime): the spec's
    exclude-newer when it has one; else the time of the last commit that touched the image
    directory (the same on every clone, and it moves only when the revision label does); outside
    git, the lock file's modification time (envbuild rewrites a lock only when it changes)."""
    if spec.exclude_newer:
        return source_date_epoch(spec)
    committed = git.commit_time(root)
    return committed if committed is not None else int(lock_path.stat().st_mtime)


def project_wheel(spec: Spec, target: Target, root: Path, boundary: Path, lock: Lock, wheels: "Wheelhouse",
                  epoch: int, environ: Mapping[str, str], progress: Progress) -> tuple[ProjectWheel, Path] | None:
    """The project's wheel, built here, and checked: the lock must pin what it depends on."""
    relative = spec.project_for(target)
    if relative is None:
        return None
    key = f"targets.{target.name}.project" if target.project else "project"
    if lock.python is None:
        raise SpecError(spec.file, key, "the conda environment has no Python to install the project into",
                        hint="add python to the environment file's dependencies")
    from envbuild.adapters.project import build_project
    from envbuild.core.envvars import expand, expand_all
    from envbuild.core.platforms import marker_environment
    from envbuild.core.image.project import uncovered

    directory = confined(root / relative, boundary, key, spec.file)
    project, wheel = build_project(directory, wheels=wheels, epoch=epoch, environ=environ,
                                   index_url=expand(spec.index_url(target), environ),
                                   extra_index_urls=expand_all(spec.extra_index_urls(target), environ),
                                   progress=progress)
    missing = uncovered(project, lock, marker_environment(spec.python, spec.platform_for(target)))
    if missing:
        raise SpecError(spec.file, key, f"the lock does not cover what {project.name} depends on: {', '.join(missing)}",
                        hint=f"make the project's pyproject.toml a lock input ('requirements: [{relative}/pyproject.toml]'"
                        ") and run 'envbuild lock'")
    return project, wheel


def file_source(spec: Spec, root: Path, boundary: Path, copy: FileCopy) -> Path:
    source = confined(root / copy.src, boundary, f"{copy.key}.src", spec.file)
    if not source.exists():
        raise SpecError(spec.file, f"{copy.key}.src", f"no such file or directory: {copy.src}",
                        hint="paths are relative to the directory of envbuild.yaml")
    return source


def check_cuda(spec: Spec, target: Target, lock: Lock, progress: Progress) -> None:
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.check.cuda import check_target, lock_cuda

    error, warning = check_target(target.cuda or "", lock_cuda(lock, cuda_data()))
    if error:
        raise UserError(f"{spec.file}: targets.{target.name}.cuda: {error}",
                        hint="use a base with that CUDA (and set 'cuda:' to it), or lock a torch build for "
                        f"CUDA {target.cuda} (e.g. PyTorch's cu{(target.cuda or '').replace('.', '')} index)")
    if warning:
        progress(f"warning: {warning}")
