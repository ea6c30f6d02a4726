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
    # what a record of a run in this image names it by (issue 34): the engine's registry digest of the push
    from envbuild.adapters.places import Place, engine_record

    assert engine_record(Place(kind="image", name=out["image"]), 60)["repo_digests"] == [
        f"{registry}/envbuild-test/pushed@{out['repo_digest']}"]
    # the provenance and the SBOM are attached: this registry has no referrers API, so by cosign's tag scheme
    hexdigest = out["repo_digest"].split(":", 1)[1]
    assert len(out["attached"]) == 4  # each by digest, and by its fallback tag
    for suffix, kind in (("att", "application/vnd.in-toto+json"), ("sbom", "application/vnd.cyclonedx+json")):
        assert f"{registry}/envbuild-test/pushed:sha256-{hexdigest}.{suffix}" in out["attached"]
        request = urllib.request.Request(f"http://{registry}/v2/envbuild-test/pushed/manifests/sha256-{hexdigest}.{suffix}",
                                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            artifact = json.load(response)
        assert artifact["artifactType"] == kind and artifact["subject"]["digest"] == out["repo_digest"]
        layer = artifact["layers"][0]["digest"]
        with urllib.request.urlopen(f"http://{registry}/v2/envbuild-test/pushed/blobs/{layer}", timeout=10) as response:
            document = json.load(response)
        if suffix == "att":
            assert document["predicateType"] == "https://slsa.dev/provenance/v1"
            assert {"sha256": out["id"].split(":", 1)[1]} in [s["digest"] for s in document["subject"]]
        else:
            assert document["bomFormat"] == "CycloneDX"


def test_verify_of_an_image_that_is_not_here_says_so_and_never_pulls(registry, base_image, cli):
    """The image is in the registry, not in the engine: verify must not fetch it."""
    ref = f"{registry}/envbuild-test/absent:1"
    subprocess.run(["docker", "tag", base_image, ref], check=True)
    subprocess.run(["docker", "push", ref], check=True, capture_output=True)
    subprocess.run(["docker", "rmi", ref], check=True, capture_output=True)
    result = cli("verify", "--image", ref)
    assert result.returncode == 5, result.stderr
    assert f"no image {ref} here (envbuild never pulls: 'docker pull {ref}' first)" in result.stdout, result.stdout
    still = subprocess.run(["docker", "image", "inspect", ref], capture_output=True)
    assert still.returncode != 0, "verify pulled the image"
