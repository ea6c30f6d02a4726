"""init(): a first envbuild.yaml from a project's requirements file, pyproject.toml or environment.yml."""

from __future__ import annotations

import os
from pathlib import Path

from envbuild.adapters.files import atomic_write, read_text
from envbuild.adapters.inputs import confined, repository_root
from envbuild.core.spec.model import SPEC_FILE
from envbuild.core.spec.starter import Starter, render_starter, starter_for
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
    if source.name == "MLproject":
        starter = _from_mlproject(directory, inside, today=today)
    else:
        starter = starter_for(source.name, read_text(source, str(source)), input_path=relative,
                              directory_name=directory.resolve().name, today=today)
    from envbuild.adapters.knowledge import cuda_data

    atomic_write(spec, render_starter(starter, cuda_data().get("torch_pypi_default_cuda")))
    return spec, starter


def _from_mlproject(directory: Path, source: Path, *, today: str) -> Starter:
    """An MLflow project: its conda environment as the input, or its python_env.yaml's dependencies
    written to requirements.in (never over an existing one); its main entry point as the command."""
    from dataclasses import replace

    from envbuild.core.inputs.mlproject import parse_mlproject, parse_python_env
    from envbuild.core.spec.starter import SUPPORTED

    project = parse_mlproject(read_text(source, str(source)), str(source))
    env_path = confined(source.parent / project.env_file, repository_root(directory), f"{source.name}'s environment")
    if not env_path.is_file():
        raise UserError(f"{source}: names {project.env_file}, which is not there",
                        hint="add it, or pass the requirements file the project installs")
    name = project.name or directory.resolve().name
    if project.env_kind == "conda":
        relative = Path(os.path.relpath(env_path, directory.resolve())).as_posix()
        starter = starter_for(env_path.name, read_text(env_path, str(env_path)), input_path=relative,
                              directory_name=name, today=today)
    else:
        env = parse_python_env(read_text(env_path, str(env_path)), str(env_path))
        requirements = directory / "requirements.in"
        if requirements.exists():
            raise UserError(f"{requirements} exists: init never overwrites it",
                            hint=f"remove it, or init another directory (it would hold {env_path.name}'s dependencies)")
        text = "".join(f"{line}\n" for line in env.dependencies)
        starter = starter_for("requirements.in", text, input_path="requirements.in", directory_name=name, today=today)
        atomic_write(requirements, f"# From {env_path.name} (MLflow's python_env), by envbuild init\n{text}")
        if env.python in SUPPORTED:
            starter = replace(starter, python=env.python)
    notes = []
    if project.missing:
        notes.append(f"the MLproject's main entry point needs {', '.join(project.missing)} (no default): write "
                     "'cmd:' with their values")
    if project.entry_points:
        notes.append(f"its entry points {', '.join(project.entry_points)} need parameters with no default: declare "
                     "them as reproduce.modes by hand")
    return replace(starter, cmd=project.command, notes=tuple(notes), modes=project.modes)
