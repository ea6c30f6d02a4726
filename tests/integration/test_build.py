"""envbuild build on a real Docker engine, from the local index: hermetic apart from the engine."""

from __future__ import annotations

import io
import re
import json
import shutil
import socket
import subprocess
import tarfile

import pytest

from tests.conftest import BUILD_SECRET, assert_no_traceback, resign_lock

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SECRET = BUILD_SECRET


@pytest.fixture(scope="module")
def env(built_image_env):
    return built_image_env


@pytest.fixture(scope="module")
def built(built_image):
    return built_image


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def test_image_runs_as_non_root_imports_its_packages_and_carries_lock_and_labels(built, engine):
    image, result = built
    assert result["built"] is True and result["image"].startswith("envbuild-test/fixture:cpu-")
    out = docker("run", "--rm", "--network", "none", result["image"], "python", "-c",
                 "import os, alpha, epsilon, sys; print(os.getuid(), alpha.__version__, epsilon.__version__, sys.prefix)")
    assert out.split() == ["10001", "2.0", "1.0", "/opt/venv"]
    assert docker("run", "--rm", result["image"], "cat", "/etc/envbuild/lock.txt") == \
        (image / "locks" / "cpu.txt").read_text()
    meta = json.loads(docker("run", "--rm", result["image"], "cat", "/etc/envbuild/image.json"))
    assert meta["target"] == "cpu" and meta["venv"] == "/opt/venv"
    labels = engine.inspect(result["id"]).labels
    assert labels["dev.envbuild.target"] == "cpu" and labels["org.opencontainers.image.created"] == "2026-05-01T00:00:00Z"
    assert labels["dev.envbuild.lock.sha256"] == meta["lock_sha256"]
    assert labels["org.opencontainers.image.base.name"] == "envbuild/base:bookworm"


def test_the_embedded_sbom_is_valid_and_what_sbom_and_build_give_back(built, env, cli, tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    image, result = built
    embedded = docker("run", "--rm", "--network", "none", result["image"], "cat", "/etc/envbuild/sbom.cdx.json")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(embedded) is None
    assert cli("sbom", "--image", result["image"], env=env).stdout == embedded  # derived back from what it carries
    assert cli("sbom", str(image), "--target", "cpu", env=env).stdout == embedded
    written = cli("build", str(image), "--target", "cpu", "--sbom", str(tmp_path / "s.json"), "--provenance",
                  str(tmp_path / "p.json"), env=env)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "s.json").read_text() == embedded
    statement = json.loads((tmp_path / "p.json").read_text())
    assert statement["subject"][0]["digest"]["sha256"] == result["id"].split(":", 1)[1]
    assert SECRET not in embedded and SECRET not in (tmp_path / "p.json").read_text()


def test_a_second_build_is_a_no_op(built, env, cli):
    image, first = built
    again = cli("build", str(image), "--target", "cpu", "--json", env=env)
    second = json.loads(again.stdout)
    assert second["built"] is False and second["id"] == first["id"]
    assert "is up to date: same inputs, nothing to build" in again.stderr
    # no build ran (no builder was even looked for), no wheel was fetched
    assert not re.search(r"^(building |sent the build context|\[)", again.stderr, re.MULTILINE), again.stderr
    assert "downloading" not in again.stderr and second["builder"] is None


def test_two_no_cache_builds_give_the_same_image_id(built, env, cli):
    image, first = built
    ids = []
    for _ in range(2):
        result = cli("build", str(image), "--target", "cpu", "--no-cache", "--json", env=env)
        assert result.returncode == 0, result.stderr
        ids.append(json.loads(result.stdout)["id"])
    assert ids == [first["id"], first["id"]]


