"""core/starter.py: the first envbuild.yaml envbuild init writes."""

import pytest

from envbuild.core.spec import parse_spec
from envbuild.core.starter import render_starter, starter_for


def spec_for(name, text, directory="My Model"):
    return parse_spec(render_starter(starter_for(name, text, input_path=name, directory_name=directory,
                                                 today="2026-12-02")), "envbuild.yaml")


def test_a_requirements_file_with_torch_gets_a_cuda_target():
    spec = spec_for("requirements.txt", "torch>=2.4 ; sys_platform == 'linux'\n# a comment\nnumpy\n-r more.txt\n")
    assert (spec.name, spec.python, spec.exclude_newer) == ("local/my-model", "3.11", "2026-12-02T00:00:00Z")
    assert [t.name for t in spec.targets] == ["cpu", "cuda"] and spec.target("cuda").cuda == "12.8"
    assert [r.path for r in spec.requirements] == ["requirements.txt"]
    assert [t.name for t in spec_for("requirements.in", "requests\n").targets] == ["cpu"]


@pytest.mark.parametrize("requires, python", [(">=3.9", "3.12"), (">=3.10,<3.12", "3.11"), ("~=3.13.0", "3.13"),
                                              (None, "3.11"), ("not a specifier", "3.11")])
def test_the_python_comes_from_requires_python(requires, python):
    line = f'requires-python = "{requires}"\n' if requires else ""
    text = f'[project]\nname = "Tiny_Train"\n{line}dependencies = ["jax[cuda12]"]\n[build-system]\nrequires = []\n'
    spec = spec_for("pyproject.toml", text)
    assert (spec.python, spec.name, spec.project) == (python, "local/tiny-train", ".")


def test_a_conda_environment_file_gives_its_python_and_is_the_conda_input():
    spec = spec_for("environment.yml", "channels: [conda-forge]\ndependencies:\n  - python=3.10\n  - numpy\n")
    assert (spec.python, spec.conda, [t.name for t in spec.targets]) == ("3.10", "environment.yml", ["cpu"])
    assert spec.target("cpu").requirements == () and spec.requirements == ()
