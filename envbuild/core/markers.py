"""PEP 508 environment markers against one target's environment (platforms.marker_environment),
with one rule for a marker that cannot be told: it applies. A package behind such a marker is kept
and checked, never dropped silently. Pure; packaging is imported on the first marker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FULL_VERSION_NAMES = ("python_full_version", "implementation_version")


def evaluate(marker: str, env: Mapping[str, Any], *, context: str = "metadata") -> bool | None:
    """True or False where ``marker`` can be told in ``env``; None where it cannot: unreadable, a
    comparison packaging cannot make, or a full Python version asked of a target known by X.Y only
    (its environment says X.Y.0: a guess, so 3.11.0 itself is taken as not known)."""
    from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

    guessed = env.get("python_full_version") == f"{env.get('python_version')}.0"
    if guessed and any(name in marker for name in _FULL_VERSION_NAMES):
        return None
    try:
        return bool(Marker(marker).evaluate(dict(env), context=context))  # type: ignore[arg-type]
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, TypeError):
        return None


def applies(marker: str | None, env: Mapping[str, Any], *, context: str = "metadata") -> bool:
    """The one rule: no marker, or one that is true, or one that cannot be told."""
    return not marker or evaluate(marker, env, context=context) is not False
