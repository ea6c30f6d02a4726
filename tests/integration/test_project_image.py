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
