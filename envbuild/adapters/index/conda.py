"""conda solving and fetching: py-rattler in a child process, or conda-lock driving a conda binary.

Which solver: ``auto`` uses the conda-lock CLI when a micromamba, mamba or conda executable is on
PATH (looked up first — conda-lock would otherwise try to download one), and py-rattler otherwise.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envbuild.adapters.process import find_executable, run
from envbuild.core.lock import Package
from envbuild.core.progress import Progress
from envbuild.core.redact import redact_text, redact_url
from envbuild.errors import ResolutionError, ToolUnavailable, UserError

CONDA_BINARIES = ("micromamba", "mamba", "conda")
SOLVERS = ("auto", "rattler", "conda-lock")


@dataclass(frozen=True, kw_only=True)
class SolveRequest:
    channels: tuple[str, ...]  # URLs, credentials expanded
    specs: tuple[str, ...]
    platform: str  # conda subdir
    virtual: tuple[tuple[str, str, str], ...]  # (name, version, build) of __linux, __glibc, __cuda...
    exclude_newer: str | None = None
    timeout: float = 600.0


def archive_paths(path: Path) -> list[tuple[str, str | None]]:
    """(relative path, urlsafe-b64 sha256) of each file a conda package archive installs, from its own
    info/paths.json (py-rattler reads .conda and .tar.bz2 alike): the lock-side truth of `verify
    --files`. The digest is None where conda rewrites the file at install (a prefix placeholder):
    its installed bytes differ by design, so only conda-meta's record of them is left."""
    import base64

    from rattler.package import PathsJson

    try:
        entries = PathsJson.from_package_archive(path).paths
    except Exception as exc:  # noqa: BLE001 - py-rattler raises its own kinds for a bad archive
        raise ToolUnavailable(f"{path.name}: cannot read its info/paths.json ({exc})") from None
    out = []
    for entry in entries:
        if not entry.path_type.hardlink:
            continue  # links and directories carry no content
        digest = None if entry.prefix_placeholder is not None or entry.sha256 is None \
            else base64.urlsafe_b64encode(bytes(entry.sha256)).rstrip(b"=").decode("ascii")
        out.append((str(entry.relative_path), digest))
    return out


