"""The layering the README's Layout section describes, checked: no import circle, a pure core,
services that do not reach into each other, one place that asks "pip or conda", small modules."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "envbuild"
IMPURE = {"subprocess", "socket", "docker", "requests", "urllib.request", "time", "threading", "concurrent.futures"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in imports(name, path) if m in mods and m != name} for name, path in mods.items()}


def test_there_is_no_import_circle():
    edges, state, circles = graph(), {}, []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(edges[node]):
            if state.get(dep) == "open":
                circles.append(" -> ".join([*stack[stack.index(dep):], dep]))
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_the_core_does_no_io():
    for name, path in modules().items():
        if name.startswith("envbuild.core"):
            bad = {m for m in imports(name, path) if m in IMPURE or m.split(".")[0] in IMPURE}
            assert not bad, f"{name} imports {bad}"
            assert "os.environ" not in path.read_text(), name
            assert "import os" not in path.read_text(), name


def test_layers_point_down_only():
    order = ["envbuild.cli", "envbuild.services", "envbuild.ecosystems", "envbuild.adapters", "envbuild.core"]

    def layer(name: str) -> int | None:
        return next((i for i, prefix in enumerate(order) if name == prefix or name.startswith(prefix + ".")), None)

    for name, deps in graph().items():
        mine = layer(name)
        for dep in deps:
            theirs = layer(dep)
            if mine is not None and theirs is not None:
                assert theirs >= mine, f"{name} (layer {order[mine]}) imports {dep} (layer {order[theirs]})"
            if name.startswith("envbuild.services.") and dep.startswith("envbuild.services."):
                raise AssertionError(f"{name} imports another service, {dep}: shared things belong below")


# The rooms of core/, lowest first: the vocabulary every room uses (core/*.py), then one package per
# job. A module imports its own room and the rooms below it, never one above (README: Layout).
CORE_ROOMS = ["envbuild.core", "envbuild.core.lock", "envbuild.core.inputs", "envbuild.core.spec",
              "envbuild.core.image", "envbuild.core.lineage", "envbuild.core.check", "envbuild.core.report"]
VOCABULARY = {"digest", "envvars", "epoch", "findings", "gpu", "layout", "lines", "markers", "names", "platforms",
              "progress", "redact", "snapshot", "text", "versions", "yamlfile"}


def core_room(name: str) -> int:
    parts = name.split(".")
    return CORE_ROOMS.index(".".join(parts[:3])) if len(parts) > 3 or ".".join(parts[:3]) in CORE_ROOMS[1:] else 0


def test_the_core_is_rooms_that_import_downward_only():
    for name, deps in graph().items():
        if not name.startswith("envbuild.core."):
            continue
        for dep in deps:
            if dep.startswith("envbuild.core.") and core_room(dep) > core_room(name):
                raise AssertionError(f"{name} ({CORE_ROOMS[core_room(name)]}) imports {dep}, a room above it")


def test_the_core_s_top_level_is_the_vocabulary_only():
    top = {path.stem for path in (PACKAGE / "core").glob("*.py")} - {"__init__"}
    rooms = {path.name for path in (PACKAGE / "core").iterdir() if (path / "__init__.py").is_file()}
    assert top == VOCABULARY
    assert {f"envbuild.core.{room}" for room in rooms} == set(CORE_ROOMS[1:])


def test_the_adapters_index_and_engine_rooms_do_not_import_each_other():
    rooms = ("envbuild.adapters.index", "envbuild.adapters.engine")
    for name, deps in graph().items():
        for mine, other in (rooms, rooms[::-1]):
            if name.startswith(mine + "."):
                assert not [d for d in deps if d.startswith(other + ".")], f"{name} imports {other}"


def test_only_the_chooser_asks_which_ecosystem_a_spec_wants():
    askers = {name for name, path in modules().items() if "conda_for(" in path.read_text()}
    assert askers == {"envbuild.ecosystems", "envbuild.core.spec.model", "envbuild.adapters.inputs"}


def test_nothing_outside_the_ecosystems_branches_on_an_ecosystem_s_name():
    """What differs between pip and conda is an attribute or a method of the Ecosystem (regenerate_options,
    inherits_base, uses_base_python...), never `if ecosystem.name == "pip"` in a service."""
    import re

    branching = re.compile(r"""\.name\s*[!=]=\s*["'](pip|conda)["']|["'](pip|conda)["']\s*[!=]=\s*\w+\.name\b""")
    found = {name for name, path in modules().items()
             if not name.startswith("envbuild.ecosystems") and branching.search(path.read_text())}
    assert found == set()


def test_no_module_is_over_400_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > 400}
    assert long == {}
