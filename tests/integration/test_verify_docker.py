"""verify against a running container (mutated with docker exec) and an image, with only the image's own lock."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import assert_no_traceback

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SITE = "/opt/venv/lib/python3.11/site-packages"


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def kinds(report) -> list[tuple[str, str]]:
    return sorted((f["kind"], f["name"]) for f in report["findings"])


def test_an_image_verifies_clean_against_the_lock_it_carries(built_image, cli, tmp_path):
    image_dir, result = built_image
    plain = cli("verify", "--image", result["image"], "--files", "--json")
    report = json.loads(plain.stdout)
    assert plain.returncode == 0 and report["ok"] and report["targets"][0]["notes"]
    with_lock = cli("verify", str(image_dir), "--target", "cpu", "--image", result["image"])
    assert with_lock.returncode == 0 and "ok (5 locked packages match)" in with_lock.stdout


def test_drift_planted_in_a_running_container(container, cli):
    as_root = ["exec", "-u", "0", container]
    # The image has no pip (nothing installs at run time): uninstalled by hand, as pip would.
    docker(*as_root, "sh", "-c", f"rm -rf {SITE}/epsilon {SITE}/epsilon-1.0.dist-info")
    docker(*as_root, "sh", "-c", f"echo tampered >> {SITE}/gamma/data.txt && rm {SITE}/delta/__init__.py")
    docker(*as_root, "sed", "-i", "s/^Version: 1.1$/Version: 1.2/", f"{SITE}/beta-1.1.dist-info/METADATA")
    result = cli("verify", "--container", container, "--files", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    # Editing METADATA in place changes a file RECORD lists, so beta is both a version and a modified finding.
    assert kinds(report) == [("missing", "epsilon"), ("modified", "/opt/venv"), ("modified", "beta"),
                             ("modified", "delta"), ("modified", "gamma"), ("version", "beta")]
    assert_no_traceback(result)


def test_the_same_drift_in_an_image_committed_from_it(container, cli):
    docker("exec", "-u", "0", container, "sh", "-c", f"echo tampered >> {SITE}/alpha/data.txt")
    ref = f"envbuild-test/drifted:{container}"
    docker("commit", container, ref)
    try:
        result = cli("verify", "--image", ref, "--files", "--json")
        assert result.returncode == 1 and kinds(json.loads(result.stdout)) == [("modified", "alpha")]
        diff = cli("diff", ref, ref)
        assert diff.returncode == 0
        against = cli("diff", f"container:{container}", ref, "--json")  # a running container as an operand
        assert against.returncode == 0, against.stdout + against.stderr
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True)


def test_a_missing_container_is_unreachable_exit_5_while_the_image_is_still_verified(built_image, cli):
    _, result = built_image
    out = cli("verify", "--image", result["image"], "--container", "no-such-container-envbuild", "--json")
    report = json.loads(out.stdout)
    assert out.returncode == 5
    states = {t["target"]: (t["ok"], t["error"]) for t in report["targets"]}
    assert states[f"image {result['image']}"] == (True, None)
    assert "No such container" in states["container no-such-container-envbuild"][1]
