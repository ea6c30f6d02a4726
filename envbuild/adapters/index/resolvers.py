"""Resolver backends, driven as command-line tools: uv (default) and pip-tools.

Both take the same ResolveRequest and return pip-compile-style text (``name==version`` lines with
``--hash`` options); the service parses that into the one lock format, so the choice of resolver
never shows in the file beyond the 'resolver:' header line.

The resolvers run with the user's pip and uv *configuration files* ignored and index-related
environment variables removed: a lock must depend on envbuild.yaml and the input files only, not
on whichever pip.conf the machine that locked it happened to have. Transport settings (PIP_CERT,
SSL_CERT_FILE, proxies, timeouts) are kept.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from envbuild.adapters.process import Completed, find_executable, run
from envbuild.core.names import canonical_name
from envbuild.core.platforms import of_machine, platform
from envbuild.core.progress import Progress
from envbuild.core.redact import redact_text
from envbuild.errors import ResolutionError, ToolUnavailable, UserError


_DROPPED_ENV_PREFIXES = ("PIP_", "UV_")
_KEPT_ENV = {"PIP_CERT", "PIP_CLIENT_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_RETRIES", "PIP_PROXY", "PIP_CACHE_DIR",
             "PIP_NO_CACHE_DIR", "UV_CACHE_DIR", "UV_NO_CACHE", "UV_NATIVE_TLS", "UV_HTTP_TIMEOUT",
             "UV_CONCURRENT_DOWNLOADS", "UV_OFFLINE", "UV_SYSTEM_CERTS"}


@dataclass(frozen=True, kw_only=True)
class ResolveRequest:
    requirements_file: Path  # may hold '-c constraints.txt'
    output_file: Path  # an existing file there holds the pins to keep (unless upgrade)
    python: str
    platform: str
    index_url: str  # credentials expanded: never print these, use display_argv / redact_text
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    exclude_newer: str | None = None
    prerelease: bool = False
    upgrade: bool = False
    timeout: float = 1800.0
    pylock: bool = False  # uv only: PEP 751 pylock.toml (one URL and hash per file) instead of hashed pins


class Resolver(Protocol):
    name: str

    def check_host(self, request: ResolveRequest) -> None: ...

    def compile(self, request: ResolveRequest, progress: Progress) -> str: ...


def write_resolver_input(work: Path, requirements: Sequence[str], constraints: Sequence[str] = ()) -> Path:
    """requirements.in (and constraints.txt, included with -c) in ``work``: what a resolver reads."""
    lines = list(requirements)
    if constraints:
        (work / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
        lines.insert(0, "-c constraints.txt")
    path = work / "requirements.in"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def progress_until_error(progress: Progress) -> Progress:
    """Forward the resolver's progress lines, but not its error report: that is condensed instead."""
    failed = False

    def forward(line: str) -> None:
        nonlocal failed
        failed = failed or bool(re.match(r"\s*(error|×|x No solution|ERROR|Traceback)", line))
        if not failed and line.strip():
            progress(line)

    return forward


def index_env(tool: str, index_url: str, extra_index_urls: Sequence[str], find_links: Sequence[str] = ()) -> dict[str, str]:
    """The index URLs for uv ("uv") or pip and pip-compile ("pip"), as environment variables, never as
    arguments: an argv is readable by every local user (ps, /proc/PID/cmdline), a process's
    environment only by its owner, and index URLs carry credentials (user:token@, /t/${TOKEN}/)."""
    prefix = "UV" if tool == "uv" else "PIP"
    env = {f"{prefix}_INDEX_URL": index_url}
    if extra_index_urls:
        env[f"{prefix}_EXTRA_INDEX_URL"] = " ".join(extra_index_urls)
    if find_links:  # uv takes a comma-separated list, pip a space-separated one
        env[f"{prefix}_FIND_LINKS"] = ("," if tool == "uv" else " ").join(find_links)
    return env


def resolver_env(environ: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES) or k in _KEPT_ENV}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env["NO_COLOR"] = "1"
    return env