def match_spec_problem(text: str) -> str | None:
    """What py-rattler finds wrong with a conda match spec (None: it parses)."""
    try:
        from rattler import MatchSpec
    except ImportError:
        return None  # the solve will say
    try:
        MatchSpec(text)
    except Exception as exc:  # noqa: BLE001 - rattler's error classes vary by version
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def choose_solver(name: str, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """(solver, conda binary or None)."""
    if name not in SOLVERS:
        raise UserError(f"unknown conda solver {name!r}", hint=f"choose one of: {', '.join(SOLVERS)}")
    binary = next((path for b in CONDA_BINARIES if (path := shutil.which(b, path=environ.get("PATH")))), None)
    if name == "rattler" or (name == "auto" and binary is None):
        return "rattler", None
    if binary is None:
        raise ToolUnavailable("--conda-solver conda-lock needs a micromamba, mamba or conda executable on PATH",
                              hint="install micromamba, or use --conda-solver rattler")
    if find_executable("conda-lock") is None and not _module("conda_lock"):
        raise ToolUnavailable(f"{Path(binary).name} is on PATH but conda-lock is not installed",
                              hint="pip install 'envbuild[conda-lock]', or use --conda-solver rattler")
    return "conda-lock", binary


def solve_rattler(request: SolveRequest, environ: Mapping[str, str]) -> list[dict]:
    """Repodata records (rattler's JSON form) of the solution."""
    payload = json.dumps({"channels": list(request.channels), "specs": list(request.specs),
                          "platform": request.platform, "virtual": [list(v) for v in request.virtual],
                          "exclude_newer": request.exclude_newer, "timeout": request.timeout})
    done = run([sys.executable, "-m", "envbuild.adapters.index.rattler_worker"], stdin=payload, env=dict(environ),
               timeout=request.timeout + 60)
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = redact_text(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else f"exit {done.returncode}"
        raise ResolutionError(f"py-rattler stopped without an answer: {tail}") from None
    if "records" in answer:
        return answer["records"]
    message = redact_text(answer.get("message", "")).strip()
    first = message.splitlines()[0] if message else "no message"
    kind = answer.get("error")
    if kind == "unreachable":
        raise ToolUnavailable(_unreachable(message, request.channels, request.platform),
                              hint="check the channel URLs and the network (no conda channel answers from here?)")
    if kind == "invalid":
        raise UserError(f"invalid conda package spec or channel: {first}")
    if kind == "unsolvable":
        hint = None
        if "__cuda" in message and not any(v[0] == "__cuda" for v in request.virtual):
            hint = "a package needs a CUDA driver (__cuda): set 'cuda: \"12.4\"' on the target"
        raise ResolutionError("the conda environment cannot be solved", details=message, hint=hint)
    raise ResolutionError(f"py-rattler failed: {first}", details=message)


def _unreachable(message: str, channels: Sequence[str], subdir: str) -> str:
    """'conda channel https://conda.anaconda.org/nvidia cannot be reached (failed to lookup address ...)'.
    The solver fetches every channel at once and reports whichever failed first; envbuild names the
    first channel in the file's order that does not answer, so the message is the same every run."""
    import re

    url = re.search(r"url \((\S+?)\)", message)
    channel = _first_silent(channels, subdir) or next(
        (c for c in channels if url and url.group(1).startswith(c.rstrip("/") + "/")), None)
    causes = [line.split(":", 1)[1].strip() for line in message.splitlines() if line.strip().startswith("Caused by:")]
    why = causes[-1] if causes else message.splitlines()[0]
    return f"conda channel {redact_url(channel or (url.group(1) if url else '?'))} cannot be reached ({why})"


def _first_silent(channels: Sequence[str], subdir: str, timeout: float = 5.0) -> str | None:
    """The first channel, in order, whose repodata cannot be fetched (None: every one answers now)."""
    import urllib.request
    from urllib.parse import unquote, urlsplit

    for channel in channels:
        target = f"{channel.rstrip('/')}/{subdir}/repodata.json"
        try:
            if urlsplit(target).scheme == "file":
                if not Path(unquote(urlsplit(target).path)).is_file():
                    return channel
                continue
            with urllib.request.urlopen(urllib.request.Request(target, method="HEAD"), timeout=timeout):  # noqa: S310
                pass
        except (OSError, ValueError):
            return channel
    return None


def solve_conda_lock(env_file: Path, request: SolveRequest, binary: str, environ: Mapping[str, str],
                     progress: Progress) -> list[Package]:
    """conda-lock with the conda binary found on PATH; its lock file is read back into packages."""
    from envbuild.core.lock import conda_format

    with tempfile.TemporaryDirectory(prefix="envbuild-conda-lock-") as tmp:
        work = Path(tmp)
        packages = {n: v if b == "0" else f"{v} {b}" for n, v, b in request.virtual}  # conda-lock's "version build"
        (work / "virtual.yml").write_text(json.dumps({"subdirs": {request.platform: {"packages": packages}}}),
                                          encoding="utf-8")
        flavour = {"micromamba": ["--micromamba"], "mamba": ["--mamba"]}.get(Path(binary).name,
                                                                              ["--no-mamba", "--no-micromamba"])
        argv = [*_conda_lock_argv(), "lock", "--file", str(env_file), "--platform", request.platform,
                "--conda", binary, *flavour, "--lockfile", str(work / "conda-lock.yml"), "--kind", "lock",
                "--virtual-package-spec", str(work / "virtual.yml"), "--strip-auth"]
        progress(f"solving with conda-lock and {Path(binary).name}")
        done = run(argv, env=dict(environ), timeout=request.timeout, on_stderr_line=lambda line: None)
        if done.returncode != 0:
            lines = [ln for ln in redact_text(done.stderr).splitlines() if ln.strip()]
            raise ResolutionError("conda-lock failed", details="\n".join(lines[-15:]))
        text = (work / "conda-lock.yml").read_text(encoding="utf-8")
    return list(conda_format.parse(text, "conda-lock output", subdir=request.platform).packages)


def _conda_lock_argv() -> list[str]:
    exe = find_executable("conda-lock")
    return [exe] if exe else [sys.executable, "-m", "conda_lock"]


def _module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
