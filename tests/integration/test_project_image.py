"""A training image on a real engine: the project inside, its entry point and settings, run with no
network as the non-root user, then verified with --files (the project expected, not unexpected)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import run_cli
from tests.support.project import make_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_the_project_trains_in_its_image_and_the_image_verifies(make_image, index, base_image, tmp_path):
    directory = make_image(f"name: envbuild-test/tinytrain\npython: \"3.11\"\nexclude-newer: 2026-05-01\n"
                           f"base: {base_image}\nindex: {index.url}\nrequirements: [proj/pyproject.toml]\n"
                           "project: proj\nentrypoint: [train]\ncmd: [--epochs, \"3\"]\nworkdir: /workspace\n"
                           "env: {SEED: \"7\"}\nfiles: [{src: settings.json, dst: /etc/tinytrain/settings.json}]\n"
                           "targets:\n  cpu: {}\n", {"settings.json": '{"epochs": 3}\n'})
    make_project(directory / "proj")
    for argv in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", *argv], cwd=directory, check=True)
    assert run_cli("lock", str(directory)).returncode == 0
    subprocess.run(["git", "add", "-A"], cwd=directory, check=True)
    subprocess.run(["git", "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "lock"], cwd=directory, check=True)
    built = run_cli("build", str(directory), "--target", "cpu", "--json")
    assert built.returncode == 0, built.stderr
    image = json.loads(built.stdout)["image"]
    ran = subprocess.run(["docker", "run", "--rm", "--network", "none", image, "--seed-ignored"], capture_output=True,
                         text=True)
    assert ran.returncode == 0 and "trained ['--seed-ignored']" in ran.stdout, ran.stderr  # args after the entry point
    inside = subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c",
                             "train --epochs 3 && id -u && pwd && cat metrics.json && echo && cat /etc/tinytrain/settings.json"],
                            capture_output=True, text=True)
    assert inside.returncode == 0, inside.stderr
    uid, cwd, metrics, settings = inside.stdout.splitlines()[1:5]
    assert (uid, cwd, json.loads(metrics)["seed"], settings) == ("10001", "/workspace", "7", '{"epochs": 3}'), inside
    labels = json.loads(subprocess.run(["docker", "inspect", "--format", "{{json .Config.Labels}}", image],
                                       capture_output=True, text=True).stdout)
    assert labels["dev.envbuild.project"].startswith("tinytrain 0.3.0 sha256:")  # committed tree: not dirty
    report = run_cli("verify", "--image", image, "--files", "--json")
    assert report.returncode == 0, report.stdout + report.stderr
    assert json.loads(report.stdout)["findings"] == []
    # Issue 32, item 11: the spec's files and the project are in image.json, the SBOM and the build
    # manifest; edited in a running container, verify --files finds them.
    carried = json.loads(subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "cat", image,
                                         "/etc/envbuild/image.json"], capture_output=True, text=True).stdout)
    assert list(carried["files"]) == ["/etc/tinytrain/settings.json"] and carried["project"]["name"] == "tinytrain"
    sbom = json.loads(run_cli("sbom", "--image", image).stdout)
    assert {c["name"] for c in sbom["components"] if c["type"] == "file"} == {"/etc/tinytrain/settings.json"}
    name = f"envbuild-test-files-{tmp_path.name[-8:]}"
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", "--entrypoint", "sleep", image, "600"],
                   check=True, capture_output=True)
    try:
        subprocess.run(["docker", "exec", "-u", "0", name, "sh", "-c",
                        "echo '{\"epochs\": 300}' > /etc/tinytrain/settings.json && "
                        "echo 'print(1)' >> /opt/venv/lib/python3.11/site-packages/tinytrain/__init__.py"], check=True)
        edited = run_cli("verify", "--container", name, "--files", "--json")
        found = {f["name"]: f for f in json.loads(edited.stdout)["findings"]}
        assert edited.returncode == 1
        assert found["/etc/tinytrain"]["paths"] == ["/etc/tinytrain/settings.json"]
        assert found["/etc/tinytrain"]["expected"] == "as built (build manifest)"
        assert found["tinytrain"]["kind"] == "modified"  # the project, against its own wheel's RECORD
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
