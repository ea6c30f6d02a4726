"""core/spec/starter.py: the first envbuild.yaml envbuild init writes."""

import pytest

from envbuild.core.spec.model import parse_spec
from envbuild.core.spec.starter import render_starter, starter_for


def spec_for(name, text, directory="My Model"):
    return parse_spec(render_starter(starter_for(name, text, input_path=name, directory_name=directory,
                                                 today="2026-12-02")), "envbuild.yaml")


def test_a_requirements_file_with_torch_gets_a_cuda_target():
    spec = spec_for("requirements.txt", "torch>=2.4 ; sys_platform == 'linux'\n# a comment\nnumpy\n-r more.txt\n")
    # python, base and cuda agree: Ubuntu 24.04's python3 is 3.12, and so is the CPU base's
    assert (spec.name, spec.python, spec.exclude_newer) == ("local/my-model", "3.12", "2026-12-02T00:00:00Z")
    assert [t.name for t in spec.targets] == ["cpu", "cuda"] and spec.target("cuda").cuda == "12.8"
    assert spec.target("cuda").base == "nvidia/cuda:12.8.1-runtime-ubuntu24.04"
    assert spec.base == "python:3.12-slim-bookworm"
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


def test_a_pinned_torch_picks_the_cuda_of_its_wheels_and_the_ubuntu_that_has_images_for_it():
    from envbuild.adapters.knowledge import cuda_data

    text = render_starter(starter_for("requirements.txt", "torch==2.4.1\n", input_path="requirements.txt",
                                      directory_name="m", today="2026-12-02"),
                          cuda_data()["torch_pypi_default_cuda"])
    spec = parse_spec(text, "envbuild.yaml")
    # torch 2.4's PyPI wheels are CUDA 12.1 builds; CUDA 12.1 images exist for Ubuntu 22.04 (Python 3.10)
    assert (spec.target("cuda").cuda, spec.python) == ("12.1", "3.10")
    assert spec.target("cuda").base == "nvidia/cuda:12.1.1-runtime-ubuntu22.04"


def test_a_project_keeps_its_python_and_gets_no_nvidia_base_that_would_run_another():
    text = '[project]\nname = "p"\nrequires-python = ">=3.10,<3.12"\ndependencies = ["torch"]\n'
    spec = spec_for("pyproject.toml", text)
    assert spec.python == "3.11" and spec.target("cuda").base is None and spec.base == "python:3.11-slim-bookworm"


@pytest.mark.parametrize("name, text, hint", [
    ("Dockerfile", "FROM python:3.11\nRUN pip install -r requirements/prod.txt\n", "requirements/prod.txt"),
    ("build.docker", "# syntax=docker/dockerfile:1\nARG BASE=python\nFROM ${BASE}\n", "requirements file"),
    ("notes.txt", "This project trains a model.\nRun it with make.\n", "requirements file"),
])
def test_files_init_cannot_read_are_refused_with_what_to_pass_instead(name, text, hint):
    from envbuild.errors import UserError

    with pytest.raises(UserError) as raised:
        starter_for(name, text, input_path=name, directory_name="m", today="2026-12-02")
    assert hint in (raised.value.hint or "")


def test_a_line_lock_will_refuse_is_warned_at_init():
    starter = starter_for("requirements.txt", "numpy\nfoo @ git://github.com/a/foo@v1\n", input_path="requirements.txt",
                          directory_name="m", today="2026-12-02")
    assert len(starter.warnings) == 1 and "git://" in starter.warnings[0] and "git+https" in starter.warnings[0]
