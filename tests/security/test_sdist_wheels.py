"""Wheels built from sdists are locked by their sha256 at lock time: no file in the cache vouches
for another, so planting a wheel (and a '.sha256' beside it) gets nothing into an image."""

from __future__ import annotations

import hashlib
import sys
import zipfile

import pytest

from tests.conftest import hermetic_env, pip, resign_lock, run_cli

pytestmark = pytest.mark.security


@pytest.fixture
def sdist_lock(make_image, index, tmp_path):
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    image = make_image(f'name: a/b\npython: "{python}"\nexclude-newer: 2026-05-01\nindex: {index.url}\n'
                       "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": "sigma\nbeta\n"})
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    result = run_cli("lock", str(image), env=env)
    assert result.returncode == 0, result.stderr
    assert "sigma 1.0 has no wheel for linux/amd64: building one from its sdist" in result.stderr
    return image, env, tmp_path / "cache" / "wheels"


def locked_pins(image):
    from envbuild.core.lock import read_lock

    return {p.name: p for p in read_lock((image / "locks" / "cpu.txt").read_text(), "cpu.txt").packages}


def fetch(cache, pins, index):
    """What build does: the locked files for the target, from the cache or the index."""
    from envbuild.adapters.index.wheelhouse import Wheelhouse

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Wheelhouse(cache=cache, environ=hermetic_env(), epoch=1777593600).fetch(  # exclude-newer 2026-05-01
        list(pins), python=python, platform="linux/amd64", index_url=index.url, extra_index_urls=[],
        progress=lambda _l: None)


def test_the_built_wheel_is_pinned_in_the_lock_and_plain_pip_still_installs_it(sdist_lock, index, tmp_path):
    image, env, cache = sdist_lock
    sigma = locked_pins(image)["sigma"]
    sdist_sha = index.sha256("sigma-1.0.tar.gz")
    assert len(sigma.hashes) == 2 and f"sha256:{sdist_sha}" in sigma.hashes
    [built] = [h.split(":")[1] for h in sigma.hashes if h != f"sha256:{sdist_sha}"]
    [wheel] = (cache / "sha256" / built[:2] / built).glob("*.whl")
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == built
    venv = tmp_path / "venv"
    import subprocess

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip(venv, "install", "--require-hashes", "--no-deps", "-r", str(image / "locks" / "cpu.txt"))
    clean = run_cli("verify", str(image), "--python", str(venv / "bin" / "python"), "--files", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    relock = run_cli("lock", str(image), env=env)
    assert relock.returncode == 0 and "building one from its sdist" not in relock.stderr  # kept from the lock


def test_a_planted_wheel_and_sha256_file_are_never_used(sdist_lock, index, tmp_path):
    image, _env, cache = sdist_lock
    pins = locked_pins(image)
    sdist_sha = index.sha256("sigma-1.0.tar.gz")
    evil = tmp_path / "sigma-1.0-py3-none-any.whl"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("sigma/__init__.py", "import os; os.system('touch /tmp/pwned')\n")
    planted = cache / "built" / sdist_sha  # where envbuild used to look, trusting the .sha256 beside it
    planted.mkdir(parents=True)
    (planted / evil.name).write_bytes(evil.read_bytes())
    (planted / (evil.name + ".sha256")).write_text(hashlib.sha256(evil.read_bytes()).hexdigest() + "\n")
    [wheel] = fetch(cache, [pins["sigma"]], index)
    assert f"sha256:{wheel.sha256}" in pins["sigma"].hashes and wheel.path.read_bytes() != evil.read_bytes()
    # The same bytes planted under the locked wheel's own hash are caught by that hash.
    wheel.path.write_bytes(evil.read_bytes())
    from envbuild.errors import BuildError

    with pytest.raises(BuildError, match="does not match its sha256"):
        fetch(cache, [pins["sigma"]], index)


def test_a_built_wheel_that_is_not_the_locked_one_stops_the_build(sdist_lock, index, tmp_path):
    image, _env, _cache = sdist_lock
    lock = image / "locks" / "cpu.txt"
    sdist_sha = index.sha256("sigma-1.0.tar.gz")
    [built] = [h for h in locked_pins(image)["sigma"].hashes if h != f"sha256:{sdist_sha}"]
    lock.write_text(resign_lock(lock.read_text().replace(built, "sha256:" + "0" * 64)))
    from envbuild.errors import BuildError

    with pytest.raises(BuildError, match="which the lock does not list"):
        fetch(tmp_path / "empty-cache", [locked_pins(image)["sigma"]], index)