def test_no_build_time_host_name_or_credential_anywhere_in_the_image(built):
    _, result = built
    inspect = docker("image", "inspect", result["id"])
    history = docker("history", "--no-trunc", "--format", "{{.CreatedAt}} {{.CreatedBy}}", result["id"])
    host = socket.gethostname()
    # What the engine keeps beside the image on this machine (its storage paths: random names in which a
    # short host name like "vm" turns up by chance) is not the image's: only the rest is searched.
    carried = {k: v for k, v in json.loads(inspect)[0].items() if k not in ("GraphDriver", "Metadata")}
    for text in (json.dumps(carried), history):
        assert SECRET not in text and "robot" not in text
        assert host not in text
    config = json.loads(inspect)[0]
    assert config["Created"] == "2026-05-01T00:00:00Z" and not config.get("Container")
    assert set(line.split()[0] for line in history.splitlines()) == {"2026-05-01T00:00:00Z"}
    # Every file of every layer: the credential must not be in the image at all.
    saved = subprocess.run(["docker", "save", result["id"]], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as outer:
        for member in outer.getmembers():
            if member.name.endswith("layer.tar"):
                data = outer.extractfile(member).read()
                assert SECRET.encode() not in data, member.name


def test_a_stale_lock_is_refused(built, env, cli, tmp_path):
    image, _ = built
    copy = tmp_path / "img"
    shutil.copytree(image, copy)
    (copy / "requirements.in").write_text("alpha\n")
    result = cli("build", str(copy), "--target", "cpu", env=env)
    assert result.returncode == 1 and "is stale" in result.stderr and "envbuild lock" in result.stderr


def test_a_tampered_wheel_in_the_cache_stops_the_build_naming_the_package(built, env, cli, tmp_path, index):
    image, _ = built
    cache = tmp_path / "cache"
    shutil.copytree(env["ENVBUILD_CACHE"], cache)
    wheel = next(cache.rglob("alpha-2.0-py3-none-any.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    result = cli("build", str(image), "--target", "cpu", "--no-cache", env=dict(env, ENVBUILD_CACHE=str(cache)))
    assert result.returncode == 4
    assert "alpha 2.0: the cached file alpha-2.0-py3-none-any.whl does not match its sha256" in result.stderr
    assert_no_traceback(result)


def test_a_changed_hash_in_the_lock_stops_the_build_naming_the_package(built, env, cli, tmp_path, index):
    image, _ = built
    copy = tmp_path / "img"
    shutil.copytree(image, copy)
    lock = copy / "locks" / "cpu.txt"
    real = index.sha256("beta-1.1-py3-none-any.whl")
    lock.write_text(resign_lock(lock.read_text().replace(real, "0" * 64)))  # as if the index had changed
    result = cli("build", str(copy), "--target", "cpu", env=env)
    assert result.returncode == 4, result.stderr
    assert "do not match the lock's hashes: beta 1.1" in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize("builder", ["buildkit", pytest.param("classic", marks=pytest.mark.classic)])
def test_a_failing_step_shows_the_step_and_its_output(built, env, cli, tmp_path, builder):
    image, _ = built
    copy = tmp_path / "img"
    shutil.copytree(image, copy)
    (copy / "tpl").mkdir()
    (copy / "tpl" / "cpu.Dockerfile.j2").write_text(
        '{%- extends "base.Dockerfile.j2" -%}\n'
        "{% block builder_extra_install %} && printf '\\033[31mred-marker\\033[0m\\n' && echo boom-marker-from-step"
        " && exit 3 \\\n{% endblock %}\n")
    result = cli("build", str(copy), "--target", "cpu", "--templates", str(copy / "tpl"), "--builder", builder, env=env)
    assert result.returncode == 4
    # The block runs in the metadata stage, after the whole environment's check.
    if builder == "classic":
        assert re.search(r"build failed at step \d+/\d+ \(RUN uv pip check", result.stderr), result.stderr
        assert "returned a non-zero code: 3" in result.stderr
    else:
        assert re.search(r"build failed at \[metadata \d+/\d+\] RUN --mount=type=bind,source=envbuild,\S+ uv pip check",
                         result.stderr), result.stderr
        assert re.search(r"^  executor failed running .*: exit code: 3$", result.stderr, re.MULTILINE), result.stderr
    assert "boom-marker-from-step" in result.stderr
    # the step's colour codes and the daemon's chatter are stripped; the step's words stay
    # (printable() would show a code left in as '\x1b[31m': stripped, the line is the step's text)
    assert re.search(r"^  red-marker$", result.stderr, re.MULTILINE) and "\\x1b" not in result.stderr, result.stderr
    assert "Removing intermediate container" not in result.stderr and " ---> " not in result.stderr
    assert_no_traceback(result)
