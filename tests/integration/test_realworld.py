"""Requirement files from public ML repositories, unchanged (tests/data/realworld/sources.tsv).

Each one either locks or fails with a specific message naming the line and what to do. Those that
fail on their own text need no network; those that resolve talk to PyPI.
"""

from __future__ import annotations

import shutil

import pytest

from envbuild.core.lock import read_lock
from tests.conftest import REPO, assert_no_traceback

DATA = REPO / "tests" / "data" / "realworld"


def realworld_image(tmp_path, source: str, python: str = "3.11"):
    directory = tmp_path / "img"
    src = DATA / source
    if src.is_dir():
        shutil.copytree(src, directory)
        req = "requirements.txt"
    else:
        directory.mkdir()
        req = "pyproject.toml" if source.endswith("pyproject.toml") else "requirements.txt"
        shutil.copy(src, directory / req)
    (directory / "envbuild.yaml").write_text(
        f'name: realworld\npython: "{python}"\nexclude-newer: 2026-11-01\nrequirements: [{req}]\ntargets:\n  cpu: {{}}\n')
    return directory


@pytest.mark.parametrize("source, message", [
    ("requirements/Stability-AI__stablediffusion__requirements.txt",
     "requirements.txt:19: '-e .' is an editable install"),
    ("requirements/pytorch__examples__docs__requirements.txt",
     "requirements.txt:4: '-e git+https://github.com/pytorch/pytorch_sphinx_theme.git#egg=pytorch_sphinx_theme' "
     "is an editable install"),
    ("requirements/tloen__alpaca-lora__requirements.txt",
     "requirements.txt:9: 'git+https://github.com/huggingface/peft.git' is a VCS requirement"),
    ("requirements/facebookresearch__detectron2__docs__requirements.txt",
     "3 input lines cannot go into a hash-pinned lock"),
])
def test_unpinnable_inputs_fail_with_the_line_and_what_to_do(tmp_path, cli, source, message):
    result = cli("lock", str(realworld_image(tmp_path, source)))
    assert result.returncode == 2
    assert message in result.stderr
    assert "what to do" in result.stderr or "hint:" in result.stderr
    assert_no_traceback(result)


def test_a_named_git_requirement_is_locked_from_its_repository(tmp_path, cli):
    """generative-models' `clip @ git+https://github.com/openai/CLIP.git`: envbuild locks git
    requirements (issue 12); with the host made unreachable on purpose, it says so, naming the repository."""
    from tests.conftest import hermetic_env

    nowhere = "http://127.0.0.1:9"
    env = hermetic_env(HTTPS_PROXY=nowhere, https_proxy=nowhere, HTTP_PROXY=nowhere, http_proxy=nowhere, NO_PROXY="")
    result = cli("lock", str(realworld_image(tmp_path, "requirements/Stability-AI__generative-models__requirements__pt2.txt")),
                 env=env)
    assert result.returncode == 5 and "git: https://github.com/openai/CLIP.git cannot be reached" in result.stderr
    assert_no_traceback(result)


def test_detectron2_lists_every_offending_line(tmp_path, cli):
    result = cli("lock", str(realworld_image(tmp_path, "requirements/facebookresearch__detectron2__docs__requirements.txt")))
    assert "requirements.txt:17: 'git+https://github.com/facebookresearch/fvcore.git' is a VCS" in result.stderr
    assert "requirements.txt:18: 'https://download.pytorch.org/whl/cpu/torch-1.8.1%2Bcpu" in result.stderr
    assert "requirements.txt:19:" in result.stderr


@pytest.mark.network
@pytest.mark.parametrize("source, must_pin", [
    ("requirements/openai__whisper__requirements.txt", ["torch", "triton", "tiktoken", "numba"]),
    ("requirements/openai__whisper__pyproject.toml", ["torch", "tiktoken"]),
    ("requirements/EleutherAI__lm-evaluation-harness__pyproject.toml", ["datasets", "evaluate", "sacrebleu"]),
    ("trees-Lightning", ["torch", "fsspec", "aiohttp", "lightning-utilities"]),
    ("requirements/Lightning-AI__pytorch-lightning__requirements__pytorch__test.txt", ["coverage", "onnx", "pandas"]),
])
def test_real_inputs_lock_from_pypi(tmp_path, cli, source, must_pin):
    image = realworld_image(tmp_path, source)
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    text = (image / "locks" / "cpu.txt").read_text()
    for name in must_pin:
        assert f"\n{name}==" in text, name
    lock = read_lock(text, "cpu.txt")  # refuses any line not pinned with == and --hash
    assert len(lock.packages) >= len(must_pin) and all(p.hashes for p in lock.packages)


@pytest.mark.network
def test_a_source_only_package_that_cannot_build_is_named(tmp_path, cli):
    result = cli("lock", str(realworld_image(tmp_path, "requirements/facebookresearch__audiocraft__requirements.txt")))
    assert result.returncode == 3
    assert "av==11.0.0 has no wheel for this target and building it from source failed" in result.stderr
    assert_no_traceback(result)


@pytest.mark.network
def test_an_unreachable_extra_index_is_a_tool_error(tmp_path, cli):
    # dinov2 adds download.pytorch.org and pypi.nvidia.com; neither resolves from these machines.
    result = cli("lock", str(realworld_image(tmp_path, "requirements/facebookresearch__dinov2__requirements.txt")))
    assert result.returncode == 5
    assert "a package index could not be reached (https://download.pytorch.org/whl/cu117/" in result.stderr
    assert_no_traceback(result)
