"""What a command means when the user leaves it out: the project (the nearest envbuild.yaml, as git
finds .git) and the environment (the one the user has activated, as uv and pip-tools choose it).

Both choices are said on stderr, so a command never silently checks something else than what the
user had in mind.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.cli.output import progress

if TYPE_CHECKING:
    from envbuild.adapters.places import Place


def spec_directory(directory: Path | None, *, required: bool = True) -> Path | None:
    """``directory`` as given, else the nearest directory at or above the current one holding
    envbuild.yaml, never above the repository's root (relative, so messages stay short)."""
    if directory is not None:
        return directory
    from envbuild.adapters.inputs import find_spec_dir

    here = Path.cwd().absolute()
    found = find_spec_dir(here)
    if found is None:
        if not required:
            return None
        from envbuild.errors import UserError

        raise UserError("no envbuild.yaml here or in a directory above it (up to the repository's root)",
                        hint="pass the image directory, e.g. 'envbuild lock images/demo', or write one with "
                        "'envbuild init'")
    if found == here:
        return Path(".")
    relative = Path(os.path.relpath(found, here))
    progress(f"using {relative / 'envbuild.yaml'}")
    return relative


# The order uv follows for its default environment, then the interpreter running envbuild.
_DEFAULTS = (("VIRTUAL_ENV", "the activated virtual environment"), ("CONDA_PREFIX", "the activated conda environment"))


def default_place(environ: Mapping[str, str], cwd: Path | None = None) -> "Place":
    """The environment verify and snapshot check when given none: $VIRTUAL_ENV, then $CONDA_PREFIX,
    then ./.venv, then the interpreter running envbuild (with a pipx or `uv tool` install, that is
    envbuild's own environment: the last resort, and said so)."""
    from envbuild.adapters.places import Place
    from envbuild.errors import UserError

    cwd = cwd or Path.cwd()
    chosen: tuple[Path, str] | None = None
    for name, why in _DEFAULTS:
        prefix = environ.get(name)
        if prefix:
            python = Path(prefix) / "bin" / "python"
            if not python.exists():
                raise UserError(f"{name}={prefix}: no bin/python there",
                                hint="deactivate it, or say which environment with --python PATH")
            chosen = (python, f"{why}, ${name}")
            break
    if chosen is None and (cwd / ".venv" / "bin" / "python").exists():
        chosen = (cwd / ".venv" / "bin" / "python", "./.venv")
    if chosen is None or _same_prefix(chosen[0]):
        progress(f"environment: {sys.executable} ({chosen[1] if chosen else 'the interpreter running envbuild'})")
        return Place(kind="local")
    progress(f"environment: {chosen[0]} ({chosen[1]})")
    return Place(kind="python", name=str(chosen[0]))


def _same_prefix(python: Path) -> bool:
    """Whether ``python`` belongs to the environment envbuild runs in (then it is probed as 'this
    interpreter', the same process)."""
    try:
        return python.parent.parent.resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False
