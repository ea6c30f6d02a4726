import os
import stat

import pytest

from envbuild.adapters.index.conda import choose_solver
from envbuild.errors import ToolUnavailable, UserError


def fake_binary(folder, name):
    path = folder / name
    path.write_text("#!/bin/sh\nexit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_conda_binary_on_path_means_conda_lock_and_none_means_py_rattler(tmp_path):
    empty = {"PATH": str(tmp_path / "nothing")}
    assert choose_solver("auto", empty) == ("rattler", None)
    micromamba = fake_binary(tmp_path, "micromamba")
    fake_binary(tmp_path, "conda")
    with_binary = {"PATH": f"{tmp_path}{os.pathsep}/usr/bin"}
    assert choose_solver("auto", with_binary) == ("conda-lock", micromamba)  # micromamba is looked for first
    assert choose_solver("rattler", with_binary) == ("rattler", None)


def test_forcing_conda_lock_without_a_binary_and_unknown_solvers_are_errors(tmp_path):
    with pytest.raises(ToolUnavailable, match="needs a micromamba, mamba or conda executable"):
        choose_solver("conda-lock", {"PATH": str(tmp_path)})
    with pytest.raises(UserError, match="unknown conda solver"):
        choose_solver("pixi", {"PATH": str(tmp_path)})


def test_the_regenerate_command_keeps_the_choices_that_made_the_lock():
    """A conda lock solved with --conda-solver conda-lock says so in its "regenerate it with" line (it
    dropped the option before issue 35); each ecosystem names its own options."""
    from pathlib import Path

    from envbuild.adapters.inputs import regenerate_command
    from envbuild.ecosystems.conda import CondaEcosystem
    from envbuild.ecosystems.pip import PipEcosystem

    conda, pip = CondaEcosystem(), PipEcosystem()
    assert conda.regenerate_options(resolver="uv", conda_solver="conda-lock") == " --conda-solver conda-lock"
    assert conda.regenerate_options(resolver="uv", conda_solver="auto") == ""
    assert pip.regenerate_options(resolver="pip-tools", conda_solver="conda-lock") == " --resolver pip-tools"
    assert pip.regenerate_options(resolver="uv", conda_solver="auto") == ""
    assert regenerate_command(Path("images/conda"), "cpu", " --conda-solver rattler") == \
        "envbuild lock images/conda --target cpu --conda-solver rattler"
