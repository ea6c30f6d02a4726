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



def commit_time(directory: Path) -> int | None:
    """When the last commit that touched ``directory`` was made (seconds), or None outside git."""
    try:
        done = run(["git", "-C", str(directory), "log", "-1", "--format=%ct", "--", "."], timeout=10)
    except ToolUnavailable:
        return None
    text = done.stdout.strip()
    return int(text) if done.returncode == 0 and text.isdigit() else None


def export_tree(directory: Path, tree: str, destination: Path) -> bool:
    """Export the tree object ``tree`` (tree_id's answer) into ``destination``; False if git cannot."""
    import tarfile

    try:
        top = run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"], timeout=10)
        if top.returncode != 0:
            return False
        tar = destination.parent / f".{destination.name}.tar"
        # From the top: run in a subdirectory, git archive limits itself to that subdirectory's part of the tree.
        done = run(["git", "-C", top.stdout.strip(), "archive", "--format=tar", "-o", str(tar), tree], timeout=120)
    except ToolUnavailable:
        return False
    if done.returncode != 0:
        return False
    with tarfile.open(tar, mode="r:") as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(destination, filter="data")  # no links out, no absolute paths, no devices
        else:  # Python before 3.11.4: git archive writes only regular files, directories and links
            archive.extractall(destination, members=[m for m in archive.getmembers()
                                                     if not m.name.startswith("/") and ".." not in m.name.split("/")])
    tar.unlink()
    return True


def is_repository(directory: Path) -> bool:
    try:
        return run(["git", "-C", str(directory), "rev-parse", "--git-dir"], timeout=10).returncode == 0
    except ToolUnavailable:
        return False


def tree_id(directory: Path) -> str | None:
    """The committed tree of ``directory`` (its git object ID) when it has no uncommitted change, else None."""
    try:
        changed = run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no", "--", "."],
                      timeout=30)
        if changed.returncode != 0 or changed.stdout.strip():
            return None
        done = run(["git", "-C", str(directory), "rev-parse", "HEAD:./"], timeout=10)
    except ToolUnavailable:
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def tracked_files(directory: Path, name: str) -> list[Path] | None:
    """The files called ``name`` git tracks under ``directory`` (None outside a repository)."""
    try:
        done = run(["git", "-C", str(directory), "ls-files", "-z", "--", f"{name}", f"**/{name}"], timeout=30)
    except ToolUnavailable:
        return None
    if done.returncode != 0:
        return None
    return [directory / p for p in done.stdout.split("\0") if p]


def definition(directory: Path) -> tuple[str, str] | None:
    """(the commit checked out, ``directory``'s path from the top of its repository): enough to rebuild
    an image from that commit later. None outside git, or with uncommitted changes in ``directory``
    (that state is in no commit)."""
    try:
        top = run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"], timeout=10)
        head = run(["git", "-C", str(directory), "rev-parse", "HEAD"], timeout=10)
        dirty = run(["git", "-C", str(directory), "status", "--porcelain", "--", "."], timeout=30)
    except ToolUnavailable:
        return None
    if top.returncode != 0 or head.returncode != 0 or dirty.stdout.strip():
        return None
    relative = directory.resolve().relative_to(Path(top.stdout.strip()).resolve())
    return head.stdout.strip(), relative.as_posix() if relative.parts else ""


def worktree(repository: Path, commit: str, destination: Path) -> bool:
    """A detached worktree of ``commit`` at ``destination`` (False: not a repository, or no such commit)."""
    try:
        done = run(["git", "-C", str(repository), "worktree", "add", "--detach", "--quiet", str(destination), commit],
                   timeout=300)
    except ToolUnavailable:
        return False
    return done.returncode == 0


def remove_worktree(repository: Path, destination: Path) -> None:
    run(["git", "-C", str(repository), "worktree", "remove", "--force", str(destination)], timeout=120)
