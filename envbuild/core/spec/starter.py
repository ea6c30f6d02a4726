"""`envbuild init`: a first envbuild.yaml from the file a project already has. Pure: texts in, text out.

From a requirements file, a pyproject.toml or a conda environment.yml: the Python version (the
pyproject's requires-python, the environment file's python pin, else 3.11), a base image for it, a
cpu target, a cuda target when the inputs name a CUDA stack (torch, jax, tensorflow, cupy,
nvidia-*, pytorch-cuda, cudatoolkit), `project: .` when the pyproject is a buildable project, and
today's date as `exclude-newer`. The text is parsed back before it is written: what init writes,
lock accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from envbuild.core.gpu import wants_cuda
from envbuild.core.inputs.requirements import HINTS
from envbuild.core.spec.model import parse_spec
from envbuild.errors import UserError

DEFAULT_PYTHON = "3.11"
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
CUDA = "12.8"  # PyPI's torch wheels for Linux are CUDA 12.8 builds


@dataclass(frozen=True, kw_only=True)
class Starter:
    kind: str  # requirements | pyproject | conda
    input: str  # the file, relative to the image directory
    name: str  # the image name
    python: str
    cuda: bool
    project: bool
    today: str  # YYYY-MM-DD
    warnings: tuple[str, ...] = ()  # lines lock will refuse, said now
    torch: str | None = None  # the torch version the file pins exactly (==), for the CUDA it needs
    allowed: tuple[str, ...] = ()  # the Pythons the project allows (requires-python); (): any
    cmd: tuple[str, ...] | None = None  # the image's command (an MLflow project's main entry point)
    notes: tuple[str, ...] = ()  # comment lines for the user (what init could not decide)
    modes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # reproduce modes: an MLflow project's other entry points


def starter_for(file_name: str, text: str, *, input_path: str, directory_name: str, today: str) -> Starter:
    """What the file says: its kind, Python, whether it asks for CUDA, whether it is a project. A file
    that is none of the kinds init reads is refused, naming what to pass instead."""
    name = _image_name(directory_name)
    _refuse_other_files(file_name, text)
    if file_name.endswith(".toml"):
        return _from_pyproject(text, input_path, name, today)
    if file_name.endswith((".yml", ".yaml")):
        return _from_conda(text, input_path, name, today)
    from envbuild.core.inputs.requirements import parse_requirements_text

    parsed = parse_requirements_text(text, input_path)
    lines = [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    invalid = [p for p in parsed.problems if p.kind == "invalid"]
    if lines and (not parsed.requirements and not parsed.includes or len(invalid) * 2 > len(lines)):
        raise UserError(f"--from {input_path}: not a requirements file ({invalid[0].text if invalid else lines[0]!r} "
                        "is no requirement)", hint="pass a requirements file, a pyproject.toml or a conda environment.yml")
    names = [r.name for r in parsed.requirements]
    return Starter(kind="requirements", input=input_path, name=name, python=DEFAULT_PYTHON,
                   cuda=any(wants_cuda(n) for n in names), project=False, today=today,
                   torch=_torch_pin(r.text for r in parsed.requirements),
                   warnings=tuple(f"{p.message} (lock will refuse it: {HINTS[p.kind]})" for p in parsed.problems))


def _refuse_other_files(file_name: str, text: str) -> None:
    """A Dockerfile or an MLproject file given as --from: say which file to pass instead."""
    import re as _re

    first = next((line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")), "")
    lowered = file_name.lower()
    if lowered.startswith(("dockerfile", "containerfile")) or lowered.endswith(".dockerfile") or \
            _re.match(r"(?i)^(FROM|ARG)\s+\S", first):
        named = sorted(set(_re.findall(r"(?:-r|--requirement)\s+(\S+\.(?:txt|in))", text)))
        raise UserError(f"--from {file_name}: a Dockerfile, not a list of requirements (envbuild writes the "
                        "Dockerfile itself)", hint=f"pass the requirements file it installs"
                        f"{': ' + ', '.join(named) if named else ''}, a pyproject.toml or a conda environment.yml")
# nvidia/cuda's image tags per CUDA minor (the newest patch release of each), and the Ubuntu
# releases they are published for: an NVIDIA base runs its Ubuntu's python3.
NVIDIA_CUDA_TAGS = {"11.8": "11.8.0", "12.1": "12.1.1", "12.4": "12.4.1", "12.6": "12.6.3", "12.8": "12.8.1",
                    "12.9": "12.9.1"}
_UBUNTU_FROM = {"ubuntu24.04": (12, 5), "ubuntu22.04": (11, 7)}  # the first CUDA with images for it


def render_starter(s: Starter, torch_cuda: Mapping[str, str] | None = None) -> str:
    """``torch_cuda``: torch X.Y → the CUDA of its PyPI wheels (data/cuda.json), for a pinned torch."""
    cuda = _cuda_for(s.torch, torch_cuda or {})
    python, nvidia = s.python, None
    if s.cuda and s.kind != "conda":  # a conda target brings its own Python: any base serves
        python, nvidia = _python_and_base(s, cuda)
    lines = [f"# Written by envbuild init from {s.input}: a start. Read it, then run envbuild lock.",
             f"name: local/{s.name}",
             f'python: "{python}"',
             f"exclude-newer: {s.today}  # lock as of this date: re-locking later gives the same versions",
             f"base: python:{python}-slim-bookworm  # pin it by digest (name@sha256:...) once you have chosen it"]
    if s.kind == "conda":
        lines.append(f"conda: {s.input}")
    else:
        lines.append(f"requirements: [{s.input}]")
    if s.project:
        lines.append("project: .  # the project itself goes into the image, built from its committed tree")
    if s.cmd:
        import json

        lines.append(f"cmd: {json.dumps(list(s.cmd))}  # the MLflow project's main entry point, defaults filled in")
    lines.extend(f"# {note}" for note in s.notes)
    if s.modes:
        import json

        lines += ["reproduce:", "  modes:  # the MLflow project's other entry points: envbuild reproduce RUN --mode NAME"]
        lines += [f"    {name}: {{args: {json.dumps(list(args))}, replace: true}}" for name, args in s.modes]
    lines.append("targets:")
    lines.append("  cpu: {}")
    if s.cuda:
        lines += ["  cuda:", f'    cuda: "{cuda}"' + (f"  # what torch {s.torch}'s wheels on PyPI are built for"
                                                        if s.torch and cuda != CUDA else "")]
        if nvidia:
            lines.append(f"    base: {nvidia}  # NVIDIA's image; envbuild adds its Ubuntu's python3 ({python})")
        elif s.kind == "conda":
            lines.append("    # no NVIDIA base: the environment's conda packages bring the CUDA runtime")
        else:
            lines.append(f"    # no NVIDIA base: torch's CUDA wheels bring the runtime, and no NVIDIA image runs "
                         f"Python {python}")
    text = "\n".join(lines) + "\n"
    parse_spec(text, "envbuild.yaml")  # what init writes, lock accepts
    return text


def _cuda_for(torch: str | None, torch_cuda: Mapping[str, str]) -> str:
    if torch:
        found = torch_cuda.get(".".join(torch.split("+")[0].split(".")[:2]))
        if found:
            return found
    return CUDA


def _python_and_base(s: Starter, cuda: str) -> tuple[str, str | None]:
    """The Python and NVIDIA base of a CUDA target, consistent: the base's Ubuntu runs that Python.
    A requirements file says no Python: the newest Ubuntu's. A project keeps the Python it prefers,
    with the NVIDIA base whose Ubuntu runs it, else none (the CPU base, and torch's CUDA wheels)."""
    from envbuild.core.platforms import RELEASE_PYTHON

    tag = NVIDIA_CUDA_TAGS.get(cuda)
    for ubuntu, first in _UBUNTU_FROM.items():
        python = RELEASE_PYTHON[ubuntu]
        if tag and _minor(cuda) >= first and (python == s.python or s.kind == "requirements"):
            return python, f"nvidia/cuda:{tag}-runtime-{ubuntu}"
    return s.python, None


def _from_pyproject(text: str, input_path: str, name: str, today: str) -> Starter:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    data = tomllib.loads(text)
    project = given if isinstance(given := data.get("project"), dict) else {}
    python = DEFAULT_PYTHON
    try:
        requires = str(project.get("requires-python") or "")
        allowed = [v for v in SUPPORTED if requires and SpecifierSet(requires).contains(f"{v}.0")]
    except InvalidSpecifier:
        allowed = []
    if allowed:  # the newest it allows, up to 3.12 (the newest that most ML wheels exist for)
        preferred = [v for v in allowed if _minor(v) <= (3, 12)] or allowed
        python = max(preferred, key=_minor)
    names = []
    for entry in project.get("dependencies") or []:
        try:
            names.append(Requirement(str(entry)).name)
        except InvalidRequirement:
            continue
    buildable = bool(project.get("name")) and "build-system" in data  # a pyproject for dependencies only has none
    return Starter(kind="pyproject", input=input_path, name=_image_name(str(project.get("name") or name)),
                   python=python, cuda=any(wants_cuda(n) for n in names), project=buildable, today=today,
                   torch=_torch_pin(str(e) for e in project.get("dependencies") or []), allowed=tuple(allowed))


def _from_conda(text: str, input_path: str, name: str, today: str) -> Starter:
    from envbuild.core.yamlfile import load_yaml

    data = load_yaml(text, input_path) or {}
    deps = [d for d in data.get("dependencies") or [] if isinstance(d, str)]
    python = DEFAULT_PYTHON
    for dep in deps:
        match = re.match(r"^python\s*[=<>]*\s*(3\.\d+)", dep.strip())
        if match:
            python = match[1]
    names = [re.split(r"[\s<>=!~]", d.strip(), maxsplit=1)[0].split("::")[-1] for d in deps]
    return Starter(kind="conda", input=input_path, name=name, python=python,
                   cuda=any(wants_cuda(n) for n in names), project=False, today=today)


def _torch_pin(requirements: Iterable[str]) -> str | None:
    for text in requirements:
        match = re.match(r"^\s*torch\s*(?:\[[^\]]*\])?\s*==\s*([0-9][^\s;,]*)", text, re.IGNORECASE)
        if match:
            return match[1]
    return None


def _image_name(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or "model"


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
