"""Every file of each pin that the target can install, with its URL, size and sha256, in one uv run.

After the resolution, `uv pip compile --no-deps --format pylock.toml` over the exact pins answers
what the lock still needs to know: each pin's wheels for the target (none: it is built from its
sdist), their sizes (the layer plan), the wheel to read for start-up code, and the sdist's URL.
The resolution has just filled uv's cache with those very index pages, so the run is --offline
first (a tenth of a second); online only when the cache cannot answer (pip-tools resolved, or
UV_NO_CACHE). One run replaces an index page per pin and a second resolution.

A pin's files are a fact of its name, version and hashes (a file's sha256 names its content), so
the answer is remembered per pin (``memo``: ``<cache>/files``) and a re-lock with the same pins runs
nothing. Pins from an index whose URL carries a secret are not remembered (their URLs would carry
it), nor are those built from their sdist (its URL is asked each time: a memory may have outlived
the server).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from envbuild.adapters.process import find_executable, run
from envbuild.core.platforms import platform as platform_facts
from envbuild.core.lock import Package
from envbuild.core.lock.pylock_files import PinFiles, files_from_json, files_to_json, pin_files
from envbuild.errors import ToolUnavailable


def locked_files(pins: Sequence[Package], *, python: str, platform: str, index_url: str,
                 extra_index_urls: Sequence[str] = (), find_links: Sequence[str] = (),
                 exclude_newer: str | None = None, environ: Mapping[str, str], memo: Path | None = None,
                 timeout: float = 1800.0) -> dict[str, PinFiles]:
    """name → its files for the target."""
    keys = {p.name: _key(p, python, platform) for p in pins}
    found = {p.name: f for p in pins for f in [_recall(memo, keys[p.name])] if f is not None} if memo else {}
    ask = [p for p in pins if p.name not in found]
    if ask:
        answered = _ask_uv([f"{p.name}=={p.version}" for p in ask], python=python, platform=platform,
                           index_url=index_url, extra_index_urls=extra_index_urls, find_links=find_links,
                           exclude_newer=exclude_newer, environ=environ, timeout=timeout)
        for pin in ask:
            if pin.name in answered:
                found[pin.name] = answered[pin.name]
                if memo is not None and answered[pin.name].wheels:  # a wheel-less pin's sdist URL is asked anew
                    _keep(memo, keys[pin.name], answered[pin.name])
    return found


def _key(pin: Package, python: str, platform: str) -> str:
    import hashlib
    import json

    facts = [pin.name, pin.version, sorted(pin.hashes), ".".join(python.split(".")[:2]), platform]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def _recall(memo: Path | None, key: str) -> PinFiles | None:
    from envbuild.adapters.files import recall

    return files_from_json(recall(memo / key[:2] / key)) if memo is not None else None


def _keep(memo: Path, key: str, files: PinFiles) -> None:
    from envbuild.adapters.files import remember

    remember(memo / key[:2] / key, files_to_json(files))


def _ask_uv(pins: Sequence[str], *, python: str, platform: str, index_url: str, extra_index_urls: Sequence[str],
            find_links: Sequence[str], exclude_newer: str | None, environ: Mapping[str, str],
            timeout: float) -> dict[str, PinFiles]:
    from envbuild.adapters.index.resolvers import condense_failure, index_env, resolver_env

    uv = find_executable("uv")
    if uv is None:
        raise ToolUnavailable("uv is not installed", hint="pip install uv")
    with tempfile.TemporaryDirectory(prefix="envbuild-files-") as tmp:
        work = Path(tmp)
        (work / "pins.txt").write_text("\n".join(pins) + "\n", encoding="utf-8")
        argv = [uv, "pip", "compile", "pins.txt", "--no-deps", "--format", "pylock.toml", "--output-file",
                "pylock.toml", "--no-header", "--quiet", "--python-version", python,
                "--python-platform", platform_facts(platform).uv_platform, "--no-python-downloads"]
        if exclude_newer:  # a file uploaded after the lock's date is not one it pins
            argv += ["--exclude-newer", exclude_newer]
        env = resolver_env(environ) | index_env("uv", index_url, extra_index_urls, find_links)
        for offline in (True, False):
            done = run(argv + (["--offline"] if offline else []), env=env, timeout=timeout, cwd=work)
            if done.returncode == 0:
                return pin_files((work / "pylock.toml").read_text(encoding="utf-8"))
        raise condense_failure(done, "uv")
