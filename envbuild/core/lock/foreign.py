"""Locks other tools wrote, read for `verify --lock` and `diff`. Pure.

- hashed requirements files without envbuild's header: pip-compile --generate-hashes,
  uv pip compile --generate-hashes, uv export (every pin ``==`` with ``--hash``);
- ``pylock.toml`` (PEP 751), validated by packaging's reader;
- ``uv.lock``: the packages the project's own dependencies reach, markers evaluated for the checked
  environment; what only its extras and dependency groups reach is optional (checked when
  installed, not missing when not) — `uv sync` installs the dev group by default, `--no-dev` not;
- conda-lock files of conda-lock itself, with several platforms (the environment's own by default).

What such a lock pins depends on the environment it is checked against (markers, platform), so it
is read here as a ``Foreign`` and ``settle``d once per environment into a Lock for that environment
(its Python and platform). Nothing here vouches for a foreign lock's integrity: it is the user's
own file, not one envbuild wrote (envbuild's own locks stay under their body digest).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from envbuild.core.lock import conda_format, pip_format
from envbuild.core.lock.model import DEFAULT_INDEX, PIP, Lock, Package
from envbuild.core.markers import applies
from envbuild.core.names import canonical_name
from envbuild.core.snapshot import Interpreter
from envbuild.errors import LockError

EXPECTED = ("an envbuild lock, a hashed requirements file (pip-compile, uv pip compile --generate-hashes, "
            "uv export), pylock.toml (PEP 751), uv.lock or a conda-lock file")
_PYLOCK_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$")


@dataclass(frozen=True, kw_only=True)
class Foreign:
    kind: str  # "requirements" | "pylock" | "uv.lock" | "conda-lock"
    source: str
    text: str
    platform: str | None = None  # conda-lock: the platform asked for (--platform), else the environment's
    doc: Any = None  # the parsed TOML document (pylock, uv.lock)

    @property
    def label(self) -> str:
        return {"requirements": "hashed requirements", "pylock": "pylock.toml", "uv.lock": "uv.lock",
                "conda-lock": "conda-lock"}[self.kind]


def read_any(text: str, source: str, *, platform: str | None = None) -> Lock | Foreign:
    """envbuild's own lock (strict: header and body digest) or another tool's, told apart by name and content.
    A foreign lock is checked for its shape now, so a bad file fails before anything is probed."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    # envbuild's own requirements lock says so in its header: told first, before the scans of the
    # whole text that tell the other formats apart
    ours = re.search(r"(?m)^# envbuild-lock: ", _first_lines(text, 60)) is not None
    if ours and name != "uv.lock" and not _PYLOCK_NAME.match(name) and not conda_format.looks_like(name, ""):
        return pip_format.parse(text, source)
    if name == "uv.lock" or (_toml_like(text) and re.search(r"(?m)^\[\[package\]\]", text)):
        foreign = Foreign(kind="uv.lock", source=source, text=text, doc=_toml(text, source))
        _uv_packages(foreign.doc, source)
        return foreign
    if _PYLOCK_NAME.match(name) or (_toml_like(text) and re.search(r"(?m)^lock-version\s*=", text)):
        foreign = Foreign(kind="pylock", source=source, text=text, doc=_toml(text, source))
        _pylock(foreign.doc, source)
        return foreign
    if conda_format.looks_like(name, text):
        if re.search(r"(?m)^\s+envbuild-lock:", text):
            return conda_format.parse(text, source)  # envbuild's own: one platform, under its packages digest
        found = _conda_platforms(text, source)
        if platform and _subdir(platform) not in found:
            raise LockError(source, "metadata.platforms", f"locks no {platform} ({', '.join(found)})")
        return Foreign(kind="conda-lock", source=source, text=text, platform=platform)
    if ours:
        return pip_format.parse(text, source)
    try:
        pins = pip_format.parse_pins(text, source)
    except LockError as exc:
        raise LockError(source, exc.path, f"{exc.problem} (read as a hashed requirements file)",
                        hint=f"expected {EXPECTED}") from None
    if not pins.packages:
        raise LockError(source, "", "not a lock file: it pins nothing", hint=f"expected {EXPECTED}")
    return Foreign(kind="requirements", source=source, text=text)


def _first_lines(text: str, count: int) -> str:
    """``"\\n".join(text.splitlines()[:count])`` without splitting the whole text: the first ``count``
    LF-ended lines hold at least ``count`` of splitlines' lines."""
    return "\n".join("\n".join(text.split("\n", count)[:count]).splitlines()[:count])


