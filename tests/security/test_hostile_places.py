"""What comes back from a place is hostile: malformed answers, terminal escapes, hangs, host
strings that ssh would read as options. Fake interpreters stand in for a compromised host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import assert_no_traceback, hermetic_env

pytestmark = pytest.mark.security

INTERPRETER = {"version": "3.11.7", "implementation": "cpython", "machine": "x86_64", "system": "linux",
               "libc": "glibc", "libc_version": "2.36"}


def fake_python(path, answer: str):
    """An 'interpreter' that ignores the probe and prints what an attacker chose."""
    path.write_text("#!/bin/sh\ncat >/dev/null\ncat <<'EOF'\n" + answer + "\nEOF\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("answer, why", [
    ('{"schema": 1, "interpreter": [], "distributions": []}', "interpreter: expected a mapping, got a list"),
    ('{"schema": 1, "interpreter": {}, "distributions": [{"name": "x", "version": 1, "location": "/"}]}',
     "distributions[0].version: expected a string, got a number"),
    ('{"schema": 1, "interpreter": {}}', "distributions: missing"),
    ("[" * 100000, "JSON"),
    ("not json at all", "no JSON"),
])
def test_a_malformed_answer_is_an_error_for_that_place_only(cli, locked, venv, tmp_path, answer, why):
    bad = fake_python(tmp_path / "bad-python", answer)
    result = cli("verify", str(locked), "--python", str(venv / "bin" / "python"), "--python", str(bad), "--json")
    assert_no_traceback(result)
    assert result.returncode == 5
    report = json.loads(result.stdout)
    by_place = {t["target"]: t for t in report["targets"]}
    assert by_place[f"python {venv / 'bin' / 'python'}"]["ok"] is True
    assert why in by_place[f"python {bad}"]["error"]


def test_escape_sequences_from_a_place_never_reach_the_terminal_and_junit_parses(cli, locked, tmp_path):
    evil = "evil\x1b[2J\x1b]0;owned\x07\rok\x00"
    snapshot = {"schema": 1, "interpreter": INTERPRETER,
                "distributions": [{"name": evil, "version": "1\x1b[0m", "location": "/x\u202e"}]}
    bad = fake_python(tmp_path / "bad-python", json.dumps(snapshot))
    junit = tmp_path / "verify.xml"
    result = cli("verify", str(locked), "--python", str(bad), "--junit", str(junit))
    assert result.returncode == 1
    for stream in (result.stdout, result.stderr):
        assert not any(c in stream for c in "\x1b\r\x00\x07\u202e"), repr(stream)
    assert "evil\\x1b[2J" in result.stdout
    ET.parse(junit)  # parses: no raw control characters in the XML
    assert "evil\\x1b" in junit.read_text()


def test_a_hung_place_times_out_and_its_process_is_gone(cli, locked, tmp_path):
    """An interpreter that takes the probe and never answers (a hung host, a stuck mount)."""
    python = tmp_path / "hung-python"
    python.write_text("#!/bin/sh\nexec sleep 60\n")
    python.chmod(0o755)
    started = time.monotonic()
    result = cli("verify", str(locked), "--python", str(python), "--timeout", "2")
    elapsed = time.monotonic() - started
    assert_no_traceback(result)
    assert result.returncode == 5 and elapsed < 15, (elapsed, result.stdout)
    assert f"no answer from {python} within 2 s" in result.stdout
    left = subprocess.run(["pgrep", "-f", str(python)], capture_output=True, text=True).stdout.split()
    assert left == [], left


def test_a_fifo_where_the_driver_version_should_be_is_never_waited_on(cli, locked, venv, tmp_path):
    """The probe reads /proc/driver/nvidia/version under ENVBUILD_PROBE_ROOT: a FIFO there, with no
    writer, reads as empty (it used to block the probe until --timeout)."""
    root = tmp_path / "root"
    (root / "proc/driver/nvidia").mkdir(parents=True)
    os.mkfifo(root / "proc/driver/nvidia/version")
    started = time.monotonic()
    result = cli("verify", str(locked), "--python", str(venv / "bin" / "python"), "--json",
                 env=hermetic_env(ENVBUILD_PROBE_ROOT=str(root)))
    assert_no_traceback(result)
    assert time.monotonic() - started < 15
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ok"] is True


@pytest.mark.parametrize("host", ["-oProxyCommand=touch /tmp/pwned", "-F/dev/null"])
def test_an_ssh_host_that_looks_like_an_option_is_refused(cli, locked, host, tmp_path):
    result = cli("verify", str(locked), "--ssh", host)
    assert result.returncode == 2 and "not a host name" in result.stderr
    assert_no_traceback(result)


def test_remote_words_are_quoted_for_the_remote_shell_and_the_host_follows_dashdash():
    from envbuild.adapters.places import Place, argv_for

    place = Place(kind="ssh", name="prod-1", interpreter="/opt/my env/bin/python; touch /tmp/X",
                  conda_prefix="/opt/conda $(id)")
    argv = argv_for(place, files=True, timeout=30)
    assert argv[argv.index("--") + 1] == "prod-1" and len(argv) == argv.index("--") + 3
    import shlex

    assert shlex.split(argv[-1]) == ["env", "-u", "LD_PRELOAD", "-u", "LD_AUDIT",  # never run in the probe
                                     "/opt/my env/bin/python; touch /tmp/X", "-I", "-S", "-B", "-", "--deadline=30",
                                     "--files", "--conda-prefix=/opt/conda $(id)"]
    with pytest.raises(Exception, match="starts with '-'"):
        argv_for(Place(kind="ssh", name="-oProxyCommand=x"), files=False)


def test_a_random_bytes_snapshot_or_lock_is_bad_input(cli, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_bytes(os.urandom(4096))
    lock = tmp_path / "junk.txt"
    lock.write_bytes(b"\x00" + os.urandom(4096))
    shaped = tmp_path / "shaped.json"
    shaped.write_text('{"schema": 1, "interpreter": {}, "distributions": 5}')
    for args in (("diff", str(junk), str(junk)), ("verify", "--lock", str(lock), "--python", sys.executable),
                 ("diff", str(shaped), str(shaped))):
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert_no_traceback(result)
        assert "internal error" not in result.stderr
    assert "not a text file" in cli("verify", "--lock", str(lock)).stderr


def test_an_engine_that_never_answers_is_exit_5_in_bounded_time_and_render_never_waits(make_image, index, cli,
                                                                                       silent_port):
    base = "python:3.11-slim@sha256:" + "ab" * 32
    image = make_image(f'name: a/b\npython: "{sys.version_info.major}.{sys.version_info.minor}"\nindex: {index.url}\n'
                       f"base: {base}\nrequirements: r.in\ntargets:\n  cpu: {{}}\n", {"r.in": "alpha\n"})
    assert cli("lock", str(image)).returncode == 0
    env = hermetic_env(DOCKER_HOST=f"tcp://127.0.0.1:{silent_port}", ENVBUILD_DOCKER_TIMEOUT="2")
    started = time.monotonic()
    rendered = cli("render", str(image), "--target", "cpu", env=env)
    assert rendered.returncode == 0 and f"FROM {base}" in rendered.stdout
    assert time.monotonic() - started < 5
    started = time.monotonic()
    built = cli("build", str(image), "--target", "cpu", env=env)
    assert built.returncode == 5, built.stderr
    assert f"no Docker engine answers at tcp://127.0.0.1:{silent_port} within 2 s" in built.stderr, built.stderr
    assert time.monotonic() - started < 15
    assert_no_traceback(built)


def test_an_api_call_that_times_out_after_connecting_is_a_clear_exit_5():
    import requests

    from envbuild.adapters.engine.docker import _Bounded
    from envbuild.errors import ToolUnavailable

    class SlowAPI:
        def inspect_image(self, ref):
            raise requests.exceptions.ReadTimeout("read timed out")

    with pytest.raises(ToolUnavailable, match="did not answer inspect_image within 60 s") as caught:
        _Bounded(SlowAPI(), 60).inspect_image("x")
    assert caught.value.exit_code == 5


@pytest.mark.parametrize("writer", [False, True], ids=["no-writer", "a-silent-writer"])
def test_a_fifo_for_metadata_is_reported_never_waited_on(cli, locked, venv, writer):
    """The metadata verify of a local venv reads it in envbuild's own process: a FIFO where METADATA
    should be is opened without blocking and read as what it holds now - nothing (no writer: no
    Name) or no answer (a writer that never writes: EAGAIN; the distribution is then named by its
    folder, and still found unexpected) - and said, well within --timeout."""
    site = next((venv / "lib").glob("python*/site-packages"))
    trap = site / "trap-1.0.dist-info"
    trap.mkdir()
    os.mkfifo(trap / "METADATA")
    held = os.open(trap / "METADATA", os.O_RDWR) if writer else None  # O_RDWR: opens without a reader
    try:
        started = time.monotonic()
        result = cli("verify", str(locked), "--python", str(venv / "bin" / "python"), "--timeout", "30",
                     timeout=60)
        elapsed = time.monotonic() - started
    finally:
        if held is not None:
            os.close(held)
    assert_no_traceback(result)
    assert result.returncode == (1 if writer else 0) and elapsed < 15, (elapsed, result.stdout, result.stderr)
    assert any("unexpected" in line and " trap " in line for line in result.stdout.splitlines()) is writer
    said = "cannot read metadata: Resource temporarily unavailable" if writer else "metadata has no Name"
    assert f"could not read {trap}: {said}" in result.stdout, result.stdout


def test_an_in_process_read_that_never_returns_still_ends_at_the_timeout():
    """What stops a read no test can make block (a hung network mount): the in-process probe runs in
    a daemon thread, given up on at --timeout."""
    from envbuild.adapters.places import _LATE, Place, _bounded

    started = time.monotonic()
    answer = _bounded(lambda place, timeout: time.sleep(60), Place(kind="local", name="here"), 1)
    assert answer is _LATE and time.monotonic() - started < 5


