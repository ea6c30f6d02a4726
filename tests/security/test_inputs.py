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
    from envbuild.core.lockfile import parse_pins
    from envbuild.core.redact import redact_text
    from envbuild.core.requirements import parse_requirements_text

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
