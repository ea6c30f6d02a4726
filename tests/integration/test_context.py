"""envbuild context: the hermetic build context of a target, built by other builders — the plain
docker CLI and Debian's podman — with no network; the docker-built image verifies clean file by file.
And build and verify reach the engine the docker CLI would (DOCKER_HOST, the docker context)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import BUILD_SECRET, assert_no_traceback, hermetic_env

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def exported(built_image, built_image_env, tmp_path_factory):
    image, build = built_image
    out = tmp_path_factory.mktemp("context") / "ctx"
    from tests.conftest import run_cli

    done = run_cli("context", str(image), "-o", str(out), "--json", env=built_image_env)
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout), build


def test_the_context_is_complete_hermetic_and_free_of_the_index_credential(exported):
    out, answer, build = exported
    assert answer["image"] == build["image"] and answer["context"] == str(out)
    assert (out / "Dockerfile").is_file() and (out / "envbuild" / "lock.txt").is_file()
    wheels = sorted(p.name for p in out.rglob("*.whl"))
    assert any(w.startswith("alpha-") for w in wheels) and any(w.startswith("epsilon-") for w in wheels)
    for path in out.rglob("*"):
        if path.is_file():
            assert BUILD_SECRET.encode() not in path.read_bytes(), path
            assert path.stat().st_nlink == 1, f"{path} shares its inode with the cache"
    assert answer["commands"]["podman"] == f"podman build -f {out}/Dockerfile.buildkit -t {build['image']} {out}"
    assert answer["commands"]["docker"] == f"docker build -t {build['image']} {out}"  # the portable Dockerfile


# (the client, DOCKER_BUILDKIT, the Dockerfile): the classic builder, and BuildKit on either Dockerfile
DOCKER_BUILDS = {
    "classic": ("docker", "0", "Dockerfile"),
    "buildkit": ("/usr/bin/docker", "1", "Dockerfile"),
    "buildkit-binds": ("/usr/bin/docker", "1", "Dockerfile.buildkit"),
}


@pytest.mark.parametrize("how", [pytest.param("classic", marks=pytest.mark.classic), "buildkit", "buildkit-binds"])
def test_the_docker_cli_builds_it_with_no_network_and_the_image_verifies_with_files(exported, cli, how):
    out, _answer, build = exported
    client, buildkit, dockerfile = DOCKER_BUILDS[how]
    tag = f"envbuild-test/context:{how}"
    done = subprocess.run([client, "build", "--network", "none", "-q", "-f", str(out / dockerfile), "-t", tag, str(out)],
                          capture_output=True, text=True, timeout=900, env=hermetic_env(DOCKER_BUILDKIT=buildkit))
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        labels = json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
                                           capture_output=True, text=True, check=True).stdout)
        built_labels = json.loads(subprocess.run(["docker", "image", "inspect", "--format",
                                                  "{{json .Config.Labels}}", build["image"]],
                                                 capture_output=True, text=True, check=True).stdout)
        assert labels == built_labels  # the same lineage: lock, inputs digest, revision
        # and the same layers, byte for byte, as envbuild's own build (BuildKit adds an empty one for WORKDIR)
        assert layers(tag)[:len(layers(build["image"]))] == layers(build["image"])
        verified = cli("verify", "--image", tag, "--files", "--json")
        assert_no_traceback(verified)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["findings"] == []
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def layers(ref: str) -> list[str]:
    return json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}", ref],
                                     capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.buildkit"])
def test_podman_builds_it_too(exported, base_image, dockerfile):
    if shutil.which("podman") is None:
        pytest.fail("podman is needed (scripts/setup-docker.sh installs it)")
    out, _answer, build = exported
    # The base, under the tag the Dockerfile names it by (envbuild points it at the base's ID).
    pinned = (out / dockerfile).read_text().split("\nFROM ", 1)[1].split()[0]
    assert ":envbuild-pin-" in pinned
    load = subprocess.run(f"docker save {pinned} | podman load -q", shell=True, capture_output=True, text=True,
                          timeout=600)
    assert load.returncode == 0, load.stderr
    tag = "localhost/envbuild-test/context:podman"
    done = subprocess.run(["podman", "build", "--network", "none", "-q", "-f", str(out / dockerfile), "-t", tag,
                           str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        labels = json.loads(subprocess.run(["podman", "image", "inspect", "--format", "{{json .Labels}}", tag],
                                           capture_output=True, text=True, check=True).stdout)
        assert labels["dev.envbuild.lock.sha256"] == build_label(build["image"], "dev.envbuild.lock.sha256")
    finally:
        subprocess.run(["podman", "rmi", "-f", tag], capture_output=True)


def build_label(ref: str, key: str) -> str:
    return json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
                                     capture_output=True, text=True, check=True).stdout)[key]


def test_a_non_empty_output_is_refused(built_image, built_image_env, cli, tmp_path):
    (tmp_path / "keep.txt").write_text("mine\n")
    done = cli("context", str(built_image[0]), "-o", str(tmp_path), env=built_image_env)
    assert done.returncode == 2 and "is not an empty directory" in done.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine\n"


def test_build_and_verify_follow_the_docker_context_as_the_cli_does(built_image, built_image_env, cli, tmp_path):
    config = tmp_path / "docker-config"
    config.mkdir()
    env = hermetic_env(DOCKER_CONFIG=str(config), ENVBUILD_CACHE=built_image_env["ENVBUILD_CACHE"],
                       ENVBUILD_DOCKER_TIMEOUT="5")
    env.pop("DOCKER_HOST", None)
    created = subprocess.run(["docker", "context", "create", "nowhere", "--docker",
                              f"host=unix://{tmp_path}/nowhere.sock"], env=env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    nowhere = dict(env, DOCKER_CONTEXT="nowhere")
    built = cli("build", str(built_image[0]), "--target", "cpu", env=nowhere)
    assert built.returncode == 5 and f"unix://{tmp_path}/nowhere.sock" in built.stderr, built.stderr
    verified = cli("verify", "--image", built_image[1]["image"], env=nowhere)
    assert verified.returncode == 5  # the docker CLI, told the same, reaches the same (absent) engine
    again = cli("build", str(built_image[0]), "--target", "cpu", env=env)  # the default context: the engine
    assert again.returncode == 0 and "up to date" in again.stdout + again.stderr, again.stderr
