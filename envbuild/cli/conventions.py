"""The options every command takes, as uv, pip and docker users expect them: -q/--quiet, -v/--verbose,
--color auto|always|never and --debug, before or after the command's name (`envbuild -q verify` and
`envbuild verify -q` alike). They set SETTINGS, which output.py reads; a command never sees them.
(cli/settings.py holds them, without importing Typer.)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import typer

from envbuild.cli.settings import SETTINGS


COLORS = ("auto", "always", "never")


def _color(value: str | None) -> str | None:
    if value is not None and value not in COLORS:
        raise typer.BadParameter(f"{value!r}: expected auto, always or never", param_hint="--color")
    return value


OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("quiet", bool, typer.Option(False, "--quiet", "-q", help="Only results and errors: no progress or notes.")),
    ("verbose", int, typer.Option(0, "--verbose", "-v", count=True, show_default=False,
                                  help="More detail: every lock change, each tool's own output (repeatable).")),
    ("color", str | None, typer.Option(None, "--color", metavar="auto|always|never", callback=_color,
                                       help="Colour and tables on a terminal (auto; NO_COLOR and FORCE_COLOR are "
                                       "honoured).")),
    ("debug", bool, typer.Option(False, "--debug", help="Show tracebacks for errors.")),
)
_NAMES = tuple(f"conventions_{name}" for name, _type, _option in OPTIONS)


def settle(values: Mapping[str, Any]) -> None:
    """Fold one level's options into SETTINGS (the root's first, then the command's: the later wins)."""
    quiet, verbose, color, debug = (values.get(name) for name in _NAMES)
    SETTINGS.quiet = SETTINGS.quiet or bool(quiet)
    SETTINGS.verbose += verbose or 0
    if color:
        SETTINGS.color = color
    SETTINGS.debug = SETTINGS.debug or bool(debug)


def with_conventions(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with the common options added to its signature (Typer reads the signature)."""
    signature = inspect.signature(func)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
             for name, (_n, kind, option) in zip(_NAMES, OPTIONS)]

    @functools.wraps(func)
    def command(**kwargs: Any) -> Any:
        settle({name: kwargs.pop(name) for name in _NAMES})
        return func(**kwargs)

    command.__signature__ = signature.replace(parameters=[  # type: ignore[attr-defined]
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()] + extra)
    command.__annotations__ = {**getattr(func, "__annotations__", {}),
                               **{name: kind for name, (_n, kind, _o) in zip(_NAMES, OPTIONS)}}
    return command
