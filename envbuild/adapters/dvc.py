"""DVC, driven as a command: the data a workspace versions (dvc.lock's outputs) and whether the
workspace still holds it (`dvc status`, DVC's own hashing and state cache: never re-implemented here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envbuild.adapters.process import find_executable, run
from envbuild.errors import ToolUnavailable, UserError


def lock_outputs(dvc_lock: Path | None, directory: Path) -> tuple[str, list[dict[str, Any]]] | None:
    """(where, the outputs) of ``dvc_lock``, or of ``directory``/dvc.lock when there is one (None when not)."""
    import yaml

    from envbuild.adapters.files import read_text
    from envbuild.core.lineage.data import dvc_outputs

    path = dvc_lock or directory / "dvc.lock"
    if dvc_lock is None and not path.is_file():
        return None
    if not path.is_file():
        raise UserError(f"no dvc.lock at {path}")
    try:
        return str(path), dvc_outputs(yaml.safe_load(read_text(path, str(path))), str(path))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None


def status(directory: Path, *, environ: Mapping[str, str], timeout: float = 600) -> Any:
    """`dvc status --json` of the workspace at ``directory``: what differs from dvc.lock and the .dvc
    files (parsed, not yet trusted: core/lineage/data.status_findings reads it)."""
    dvc = find_executable("dvc")
    if dvc is None:
        raise ToolUnavailable("cannot check the data: DVC is not installed (no dvc beside envbuild or on PATH)",
                              hint="install it (pipx install dvc), or leave out --data")
    env = dict(environ, DVC_NO_ANALYTICS="1")  # a check does not phone home
    done = run([dvc, "status", "--json"], cwd=directory, env=env, timeout=timeout)
    if done.returncode != 0:
        said = [line.removeprefix("ERROR:").strip() for line in done.stderr.splitlines() if line.strip()]
        raise UserError(f"dvc status in {directory}: {said[0] if said else f'exit {done.returncode}'}",
                        hint="--data checks a DVC workspace: run it in the repository (or pass its directory)")
    try:
        return json.loads(done.stdout or "{}")
    except ValueError:
        raise ToolUnavailable(f"dvc status in {directory} printed no JSON (is {dvc} DVC?)") from None


def workspace_root(start: Path) -> Path:
    """The DVC repository ``start`` lies in (the nearest directory up with a .dvc/, as DVC finds it),
    else ``start`` itself (dvc status then says it is not one)."""
    start = start.resolve()
    return next((d for d in (start, *start.parents) if (d / ".dvc").is_dir()), start)
