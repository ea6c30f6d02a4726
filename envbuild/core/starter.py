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
from dataclasses import dataclass

from envbuild.core.spec import parse_spec

DEFAULT_PYTHON = "3.11"
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
CUDA = "12.8"  # PyPI's torch wheels for Linux are CUDA 12.8 builds
_CUDA_NAMES = re.compile(r"^(torch|torchvision|torchaudio|jax\[cuda.*|jaxlib|tensorflow|cupy.*|nvidia-.*|pytorch-cuda|"
                         r"cudatoolkit|cuda-version|xformers|flash-attn|vllm)$", re.I)


@dataclass(frozen=True, kw_only=True)
class Starter:
    kind: str  # requirements | pyproject | conda
    input: str  # the file, relative to the image directory
    name: str  # the image name
    python: str
    cuda: bool
    project: bool
    today: str  # YYYY-MM-DD


def starter_for(file_name: str, text: str, *, input_path: str, directory_name: str, today: str) -> Starter:
    """What the file says: its kind, Python, whether it asks for CUDA, whether it is a project."""
    name = _image_name(directory_name)
    if file_name.endswith(".toml"):
        return _from_pyproject(text, input_path, name, today)
    if file_name.endswith((".yml", ".yaml")):
        return _from_conda(text, input_path, name, today)
    names = [re.split(r"[\s<>=!~;\[@]", line.strip(), maxsplit=1)[0] for line in text.splitlines()
             if line.strip() and not line.strip().startswith(("#", "-"))]
    return Starter(kind="requirements", input=input_path, name=name, python=DEFAULT_PYTHON,
                   cuda=any(_CUDA_NAMES.match(n) for n in names), project=False, today=today)


def render_starter(s: Starter) -> str:
    lines = [f"# Written by envbuild init from {s.input}: a start. Read it, then run envbuild lock.",
             f"name: local/{s.name}",
             f'python: "{s.python}"',
             f"exclude-newer: {s.today}  # lock as of this date: re-locking later gives the same versions",
             f"base: python:{s.python}-slim-bookworm  # pin it by digest (name@sha256:...) once you have chosen it"]
    if s.kind == "conda":
        lines.append(f"conda: {s.input}")
    else:
        lines.append(f"requirements: [{s.input}]")
    if s.project:
        lines.append("project: .  # the project itself goes into the image, built from its committed tree")
    lines.append("targets:")
    lines.append("  cpu: {}")
    if s.cuda:
        lines += ["  cuda:", f'    cuda: "{CUDA}"',
                  f"    base: nvidia/cuda:{CUDA}.1-runtime-ubuntu24.04  # NVIDIA's images carry no Python: "
                  "envbuild adds python3"]
    text = "\n".join(lines) + "\n"
    parse_spec(text, "envbuild.yaml")  # what init writes, lock accepts
    return text


def _from_pyproject(text: str, input_path: str, name: str, today: str) -> Starter:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    data = tomllib.loads(text)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
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
                   python=python, cuda=any(_CUDA_NAMES.match(n) for n in names), project=buildable, today=today)


def _from_conda(text: str, input_path: str, name: str, today: str) -> Starter:
    from envbuild.core.spec import load_yaml

    data = load_yaml(text, input_path) or {}
    deps = [d for d in data.get("dependencies") or [] if isinstance(d, str)]
    python = DEFAULT_PYTHON
    for dep in deps:
        match = re.match(r"^python\s*[=<>]*\s*(3\.\d+)", dep.strip())
        if match:
            python = match[1]
    names = [re.split(r"[\s<>=!~]", d.strip(), maxsplit=1)[0].split("::")[-1] for d in deps]
    return Starter(kind="conda", input=input_path, name=name, python=python,
                   cuda=any(_CUDA_NAMES.match(n) for n in names), project=False, today=today)


def _image_name(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or "model"


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
