"""A real set from PyPI with both resolvers, installed with plain pip --require-hashes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import hermetic_env

pytestmark = pytest.mark.network

# Small on purpose: pip-compile downloads every file of every pinned version to hash it.
REQUIREMENTS = "attrs\nsix>=1.16\nidna\npackaging ; python_version >= '3.8'\n"


@pytest.mark.parametrize("resolver", ["uv", "pip-tools"])
def test_lock_from_pypi_and_install_with_require_hashes(make_image, cli, tmp_path, resolver):
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    image = make_image(f'name: real\npython: "{python}"\nexclude-newer: 2026-10-01\n'
                       "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": REQUIREMENTS})
    result = cli("lock", str(image), "--resolver", resolver)
    assert result.returncode == 0, result.stderr
    lock = image / "locks" / "cpu.txt"
    text = lock.read_text()
    for name in ("attrs", "six", "idna", "packaging"):
        assert f"\n{name}==" in text
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = hermetic_env()
    env.pop("PIP_CONFIG_FILE")  # the real pip of a real user, with this machine's certificates
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--require-hashes", "--no-deps", "-r", str(lock)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    frozen = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    pins = {line.split("==")[0].lower(): line.split("==")[1] for line in frozen.split() if "==" in line}
    for line in text.splitlines():
        if "==" in line:
            name, version = line.split(" ")[0].split("==")
            assert pins.get(name) == version


def test_both_resolvers_agree_on_this_set(make_image, cli):
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    texts = []
    for resolver in ("uv", "pip-tools"):
        image = make_image(f'name: real\npython: "{python}"\nexclude-newer: 2026-10-01\n'
                           "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": REQUIREMENTS},
                           name=resolver)
        assert cli("lock", str(image), "--resolver", resolver).returncode == 0
        texts.append((image / "locks" / "cpu.txt").read_text().split("\n\n", 1)[1])
    assert texts[0] == texts[1]
