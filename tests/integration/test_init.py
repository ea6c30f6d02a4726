"""envbuild init: a starter spec that envbuild lock accepts as it is; never over an existing one."""

from __future__ import annotations

from tests.conftest import assert_no_traceback, run_cli


def test_init_from_a_requirements_file_then_lock(tmp_path, index):
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "requirements.in").write_text(f"--index-url {index.url}\nalpha\n")
    made = run_cli("init", str(directory), "--from", str(directory / "requirements.in"))
    assert made.returncode == 0 and "python 3.11, targets cpu" in made.stdout, made.stderr
    locked = run_cli("lock", str(directory))
    assert locked.returncode == 0, locked.stderr
    assert "alpha==" in (directory / "locks" / "cpu.txt").read_text()


def test_init_never_overwrites_and_refuses_what_it_cannot_read(tmp_path):
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "envbuild.yaml").write_text("mine\n")
    (directory / "requirements.in").write_text("alpha\n")
    again = run_cli("init", str(directory), "--from", str(directory / "requirements.in"))
    assert again.returncode == 2 and "init never overwrites a spec" in again.stderr
    assert (directory / "envbuild.yaml").read_text() == "mine\n"
    missing = run_cli("init", str(tmp_path / "other"), "--from", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert_no_traceback(missing)
