"""What describes a local interpreter (probe/facts.py), cached, so a metadata verify of a local venv
starts no second interpreter: the probe's file reading then runs in envbuild's own process.

The facts are asked of the interpreter itself (`python -I -S - --facts`) the first time and kept in
`<cache>/interpreters/<sha256 of its path>.json`, under a key that changes whenever anything they
come from can have changed: the executable as named and as resolved (inode, size, mtime and ctime
- ctime cannot be set back by anyone), the pyvenv.cfg files site.py reads, HOME (the user site) and
the user. A key that differs, a file that does not parse or has the wrong shape: asked again.
The packages are never cached: they are read afresh on every run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_FORMAT = 1
_FIELDS = {"executable": str, "version": str, "implementation": str, "prefix": str, "base_prefix": str,
           "system_site": bool, "machine": str, "system": str, "libc": str, "libc_version": str,
           "stdlib_path": list, "stdlib_names": list, "venv_sites": list, "system_sites": list}


def resolve(python: str) -> str | None:
    """The absolute path of an interpreter named as --python names it (a path, or a name on PATH)."""
    if os.sep in python:
        found: str | None = python
    else:
        import shutil

        found = shutil.which(python)
    return os.path.abspath(found) if found and os.path.isfile(found) else None


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def key_of(executable: str, environ: Mapping[str, str]) -> list[Any]:
    exe_dir = os.path.dirname(executable)
    try:
        link = os.lstat(executable)
        named = [link.st_ino, link.st_mtime_ns, link.st_ctime_ns]
    except OSError:
        named = None
    return [_FORMAT, executable, os.path.realpath(executable), named, _stat(executable),
            _stat(os.path.join(exe_dir, "pyvenv.cfg")), _stat(os.path.join(os.path.dirname(exe_dir), "pyvenv.cfg")),
            environ.get("HOME", ""), os.geteuid() if hasattr(os, "geteuid") else None]


def _valid(facts: Any) -> bool:
    return isinstance(facts, dict) and all(isinstance(facts.get(k), t) for k, t in _FIELDS.items()) and \
        isinstance(facts.get("venv"), (str, type(None))) and isinstance(facts.get("user_site"), (str, type(None)))


def cached_facts(executable: str, environ: Mapping[str, str], cache: Path, timeout: float, *,
                 probe: str, own: bool = False) -> dict[str, Any] | None:
    """The facts of ``executable`` (absolute), from the cache or from the interpreter, which runs
    ``probe`` (adapters/places.probe_source) with --facts; None when it cannot be asked (the caller
    then runs the whole probe there, which says why). ``own``: it is the interpreter running
    envbuild, whose facts this process computes itself."""
    from envbuild.errors import EnvbuildError

    key = key_of(executable, environ)
    path = cache / "interpreters" / (hashlib.sha256(executable.encode()).hexdigest()[:32] + ".json")
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("key") == key and _valid(kept.get("facts")):
            return kept["facts"]
    except (OSError, ValueError, AttributeError, RecursionError):
        pass
    if own:
        from envbuild.probe.facts import own_facts

        facts = json.loads(json.dumps(own_facts()))
    else:
        facts = _ask(executable, probe, timeout)
    if not _valid(facts):
        return None
    if key_of(executable, environ) == key:  # unchanged while it answered: safe to keep
        from envbuild.adapters.files import atomic_write

        try:
            atomic_write(path, json.dumps({"key": key, "facts": facts}, sort_keys=True))
        except EnvbuildError:
            pass  # a read-only cache only costs the next run its time
    return facts


def _ask(executable: str, probe: str, timeout: float) -> Any:
    from envbuild.adapters.process import run
    from envbuild.errors import EnvbuildError

    try:
        done = run([executable, "-I", "-S", "-", f"--deadline={max(1, int(timeout))}", "--facts"],
                   stdin=probe, timeout=timeout + 5)
    except EnvbuildError:
        return None
    try:
        return json.loads(done.stdout) if done.returncode == 0 else None
    except (ValueError, RecursionError):  # a hostile answer: the whole probe there then says what is wrong
        return None