def settle(lock: Lock | Foreign, *, python: str, platform: str, machine: str = "") -> Lock:
    """The lock for one environment: CPython ``python`` (X.Y.Z) on ``platform`` ('linux/amd64';
    '' when envbuild knows no target like it, then ``machine`` as the environment reports it)."""
    if isinstance(lock, Lock):
        return lock
    env = _marker_env(python, platform, machine)
    xy = ".".join(python.split(".")[:2])
    if lock.kind == "conda-lock":
        return conda_format.parse(lock.text, lock.source, subdir=_subdir(lock.platform or platform), check_body=False)
    if lock.kind == "requirements":
        pins = pip_format.parse_pins(lock.text, lock.source)
        return replace(pins, target=lock.label, python=xy, platform=platform, packages=_applying(pins.packages, env),
                       resolver="")
    if lock.kind == "pylock":
        packages, index = _pylock(lock.doc, lock.source, env)
    else:
        packages, index = _uv_packages(lock.doc, lock.source, env)
    return Lock(format=pip_format.FORMAT, target=lock.label, platform=platform, python=xy,
                packages=tuple(sorted(packages, key=lambda p: p.name)), index_url=index)


def settle_for(lock: Lock | Foreign | None, interpreter: Interpreter, python: str | None = None) -> Lock | None:
    """``settle`` for the interpreter a snapshot describes (its version and machine); ``python``
    (X.Y[.Z]): for that Python instead of the interpreter's (`verify --lock-python`)."""
    from envbuild.core.platforms import of_machine

    if not isinstance(lock, Foreign):
        return lock
    return settle(lock, python=python or interpreter.version, platform=of_machine(interpreter.machine) or "",
                  machine=interpreter.machine)


_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")  # the CPython minors a lock may be settled for


