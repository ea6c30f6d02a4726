"""Which files a package index has for a project: the simple API (PEP 691 JSON, PEP 503 HTML).

Used at lock time to tell which pins have no wheel for the target, so that their wheel is built
then, from the hash-checked sdist, and its sha256 goes into the lock. Credentials in an index URL
(userinfo) become a Basic Authorization header; they never appear in a message.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from envbuild.core.lines import canonical_name
from envbuild.core.redact import redact_url
from envbuild.errors import ToolUnavailable

_JSON = "application/vnd.pypi.simple.v1+json"
_SHA256 = re.compile(r"sha256=([0-9a-fA-F]{64})")

File = tuple[str, str]  # (file name, sha256 hex)


def project_files(names: Sequence[str], index_urls: Sequence[str], *, timeout: float = 60) -> dict[str, list[File]]:
    """name → every (file name, sha256) the indexes list for it, the indexes asked in parallel."""
    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        found = list(pool.map(lambda n: _files_of(n, index_urls, timeout), names))
    return dict(zip(names, found))


def _files_of(name: str, index_urls: Sequence[str], timeout: float) -> list[File]:
    out: list[File] = []
    for base in index_urls:
        out.extend(_page(f"{base.rstrip('/')}/{canonical_name(name)}/", timeout))
    return out


def _page(url: str, timeout: float) -> list[File]:
    parts = urlsplit(url)
    headers = {"Accept": f"{_JSON}, text/html;q=0.1"}
    if "@" in parts.netloc:
        userinfo, host = parts.netloc.rsplit("@", 1)
        headers["Authorization"] = "Basic " + base64.b64encode(unquote(userinfo).encode()).decode()
        url = urlunsplit(parts._replace(netloc=host))
    if parts.scheme == "file":
        return []  # a local directory index: the resolver read it; nothing to learn over the network
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:  # noqa: S310
            body = response.read()
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise ToolUnavailable(f"the index answered {exc.code} for {redact_url(url)}") from None
    except (OSError, ValueError) as exc:
        raise ToolUnavailable(f"the index at {redact_url(url)} cannot be reached ({exc})") from None
    if _JSON in kind:
        try:
            data = json.loads(body)
            return [(str(f["filename"]), str((f.get("hashes") or {}).get("sha256", "")).lower())
                    for f in data.get("files", []) if isinstance(f, dict) and "filename" in f]
        except (ValueError, TypeError, KeyError):
            return []
    return _links(body.decode("utf-8", "replace"), url)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(text: str, base: str) -> list[File]:
    parser = _Anchors()
    parser.feed(text)
    out = []
    for href in parser.hrefs:
        full = urljoin(base, href)
        path, _, fragment = full.partition("#")
        digest = _SHA256.search(fragment)
        out.append((unquote(path.rsplit("/", 1)[-1]), digest.group(1).lower() if digest else ""))
    return out
