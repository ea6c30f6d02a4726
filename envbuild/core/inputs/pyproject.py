"""pyproject.toml as a lock input: [project].dependencies, the chosen extras and dependency groups. Pure.

``pyproject.toml[gpu,test]`` selects extras; ``pyproject.toml[group:dev]`` selects a PEP 735
dependency group (``[dependency-groups]``, with ``{include-group = ...}``). A project that lists
itself in an extra (``lm_eval[math]`` inside lm_eval's own ``all``) is expanded in place, as pip
does, and the self-reference's marker is kept on every requirement it brings in
(``proj[mac]; sys_platform == 'darwin'`` puts nothing of ``mac`` into a Linux lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envbuild.core.inputs.requirements import Problem, RequirementLine, parse_requirement

GROUP_PREFIX = "group:"


@dataclass(frozen=True, kw_only=True)
class PyprojectResult:
    requirements: tuple[RequirementLine, ...]
    problems: tuple[Problem, ...]
    error: str | None = None  # whole-file problem (no [project], dynamic dependencies, unknown extra or group)


def requirements_from_pyproject(data: dict[str, Any], extras: tuple[str, ...], source: str) -> PyprojectResult:
    """``extras``: extra names, and ``group:NAME`` for dependency groups."""
    groups = tuple(e[len(GROUP_PREFIX):] for e in extras if e.startswith(GROUP_PREFIX))
    extras = tuple(e for e in extras if not e.startswith(GROUP_PREFIX))
    project = data.get("project")
    if not isinstance(project, dict):
        if groups and not extras:  # a dependency-groups-only pyproject (PEP 735 allows one)
            project = {}
        else:
            return PyprojectResult(requirements=(), problems=(), error="has no [project] table")
    if "dependencies" in (project.get("dynamic") or []):
        return PyprojectResult(requirements=(), problems=(), error=(
            "declares its dependencies as dynamic (setup.py or a plugin computes them); envbuild reads only what is "
            "written: list them under [project].dependencies, or lock from a requirements file"))
    optional = project.get("optional-dependencies") or {}
    own_name = canonicalize_name(str(project.get("name", "")))
    known = {canonicalize_name(k): k for k in optional}
    for extra in extras:
        if canonicalize_name(extra) not in known:
            listed = ", ".join(sorted(optional)) or "none"
            return PyprojectResult(requirements=(), problems=(), error=f"has no extra {extra!r} (extras: {listed})")
    declared = data.get("dependency-groups") or {}
    group_keys = {canonicalize_name(k): k for k in declared} if isinstance(declared, dict) else {}
    for group in groups:
        if canonicalize_name(group) not in group_keys:
            listed = ", ".join(sorted(group_keys.values())) or "none"
            return PyprojectResult(requirements=(), problems=(),
                                   error=f"has no dependency group {group!r} (groups: {listed})")

    lines: list[RequirementLine] = []
    problems: list[Problem] = []
    seen: set[tuple[str, str | None]] = set()

    def add(entries: Any, where: str, marker: str | None) -> None:
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            origin = f"{source}:{where}[{i}]"
            if isinstance(entry, dict) and set(entry) == {"include-group"}:
                include(str(entry["include-group"]), marker)
                continue
            parsed = parse_requirement(str(entry), origin)
            if isinstance(parsed, RequirementLine) and parsed.name == own_name and own_name:
                requirement = Requirement(parsed.text)
                inner = _both(marker, str(requirement.marker) if requirement.marker else None)
                for group in sorted(requirement.extras):  # a set: sort for determinism
                    expand(group, inner)
                continue
            if isinstance(parsed, RequirementLine) and marker:
                parsed = _with_marker(parsed, marker)
            if isinstance(parsed, RequirementLine):
                lines.append(parsed)
            else:
                problems.append(parsed)

    def expand(extra: str, marker: str | None) -> None:
        key = known.get(canonicalize_name(extra))
        if key is None or (key, marker) in seen:
            return
        seen.add((key, marker))
        add(optional[key], f"project.optional-dependencies.{key}", marker)

    def include(group: str, marker: str | None) -> None:
        key = group_keys.get(canonicalize_name(group))
        if key is None or ("group:" + key, marker) in seen:
            return
        seen.add(("group:" + key, marker))
        add(declared[key], f"dependency-groups.{key}", marker)

    add(project.get("dependencies") or [], "project.dependencies", None)
    for extra in extras:
        expand(extra, None)
    for group in groups:
        include(group, None)
    return PyprojectResult(requirements=tuple(lines), problems=tuple(problems))


def _both(outer: str | None, inner: str | None) -> str | None:
    if outer and inner:
        return f"({outer}) and ({inner})"
    return outer or inner


def _with_marker(line: RequirementLine, marker: str) -> RequirementLine:
    requirement = Requirement(line.text)
    combined = _both(marker, str(requirement.marker) if requirement.marker else None)
    requirement.marker = None
    return RequirementLine(text=str(Requirement(f"{requirement}; {combined}")), name=line.name, origin=line.origin)


# Build requirements that mean a compiled build: minutes of a compiler (or a framework installed
# just to build) for a wheel that is not pure Python, which envbuild refuses to lock anyway.
NATIVE_BUILD_TOOLS = frozenset({
    "torch", "cmake", "ninja", "scikit-build", "scikit-build-core", "meson", "meson-python", "maturin",
    "setuptools-rust", "cython", "pybind11", "nanobind", "numpy", "cffi", "mypy"})  # mypy: mypyc


def native_build_tools(data: dict[str, Any]) -> list[str]:
    """The names in a pyproject's [build-system].requires that mean a native build (sorted)."""
    system = data.get("build-system")
    requires = system.get("requires") if isinstance(system, dict) else None
    found = set()
    for text in requires if isinstance(requires, list) else []:
        try:
            name = canonicalize_name(Requirement(str(text)).name)
        except ValueError:
            continue
        if name in NATIVE_BUILD_TOOLS:
            found.add(name)
    return sorted(found)
