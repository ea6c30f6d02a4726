"""Credentials never reach a lock file, a header, a label or a log line.

Pure but for one registry: the values that ${VAR} references in index and channel URLs expanded to
(see core/envvars.py). A token can sit in a URL's path or query (/t/${TOKEN}/simple)
where no URL syntax marks it; every redaction also replaces those values."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_ENV_REF_USERINFO = re.compile(r"(\$\{[A-Za-z_][A-Za-z0-9_]*\}:?)+")
# The lookbehind starts a scheme only where a run of scheme characters starts: without it a long
# run of letters is rescanned from each of its characters (quadratic on a 2 MB line).
_USERINFO_IN_TEXT = re.compile(r"(?<![a-zA-Z0-9+.-])(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s'\"`]+)@")


def strip_credentials(url: str) -> str:
    """Drop literal user:password from a URL; keep ${VAR} references (pip expands them at install)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    if _ENV_REF_USERINFO.fullmatch(userinfo):
        return url
    return urlunsplit(parts._replace(netloc=host))


def redact_url(url: str) -> str:
    """For messages and logs: user:password → ***."""
    return redact_text(url)


_SECRETS: set[str] = set()
_SHORTEST_SECRET = 4  # shorter values ("1", "on") would blank out ordinary words


def register_secret(value: str) -> None:
    """A value that came from the environment into a URL: redacted wherever it appears."""
    if len(value) >= _SHORTEST_SECRET:
        _SECRETS.add(value)


def forget_secrets() -> None:
    """A new command line: the values of the last one's ${VAR}s are not this one's to hide."""
    _SECRETS.clear()


def redact_text(text: str) -> str:
    """Replace the userinfo of every URL in a piece of text (resolver output, argv) with ***, and
    every registered secret wherever it stands."""
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m['scheme']}***@", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
