"""What a command means when the user leaves it out: the project (the nearest envbuild.yaml, as git
finds .git) and the environment (the one the user has activated, as uv and pip-tools choose it).

Both choices are said on stderr, so a command never silently checks something else than what the
user had in mind.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, overload

from envbuild.cli.output import progress

if TYPE_CHECKING:
    from envbuild.adapters.places import Place


@overload
def spec_directory(directory: Path | None) -> Path: ...
@overload
def spec_directory(directory: Path | None, *, required: bool) -> Path | None: ...


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


def places(python: list[str], container: list[str], image: list[str], ssh: list[str], interpreter: str,
           ssh_config: Path | None, conda_prefix: str | None = None, *, exec_: Sequence[str] = (),
           hosts: Path | None = None) -> list["Place"]:
    from envbuild.adapters.places import Place

    found = [Place(kind="python", name=p) for p in python]
    found += [Place(kind="container", name=c, interpreter=interpreter) for c in container]
    found += [Place(kind="image", name=i, interpreter=interpreter) for i in image]
    found += [Place(kind="ssh", name=h, interpreter=interpreter, ssh_config=str(ssh_config) if ssh_config else None)
              for h in [*ssh, *(_hosts(hosts) if hosts is not None else [])]]
    found += [Place(kind="exec", name=command, interpreter=interpreter) for command in exec_]
    if not found:
        found = [default_place(os.environ)]
    if conda_prefix:
        from dataclasses import replace

        found = [replace(place, conda_prefix=conda_prefix) for place in found]
    return found


def _hosts(path: Path) -> list[str]:
    """One host per line; blank lines and '#' comments skipped; a file with none is a mistake."""
    from envbuild.adapters.files import read_text
    from envbuild.errors import UserError

    if not path.is_file():
        raise UserError(f"--hosts {path}: no such file")
    found = [line.split("#", 1)[0].strip() for line in read_text(path, str(path)).splitlines()]
    found = [host for host in found if host]
    for host in found:
        if len(host.split()) != 1:
            raise UserError(f"--hosts {path}: {host!r}: one host per line (user@host or an ssh config alias)")
    if not found:
        raise UserError(f"--hosts {path}: no hosts in it")
    return found


def check_level(level: str) -> None:
    from envbuild.core.check.severity import LEVELS
    from envbuild.errors import UserError

    if level not in LEVELS:
        raise UserError(f"--fail-on {level}: expected one of {', '.join(LEVELS)}")


def python_version(text: str | None) -> str | None:
    """verify --lock-python, diff --python: X.Y or X.Y.Z (None: not given)."""
    import re

    from envbuild.errors import UserError

    if text is None or re.fullmatch(r"3\.\d+(\.\d+)?", text):
        return text
    raise UserError(f"not a Python version: {text!r}", hint="give it as X.Y, e.g. 3.10")
