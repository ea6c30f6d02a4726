"""Inputs stay inside the repository; templates cannot reach the host; names cannot add lines."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import assert_no_traceback

pytestmark = pytest.mark.security

SPEC = 'name: a/b\npython: "3.11"\nexclude-newer: 2026-05-01\nindex: {index}\nbase: {base}\nrequirements: {req}\ntargets:\n  cpu: {{}}\n'
BASE = "python:3.11-slim@sha256:" + "ab" * 32


@pytest.fixture
def repo(tmp_path):
    """A git repository with an image directory in it, and a secret file beside the repository."""
    root = tmp_path / "repo"
    (root / "img").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (tmp_path / "secret.txt").write_text("TOKEN=hunter2\n")
    return root


def spec(root, index, req="requirements.in", extra=""):
    (root / "img" / "envbuild.yaml").write_text(SPEC.format(index=index.url, base=BASE, req=req) + extra)
    return root / "img"


@pytest.mark.parametrize("req, files, where", [
    ("../../secret.txt", {}, "requirements"),
    ("requirements.in", {"requirements.in": "-r ../../secret.txt\n"}, "requirements.in:1"),
    ("requirements.in", {"requirements.in": "-c /etc/passwd\n"}, "requirements.in:1"),
    ("link.in", {"link.in": "@link:../../secret.txt"}, "requirements"),
])
def test_an_input_outside_the_repository_is_refused_without_reading_it(cli, repo, index, req, files, where):
    image = spec(repo, index, req)
    for name, text in files.items():
        if text.startswith("@link:"):
            (image / name).symlink_to(text[len("@link:"):])
        else:
            (image / name).write_text(text)
    for command in (("lock", str(image)), ("lock", str(image), "--check")):
        result = cli(*command)
        assert result.returncode == 2, result.stderr
        assert "outside the repository" in result.stderr and where in result.stderr
        assert "hunter2" not in result.stderr and "root:" not in result.stderr
        assert_no_traceback(result)


def test_a_binary_file_named_as_requirements_is_not_printed(cli, repo, index):
    image = spec(repo, index)
    (image / "requirements.in").write_bytes(b"\x7fELF\x00\x01secret-bytes\n")
    result = cli("lock", str(image))
    assert result.returncode == 2 and "not a text file" in result.stderr and "secret-bytes" not in result.stderr


def test_a_template_cannot_reach_python_objects_or_host_files(cli, repo, index):
    image = spec(repo, index, extra="templates: tpl\n")
    (image / "requirements.in").write_text("alpha\n")
    assert cli("lock", str(image)).returncode == 0
    (image / "tpl").mkdir()
    escape = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    (image / "tpl" / "cpu.Dockerfile.j2").write_text(f"FROM {{{{ base_ref }}}}\nRUN echo {escape}\n")
    result = cli("render", str(image), "--target", "cpu")
    assert result.returncode == 2 and "template error" in result.stderr and "subclasses" not in result.stdout
    assert_no_traceback(result)
    (image / "tpl" / "cpu.Dockerfile.j2").unlink()
    (image / "tpl" / "cpu.Dockerfile.j2").symlink_to(repo.parent / "secret.txt")
    result = cli("render", str(image), "--target", "cpu")
    assert result.returncode == 2 and "outside the repository" in result.stderr and "hunter2" not in result.stdout


def test_a_control_character_in_a_directory_name_cannot_add_a_lock_line(cli, tmp_path, index):
    image = tmp_path / "img\n-r evil.txt\n#"
    image.mkdir()
    (image / "envbuild.yaml").write_text(SPEC.format(index=index.url, base=BASE, req="requirements.in"))
    (image / "requirements.in").write_text("alpha\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = cli("lock", str(image))
    assert result.returncode == 2 and "control character" in result.stderr
    assert not (image / "locks" / "cpu.txt").exists()
    assert_no_traceback(result)
