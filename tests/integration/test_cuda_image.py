"""A CUDA image built here the pip way — the CUDA runtime as an nvidia-* wheel from PyPI on the local
Debian base — then verified clean against the lock it carries (no GPU here: a note, not drift)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import hermetic_env

pytestmark = [pytest.mark.docker, pytest.mark.network, pytest.mark.slow]


def test_pip_cuda_image_builds_and_verifies_clean(make_image, base_image, cli, tmp_path):
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    env.pop("PIP_CONFIG_FILE")  # real PyPI with this machine's certificates
    image = make_image(f"""\
name: envbuild-test/cuda-runtime
python: "3.11"
exclude-newer: 2026-11-01
base: {base_image}
requirements: requirements.in
targets:
  cuda:
    cuda: "12.8"
""", {"requirements.in": "nvidia-cuda-runtime-cu12==12.8.*\n"})
    locked = cli("lock", str(image), env=env)
    assert locked.returncode == 0, locked.stderr
    built = cli("build", str(image), "--target", "cuda", "--json", env=env)
    assert built.returncode == 0, built.stderr
    ref = json.loads(built.stdout)["image"]
    result = cli("verify", "--image", ref, "--files", "--json", env=env)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["findings"] == []
    assert any("no NVIDIA driver here" in n for n in report["targets"][0]["notes"])
    server = cli("verify", "--image", ref, "--gpu", "--json", env=env)
    assert server.returncode == 1 and [f["kind"] for f in json.loads(server.stdout)["findings"]] == ["gpu"]
    inspect = cli("render", str(image), "--target", "cuda", env=env).stdout
    assert "NVIDIA_VISIBLE_DEVICES=all" in inspect and 'NVIDIA_REQUIRE_CUDA="cuda>=12.8"' in inspect
