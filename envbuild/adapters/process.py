"""The one subprocess wrapper: argv in, result out; stderr streamed line by line for progress.

No orphans: each child starts in a process group of its own, is registered while it runs, and is
killed with its whole group (pip's build backends, ssh's ProxyCommand) when its call is interrupted
or times out, or when envbuild is told to stop (SIGTERM, SIGHUP, SIGINT: see `stop_on_signals`).
Only a SIGKILL of envbuild itself cannot be answered; its children then run to their own end.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, TypeVar
from dataclasses import dataclass
from pathlib import Path

from envbuild.core.redact import redact_text
from envbuild.errors import TimedOut, ToolUnavailable

if TYPE_CHECKING:  # subprocess and shutil are imported when a child is first started: an in-process verify starts none
    import subprocess


T = TypeVar("T")


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


_LIVE: dict[subprocess.Popen, int] = {}  # each running child → the thread that started it
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its own group (start_new_session): grandchildren too
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def kill_children() -> None:
    """Every child still running, with its process group; no new one starts after this."""
    _STOPPING.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        _kill_group(proc)


def kill_children_of(thread: threading.Thread) -> None:
    """The children ``thread`` started that still run, with their process groups: a caller that
    stops waiting for a worker (a deadline) must not leave what the worker started running after
    envbuild exits (a --python interpreter that never answers)."""
    with _LIVE_LOCK:
        live = [proc for proc, owner in _LIVE.items() if owner == thread.ident]
    for proc in live:
        _kill_group(proc)


class Stopped(BaseException):
    """envbuild was told to stop by a signal. A BaseException, so that no `except Exception` and no
    command-line framework swallows it on the way out; ``signum`` gives the exit code 128 + N."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_on_signals() -> Callable[[], None]:
    """SIGINT, SIGTERM and SIGHUP: children killed first, then Stopped unwinds the stack, so every
    temporary directory is removed on the way out. Gives what puts the handlers found back."""

    def handler(signum: int, _frame: object) -> None:
        kill_children()
        raise Stopped(signum)

    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    found = {signum: signal.getsignal(signum) for signum in signums}
    for signum in signums:
        signal.signal(signum, handler)

    def restore() -> None:
        for signum, previous in found.items():
            signal.signal(signum, previous)

    return restore


def display_argv(argv: Sequence[str]) -> str:
    """The command as a user may see it: credentials in URLs redacted."""
    return redact_text(" ".join(argv))


def _start(argv: tuple[str, ...], **popen: object) -> "subprocess.Popen":
    """Popen in a process group of its own, registered as live (killed with its group on a signal)."""
    import subprocess

    with _LIVE_LOCK:
        if _STOPPING.is_set():
            raise Stopped(signal.SIGTERM)
        try:
            proc = subprocess.Popen(argv, start_new_session=True, **popen)  # type: ignore[call-overload]
        except FileNotFoundError:
            raise ToolUnavailable(f"{argv[0]} is not installed or not on PATH") from None
        _LIVE[proc] = threading.get_ident()
    return proc


def _kill_after(proc: "subprocess.Popen", timeout: float | None) -> tuple[threading.Event, threading.Timer | None]:
    """A timer that kills ``proc``'s group after ``timeout`` seconds, and the event it sets then.
    (Popen.wait(timeout=...) polls with sleeps of up to 50 ms; a timer lets wait() block in waitpid,
    so a fast tool is not made slower by its own timeout.)"""
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        _kill_group(proc)

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    return expired, timer


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    on_stderr_line: Callable[[str], None] | None = None,
    stdin: str | None = None,
) -> Completed:
    """Run argv; never raises for a non-zero exit (the caller reads returncode).

    Raises ToolUnavailable when the executable is missing or the timeout passes.
    """
    import subprocess

    argv = tuple(str(a) for a in argv)
    proc = _start(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, env=dict(env) if env is not None else None, cwd=cwd, text=True,
                  encoding="utf-8", errors="replace")  # a group of its own: killed as one; no terminal's Ctrl-C
    try:
        return _communicate(proc, argv, timeout=timeout, on_stderr_line=on_stderr_line, stdin=stdin)
    except BaseException:
        _kill_group(proc)  # interrupted (Ctrl-C, SIGTERM) or failed: nothing keeps running
        proc.wait()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.pop(proc, None)


