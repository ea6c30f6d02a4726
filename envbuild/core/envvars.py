"""``${VAR}`` references in index and channel URLs. Pure: the environment comes in as a mapping.

A lock, a label and a log keep the reference as written; only the process that fetches sees the
value, and every value expanded is registered for redaction (core/redact.py) from then on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from envbuild.core.redact import register_secret
from envbuild.errors import UserError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def references(url: str) -> list[str]:
    """The variable names a URL refers to, sorted (conda-lock's used_env_vars)."""
    return sorted(set(_REFERENCE.findall(url)))


def expand(url: str, environ: Mapping[str, str]) -> str:
    """${VAR} → its value from ``environ``; an unset variable is the user's mistake (exit 2)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise UserError(f"an index or channel URL refers to ${{{name}}}, which is not set",
                            hint=f"export {name}=... before running envbuild")
        register_secret(environ[name])  # redacted from every message from now on, wherever it shows
        return environ[name]

    return _REFERENCE.sub(value, url)


def expand_all(urls: tuple[str, ...] | list[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(expand(u, environ) for u in urls)
