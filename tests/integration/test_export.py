"""envbuild export, round-tripped through the real installers: pip installs the exported requirements
with --require-hashes, uv installs the exported pylock.toml, conda-lock's own parser reads the
exported conda-lock file — and envbuild verifies each installed environment clean against the
original lock (and against the exported file, read back as another tool's lock)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, hermetic_env, kinds

BIN = Path(sys.executable).parent


def locked_names(locked) -> set[str]:
    from envbuild.core.lock import read_lock

    return {p.name for p in read_lock((locked / "locks" / "cpu.txt").read_text(), "cpu.txt").packages}


def export(cli, locked, format, tmp_path):
    out = tmp_path / {"requirements": "requirements.txt", "pylock.toml": "pylock.toml",
                      "conda-lock": "conda-lock.yml"}[format]
    done = cli("export", str(locked), "--format", format, "-o", str(out))
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    return out


def fresh_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def clean(cli, lock, python, *args):
    result = cli("verify", "--lock", str(lock), "--python", str(python), "--json", *args)
    assert_no_traceback(result)
    return result.returncode, kinds(json.loads(result.stdout))


def test_pip_installs_the_exported_requirements_with_require_hashes(cli, locked, tmp_path):
    exported = export(cli, locked, "requirements", tmp_path)
    text = exported.read_text()
    assert "envbuild-lock" not in text and text.startswith("# exported by envbuild")
    python = fresh_venv(tmp_path / "venv")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--require-hashes",
                           "--no-deps", "-r", str(exported)], env=hermetic_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert clean(cli, locked / "locks" / "cpu.txt", python, "--files") == (0, [])
    assert clean(cli, exported, python) == (0, [])


def test_uv_installs_the_exported_pylock_and_packaging_reads_it(cli, locked, tmp_path, index):
    from packaging.pylock import Pylock

    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    exported = export(cli, locked, "pylock.toml", tmp_path)
    document = Pylock.from_dict(tomllib.loads(exported.read_text()))  # valid PEP 751, by packaging's reader
    assert {p.name for p in document.packages} == locked_names(locked) >= {"alpha", "beta", "epsilon"}
    assert all(w.url.startswith(index.url.rsplit("/", 1)[0]) for p in document.packages for w in p.wheels or ())
    python = fresh_venv(tmp_path / "venv")
    done = subprocess.run([str(BIN / "uv"), "pip", "install", "--python", str(python), "-r", str(exported)],
                          env=hermetic_env(UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache")),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert clean(cli, locked / "locks" / "cpu.txt", python, "--files") == (0, [])
    assert clean(cli, exported, python) == (0, [])
    # what the exported file pins is what the lock pins: a drifted environment fails against both
    done = subprocess.run([str(BIN / "uv"), "pip", "install", "--python", str(python), "--index-url", index.url,
                           "beta==1.0", "--no-deps"], env=hermetic_env(UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache")),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert clean(cli, exported, python)[1] == clean(cli, locked / "locks" / "cpu.txt", python)[1] == [("version", "beta")]


def test_conda_lock_s_own_parser_reads_the_exported_file_and_it_verifies_the_same(cli, locked, venv, tmp_path):
    from conda_lock.lockfile import parse_conda_lock_file

    exported = export(cli, locked, "conda-lock", tmp_path)
    parsed = parse_conda_lock_file(exported)
    assert {p.name for p in parsed.package} == locked_names(locked)
    assert all(p.manager == "pip" and p.hash.sha256 for p in parsed.package)
    assert clean(cli, exported, venv / "bin" / "python") == (0, [])


@pytest.mark.parametrize(("args", "message", "code"), [
    (["--format", "wheelhouse"], "expected one of requirements, pylock.toml, conda-lock", 2),
    (["--lock", "nowhere.txt", "--format", "requirements"], "no lock file at nowhere.txt", 2),
])
def test_bad_exports_are_one_line(cli, args, message, code, tmp_path):
    done = cli("export", *args, cwd=tmp_path)
    assert_no_traceback(done)
    assert done.returncode == code and message in done.stderr