def stream(argv: Sequence[str], consume: Callable[[IO[bytes]], T], *, timeout: float | None = None) -> tuple[T, Completed]:
    """Run argv and hand its stdout, as it comes (bytes), to ``consume`` in this thread: an export
    stream of gigabytes is read once and never held. (consume's result, the run with its exit code
    and stderr; stdout empty). The child is killed with its group on a timeout (TimedOut) or when
    ``consume`` raises; what consume leaves unread is drained, so the child never blocks on it."""
    import subprocess

    argv = tuple(str(a) for a in argv)
    proc = _start(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read() if proc.stderr else b""), daemon=True)
    reader.start()
    expired, timer = _kill_after(proc, timeout)
    try:
        assert proc.stdout is not None
        result = consume(proc.stdout)
        while proc.stdout.read(1 << 20):
            pass
        proc.wait()
    except BaseException:
        _kill_group(proc)
        proc.wait()
        if expired.is_set():
            raise TimedOut(f"{display_argv(argv[:2])} did not finish within {timeout:.0f} s") from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
        reader.join(timeout=5)
        with _LIVE_LOCK:
            _LIVE.pop(proc, None)
    if expired.is_set():
        raise TimedOut(f"{display_argv(argv[:2])} did not finish within {timeout:.0f} s")
    stderr = b"".join(err).decode("utf-8", "replace")
    return result, Completed(argv=argv, returncode=proc.returncode, stdout="", stderr=stderr)


def _communicate(proc: subprocess.Popen, argv: tuple[str, ...], *, timeout: float | None,
                 on_stderr_line: Callable[[str], None] | None, stdin: str | None) -> Completed:
    out_chunks: list[str] = []
    err_lines: list[str] = []

    def pump_stdout() -> None:
        assert proc.stdout is not None
        out_chunks.append(proc.stdout.read())

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if on_stderr_line is not None:
                on_stderr_line(line.rstrip("\n"))

    readers = [threading.Thread(target=pump_stdout, daemon=True), threading.Thread(target=pump_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    if stdin is not None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    expired, timer = _kill_after(proc, timeout)
    try:
        proc.wait()
    finally:
        if timer is not None:
            timer.cancel()
        for reader in readers:
            reader.join(timeout=5)
    if expired.is_set():
        raise TimedOut(f"{display_argv(argv[:2])} did not finish within {timeout:.0f} s")
    return Completed(argv=argv, returncode=proc.returncode, stdout="".join(out_chunks), stderr="".join(err_lines))


def find_executable(name: str) -> str | None:
    """A tool installed beside this interpreter (same venv) wins over one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    import shutil

    return shutil.which(name)


def run_shown(argv: Sequence[str], *, show: Callable[[str], None], env: Mapping[str, str] | None = None,
              timeout: float | None = None, keep: int = 40) -> Completed:
    """Run argv with its stdout and stderr handed to ``show`` line by line as they come (a training's
    log, however long, is never held): the run with the last ``keep`` lines of both as its stderr."""
    import collections
    import subprocess

    argv = tuple(str(a) for a in argv)
    proc = _start(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                  env=dict(env) if env is not None else None, text=True, encoding="utf-8", errors="replace")
    tail: collections.deque[str] = collections.deque(maxlen=keep)
    expired, timer = _kill_after(proc, timeout)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            show(line.rstrip("\n"))
        proc.wait()
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        if timer is not None:
            timer.cancel()
        with _LIVE_LOCK:
            _LIVE.pop(proc, None)
    if expired.is_set():
        raise TimedOut(f"{display_argv(argv[:2])} did not finish within {timeout:.0f} s")
    return Completed(argv=argv, returncode=proc.returncode, stdout="", stderr="\n".join(tail))
