"""A package index's JSON pages (PEP 691, PEP 700): one client for every question envbuild asks an
index outside a resolver — which versions it has (a lock's hint), where a pin's file is and what its
hashes are (downloads, exports, vouching). Each page is asked once per process and each entry read
and checked once; any failure is an empty answer (the callers fall back, or say what is missing).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    import urllib.request

    from packaging.version import Version

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_TIMEOUT = 30


@dataclass(frozen=True)
class IndexEntry:
    """One file of a project's page, as the index lists it."""

    filename: str
    url: str  # absolute
    sha256: str | None
    size: int | None
    yanked: bool
    upload_time: str | None

    @property
    def version(self) -> Version | None:
        """The version its file name gives (a wheel's or an sdist's), None when it gives none."""
        from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename,
                                     parse_wheel_filename)
        from packaging.version import InvalidVersion

        try:
            if self.filename.endswith(".whl"):
                return parse_wheel_filename(self.filename)[1]
            return parse_sdist_filename(self.filename)[1]
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            return None


def project_files(index_url: str, name: str) -> tuple[IndexEntry, ...]:
    """The files of ``name`` on the index at ``index_url`` (http(s) only; nothing for a file: index)."""
    if not index_url.startswith(("http://", "https://")):
        return ()
    page = project_page(index_url, name)
    return tuple(entry for raw in json_page(page) if (entry := _entry(page, raw)) is not None)


def project_page(index_url: str, name: str) -> str:
    """The URL of ``name``'s page on the index (``name`` as given: normalised by the caller)."""
    return f"{index_url.rstrip('/')}/{name}/"


def _entry(page: str, raw: Mapping[str, Any]) -> IndexEntry | None:
    filename, url, hashes = raw.get("filename"), raw.get("url"), raw.get("hashes")
    if not isinstance(filename, str) or not isinstance(url, str):
        return None
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    size, uploaded = raw.get("size"), raw.get("upload-time")
    return IndexEntry(filename=filename, url=urljoin(page, url), sha256=sha256 if isinstance(sha256, str) else None,
                      size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                      yanked=bool(raw.get("yanked")), upload_time=uploaded if isinstance(uploaded, str) else None)


def request_for(url: str, accept: str) -> "urllib.request.Request":
    """An http(s) request; credentials in the URL become a basic-auth header, never part of the URL
    a message could show."""
    import urllib.request

    parts = urlsplit(url)
    headers = {"Accept": accept}
    if parts.username is not None:
        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(secret).decode()
        parts = parts._replace(netloc=(parts.hostname or "") + (f":{parts.port}" if parts.port else ""))
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {parts.scheme}")
    return urllib.request.Request(urlunsplit(parts), headers=headers)


_PAGES: dict[str, tuple[Mapping[str, Any], ...]] = {}  # URL → a page answered in this process (lock asks sizes, then hooks)


def forget_pages() -> None:
    """A new command line asks again (cli.main runs several in one process in tests)."""
    _PAGES.clear()


def json_page(url: str) -> tuple[Mapping[str, Any], ...]:
    """The files of one project page, or nothing (any failure, or no JSON: sizes are a hint, and a
    download falls back to pip). A page that answered is asked once per process; a failure is
    asked again."""
    import urllib.request

    if url in _PAGES:
        return _PAGES[url]
    try:
        request = request_for(url, JSON_TYPE)
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - http(s) only
            if JSON_TYPE not in response.headers.get("Content-Type", ""):
                return ()
            files = json.loads(response.read(64 << 20)).get("files")
    except (OSError, ValueError, AttributeError):
        return ()
    found = tuple(f for f in files if isinstance(f, dict)) if isinstance(files, list) else ()
    if found:
        _PAGES[url] = found
    return found
