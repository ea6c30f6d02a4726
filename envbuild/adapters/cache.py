"""Where envbuild keeps what it can compute again: one function, imported by every user of the
cache (the wheelhouse, interpreter facts, image manifests, prune) without what they import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def cache_root(environ: Mapping[str, str]) -> Path:
    """envbuild's cache: $ENVBUILD_CACHE, else $XDG_CACHE_HOME/envbuild, else ~/.cache/envbuild. It
    holds wheels/, archives/ (conda-lock files by URL), manifests/ (adapters/engine/manifests.py) and
    interpreters/ (adapters/interpreters.py)."""
    root = environ.get("ENVBUILD_CACHE") or os.path.join(environ.get("XDG_CACHE_HOME") or
                                                         os.path.expanduser("~/.cache"), "envbuild")
    return Path(root)
