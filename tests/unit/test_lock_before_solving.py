"""What lock can say before any resolver, solver or build runs, from the inputs alone (issue 33)."""

from __future__ import annotations

import pytest

from envbuild.adapters.index.resolvers import local_build_hint
from envbuild.core.inputs.conda_env import parse_environment, python_disagreement
from envbuild.core.lock.pylock_files import pin_files
from envbuild.core.inputs.pyproject import native_build_tools
from envbuild.errors import SpecError


def env(*specs: str):
    return parse_environment("channels: [conda-forge]\ndependencies:\n" + "".join(f"  - {s}\n" for s in specs),
                             "environment.yml")


@pytest.mark.parametrize("spec, python, other", [
    ("python=3.11", "3.11", False), ("python=3.11", "3.12", True), ("python 3.10.*", "3.11", True),
    ("python==3.12.4", "3.12", False), ("python>=3.10,<3.12", "3.11", False), ("python>=3.10,<3.12", "3.12", True),
    ("python=3", "3.12", False), ("conda-forge::python=3.9", "3.11", True), ("python", "3.11", False),
    ("python-dateutil=2.8", "3.11", False),
])
def test_the_environment_s_python_is_held_against_the_spec_s(spec, python, other):
    assert (python_disagreement(env("numpy", spec), python) == spec) is other


def test_a_pasted_command_above_an_environment_file_is_named_at_line_1():
    with pytest.raises(SpecError) as raised:
        parse_environment("conda env create -f environment.yml\nname: x\ndependencies: [numpy]\n", "environment.yml")
    assert raised.value.path == "line 1" and "conda env create" in raised.value.message


def test_each_spec_keeps_its_key_path_and_line_for_messages():
    parsed = parse_environment("# env\nchannels: [conda-forge]\ndependencies:\n  - numpy\n  - scipy>>1\n", "e.yml")
    assert parsed.where == ("dependencies[0] (line 4)", "dependencies[1] (line 5)")


def test_a_match_spec_rattler_cannot_parse_is_named():
    from envbuild.adapters.index.conda import match_spec_problem

    assert match_spec_problem("numpy>=1.26") is None and match_spec_problem("numpy 1.26.*") is None
    assert ">>1" in (match_spec_problem("numpy>>1") or "")


@pytest.mark.parametrize("text", [
    "Because torch{platform_machine == 'x86_64'}==2.6.0+cpu was not found in the package registry",
    "Because there is no version of torch[cuda]==2.6.0+cu124 and you require it",
])
def test_a_local_version_build_names_the_vendor_index_whatever_uv_prints_between(text):
    hint = local_build_hint(text) or ""
    assert "torch==2.6.0+c" in hint and "download.pytorch.org/whl/" in hint


def test_native_build_requirements_are_recognised_and_pure_ones_are_not():
    assert native_build_tools({"build-system": {"requires": ["setuptools>=61", "cmake>=3.18", "Cython<3"]}}) == [
        "cmake", "cython"]
    assert native_build_tools({"build-system": {"requires": ["hatchling", "setuptools-scm"]}}) == []
    assert native_build_tools({}) == [] and native_build_tools({"build-system": {"requires": "cmake"}}) == []


def test_uv_s_file_list_gives_each_pin_its_wheels_and_sdist_with_sizes():
    found = pin_files('''lock-version = "1.0"
[[packages]]
name = "Foo_Bar"
version = "1.0"
sdist = { url = "https://x/foo_bar-1.0.tar.gz", size = 10, hashes = { sha256 = "aa" } }
wheels = [{ url = "https://x/foo_bar-1.0-py3-none-any.whl", size = 20, hashes = { sha256 = "bb" } },
          { url = "https://x/nohash.whl" }]
[[packages]]
name = "onlysdist"
version = "2"
sdist = { path = "dist/onlysdist-2.tar.gz", hashes = { sha256 = "cc" } }
''')
    assert [w.sha256 for w in found["foo-bar"].wheels] == ["bb"] and found["foo-bar"].wheels[0].size == 20
    assert found["foo-bar"].wheels[0].filename == "foo_bar-1.0-py3-none-any.whl"
    assert found["onlysdist"].wheels == () and found["onlysdist"].sdist.url == "dist/onlysdist-2.tar.gz"
    assert found["onlysdist"].sdist.size is None
