"""CUDA checks with planted mismatches: a fake driver under ENVBUILD_PROBE_ROOT, locks from the local index."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import assert_no_traceback, hermetic_env, kinds, pip

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def cuda_image(make_image, index, cli, *, cuda: str, requirement: str, name: str):
    image = make_image(f"""\
name: cuda-fixture
python: "{PY}"
exclude-newer: 2026-05-01
index: {index.url}
base: python:3.11-slim@sha256:{"ab" * 32}
requirements: requirements.in
targets:
  cuda:
    cuda: "{cuda}"
""", {"requirements.in": requirement + "\n"}, name=name)
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    return image, result


def fake_root(tmp_path, driver: str | None, model: str = "NVIDIA H100 80GB HBM3"):
    root = tmp_path / "root"
    gpus = root / "proc/driver/nvidia/gpus/0000:01:00.0"
    gpus.mkdir(parents=True)
    (gpus / "information").write_text(f"Model: \t\t {model}\n")
    if driver:
        (root / "proc/driver/nvidia/version").write_text(
            f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {driver}  Release Build\n")
    return root


@pytest.fixture
def cuda_venv(make_image, index, cli, tmp_path):
    image, _ = cuda_image(make_image, index, cli, cuda="12.8", requirement="nvidia-cuda-runtime-cu12", name="cu")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip(venv, "install", "--require-hashes", "--no-deps", "-r", str(image / "locks" / "cuda.txt"))
    return image, venv


def verify_gpu(cli, image, venv, root, *extra):
    result = cli("verify", str(image), "--target", "cuda", "--python", str(venv / "bin" / "python"), "--json", *extra,
                 env=hermetic_env(ENVBUILD_PROBE_ROOT=str(root)))
    assert_no_traceback(result)
    return result, json.loads(result.stdout)


def test_an_old_driver_is_a_gpu_finding(cli, cuda_venv, tmp_path):
    image, venv = cuda_venv
    result, report = verify_gpu(cli, image, venv, fake_root(tmp_path, "470.57.02"))
    assert result.returncode == 1 and kinds(report) == [("gpu", "driver")]
    assert report["findings"][0]["expected"] == ">= 525.60.13" and report["findings"][0]["actual"] == "470.57.02"


def test_a_driver_new_enough_is_clean_and_minor_version_compatibility_is_noted(cli, cuda_venv, tmp_path):
    image, venv = cuda_venv
    result, report = verify_gpu(cli, image, venv, fake_root(tmp_path, "535.104.05"), "--gpu")
    assert result.returncode == 0 and report["findings"] == []
    assert any("minor version compatibility" in n for n in report["targets"][0]["notes"])


def test_an_unsupported_gpu_is_a_gpu_finding(cli, cuda_venv, tmp_path):
    image, venv = cuda_venv
    result, report = verify_gpu(cli, image, venv, fake_root(tmp_path, "575.51.03", model="Tesla K80"))
    assert result.returncode == 1 and kinds(report) == [("gpu", "compute-capability")]


def test_no_driver_is_a_note_on_a_ci_runner_and_a_finding_with_gpu(cli, cuda_venv, tmp_path):
    image, venv = cuda_venv
    root = fake_root(tmp_path, None)
    ci, report = verify_gpu(cli, image, venv, root)
    assert ci.returncode == 0 and any("no NVIDIA driver here" in n for n in report["targets"][0]["notes"])
    server, report = verify_gpu(cli, image, venv, root, "--gpu")
    assert server.returncode == 1 and kinds(report) == [("gpu", "driver")]


def test_a_cu121_torch_on_a_cuda_11_8_base_is_refused_and_a_mismatch_warned(make_image, index, cli):
    image, locked = cuda_image(make_image, index, cli, cuda="11.8", requirement="torch==2.4.1+cu121", name="t118")
    assert "needs CUDA 12.1, newer than the target's CUDA 11.8" in locked.stderr  # said at lock time already
    refused = cli("render", str(image), "--target", "cuda")
    assert refused.returncode == 2 and "targets.cuda.cuda: torch 2.4.1+cu121 needs CUDA 12.1" in refused.stderr
    assert_no_traceback(refused)
    other, _ = cuda_image(make_image, index, cli, cuda="12.4", requirement="torch==2.4.1+cu121", name="t124")
    warned = cli("render", str(other), "--target", "cuda")
    assert warned.returncode == 0 and "the base declares CUDA 12.4 but the lock brings its own runtime" in warned.stderr
