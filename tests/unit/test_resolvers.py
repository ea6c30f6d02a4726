"""adapters/index/resolvers.py: a resolver's failure condensed to one clear message, credentials redacted."""

import pytest

from envbuild.adapters.process import Completed
from envbuild.adapters.index.resolvers import condense_failure, index_env, write_resolver_input
from envbuild.errors import ResolutionError, ToolUnavailable

UV_UNSAT = """  × No solution found when resolving dependencies:
  ╰─▶ Because alpha==2.0 depends on beta>=2 and you require alpha==2.0, we can conclude that your
      requirements are unsatisfiable.
"""
PIP_CONFLICT = """ERROR: Cannot install alpha==2.0 and beta==1.0 because these package versions have conflicting dependencies.
The conflict is caused by:
    The user requested beta==1.0
    alpha 2.0 depends on beta>=2
"""
UV_OFFLINE = """error: Failed to fetch: `https://user:pw@mirror.corp/simple/alpha/`
  Caused by: error sending request for url (https://user:pw@mirror.corp/simple/alpha/)
  Caused by: dns error: failed to lookup address information
"""
UV_BUILD = """error: Failed to build `sigma==1.0`
  Caused by: The build backend returned an error
  fatal error: Python.h: No such file or directory
"""


def done(stderr: str, code: int = 1) -> Completed:
    return Completed(argv=("uv",), returncode=code, stdout="", stderr=stderr)


@pytest.mark.parametrize("stderr, kind, words", [
    (UV_UNSAT, ResolutionError, ["cannot be satisfied together", "alpha==2.0 depends on beta>=2"]),
    (PIP_CONFLICT, ResolutionError, ["cannot be satisfied together", "alpha 2.0 depends on beta>=2"]),
    (UV_OFFLINE, ToolUnavailable, ["could not be reached", "mirror.corp"]),
    (UV_BUILD, ResolutionError, ["sigma==1.0 has no wheel", "Python.h"]),
    ("something odd\n", ResolutionError, ["uv failed (exit 1)", "something odd"]),
])
def test_each_failure_becomes_one_message_of_its_kind(stderr, kind, words):
    error = condense_failure(done(stderr), "uv")
    assert type(error) is kind
    text = "\n".join(filter(None, (error.message, error.details, error.hint)))
    for word in words:
        assert word in text, text
    assert "pw@" not in text


def test_index_urls_travel_in_the_environment_never_in_argv():
    assert index_env("uv", "https://a/simple", ["https://b/simple", "https://c/simple"]) == {
        "UV_INDEX_URL": "https://a/simple", "UV_EXTRA_INDEX_URL": "https://b/simple https://c/simple"}
    assert index_env("pip", "https://a/simple", []) == {"PIP_INDEX_URL": "https://a/simple"}


def test_the_resolver_input_includes_the_constraints(tmp_path):
    path = write_resolver_input(tmp_path, ["alpha>=1"], ["beta==1.0"])
    assert path.read_text() == "-c constraints.txt\nalpha>=1\n"
    assert (tmp_path / "constraints.txt").read_text() == "beta==1.0\n"
    assert write_resolver_input(tmp_path / "..", ["x"]).read_text() == "x\n"


@pytest.mark.parametrize("stderr, words", [
    ("  × No solution found when resolving dependencies:\n  ╰─▶ Because there is no version of torch==2.6.0+cpu and you "
     "require torch==2.6.0+cpu, we can conclude that your requirements are unsatisfiable.\n",
     "https://download.pytorch.org/whl/cpu"),
    ("ERROR: No matching distribution found for torch==2.4.1+cu121\n", "https://download.pytorch.org/whl/cu121"),
    ("ERROR: No matching distribution found for torch==2.5.0+rocm6.2\n", "https://download.pytorch.org/whl/rocm6.2"),
])
def test_a_local_version_build_names_the_vendor_index(stderr, words):
    error = condense_failure(done(stderr), "uv")
    assert "local-version build" in error.hint and words in error.hint


def test_a_version_without_wheels_for_the_target_python_names_the_pythons_that_have_them():
    stderr = ("  × No solution found when resolving dependencies:\n  ╰─▶ Because torch==2.1.0 has no wheels with a matching "
              "Python ABI tag (e.g., `cp312`) and you require torch==2.1.0, we can conclude that your requirements are "
              "unsatisfiable.\n\n      hint: You require CPython 3.12 (`cp312`), but we only found wheels for `torch` "
              "(v2.1.0) with the following Python ABI tags: `cp38`, `cp39`, `cp310`, `cp311`\n")
    error = condense_failure(done(stderr), "uv")
    assert error.hint.startswith("torch 2.1.0 has wheels for Python 3.8, 3.9, 3.10, 3.11 only")
