"""A lock in other tools' formats: hashed requirements (pip), pylock.toml (PEP 751), conda-lock. Pure.

envbuild's lock pins hashes; pylock.toml and conda-lock name files too, so those exports take the
locked files as the index lists them (``IndexFile``: the adapter reads the index's JSON pages).
Every exported file installs exactly what the lock pins, checked by hash: what pip, uv or conda-lock
installs from it, `envbuild verify --lock` finds clean against the original lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from envbuild.core.lock import CONDA, Lock
from envbuild.core.lock import pip_format as requirements_format
from envbuild.core.redact import strip_credentials
from envbuild.errors import UserError

FORMATS = ("requirements", "pylock.toml", "conda-lock")


@dataclass(frozen=True, kw_only=True)
class IndexFile:
    """One locked file of a pin, as the index lists it."""

    filename: str
    url: str
    sha256: str
    size: int | None = None
    upload_time: str | None = None


def check_format(format: str) -> None:
    if format not in FORMATS:
        raise UserError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")


def needs_files(lock: Lock, format: str) -> bool:
    """Whether the export names files the lock knows only by hash (its pip pins, for these formats)."""
    if format == "conda-lock":
        return any(p.url is None for p in lock.pip)  # a conda lock's pip entries name their file already
    return format == "pylock.toml" and bool(lock.pip)


def export(lock: Lock, format: str, *, source: str, tool_version: str,
           files: Mapping[str, Sequence[IndexFile]] | None = None) -> str:
    """``files``: every locked file of each pip pin as the index lists it (pylock.toml names them all;
    conda-lock the one the target installs, as pip would pick it)."""
    check_format(format)
    _refuse_vcs(lock, format)
    if format == "conda-lock":
        return _conda_lock(lock, _best(lock, files or {}), source=source, tool_version=tool_version)
    if lock.conda:
        raise UserError(f"{source} is a conda lock: its conda packages have no {format} form",
                        hint="export it with --format conda-lock")
    if format == "requirements":
        return _requirements(lock, source=source, tool_version=tool_version)
    return _pylock(lock, files or {}, source=source, tool_version=tool_version)


def _about(lock: Lock, source: str, tool_version: str) -> str:
    python = f", Python {lock.python}" if lock.python else ""
    return f"exported by envbuild {tool_version} from {source} (target {lock.target or '-'}, {lock.platform}{python})"


def _refuse_vcs(lock: Lock, format: str) -> None:
    if lock.vcs:
        names = ", ".join(name for name, _, _ in lock.vcs)
        raise UserError(f"{names}: built from a git commit, which a {format} file cannot pin by hash",
                        hint="install those from the image envbuild builds, or pin a released version")


def _requirements(lock: Lock, *, source: str, tool_version: str) -> str:
    """The lock's own body (pip's hashed requirements format), without envbuild's header."""
    body = requirements_format.lock_body(requirements_format.render(lock))
    links = "".join(f"--find-links {strip_credentials(u)}\n" for u in lock.find_links)
    return (f"# {_about(lock, source, tool_version)}\n"
            "# Install it with: pip install --require-hashes --no-deps -r <this file>\n"
            f"{links}{body}")


def _pylock(lock: Lock, files: Mapping[str, Sequence[IndexFile]], *, source: str, tool_version: str) -> str:
    lines = [
        f"# {_about(lock, source, tool_version)}",
        "# Install it with: uv pip install -r <this file>  (or any PEP 751 installer)",
        'lock-version = "1.0"',
        f"environments = [{_toml(_environment_marker(lock))}]",
    ]
    if lock.python:
        lines.append(f"requires-python = {_toml('==' + lock.python + '.*' if lock.python.count('.') == 1 else '==' + lock.python)}")
    lines.append(f"created-by = {_toml('envbuild')}")
    index = strip_credentials(lock.index_url)
    for package in sorted(lock.pip, key=lambda p: p.name):
        locked = package.sha256s
        found = sorted((f for f in files.get(package.name, ()) if f.sha256 in locked), key=lambda f: f.filename)
        missing = locked - {f.sha256 for f in found}
        if missing or not found:
            raise UserError(f"{package.name} {package.version}: the index lists no file with the locked hash "
                            f"{sorted(missing or locked)[0][:12]}…", hint="pylock.toml names every file; export "
                            "from an index that serves PEP 691 JSON pages, or use --format requirements")
        lines += ["", "[[packages]]", f"name = {_toml(package.name)}", f"version = {_toml(package.version)}",
                  f"index = {_toml(index)}"]
        wheels = [f for f in found if f.filename.endswith(".whl")]
        sdists = [f for f in found if not f.filename.endswith(".whl")]
        if sdists:
            lines.append(f"sdist = {_file_table(sdists[0])}")
        if wheels:
            lines.append("wheels = [")
            lines.extend(f"    {_file_table(f)}," for f in wheels)
            lines.append("]")
    return "\n".join(lines) + "\n"


