"""What git knows about an image directory: the lineage labels. Never required: None outside a repository."""

from __future__ import annotations

from pathlib import Path

from envbuild.adapters.process import run
from envbuild.errors import ToolUnavailable


def revision(directory: Path) -> str | None:
    """The last commit that touched the image directory (so unrelated commits do not force a
    rebuild), with '-dirty' when the directory has uncommitted changes."""
    try:
        done = run(["git", "-C", str(directory), "log", "-1", "--format=%H", "--", "."], timeout=10)
        if done.returncode != 0 or not done.stdout.strip():
            return None
        dirty = run(["git", "-C", str(directory), "status", "--porcelain", "--", "."], timeout=10)
    except ToolUnavailable:
        return None
    return done.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")