class _CommandLineResolver:
    """A resolver driven as a CLI: argv from the request, index URLs in the environment, the
    output file read back; a failure condensed to one message."""

    name: str
    index_tool: str  # whose environment variables carry the index URLs: "uv" or "pip"
    shown_as: str  # the tool's name in messages

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def argv(self, request: ResolveRequest) -> list[str]:
        raise NotImplementedError

    def check_host(self, request: ResolveRequest) -> None:
        raise NotImplementedError

    def compile(self, request: ResolveRequest, progress: Progress) -> str:
        env = resolver_env(self.environ) | index_env(self.index_tool, request.index_url, request.extra_index_urls,
                                                     request.find_links)
        done = run(self.argv(request), env=env, timeout=request.timeout,
                   cwd=request.requirements_file.parent, on_stderr_line=progress_until_error(progress))
        if done.returncode != 0:
            failure = condense_failure(done, self.shown_as)
            if isinstance(failure, ResolutionError) and not local_build_hint(done.stderr):
                failure.hint = missing_hint(done.stderr, (request.index_url, *request.extra_index_urls)) or failure.hint
            raise failure
        return request.output_file.read_text(encoding="utf-8")


class UvResolver(_CommandLineResolver):
    name, index_tool, shown_as = "uv", "uv", "uv"

    def check_host(self, request: ResolveRequest) -> None:
        """uv resolves for any Python version and Linux platform from any host."""

    def argv(self, request: ResolveRequest) -> list[str]:
        uv = find_executable("uv")
        if uv is None:
            raise ToolUnavailable("uv is not installed", hint="pip install uv, or use --resolver pip-tools")
        argv = [uv, "pip", "compile", str(request.requirements_file), "--output-file", str(request.output_file),
                *(["--format", "pylock.toml"] if request.pylock else ["--generate-hashes"]), "--no-header", "--no-annotate", "--python-version", request.python,
                "--python-platform", platform(request.platform).uv_platform, "--no-python-downloads"]
        if request.exclude_newer:
            argv += ["--exclude-newer", request.exclude_newer]
        if request.prerelease:
            argv += ["--prerelease", "allow"]
        if request.upgrade:
            argv.append("--upgrade")
        return argv



class PipToolsResolver(_CommandLineResolver):
    """pip-compile resolves for the interpreter it runs on: here, the one running envbuild."""

    name, index_tool, shown_as = "pip-tools", "pip", "pip-compile"

    def check_host(self, request: ResolveRequest) -> None:
        import importlib.util
        import platform as host_platform

        host_python = f"{sys.version_info.major}.{sys.version_info.minor}"
        host_plat = (of_machine(host_platform.machine()) if sys.platform.startswith("linux") else None) \
            or f"{sys.platform}/{host_platform.machine().lower()}"
        target_python = ".".join(request.python.split(".")[:2])
        if (host_python, host_plat) != (target_python, request.platform):
            raise UserError(
                f"pip-tools resolves for the interpreter it runs on (Python {host_python}, {host_plat}), "
                f"which cannot stand in for this target (Python {target_python}, {request.platform})",
                hint=f"use --resolver uv (it locks for any Python and platform), or run envbuild under "
                f"Python {target_python} on {request.platform}",
            )
        if importlib.util.find_spec("piptools") is None and find_executable("pip-compile") is None:
            raise ToolUnavailable("pip-tools is not installed", hint="pip install pip-tools, or use --resolver uv")
        if request.exclude_newer and _pip_version() < (26, 0):
            raise UserError("exclude-newer with pip-tools needs pip 26.0 or newer (--uploaded-prior-to)",
                            hint="pip install -U pip, or use --resolver uv")

    def argv(self, request: ResolveRequest) -> list[str]:
        import importlib.util

        if importlib.util.find_spec("piptools") is not None:
            argv = [sys.executable, "-m", "piptools", "compile"]
        else:
            argv = [find_executable("pip-compile") or "pip-compile"]
        argv += [str(request.requirements_file), "--output-file", str(request.output_file), "--generate-hashes",
                 "--no-header", "--no-annotate", "--strip-extras", "--allow-unsafe", "--no-emit-index-url", "--quiet"]
        if request.exclude_newer:
            argv += ["--pip-args", f"--uploaded-prior-to {request.exclude_newer}"]
        if request.prerelease:
            argv.append("--pre")
        if request.upgrade:
            argv.append("--upgrade")
        return argv


