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
