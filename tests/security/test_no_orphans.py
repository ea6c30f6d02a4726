"""A stopped envbuild leaves no child process running and no temporary directory behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import hermetic_env

pytestmark = pytest.mark.security


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout.split()
    pairs = list(zip(map(int, out[::2]), map(int, out[1::2])))
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in pairs if ppid == parent]
        found += children
        frontier += children
    return found


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_a_stopped_lock_kills_its_resolver_and_removes_its_temporary_files(make_image, silent_port, tmp_path,
                                                                          signum, code):
    image = make_image(f'name: a/b\npython: "3.11"\nindex: http://127.0.0.1:{silent_port}/simple\nrequirements: r.in\n'
                       "targets:\n  cpu: {}\n  arm:\n    platform: linux/arm64\n", {"r.in": "alpha\n"})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "envbuild", "lock", str(image)], env=hermetic_env(TMPDIR=str(scratch)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    children: list[int] = []
    while time.monotonic() < deadline and len([c for c in descendants(proc.pid)]) < 2:
        time.sleep(0.1)  # both targets' uv processes are running (two platforms: two resolutions)
    children = descendants(proc.pid)
    assert len(children) >= 2, "uv should be waiting on the silent index"
    proc.send_signal(signum)
    assert proc.wait(timeout=20) == code, proc.stderr.read()
    assert "interrupted" in proc.stderr.read()
    time.sleep(0.3)
    alive = [pid for pid in children if os.path.exists(f"/proc/{pid}") and
             "zombie" not in open(f"/proc/{pid}/status").read().lower()]
    assert alive == []
    assert list(scratch.iterdir()) == []
    assert not (image / "locks").exists()


def test_an_interpreter_that_never_answers_is_killed_at_the_timeout_not_left_running(tmp_path):
    """verify --python X: X is asked for its facts in a worker thread; at --timeout envbuild gave up
    on the thread and exited, and X (with what it started) ran on (issue 32)."""
    marker = tmp_path / "hung-marker"
    hung = tmp_path / "python3"
    hung.write_text(f"#!/bin/sh\necho $$ > {marker}\nexec sleep 600\n")
    hung.chmod(0o755)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "envbuild", "verify", "--python", str(hung), "--timeout", "2"],
                          env=hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache")), capture_output=True, text=True,
                          timeout=60)
    said = done.stdout + done.stderr
    assert done.returncode == 5, said
    assert "no answer from" in said and "within 2 s" in said, said
    assert time.monotonic() - started < 15
    time.sleep(0.3)
    pid = int(marker.read_text())
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower(), \
        "the interpreter still runs"
