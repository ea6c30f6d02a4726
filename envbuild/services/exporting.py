"""envbuild export: a target's lock (or any lock file) in pip's, PEP 751's or conda-lock's format
(core/lock/export.py). pylock.toml and conda-lock name files, so their export asks the lock's index
for the locked files (its PEP 691 JSON pages); requirements needs nothing but the lock."""

from __future__ import annotations

import platform as host
import sys
from collections.abc import Mapping
from pathlib import Path

from typing import TYPE_CHECKING

from envbuild.errors import ToolUnavailable
from envbuild.version import __version__

if TYPE_CHECKING:
    from envbuild.core.lock.export import IndexFile
    from envbuild.core.lock import Lock


def export(directory: Path | None, target: str | None, lock_file: Path | None, format: str, *,
           environ: Mapping[str, str]) -> str:
    from envbuild.adapters.lockfiles import read_any_lock_file
    from envbuild.ecosystems import target_lock_file
    from envbuild.core.lock import export as formats
    from envbuild.core.lock.foreign import settle
    from envbuild.core.platforms import of_machine

    formats.check_format(format)  # before anything is read
    path = lock_file if lock_file is not None else target_lock_file(directory, target)
    machine = host.machine()
    # another tool's lock: as it applies to the interpreter running envbuild (its markers, platform)
    lock = settle(read_any_lock_file(path), python=".".join(map(str, sys.version_info[:3])),
                  platform=of_machine(machine) or "", machine=machine)
    files = _index_files(lock, environ) if formats.needs_files(lock, format) else None
    return formats.export(lock, format, source=str(path), tool_version=__version__, files=files)


def _index_files(lock: "Lock", environ: Mapping[str, str]) -> dict[str, list["IndexFile"]]:
    from envbuild.adapters.index.downloads import index_files
    from envbuild.core.envvars import expand

    written = [lock.index_url, *lock.extra_index_urls]
    found = index_files(lock.pip, [(expand(url, environ), url) for url in written])
    if not any(found.values()):
        raise ToolUnavailable(f"no JSON page of {lock.index_url} lists the locked files",
                              hint="the index must serve PEP 691 JSON pages (PyPI and most mirrors do); "
                              "or export --format requirements, which needs no index")
    return found