def _environment_marker(lock: Lock) -> str:
    from envbuild.core.platforms import platform

    parts = ["sys_platform == 'linux'", f"platform_machine == '{platform(lock.platform).machine}'"]
    if lock.python:
        parts.insert(0, f"python_version == '{'.'.join(lock.python.split('.')[:2])}'")
    return " and ".join(parts)


def _file_table(f: IndexFile) -> str:
    fields = [f"name = {_toml(f.filename)}", f"url = {_toml(strip_credentials(f.url))}"]
    if f.size is not None:
        fields.append(f"size = {int(f.size)}")
    if f.upload_time:
        fields.append(f"upload-time = {_datetime(f.upload_time)}")
    fields.append(f"hashes = {{ sha256 = {_toml(f.sha256)} }}")
    return "{ " + ", ".join(fields) + " }"


def _datetime(text: str) -> str:
    """A TOML offset date-time (PEP 751 wants one, not a string); an unreadable time is left a string."""
    import re

    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", text):
        return text
    return _toml(text)


def _toml(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (\\", \\\\, \\n, \\uXXXX)."""
    return json.dumps(text, ensure_ascii=False)


def _best(lock: Lock, files: Mapping[str, Sequence[IndexFile]]) -> dict[str, IndexFile]:
    """Each pin's file the target installs: its most preferred wheel (packaging's tag order), else the sdist."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from envbuild.core.platforms import ranked_tags

    rank = {tag: i for i, tag in enumerate(ranked_tags(lock.python or "3", lock.platform))} if lock.python else {}
    chosen = {}
    for package in lock.pip:
        locked = package.sha256s
        ranked = []
        for f in files.get(package.name, ()):
            if f.sha256 not in locked:
                continue
            if not f.filename.endswith(".whl"):
                ranked.append((len(rank) + 1, f.filename, f))
                continue
            try:
                orders = [rank[t] for t in parse_wheel_filename(f.filename)[3] if t in rank]
            except InvalidWheelFilename:
                continue
            if orders:
                ranked.append((min(orders), f.filename, f))
        if ranked:
            chosen[package.name] = min(ranked, key=lambda r: (r[0], r[1]))[2]
    return chosen


def _conda_lock(lock: Lock, best: Mapping[str, IndexFile], *, source: str, tool_version: str) -> str:
    """conda-lock's v1 file for the lock's platform: the conda packages as locked, each pip pin with
    the one file the target installs. No envbuild metadata: a file for conda-lock, micromamba, pixi."""
    import yaml

    from envbuild.core.platforms import platform

    subdir = platform(lock.platform).conda_subdir
    packages = []
    for p in sorted(lock.packages, key=lambda p: (p.manager != CONDA, p.key)):
        if p.manager == CONDA:
            entry = {"name": p.name, "version": p.version, "manager": "conda", "platform": subdir,
                     "dependencies": dict(p.dependencies), "url": strip_credentials(p.url or ""),
                     "hash": {"md5": p.md5, "sha256": p.sha256} if p.md5 else {"sha256": p.sha256},
                     "category": "main", "optional": False}
            if p.build is not None:
                entry["build"] = p.build
        else:
            chosen = best.get(p.name) if p.url is None else IndexFile(filename=p.file_name, url=p.url, sha256=p.sha256)
            if chosen is None:
                raise UserError(f"{p.name} {p.version}: the index lists no file of it that installs on "
                                f"{lock.platform}", hint="conda-lock names one file per package; export from an "
                                "index that serves PEP 691 JSON pages, or use --format requirements")
            entry = {"name": p.name, "version": p.version, "manager": "pip", "platform": subdir,
                     "dependencies": dict(p.dependencies), "url": strip_credentials(chosen.url),
                     "hash": {"sha256": chosen.sha256}, "category": "main", "optional": False}
        packages.append(entry)
    doc = {"version": 1, "metadata": {
        "content_hash": {subdir: (lock.inputs_digest or "").removeprefix("sha256:") or "unknown"},
        "channels": [{"url": strip_credentials(c), "used_env_vars": []} for c in lock.channels],
        "platforms": [subdir], "sources": list(lock.sources) or [source],
        # conda-lock's free-form metadata: the Python a pip-only file is for (a conda one has its python package)
        "custom_metadata": {"python": lock.python} if lock.python and not lock.conda else {}},
        "package": packages}
    return f"# {_about(lock, source, tool_version)}\n" + str(yaml.safe_dump(doc, sort_keys=False, width=4096))
