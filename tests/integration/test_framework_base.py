"""A target built on an image that already holds its framework (an NGC PyTorch image, pytorch/pytorch),
with base-packages: inherit: the venv sees the base's torch, the lock takes the base's packages as
given (recorded, not installed), the base's PATH survives, the CUDA warning knows the base's CUDA,
and verify checks the base's packages too. The framework base here is a Debian base with a fake
torch in its site-packages (issue 33)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import hermetic_env
from tests.support.index import LocalIndex
from tests.support.wheels import WheelSpec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TORCH = "2.4.0a0+3bcc3cd.nv24.7"  # a local build no index has, as NGC's are
SITE = "/usr/local/lib/python3.11/dist-packages"


@pytest.fixture(scope="module")
def framework_base(base_image, tmp_path_factory):
    folder = tmp_path_factory.mktemp("framework")
    info = f"torch-{TORCH}.dist-info"
    (folder / "Dockerfile").write_text(f"""\
FROM {base_image}
RUN mkdir -p {SITE}/torch {SITE}/{info} /opt/framework/bin \\
 && echo '__version__ = "{TORCH}"' > {SITE}/torch/__init__.py \\
 && printf 'Metadata-Version: 2.1\\nName: torch\\nVersion: {TORCH}\\n' > {SITE}/{info}/METADATA \\
 && printf 'Wheel-Version: 1.0\\nRoot-Is-Purelib: false\\nTag: cp311-cp311-linux_x86_64\\n' > {SITE}/{info}/WHEEL \\
 && printf 'torch/__init__.py,,\\n{info}/METADATA,,\\n{info}/WHEEL,,\\n{info}/RECORD,,\\n' > {SITE}/{info}/RECORD \\
 && printf '#!/bin/sh\\necho framework tool\\n' > /opt/framework/bin/fwtool && chmod 755 /opt/framework/bin/fwtool
ENV PATH=/opt/framework/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin CUDA_VERSION=12.4.1
""")
    ref = "envbuild-test/framework:nv24.7"
    done = subprocess.run(["docker", "build", "-q", "-t", ref, str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return ref


@pytest.fixture
def vision_index(tmp_path):
    index = LocalIndex(tmp_path / "index", (WheelSpec("visionlike", "1.0", requires=("torch>=2.3",)),
                                            WheelSpec("torch", "2.5.1")))  # a torch the index would otherwise pick
    index.start()
    yield index
    index.stop()


def test_a_framework_base_s_torch_is_taken_as_given_and_verified(framework_base, vision_index, make_image, cli,
                                                                 tmp_path):
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    image = make_image(f"""\
name: envbuild-test/framework-app
python: "3.11"
exclude-newer: 2026-11-01
base: {framework_base}
base-packages: inherit
index: {vision_index.url}
requirements: requirements.in
targets:
  gpu:
    cuda: "12.4"
""", {"requirements.in": "visionlike\n"})
    locked = cli("lock", str(image), env=env)
    assert locked.returncode == 0, locked.stderr
    assert "will run on the CPU" not in locked.stderr  # the base's CUDA is known
    text = (image / "locks" / "gpu.txt").read_text()
    assert f"# base: torch=={TORCH}" in text and "\ntorch==" not in text and "visionlike==1.0" in text
    assert "# cuda-runtime: 12.4 (the base image envbuild-test/framework:nv24.7)" in text
    rendered = cli("render", str(image), "--target", "gpu", env=env)
    assert "-m venv --without-pip --system-site-packages /opt/venv" in rendered.stdout
    assert "PATH=/opt/venv/bin:/opt/framework/bin:/usr/local/sbin" in rendered.stdout
    built = cli("build", str(image), "--target", "gpu", "--json", env=env)
    assert built.returncode == 0, built.stderr
    ref = json.loads(built.stdout)["image"]
    ran = subprocess.run(["docker", "run", "--rm", "--network", "none", ref, "sh", "-c",
                          "fwtool && python -c 'import torch, visionlike; print(torch.__version__, torch.__file__)'"],
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["framework", "tool", TORCH, f"{SITE}/torch/__init__.py"]
    for files in ([], ["--files"]):
        clean = cli("verify", "--image", ref, "--json", *files, env=env)
        report = json.loads(clean.stdout)
        assert clean.returncode == 0 and report["findings"] == [], clean.stdout
    # the lock's view holds the base's torch: a torch of another version on the other side is drift
    other = tmp_path / "snapshot.json"
    assert cli("snapshot", "--image", ref, "-o", str(other), env=env).returncode == 0
    data = json.loads(other.read_text())
    for dist in data["distributions"]:
        if dist["name"] == "torch":
            dist["version"] = "2.5.1"
    other.write_text(json.dumps(data))
    drift = cli("diff", str(image / "locks" / "gpu.txt"), str(other), "--json", env=env)
    assert drift.returncode == 1 and ("version", "torch") in {(f["kind"], f["name"])
                                                             for f in json.loads(drift.stdout)["findings"]}


def test_the_base_s_python_must_be_the_spec_s(framework_base, vision_index, make_image, cli, tmp_path):
    image = make_image(f'name: a/b\npython: "3.12"\nbase: {framework_base}\nbase-packages: inherit\n'
                       f"index: {vision_index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                       {"requirements.in": "visionlike\n"})
    done = cli("lock", str(image), env=hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache")))
    assert done.returncode == 2 and "runs Python 3.11" in done.stderr, done.stderr
    assert sys.version_info >= (3, 10)
