"""The builders on a real engine: BuildKit (Debian's 20.10 client, BuildKit built in) and the classic
fallback give one image ID for one plan, say which built it, and build a spec with files: and no
project: with --no-cache (it failed every time under the classic builder); a buildx builder named
by the user reaches buildx."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def build(cli, image: Path, env, *flags: str) -> dict:
    result = cli("build", str(image), "--target", "cpu", "--json", *flags, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_traceback(result)
    return json.loads(result.stdout)


@pytest.mark.classic
def test_buildkit_and_the_classic_builder_give_one_image_id_and_say_which_built_it(built_image, built_image_env, cli):
    image, first = built_image  # built by auto: BuildKit here
    assert first["builder"].startswith("buildkit (")  # buildx, or a client with BuildKit built in
    again = build(cli, image, built_image_env, "--no-cache", "--builder", "buildkit")
    classic = build(cli, image, built_image_env, "--no-cache", "--builder", "classic")
    assert again["id"] == classic["id"] == first["id"]  # reproducible under each, and the same across them
    assert again["image"] == classic["image"] == first["image"]  # the tag does not depend on the builder
    assert classic["builder"] == "classic" and again["builder"].startswith("buildkit")
    assert [layer["diff_id"] for layer in again["layers"]] == [layer["diff_id"] for layer in classic["layers"]]
    assert build(cli, image, built_image_env)["builder"] is None  # up to date: nothing built
    verified = cli("verify", "--image", first["image"], "--files", "--json", env=built_image_env)
    assert verified.returncode == 0 and json.loads(verified.stdout)["findings"] == [], verified.stdout


@pytest.fixture(scope="module")
def files_only(tmp_path_factory, index, base_image, built_image_env):
    """A training image's settings files and no project: the spec of the issue."""
    from tests.conftest import run_cli

    image = tmp_path_factory.mktemp("files-only") / "img"
    (image / "conf").mkdir(parents=True)
    (image / "conf" / "train.yaml").write_text("lr: 0.1\nepochs: 3\n")
    (image / "requirements.in").write_text("alpha\n")
    (image / "envbuild.yaml").write_text(f"""\
name: envbuild-test/files-only
python: "3.11"
exclude-newer: 2026-05-01
index: {index.url}
base: {base_image}
requirements: requirements.in
files:
  - {{src: conf/, dst: /app/conf/}}
targets:
  cpu: {{}}
""")
    assert run_cli("lock", str(image), env=built_image_env).returncode == 0
    return image


@pytest.mark.parametrize("builder", ["buildkit", pytest.param("classic", marks=pytest.mark.classic)])
def test_a_spec_with_files_and_no_project_builds_with_no_cache(files_only, built_image_env, cli, builder):
    ids = {build(cli, files_only, built_image_env, "--no-cache", "--builder", builder)["id"] for _ in range(2)}
    assert len(ids) == 1
    (image_id,) = ids
    shown = subprocess.run(["docker", "run", "--rm", "--network", "none", image_id, "cat", "/app/conf/train.yaml"],
                           capture_output=True, text=True, timeout=120)
    assert shown.stdout == "lr: 0.1\nepochs: 3\n", shown.stderr
    verified = cli("verify", "--image", image_id, "--files", "--json", env=built_image_env)
    assert verified.returncode == 0 and json.loads(verified.stdout)["findings"] == [], verified.stdout


SHIM = """#!/bin/sh
# A docker client with a buildx plugin, as far as envbuild can tell: it writes down what reaches
# `buildx build`, then builds with Debian's client (BuildKit built in) as buildx's docker driver would.
if [ "$1 $2" = "buildx version" ]; then echo "github.com/docker/buildx v0.19.3 shim"; exit 0; fi
if [ "$1 $2" = "buildx build" ]; then
  echo "$* BUILDX_BUILDER=${BUILDX_BUILDER:-}" >> "$SHIM_LOG"
  shift 2
  set -- $(echo "$*" | sed -e 's/--load//' -e 's/--builder [^ ]*//')
  DOCKER_BUILDKIT=1 exec /usr/bin/docker build "$@"
fi
exec /usr/bin/docker "$@"
"""


def test_a_buildx_builder_named_by_the_user_reaches_buildx(built_image, built_image_env, cli, tmp_path):
    image, first = built_image
    shim, log = tmp_path / "docker", tmp_path / "argv"
    shim.write_text(SHIM)
    shim.chmod(0o755)
    env = dict(built_image_env, ENVBUILD_DOCKER=str(shim), SHIM_LOG=str(log))
    named = build(cli, image, env, "--no-cache", "--builder", "remote-pool")
    assert named["builder"] == "buildkit (docker buildx, builder remote-pool)" and named["id"] == first["id"]
    chosen_by_buildx = build(cli, image, dict(env, BUILDX_BUILDER="k8s-pool"), "--no-cache")
    assert chosen_by_buildx["builder"] == "buildkit (docker buildx)"
    calls = log.read_text().splitlines()
    assert len(calls) == 2
    assert calls[0].startswith("buildx build --load --builder remote-pool --progress plain --iidfile ")
    assert calls[1].startswith("buildx build --load --progress plain") and calls[1].endswith("BUILDX_BUILDER=k8s-pool")


def test_asking_for_buildkit_where_no_client_has_it_is_exit_5_with_a_hint(built_image, built_image_env, cli, tmp_path):
    image, _ = built_image
    old = tmp_path / "docker"
    old.write_text("#!/bin/sh\n[ \"$1\" = version ] && echo 28.2.2 && exit 0\nexit 1\n")
    old.chmod(0o755)
    result = cli("build", str(image), "--target", "cpu", "--no-cache", "--builder", "buildkit",
                 env=dict(built_image_env, ENVBUILD_DOCKER=str(old)))
    assert result.returncode == 5, result.stderr
    assert f"no docker client here can run BuildKit ({old} 28.2.2: no buildx plugin)" in result.stderr
    assert "hint: install the docker-buildx plugin" in result.stderr
    assert_no_traceback(result)
    fallback = cli("build", str(image), "--target", "cpu", "--no-cache", "--json",
                   env=dict(built_image_env, ENVBUILD_DOCKER=str(old)))
    assert fallback.returncode == 0 and json.loads(fallback.stdout)["builder"] == "classic"
    assert "note: building with the classic builder (no BuildKit:" in fallback.stderr


def test_the_default_builder_here_is_buildkit(built_image):
    """CI must exercise BuildKit: Debian's docker.io client is installed by scripts/setup-docker.sh."""
    assert os.access("/usr/bin/docker", os.X_OK)
    assert built_image[1]["builder"].startswith("buildkit")


def test_a_rebuild_sends_only_what_changed_to_buildkit(built_image, built_image_env, cli):
    """The context is at one path per target and the cache's files keep their mtimes, so BuildKit
    sends what changed since the last build, not every wheel again."""
    import re

    image, _ = built_image
    sizes = []
    for _ in range(2):
        result = cli("build", str(image), "--target", "cpu", "--no-cache", env=built_image_env)
        assert result.returncode == 0, result.stderr
        sizes.append(float(re.search(r"^sent the build context \(([\d.]+) MB\)", result.stderr, re.MULTILINE)[1]))
    assert sizes[1] <= 0.1, sizes  # all of it is over 20 MB (uv's wheel, the installer)
