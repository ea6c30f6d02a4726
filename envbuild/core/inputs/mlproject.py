"""An MLflow project's MLproject file, for `envbuild init --from MLproject`. Pure.

    name: tiny
    python_env: python_env.yaml        # or conda_env: conda.yaml (docker_env: refused, it names an image)
    entry_points:
      main:
        parameters: {alpha: {type: float, default: 0.5}, data: path}
        command: "python train.py --alpha {alpha} {data}"

What init takes from it: the environment file (a conda environment, or a python_env.yaml's Python and
dependencies), and the `main` entry point's command, with each parameter's default filled in, as the
image's `cmd` (a parameter with no default leaves the command for the user to write). The other
entry points become `reproduce.modes` (their whole command, defaults filled in, in place of the
image's: `envbuild reproduce RUN --mode validate`); one with a parameter lacking a default is named
in a comment instead.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from envbuild.errors import UserError


@dataclass(frozen=True, kw_only=True)
class MLProject:
    name: str
    env_kind: str  # conda | python
    env_file: str  # relative to the MLproject file
    command: tuple[str, ...] | None  # main's command with defaults filled in; None: a parameter has none
    missing: tuple[str, ...] = ()  # main's parameters with no default
    entry_points: tuple[str, ...] = ()  # the others that cannot be modes (a parameter with no default)
    modes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the others: name → their whole command


@dataclass(frozen=True, kw_only=True)
class PythonEnv:
    python: str | None  # X.Y
    dependencies: tuple[str, ...]


def parse_mlproject(text: str, source: str) -> MLProject:
    from envbuild.core.yamlfile import load_yaml

    data = load_yaml(text, source)
    if not isinstance(data, dict):
        raise UserError(f"{source}: not an MLproject file (expected a mapping with entry_points)")
    if "docker_env" in data:
        raise UserError(f"{source}: docker_env names an image built elsewhere; envbuild builds the image itself",
                        hint="pass the requirements or environment file that image was built from")
    kinds = [(kind, data[key]) for kind, key in (("conda", "conda_env"), ("python", "python_env")) if key in data]
    if len(kinds) != 1 or not isinstance(kinds[0][1], str) or not kinds[0][1].strip():
        raise UserError(f"{source}: names no environment file (conda_env or python_env)",
                        hint="add one, or pass the requirements file the project installs")
    points = given if isinstance(given := data.get("entry_points"), dict) else {}
    main = points.get("main") if isinstance(points.get("main"), dict) else None
    command, missing = (None, ()) if main is None else _command(main, source)
    modes: list[tuple[str, tuple[str, ...]]] = []
    others: list[str] = []
    for name in sorted(p for p in points if p != "main"):
        entry = points[name]
        found = _command(entry, source, f"entry_points.{name}")[0] if isinstance(entry, dict) else None
        if found and re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", str(name)) and name != "full":
            modes.append((str(name), found))
        else:
            others.append(str(name))
    return MLProject(name=str(data.get("name") or ""), env_kind=kinds[0][0], env_file=kinds[0][1].strip(),
                     command=command, missing=missing, entry_points=tuple(others), modes=tuple(modes))


def _command(entry: dict[str, Any], source: str, where: str = "entry_points.main") -> tuple[tuple[str, ...] | None,
                                                                               tuple[str, ...]]:
    text = entry.get("command")
    if not isinstance(text, str) or not text.strip():
        return None, ()
    parameters = given if isinstance(given := entry.get("parameters"), dict) else {}
    defaults: dict[str, str] = {}
    missing = []
    for name, spec in parameters.items():
        default = spec.get("default") if isinstance(spec, dict) else None
        if default is None:
            missing.append(str(name))
        else:
            defaults[str(name)] = str(default)
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UserError(f"{source}: {where}.command: {exc}") from None
    if missing:
        return None, tuple(sorted(missing))
    return tuple(re.sub(r"\{(\w+)\}", lambda m: defaults.get(m[1], m[0]), word) for word in words), ()


def parse_python_env(text: str, source: str) -> PythonEnv:
    """MLflow's python_env.yaml: ``python`` (X.Y[.Z]) and ``dependencies`` (pip requirement lines)."""
    from envbuild.core.yamlfile import load_yaml

    data: Any = load_yaml(text, source)
    if not isinstance(data, dict):
        raise UserError(f"{source}: not a python_env file (expected python and dependencies)")
    python = str(data.get("python") or "")
    match = re.match(r"^(3\.\d+)", python)
    deps = data.get("dependencies") or []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise UserError(f"{source}: dependencies: expected a list of requirement lines")
    return PythonEnv(python=match[1] if match else None, dependencies=tuple(deps))
