"""Inputs built to hurt: pathological lines, impossible dates, binary files."""

from __future__ import annotations

import os
import time

import pytest

from tests.conftest import assert_no_traceback

pytestmark = pytest.mark.security

MB2 = 2 << 20


@pytest.mark.parametrize("line", [
    "numpy" + " " * MB2 + "# comment",
    "numpy" + " " * MB2 + "x",
    "numpy" + " \t" * (MB2 // 2) + "--hash=sha256:00",
    "# " + "#" * MB2,
    "numpy" + "#" * MB2,
    "-r" + " " * MB2 + "other.txt",
    "a" * MB2 + "://x",
])
def test_a_two_megabyte_line_parses_in_under_a_second(line):
    from envbuild.core.lock.pip_format import parse_pins
    from envbuild.core.redact import redact_text
    from envbuild.core.inputs.requirements import parse_requirements_text

    started = time.perf_counter()
    parse_requirements_text(line + "\nrequests\n", "requirements.in")
    try:
        parse_pins(line + "\n", "lock.txt")
    except Exception:  # noqa: BLE001 - only the time matters here; what it says is tested elsewhere
        pass
    redact_text(line)
    assert time.perf_counter() - started < 1.0


def test_comments_are_still_stripped_where_pip_strips_them():
    from envbuild.core.lines import logical_lines

    text = "a # c\nb#not-a-comment\n# whole\nc \\\n  # tail\nd\t# tab\n"
    assert logical_lines(text) == [(1, "a"), (2, "b#not-a-comment"), (4, "c"), (6, "d")]


def test_an_impossible_date_names_its_key(cli, make_image):
    image = make_image('name: a/b\npython: "3.11"\nexclude-newer: 2026-13-45\nrequirements: r.in\ntargets:\n  cpu: {}\n',
                       {"r.in": "alpha\n"})
    result = cli("lock", str(image))
    assert result.returncode == 2 and "exclude-newer: expected a date" in result.stderr
    assert_no_traceback(result)


def test_random_bytes_as_a_spec_or_a_requirements_file_are_bad_input(cli, make_image):
    image = make_image('name: a/b\npython: "3.11"\nrequirements: r.in\ntargets:\n  cpu: {}\n', {"r.in": os.urandom(2048)})
    result = cli("lock", str(image), "--check")
    assert result.returncode == 2 and "not a text file" in result.stderr
    (image / "envbuild.yaml").write_bytes(b"\x00" + os.urandom(2048))
    result = cli("lock", str(image))
    assert result.returncode == 2 and "not a text file" in result.stderr
    assert_no_traceback(result)


def _limit_file_size():
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (256, 256))  # writes past 256 bytes fail with EFBIG, as on a full disk


def run_limited(*args, cwd):
    import subprocess
    import sys

    from tests.conftest import hermetic_env

    return subprocess.run([sys.executable, "-m", "envbuild", *args], cwd=cwd, env=hermetic_env(), capture_output=True,
                          text=True, preexec_fn=_limit_file_size)


def test_a_full_disk_is_one_line_exit_74_and_no_partial_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = run_limited("snapshot", "-o", str(out / "snap.json"), cwd=tmp_path)
    assert result.returncode == 74, result.stderr
    assert f"cannot write {out / 'snap.json'}: File too large" in result.stderr
    assert_no_traceback(result)
    assert list(out.iterdir()) == []


def test_verify_prints_its_verdict_when_only_the_junit_file_cannot_be_written(tmp_path, locked, venv):
    import json

    result = run_limited("verify", str(locked), "--python", str(venv / "bin" / "python"), "--json",
                         "--junit", str(tmp_path / "report.xml"), cwd=tmp_path)
    assert json.loads(result.stdout)["ok"] is True
    assert result.returncode == 74 and "cannot write" in result.stderr and "report.xml" in result.stderr
    assert not (tmp_path / "report.xml").exists()
