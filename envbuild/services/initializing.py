"""init(): a first envbuild.yaml from a project's requirements file, pyproject.toml or environment.yml."""

from __future__ import annotations

import os
from pathlib import Path

from envbuild.adapters.files import atomic_write, read_text
from envbuild.adapters.inputs import confined, repository_root
from envbuild.core.spec import SPEC_FILE
from envbuild.core.starter import Starter, render_starter, starter_for
from envbuild.errors import UserError


def init(directory: Path, source: Path, *, today: str) -> tuple[Path, Starter]:
    """Write DIRECTORY/envbuild.yaml from ``source``; never over an existing one. ``today``: YYYY-MM-DD."""
    spec = directory / SPEC_FILE
    if spec.exists():
        raise UserError(f"{spec} exists: init never overwrites a spec", hint="edit it, or init another directory")
    if not source.is_file():
        raise UserError(f"--from {source}: no such file",
                        hint="a requirements file, a pyproject.toml or a conda environment.yml")
    directory.mkdir(parents=True, exist_ok=True)
    inside = confined(source, repository_root(directory), f"--from {source}")
    relative = Path(os.path.relpath(inside, directory.resolve())).as_posix()
    starter = starter_for(source.name, read_text(source, str(source)), input_path=relative,
                          directory_name=directory.resolve().name, today=today)
    from envbuild.adapters.knowledge import cuda_data

    atomic_write(spec, render_starter(starter, cuda_data().get("torch_pypi_default_cuda")))
    return spec, starter