def python_for(lock: Lock | Foreign, host: str) -> str:
    """The Python to settle another tool's lock for when nothing else says: ``host`` (X.Y.Z), unless
    the lock's requires-python leaves it out; then the newest Python it allows."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    wanted = lock.doc.get("requires-python") if isinstance(lock, Foreign) and isinstance(lock.doc, dict) else None
    if not isinstance(wanted, str):
        return host
    try:
        allowed = SpecifierSet(wanted)
    except InvalidSpecifier:
        return host
    if allowed.contains(host, prereleases=True):
        return host
    fitting = [v for v in _PYTHONS if allowed.contains(f"{v}.0", prereleases=True)]
    return f"{fitting[-1]}.0" if fitting else host


def _applying(packages: tuple[Package, ...], env: Mapping[str, Any]) -> tuple[Package, ...]:
    return tuple(replace(p, marker=None) for p in packages if applies(p.marker, env))


def _marker_env(python: str, platform: str, machine: str) -> dict[str, str]:
    from envbuild.core.platforms import marker_environment

    env = marker_environment(python, platform or "linux/amd64")
    if not platform and machine:
        env["platform_machine"] = machine
    return env


def _subdir(platform: str) -> str:
    from envbuild.core.platforms import PLATFORMS

    known = PLATFORMS.get(platform)
    return known.conda_subdir if known else platform  # a conda subdir given as such (linux-64, osx-arm64)


def _toml_like(text: str) -> bool:
    head = "\n".join(line for line in text.splitlines()[:40] if line.strip() and not line.startswith("#"))
    return bool(re.search(r"(?m)^(version|lock-version|requires-python|revision)\s*=", head))


def _toml(text: str, source: str) -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(source, "", f"not valid TOML: {exc}", hint=f"expected {EXPECTED}") from None


def _conda_platforms(text: str, source: str) -> list[str]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LockError(source, "", f"not a conda-lock file (invalid YAML: {exc})") from None
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("platforms"), list) or not meta["platforms"]:
        raise LockError(source, "metadata.platforms", "expected the list of platforms the file locks")
    return [str(p) for p in meta["platforms"]]


# ---------------------------------------------------------------- pylock.toml (PEP 751)


def _pylock(doc: Any, source: str, env: Mapping[str, str] | None = None) -> tuple[list[Package], str]:
    """packaging's reader validates the document (errors at their key path); the packages whose
    marker holds for ``env`` (with the lock's default dependency groups), each with every file's
    sha256. ``env`` None: validation only."""
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    try:
        lock = Pylock.from_dict(doc)
    except PylockUnsupportedVersionError as exc:
        raise LockError(source, "lock-version", str(exc), hint="upgrade envbuild") from None
    except PylockValidationError as exc:
        raise LockError(source, getattr(exc, "context", "") or "", str(exc)) from None
    if env is None:
        return [], DEFAULT_INDEX
    groups = frozenset(lock.default_groups or ())
    context_env = dict(env, extras=frozenset(), dependency_groups=groups)
    found, indexes = [], []
    for i, package in enumerate(lock.packages):
        if package.marker is not None and not applies(str(package.marker), context_env, context="lock_file"):
            continue
        hashes = sorted({f"sha256:{f.hashes['sha256'].lower()}" for f in [*(package.wheels or ()), package.sdist,
                                                                          package.archive] if f and "sha256" in f.hashes})
        if package.version is None:
            raise LockError(source, f"packages[{i}].version", f"{package.name}: no version (a directory or VCS "
                            "package): envbuild checks pinned versions")
        found.append(Package(name=canonical_name(str(package.name)), version=str(package.version), manager=PIP,
                             hashes=tuple(hashes)))
        if package.index:
            indexes.append(package.index)
    return found, _most_common(indexes)


# ---------------------------------------------------------------- uv.lock


def _uv_packages(doc: Any, source: str, env: Mapping[str, str] | None = None) -> tuple[list[Package], str]:
    """The packages uv.lock's workspace members reach through their dependencies: required through
    ``dependencies``, optional through extras and dependency groups; the members themselves optional
    (an editable install of the project is not drift)."""
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("package"), list):
        raise LockError(source, "", "not a uv.lock file (expected 'version = 1' and [[package]] tables)",
                        hint=f"expected {EXPECTED}")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for i, entry in enumerate(doc["package"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise LockError(source, f"package[{i}].name", "expected a string")
        if not isinstance(entry.get("source", {}), dict):
            raise LockError(source, f"package[{i}].source", "expected a table")
        by_name.setdefault(canonical_name(entry["name"]), []).append(entry)
    members = [e for entries in by_name.values() for e in entries if _is_member(e)]
    if not members:
        raise LockError(source, "package", "no workspace member (a package whose source is the project itself)",
                        hint="envbuild reads the uv.lock of a project; pass the project's own uv.lock")
    if env is None:
        return [], DEFAULT_INDEX
    required: dict[int, dict[str, Any]] = {}
    optional: dict[int, dict[str, Any]] = {}

    def walk(deps: Any, into: dict[int, dict[str, Any]], where: str) -> None:
        stack = list(deps if isinstance(deps, list) else [])
        while stack:
            dep = stack.pop()
            if not isinstance(dep, dict) or not applies(dep.get("marker"), env):
                continue
            entry = _resolve(by_name, dep, source, where)
            if entry is None or id(entry) in into or (into is optional and id(entry) in required):
                continue
            into[id(entry)] = entry
            stack.extend(entry.get("dependencies") or [])
            for extra in dep.get("extra") or []:
                stack.extend((entry.get("optional-dependencies") or {}).get(extra) or [])

    for member in members:
        walk(member.get("dependencies"), required, "dependencies")
    for member in members:
        for table in ("optional-dependencies", "dev-dependencies"):
            for deps in (member.get(table) or {}).values():
                walk(deps, optional, table)
    found, indexes = [], []
    for entry, is_optional in [*((e, False) for e in required.values()), *((e, True) for e in optional.values()),
                               *((m, True) for m in members if _is_installed_member(m))]:
        hashes = sorted({str(f["hash"]).lower() for f in [*(entry.get("wheels") or []), entry.get("sdist")]
                         if isinstance(f, dict) and str(f.get("hash", "")).startswith("sha256:")})
        found.append(Package(name=canonical_name(entry["name"]), version=str(entry.get("version", "")), manager=PIP,
                             hashes=tuple(hashes), optional=is_optional))
        registry = (entry.get("source") or {}).get("registry")
        if isinstance(registry, str):
            indexes.append(registry)
    return found, _most_common(indexes)


def _is_member(entry: dict[str, Any]) -> bool:
    source = entry.get("source") or {}
    return "virtual" in source or "editable" in source


def _is_installed_member(entry: dict[str, Any]) -> bool:
    return "editable" in (entry.get("source") or {})


def _resolve(by_name: Mapping[str, list[dict[str, Any]]], dep: dict[str, Any], source: str, where: str) -> dict[str, Any] | None:
    """The package a dependency entry names; with several versions of one name (resolution forks),
    the one its ``version`` (and ``source``) says."""
    candidates = by_name.get(canonical_name(str(dep.get("name", ""))), [])
    if len(candidates) > 1:
        candidates = [c for c in candidates if ("version" not in dep or c.get("version") == dep["version"])
                      and ("source" not in dep or c.get("source") == dep["source"])]
    if not candidates:
        raise LockError(source, where, f"depends on {dep.get('name')!r}, which the lock has no package for")
    return candidates[0]


def _most_common(indexes: list[str]) -> str:
    if not indexes:
        return DEFAULT_INDEX
    return max(sorted(set(indexes)), key=indexes.count).rstrip("/")
