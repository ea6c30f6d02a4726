"""A pure-Python package that PyPI has only as an sdist is built into a wheel from its hash-checked
sdist on the host, then installed offline in the image like any other wheel."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import hermetic_env

pytestmark = [pytest.mark.docker, pytest.mark.network, pytest.mark.slow]


def test_sdist_only_pure_python_package(make_image, base_image, cli, tmp_path):
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    env.pop("PIP_CONFIG_FILE")
    image = make_image(f"""\
name: envbuild-test/sdist-only
python: "3.11"
exclude-newer: 2026-11-01
base: {base_image}
requirements: requirements.in
targets:
  cpu: {{}}
""", {"requirements.in": "antlr4-python3-runtime==4.9.3\n"})  # published as an sdist only
    locked = cli("lock", str(image), env=env)
    assert locked.returncode == 0, locked.stderr
    assert "has no wheel for linux/amd64: building one from its sdist" in locked.stderr  # at lock time
    pin = (image / "locks" / "cpu.txt").read_text().split("antlr4-python3-runtime==4.9.3")[1]
    assert pin.count("--hash=sha256:") == 2  # the sdist's and the wheel built from it
    built = cli("build", str(image), "--target", "cpu", "--json", "--no-cache", env=env)
    assert built.returncode == 0, built.stderr
    ref = json.loads(built.stdout)["image"]
    out = subprocess.run(["docker", "run", "--rm", "--network", "none", ref, "python", "-c",
                          "import antlr4, importlib.metadata as m; print(m.version('antlr4-python3-runtime'))"],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "4.9.3", out.stderr
    assert list((tmp_path / "cache" / "wheels" / "sha256").rglob("antlr4_python3_runtime-4.9.3-py3-none-any.whl"))
    # A second --no-cache build reuses the wheel built from the sdist (checked against the sha256
    # the lock records) and, the wheel being the same bytes, gives the same image ID.
    again = cli("build", str(image), "--target", "cpu", "--json", "--no-cache", env=env)
    assert again.returncode == 0 and "building one from its sdist" not in again.stderr, again.stderr
    assert json.loads(again.stdout)["id"] == json.loads(built.stdout)["id"]
    verify = cli("verify", "--image", ref, "--files")
    assert verify.returncode == 0, verify.stdout
