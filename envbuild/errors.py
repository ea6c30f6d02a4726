"""The one error tree. Each class carries the exit code of the command-line contract.

0 ok · 1 a check found a difference · 2 bad input · 3 resolution failed · 4 build failed ·
5 a tool, engine or remote host is unavailable · 70 internal error · 74 a file could not be
written or read by the OS (disk full, permission denied, read-only file system: sysexits' EX_IOERR).
"""

from __future__ import annotations


class EnvbuildError(Exception):
    """Base class: a message for the user (one line) and an optional hint."""

    exit_code = 70

    def __init__(self, message: str, *, hint: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details  # extra lines shown under the message (e.g. the resolver's reason)


class CheckFailed(EnvbuildError):
    """A check found a difference: stale lock, drift, diff."""

    exit_code = 1


class UserError(EnvbuildError):
    """Bad input: spec, usage, unreadable or malformed file."""

    exit_code = 2


class SpecError(UserError):
    """A problem at a key path of an input file: 'envbuild.yaml: targets.cuda.base: expected ...'."""

    def __init__(self, file: str, path: str, problem: str, *, hint: str | None = None) -> None:
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(where + problem, hint=hint)
        self.file = file
        self.path = path
        self.problem = problem


class LockError(SpecError):
    """A lock file envbuild will not read, at a key path as packaging's pylock.py reports it:
    'locks/cpu.conda-lock.yml: package[3].hash.sha256: ...', 'locks/cpu.txt: line 12: ...'."""


class ResolutionError(EnvbuildError):
    """The resolver could not find a set of versions that satisfies the inputs."""

    exit_code = 3


class BuildError(EnvbuildError):
    exit_code = 4


class ToolUnavailable(EnvbuildError):
    """A tool, engine, index or remote host cannot be reached or is not installed."""

    exit_code = 5


class TimedOut(ToolUnavailable):
    """A child process did not finish within its timeout (it was killed, with its process group)."""


class FileError(EnvbuildError):
    """The operating system refused a read or write: disk full, permissions, a read-only file system."""

    exit_code = 74

    @classmethod
    def of(cls, exc: OSError, path: object = None, doing: str = "write") -> "FileError":
        where = path if path is not None else exc.filename
        return cls(f"cannot {doing} {where}: {exc.strerror or exc}",
                   hint="free some space or fix the permissions, then run it again (nothing was left half-written)")