RESOLVERS: dict[str, type[_CommandLineResolver]] = {"uv": UvResolver, "pip-tools": PipToolsResolver}


def get_resolver(name: str, environ: Mapping[str, str] | None = None) -> Resolver:
    try:
        return RESOLVERS[name](environ)
    except KeyError:
        raise UserError(f"unknown resolver {name!r}", hint=f"choose one of: {', '.join(RESOLVERS)}") from None


def _pip_version() -> tuple[int, ...]:
    import importlib.metadata  # ~80 ms: only pip-tools asks

    try:
        return tuple(int(p) for p in re.findall(r"\d+", importlib.metadata.version("pip"))[:2])
    except importlib.metadata.PackageNotFoundError:
        return (0,)


# ---------------------------------------------------------------- failures → one clear message

_NETWORK_MARKERS = ("failed to fetch", "dns error", "connection refused", "error sending request",
                    "could not fetch url", "max retries exceeded", "newconnectionerror", "name or service not known",
                    "temporary failure in name resolution", "network is unreachable", "timed out")
_DECORATION = re.compile(r"^[\s×╰─▶│├]*(error:\s*)?(caused by:\s*)?", re.IGNORECASE)


def condense_failure(done: Completed, tool: str) -> ResolutionError | ToolUnavailable:
    """The resolver's stderr condensed to what a user needs; credentials redacted."""
    text = redact_text(done.stderr + "\n" + done.stdout)
    lines = [_DECORATION.sub("", line).rstrip() for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    lowered = text.lower()
    if "no solution found" in lowered or "unsatisfiable" in lowered:
        reason = _after(lines, "no solution found") or lines[-3:]
        return ResolutionError(f"{tool}: the requirements cannot be satisfied together",
                               details=_join_wrapped(reason), hint=_unsat_hint(text))
    if "resolutionimpossible" in lowered or "conflict is caused by" in lowered:
        reason = _after(lines, "the conflict is caused by") or lines[-4:]
        return ResolutionError(f"{tool}: the requirements cannot be satisfied together",
                               details="\n".join(reason[:12]), hint=_unsat_hint(text))
    built = re.search(r"Failed to (?:build|download and build) `([^`]+)`", text)
    if built:
        return ResolutionError(
            f"{tool}: {built.group(1)} has no wheel for this target and building it from source failed",
            details="\n".join(_build_output(lines)),
            hint="choose a version that publishes wheels for the target's Python and platform "
            "(see its files on the index), or install the system libraries the build needs on the host",
        )
    match = re.search(r"No matching distribution found for (\S+)", text)
    if match:
        return ResolutionError(f"{tool}: no version of {match.group(1)} matches on the configured indexes",
                               hint=local_build_hint(match.group(1)) or
                               "check the name and version bounds, the target's Python version and the indexes")
    if any(marker in lowered for marker in _NETWORK_MARKERS):
        url = re.search(r"https?://[^\s`'\"]+", text)
        where = f" ({url.group(0)})" if url else ""
        return ToolUnavailable(f"{tool}: a package index could not be reached{where}",
                               details="\n".join(lines[-4:]),
                               hint="check the index URL, the network and any proxy or certificate settings")
    return ResolutionError(f"{tool} failed (exit {done.returncode})", details="\n".join(lines[-12:]))


def _build_output(lines: list[str]) -> list[str]:
    """The few lines of a failed build that say why (missing headers, libraries, compilers)."""
    telling = [line.strip() for line in lines
               if re.search(r"not found|could not find|no such file|missing|error:", line, re.IGNORECASE)
               and not line.lower().startswith("hint")]
    return telling[:6] or lines[-6:]


def _after(lines: list[str], marker: str) -> list[str]:
    for i, line in enumerate(lines):
        if marker in line.lower():
            return lines[i + 1:i + 14]
    return []


def _join_wrapped(lines: list[str]) -> str:
    """uv wraps one sentence over several lines; put sentences back together."""
    text = " ".join(line.strip() for line in lines)
    return re.sub(r"(?<=\.) (?=And because|Because)", "\n", text)


# Local-version builds that only a vendor's index serves (PyPI has none): +cpu, +cu121, +rocm6.2, +xpu.
# uv may print the requirement with its marker or extras between name and version:
# torch{platform_machine == 'x86_64'}==2.6.0+cpu, torch[cuda]==2.6.0+cu124.
_LOCAL_BUILD = re.compile(r"\b([A-Za-z0-9][A-Za-z0-9._-]*)(?:\{[^}]*\}|\[[^\]]*\])*\s*={1,3}\s*"
                          r"([0-9][^\s,;`'\"]*\+(cpu|cu\d+|rocm[\d.]+|xpu))")


def local_build_hint(text: str) -> str | None:
    """'torch==2.6.0+cpu' that no configured index serves: name the index that does."""
    match = _LOCAL_BUILD.search(text)
    if match is None:
        return None
    name, version, build = match[1], match[2], match[3]
    channel = build  # PyTorch names its indexes after the build: cpu, cu121, rocm6.2, xpu
    return (f"{name}=={version} is a local-version build ('+{build}') that only a vendor index serves, not PyPI: add "
            f"it under index.extra, e.g. https://download.pytorch.org/whl/{channel} for PyTorch")


_ABI_TAGS = re.compile(r"only found wheels for `([^`]+)` \(v([^)]+)\) with the following Python (?:ABI )?tags?: ([^\n]+)")


_NO_VERSION = re.compile(r"there is no version of ([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s,;`'\"]+)"
                         r"|No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s,;]+)")
_NOT_FOUND = re.compile(r"Because ([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the package registry")


def missing_hint(text: str, index_urls: Sequence[str]) -> str | None:
    """A pinned version no configured index has (removed, yanked, or a vendor's): say so, with the
    versions the indexes do have; a name none of them has: say that. Asks each index's JSON page."""
    from envbuild.core.redact import redact_url

    match = _NO_VERSION.search(text)
    named = _NOT_FOUND.search(text)
    if match is None and named is None:
        return None
    name = canonical_name(match[1] or match[3]) if match else canonical_name(named[1]) if named else ""
    version = (match[2] or match[4]) if match else None
    found = _versions_on(name, index_urls)
    where = ", ".join(redact_url(u) for u in index_urls)
    if not found:
        return (f"no configured index ({where}) has a package named {name}: check the spelling; a vendor's package "
                "needs its index under index.extra in envbuild.yaml, or a find-links page")
    shown = ", ".join(found[-8:])
    if version is None:
        return f"versions of {name} on the configured indexes: {shown}"
    return (f"{name} {version} is on none of the configured indexes (removed, yanked, or published only on a vendor's "
            f"index); the newest there: {shown}")


def _versions_on(name: str, index_urls: Sequence[str]) -> list[str]:
    """The versions of ``name`` the indexes' JSON pages list, oldest first (yanked ones left out)."""
    from envbuild.adapters.index.pages import project_files

    versions = {version for index in index_urls for entry in project_files(index, name)
                if not entry.yanked and (version := entry.version) is not None}
    return [str(v) for v in sorted(versions)]


def python_hint(text: str) -> str | None:
    """uv found the pinned version, but no wheel for the target's Python: say which Pythons have one."""
    match = _ABI_TAGS.search(text)
    if match is None:
        return None
    versions = sorted({(int(m[1]), int(m[2])) for m in re.finditer(r"cp(\d)(\d+)", match[3])})
    if not versions:
        return None
    shown = ", ".join(f"{major}.{minor}" for major, minor in versions)
    return (f"{match[1]} {match[2]} has wheels for Python {shown} only: set 'python' in envbuild.yaml to one of "
            f"those, or require a {match[1]} that supports the target's Python")


def _unsat_hint(text: str) -> str:
    local = local_build_hint(text) or python_hint(text)
    if local:
        return local
    if "requires-python" in text.lower() or "python>=" in text.lower().replace(" ", ""):
        return "a package may not support the target's Python version: check 'python' in envbuild.yaml"
    return "relax the version bounds named above, or add a constraint that picks compatible versions"
