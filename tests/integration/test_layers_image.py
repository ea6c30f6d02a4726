"""Layered images on a real engine: a lock change that leaves a layer's packages alone gives that
layer the very same bytes (same diff ID), and the image ID stays reproducible."""

from __future__ import annotations

import json
import subprocess

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """\
name: envbuild-test/layers
python: "3.11"
exclude-newer: {date}
index: {index}
base: {base}
requirements: requirements.in
layers:
  groups:
    alpha-stack: [alpha]
    eps: [epsilon]
targets:
  cpu: {{}}
"""


def layers_of(ref: str) -> list[str]:
    out = subprocess.run(["docker", "image", "inspect", ref], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]["RootFS"]["Layers"]


def build(cli, directory, env, *extra):
    result = cli("build", str(directory), "--target", "cpu", "--json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_a_bump_in_one_layer_leaves_every_other_package_layer_byte_identical(make_image, index, base_image, cli,
                                                                              built_image_env):
    env = built_image_env
    directory = make_image(SPEC.format(date="2026-05-01", index=index.url, base=base_image),
                           {"requirements.in": "alpha\nepsilon\n"})
    assert cli("lock", str(directory), env=env).returncode == 0
    first, log = build(cli, directory, env)
    assert "  alpha-stack: alpha [group" in log and "  eps: epsilon [group" in log  # the plan, shown
    before = layers_of(first["image"])
    base = len(layers_of(base_image))
    # skeleton, alpha-stack, eps, packages (beta, gamma, delta), metadata
    assert len(before) == base + 5, before
    assert [layer["name"] for layer in first["layers"]] == ["skeleton", "alpha-stack", "eps", "packages", "metadata"]

    # epsilon 1.0 → 2.0 (released 2026-06-15): only its layer and the metadata layer may change.
    (directory / "envbuild.yaml").write_text(SPEC.format(date="2026-07-01", index=index.url, base=base_image))
    assert cli("lock", str(directory), "--upgrade", env=env).returncode == 0
    assert "epsilon==2.0" in (directory / "locks" / "cpu.txt").read_text()
    second, log = build(cli, directory, env)
    after = layers_of(second["image"])
    assert second["id"] != first["id"]
    changed = [i - base for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [2, 4], (changed, log)  # eps and metadata; the skeleton, alpha-stack and packages are the same bytes
    # Rebuilt from nothing, the same inputs give the same image.
    again, _ = build(cli, directory, env, "--no-cache")
    assert again["id"] == second["id"]


def test_prune_finds_the_builder_stages_builds_leave(built_image, cli, built_image_env):
    """built_image's build left its stages (labelled dev.envbuild.stage); a dry run counts, removes nothing."""
    result = cli("prune", "--dry-run", "--json", env=built_image_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["stages"] >= 1
    again = json.loads(cli("prune", "--dry-run", "--json", env=built_image_env).stdout)
    assert again["stages"] == report["stages"]  # nothing was removed
