"""Other tools' locks, written by the real tools against the local index, for verify --lock and diff:
uv lock (uv.lock), uv export (hashed requirements and pylock.toml), uv pip compile --generate-hashes and
pip-compile --generate-hashes; the environment installed by `uv sync`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, hermetic_env, kinds

BIN = Path(sys.executable).parent
PYPROJECT = """\
[project]
name = "svc"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["alpha==1.0", "epsilon==1.0"]

[dependency-groups]
dev = ["delta"]

[tool.uv]
package = false
"""
LOCKS = ("uv.lock", "pylock.toml", "exported.txt", "uv-compiled.txt", "pip-compiled.txt")


def tool(*argv: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{argv}: {done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory, index):
    """A uv project locked and synced (no dev group, as a production image is), and the same
    requirements locked by every other tool."""
    root = tmp_path_factory.mktemp("foreign") / "svc"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "requirements.in").write_text("alpha==1.0\nepsilon==1.0\n")
    env = hermetic_env(UV_CACHE_DIR=str(root.parent / "uv-cache"), UV_NO_CONFIG="1", UV_PYTHON=sys.executable,
                       UV_PYTHON_DOWNLOADS="never")
    uv = str(BIN / "uv")
    tool(uv, "lock", "--default-index", index.url, cwd=root, env=env)
    tool(uv, "export", "--frozen", "--no-dev", "--format", "requirements-txt", "-o", "exported.txt", cwd=root, env=env)
    tool(uv, "export", "--frozen", "--no-dev", "--format", "pylock.toml", "-o", "pylock.toml", cwd=root, env=env)
    tool(uv, "pip", "compile", "--generate-hashes", "--index-url", index.url, "requirements.in", "-o",
         "uv-compiled.txt", cwd=root, env=env)
    tool(str(BIN / "pip-compile"), "--quiet", "--generate-hashes", "--index-url", index.url, "-o", "pip-compiled.txt",
         "requirements.in", cwd=root, env=env)
    tool(uv, "sync", "--frozen", "--no-dev", cwd=root, env=env)
    return root, env


def verify(cli, root, lock, *args):
    result = cli("verify", "--lock", str(root / lock), "--python", str(root / ".venv" / "bin" / "python"), "--json",
                 *args, cwd=root)
    assert_no_traceback(result)
    return result


def test_every_tool_s_lock_verifies_what_uv_sync_installed_and_finds_the_same_drift(cli, project, index):
    root, env = project
    assert "alpha==1.0" in (root / "pip-compiled.txt").read_text()  # the real tools wrote these
    assert (root / "uv.lock").read_text().startswith("version = 1")
    for lock in LOCKS:
        clean = verify(cli, root, lock)
        assert clean.returncode == 0, f"{lock}: {clean.stdout}{clean.stderr}"
        assert json.loads(clean.stdout)["findings"] == []
    assert verify(cli, root, "uv.lock", "--files").returncode == 0  # every file against the locked wheels' RECORD

    uv = str(BIN / "uv")
    python = str(root / ".venv" / "bin" / "python")
    tool(uv, "pip", "install", "--python", python, "--index-url", index.url, "delta", "beta==1.0", cwd=root, env=env)
    try:
        for lock in LOCKS:
            report = json.loads(verify(cli, root, lock).stdout)
            # the dev group's delta is optional in uv.lock (checked when there, never missing), an extra elsewhere
            expected = [("version", "beta")] + ([] if lock == "uv.lock" else [("unexpected", "delta")])
            assert kinds(report) == sorted(expected), lock
    finally:
        tool(uv, "sync", "--frozen", "--no-dev", cwd=root, env=env)


def test_diff_reads_other_tools_locks_and_an_unknown_file_names_what_was_expected(cli, project, tmp_path):
    root, _env = project
    for a, b in (("uv.lock", "pylock.toml"), ("exported.txt", "pip-compiled.txt"), ("uv-compiled.txt", "uv.lock")):
        same = cli("diff", str(root / a), str(root / b), cwd=root)
        assert same.returncode == 0 and "no differences" in same.stdout, f"{a} {b}: {same.stdout}{same.stderr}"
    (tmp_path / "notes.txt").write_text("remember the milk\n")
    wrong = cli("verify", "--lock", str(tmp_path / "notes.txt"), "--python", sys.executable)
    assert_no_traceback(wrong)
    assert wrong.returncode == 2 and "pylock.toml (PEP 751), uv.lock or a conda-lock file" in wrong.stderr


def test_a_lock_for_older_pythons_is_settled_for_a_python_it_allows_or_the_one_asked(cli, project, tmp_path):
    """A project that supports only Pythons older than envbuild's: its uv.lock is settled for the
    newest Python it allows (no false 'python' finding), or for --python; verify --lock-python too."""
    root, _env = project
    old = tmp_path / "uv.lock"
    old.write_text((root / "uv.lock").read_text().replace('requires-python = ">=3.11"', 'requires-python = "<3.11"'))
    same = cli("diff", str(old), str(root / "uv-compiled.txt"), "--json")
    assert same.returncode == 0 and json.loads(same.stdout)["findings"] == [], same.stdout + same.stderr
    asked = cli("diff", str(old), str(root / "uv-compiled.txt"), "--python", "3.9", "--json")
    assert asked.returncode == 0, asked.stdout + asked.stderr
    bad = cli("diff", str(old), str(root / "uv-compiled.txt"), "--python", "three")
    assert bad.returncode == 2 and "not a Python version" in bad.stderr
    python = str(root / ".venv" / "bin" / "python")
    for_310 = cli("verify", "--lock", str(root / "uv.lock"), "--python", python, "--lock-python", "3.10", "--json")
    assert for_310.returncode == 1 and ("python", "python") in {(f["kind"], f["name"]) for f in
                                                               json.loads(for_310.stdout)["findings"]}


def test_the_count_of_matching_packages_includes_the_group_packages_checked(cli, project, index):
    root, env = project
    python = str(root / ".venv" / "bin" / "python")
    before = cli("verify", "--lock", str(root / "uv.lock"), "--python", python, cwd=root)
    tool(str(BIN / "uv"), "pip", "install", "--python", python, "--index-url", index.url, "delta", cwd=root, env=env)
    try:
        after = cli("verify", "--lock", str(root / "uv.lock"), "--python", python, cwd=root)
    finally:
        tool(str(BIN / "uv"), "sync", "--frozen", "--no-dev", cwd=root, env=env)
    count = lambda text: int(text.split(" locked package")[0].rsplit("(", 1)[-1])  # noqa: E731
    assert before.returncode == after.returncode == 0, after.stdout
    assert count(after.stdout) == count(before.stdout) + 1  # the dev group's delta, installed and checked


def test_the_gpu_note_counts_only_the_cuda_packages_that_are_installed(cli, index, tmp_path):
    root = tmp_path / "gpu-svc"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.replace('dev = ["delta"]', 'dev = ["delta"]\ngpu = ["nvidia-cuda-runtime-cu12"]'))
    env = hermetic_env(UV_CACHE_DIR=str(tmp_path / "uv-cache"), UV_NO_CONFIG="1", UV_PYTHON=sys.executable,
                       UV_PYTHON_DOWNLOADS="never")
    tool(str(BIN / "uv"), "lock", "--default-index", index.url, cwd=root, env=env)
    tool(str(BIN / "uv"), "sync", "--frozen", "--no-dev", cwd=root, env=env)  # the gpu group is not installed
    assert "nvidia-cuda-runtime-cu12" in (root / "uv.lock").read_text()
    result = verify(cli, root, "uv.lock")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["findings"] == []
    assert not any("CUDA" in note for note in report["targets"][0]["notes"]), report["targets"][0]["notes"]
