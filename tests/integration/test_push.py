"""envbuild build --push against a real registry (Debian's docker-registry) on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail("docker-registry is not installed (scripts/setup-docker.sh installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = tmp_path_factory.mktemp("registry")
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_push_reports_the_digest_the_registry_serves(registry, make_image, index, base_image, cli, tmp_path):
    from tests.conftest import hermetic_env

    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    image = make_image(f"""\
name: {registry}/envbuild-test/pushed
python: "3.11"
exclude-newer: 2026-05-01
index: {index.url}
base: {base_image}
requirements: requirements.in
targets:
  cpu: {{}}
""", {"requirements.in": "beta\n"})
    assert cli("lock", str(image), env=env).returncode == 0
    result = cli("build", str(image), "--target", "cpu", "--push", "--json", env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["image"].startswith(f"{registry}/envbuild-test/pushed:cpu-") and out["repo_digest"].startswith("sha256:")
    tag = out["image"].rsplit(":", 1)[1]
    request = urllib.request.Request(f"http://{registry}/v2/envbuild-test/pushed/manifests/{tag}",
                                     headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Docker-Content-Digest"] == out["repo_digest"]
        manifest = json.load(response)
    assert manifest["config"]["digest"] == out["id"]  # the pushed config is the reproducible one
