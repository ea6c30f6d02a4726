"""core/inputs/pyproject.py: a pyproject's dependencies, extras and dependency groups as lock input."""

from envbuild.core.inputs.pyproject import requirements_from_pyproject

DATA = {
    "project": {
        "name": "proj", "dependencies": ["numpy>=1.26"],
        "optional-dependencies": {
            "mac": ["mlx>=0.20"],
            "all": ["proj[mac]; sys_platform == 'darwin'", "proj[plot]", "rich; python_version >= '3.9'"],
            "plot": ["matplotlib"],
        },
    },
    "dependency-groups": {"test": ["pytest>=8", {"include-group": "lint"}], "lint": ["ruff"]},
}


def texts(extras):
    result = requirements_from_pyproject(DATA, extras, "pyproject.toml")
    assert result.error is None, result.error
    return [r.text for r in result.requirements]


def test_a_self_reference_keeps_its_marker_on_what_it_brings_in():
    assert texts(("all",)) == ['numpy>=1.26', 'mlx>=0.20; sys_platform == "darwin"', "matplotlib",
                               'rich; python_version >= "3.9"']


def test_dependency_groups_are_inputs_and_include_each_other():
    assert texts(("group:test",)) == ["numpy>=1.26", "pytest>=8", "ruff"]
    assert texts(("plot", "group:lint")) == ["numpy>=1.26", "matplotlib", "ruff"]


def test_unknown_groups_and_dynamic_dependencies_say_what_to_do():
    assert "has no dependency group 'docs' (groups: lint, test)" in requirements_from_pyproject(
        DATA, ("group:docs",), "pyproject.toml").error
    dynamic = requirements_from_pyproject({"project": {"name": "x", "dynamic": ["dependencies"]}}, (), "p")
    assert "list them under [project].dependencies" in dynamic.error
    only_groups = requirements_from_pyproject({"dependency-groups": {"dev": ["pytest"]}}, ("group:dev",), "p")
    assert [r.text for r in only_groups.requirements] == ["pytest"]
