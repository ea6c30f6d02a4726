"""A lock is what pip installs: envbuild refuses one whose body it did not write."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import assert_no_traceback, resign_lock

pytestmark = pytest.mark.security

BASE = "python:3.11-slim@sha256:" + "ab" * 32


@pytest.fixture
def image(make_image, index, cli):
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    directory = make_image(f'name: a/b\npython: "{python}"\nexclude-newer: 2026-05-01\nindex: {index.url}\n'
                           f"base: {BASE}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                           {"requirements.in": "alpha\nepsilon\n"})
    assert cli("lock", str(directory)).returncode == 0
    return directory


def commands(image):
    lock = str(image / "locks" / "cpu.txt")
    return [("lock", str(image), "--check"), ("render", str(image), "--target", "cpu"),
            ("verify", "--lock", lock, "--python", sys.executable), ("verify", str(image), "--python", sys.executable)]


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("epsilon==1.0", "epsilon==2.0"),
    lambda t: t[:t.index("\n\n") + 2],                        # truncated to its header
    lambda t: t + "-r extra.txt\n",
])
def test_a_hand_edited_lock_is_refused_everywhere(cli, image, edit):
    path = image / "locks" / "cpu.txt"
    path.write_text(edit(path.read_text()))
    for command in commands(image):
        result = cli(*command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "edited by hand" in result.stderr and "envbuild lock" in result.stderr
        assert_no_traceback(result)


@pytest.mark.parametrize("line, message", [
    ("-r extra.txt", "'-r' is not a line envbuild writes"),
    ("-e ./src", "'-e' is not a line envbuild writes"),
    ("--find-links https://evil.example/", "'--find-links' is not a line envbuild writes"),
    ("--index-url https://evil.example/simple", "a second or unusual --index-url line"),
    ("--trusted-host evil.example", "'--trusted-host' is not a line envbuild writes"),
    ("DUPLICATE", "is pinned twice"),
])
def test_a_line_pip_would_act_on_is_refused_even_with_a_matching_digest(cli, image, line, message):
    path = image / "locks" / "cpu.txt"
    text = path.read_text()
    if line == "DUPLICATE":
        start = text.index("epsilon==1.0")
        line = text[start:].rstrip("\n")
    path.write_text(resign_lock(text + line + "\n"))
    result = cli("lock", str(image), "--check")
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert_no_traceback(result)


def test_relocking_repairs_a_hand_edited_lock(cli, image):
    path = image / "locks" / "cpu.txt"
    good = path.read_text()
    path.write_text(good.replace("epsilon==1.0", "epsilon==2.0"))
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    assert path.read_text() == good


def test_a_hand_edited_conda_lock_is_refused(cli, conda_image):
    image = conda_image(["tinytool"])
    assert cli("lock", str(image)).returncode == 0
    path = image / "locks" / "cpu.conda-lock.yml"
    path.write_text(path.read_text().replace("tinytool", "tinytoo1", 1).replace("name: tinytool", "name: evil"))
    for command in (("lock", str(image), "--check"), ("verify", "--lock", str(path), "--python", sys.executable)):
        result = cli(*command)
        assert result.returncode == 2 and "edited by hand" in result.stderr, (command, result.stderr)
        assert_no_traceback(result)
