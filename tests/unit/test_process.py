"""adapters/process.py: the one subprocess wrapper."""

import time

import pytest

from envbuild.adapters.process import run
from envbuild.errors import TimedOut


def test_process_timeout_kills_and_reports():
    start = time.monotonic()
    with pytest.raises(TimedOut, match="did not finish within 1 s"):
        run(["sleep", "30"], timeout=1)
    assert time.monotonic() - start < 5  # killed, not waited for


def test_exit_code_stdout_and_stderr_come_back_apart():
    done = run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
