"""What envbuild means when the user leaves something out: the project (the nearest envbuild.yaml,
never above the repository's root), the target (the only one) and the environment (VIRTUAL_ENV,
CONDA_PREFIX, ./.venv, then envbuild's own interpreter)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import assert_no_traceback, hermetic_env


def _copy(locked: Path, where: Path) -> Path:
    shutil.copytree(locked, where)
    return where


def test_commands_find_the_nearest_spec_above_the_current_directory(cli, locked, tmp_path):
    project = _copy(locked, tmp_path / "project")
    spec = project / "envbuild.yaml"  # a base pinned by digest: rendering needs no engine
    spec.write_text(spec.read_text() + "base: python:3.11-slim@sha256:" + "ab" * 32 + "\n")
    deep = project / "src" / "pkg"
    deep.mkdir(parents=True)
    checked = cli("lock", "--check", cwd=deep)
    assert checked.returncode == 0, checked.stderr
    assert "cpu: up to date (../../locks/cpu.txt)" in checked.stdout
    assert "using ../../envbuild.yaml" in checked.stderr
    # the one target needs no --target; the spec found above is the one exported
    exported = cli("export", "-f", "requirements", cwd=deep)
    assert exported.returncode == 0, exported.stderr
    assert "alpha==2.0" in exported.stdout and "--hash=sha256:" in exported.stdout
    rendered = cli("render", cwd=deep)
    assert rendered.returncode == 0, rendered.stderr
    assert "\nFROM " in rendered.stdout and 'org.opencontainers.image.title="fixture"' in rendered.stdout


def test_discovery_stops_at_the_repository_root(cli, locked, tmp_path):
    outer = _copy(locked, tmp_path / "outer")  # an envbuild.yaml outside the repository below it
    repo = outer / "repo"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = cli("lock", "--check", cwd=repo / "sub")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert "no envbuild.yaml here or in a directory above it" in result.stderr
    assert "hint:" in result.stderr


def test_several_targets_still_need_one_named(cli, locked, tmp_path):
    project = _copy(locked, tmp_path / "two")
    spec = project / "envbuild.yaml"
    spec.write_text(spec.read_text() + "  gpu: {}\n")
    result = cli("render", str(project))
    assert result.returncode == 2 and "several targets" in result.stderr and "cpu, gpu" in result.stderr


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _snapshot(cli, cwd: Path, **env: str):
    result = cli("snapshot", "-o", "-", cwd=cwd, env=hermetic_env(**env))
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["interpreter"]["prefix"], result.stderr


def test_the_default_environment_is_the_activated_one_then_dot_venv_then_envbuilds(cli, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    activated, conda, dot = _venv(tmp_path / "activated"), _venv(tmp_path / "conda"), _venv(work / ".venv")
    prefix, said = _snapshot(cli, work, VIRTUAL_ENV=str(activated), CONDA_PREFIX=str(conda))
    assert prefix == str(activated)
    assert f"environment: {activated}/bin/python (the activated virtual environment, $VIRTUAL_ENV)" in said
    prefix, said = _snapshot(cli, work, CONDA_PREFIX=str(conda))
    assert prefix == str(conda) and "$CONDA_PREFIX" in said
    prefix, said = _snapshot(cli, work)
    assert prefix == str(dot) and f"environment: {dot}/bin/python (./.venv)" in said
    shutil.rmtree(dot)
    prefix, said = _snapshot(cli, work)
    assert prefix == sys.prefix
    assert f"environment: {sys.executable} (the interpreter running envbuild)" in said


def test_an_activated_environment_that_is_gone_is_a_usage_error(cli, tmp_path):
    result = cli("verify", "--lock", "x.txt", cwd=tmp_path, env=hermetic_env(VIRTUAL_ENV=str(tmp_path / "gone")))
    assert_no_traceback(result)
    assert result.returncode == 2 and "no bin/python there" in result.stderr and "--python" in result.stderr


def test_verify_with_nothing_named_checks_the_activated_venv_against_the_project_found_above(cli, locked, venv,
                                                                                            tmp_path):
    project = _copy(locked, tmp_path / "project")
    (project / "notebooks").mkdir()
    result = cli("verify", "--json", cwd=project / "notebooks", env=hermetic_env(VIRTUAL_ENV=str(venv)))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["lock"] == "../locks/cpu.txt"
