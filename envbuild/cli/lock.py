"""envbuild lock [DIR] [--all] [--target NAME]... [--resolver uv|pip-tools] [--upgrade] [--check]"""

from __future__ import annotations

from pathlib import Path

import typer

from envbuild.cli.output import out, progress


def lock(
    directory: Path = typer.Argument(None, help="Image directory holding envbuild.yaml (default: the nearest one "
                                     "here or above)."),
    target: list[str] = typer.Option([], "--target", "-t", help="Target to lock (repeatable; default: all)."),
    resolver: str = typer.Option("uv", "--resolver", help="uv (any Python/platform) or pip-tools (host only)."),
    upgrade: bool = typer.Option(False, "--upgrade", "-U", help="Re-resolve everything instead of keeping pins."),
    check: bool = typer.Option(False, "--check", help="Offline: exit 1 if a lock is missing or stale."),
    every: bool = typer.Option(False, "--all", help="Every envbuild.yaml under DIR (the files git tracks, in a "
                               "repository), as the pre-commit hook checks them."),
    conda_solver: str = typer.Option("auto", "--conda-solver",
                                     help="conda targets: auto (conda-lock if a conda binary is on PATH, "
                                     "else py-rattler), rattler or conda-lock."),
) -> None:
    """Resolve the inputs of each target into a hash-pinned lock file: DIR/locks/<target>.txt
    (conda targets: DIR/locks/<target>.conda-lock.yml)."""
    from envbuild.adapters.inputs import display_path
    from envbuild.services import locking

    from envbuild.cli.discovery import spec_directory

    directories = _spec_dirs(directory or Path(".")) if every else [spec_directory(directory)]
    if every and target:
        from envbuild.errors import UserError

        raise UserError("--all checks every target of every spec: it takes no --target")
    if check:
        outcomes = [c for d in directories for c in locking.check_locks(d, targets=target)]
        for c in outcomes:
            if c.fresh:
                out(f"{c.target}: up to date ({display_path(c.path)})")
            else:
                out(f"{c.target}: stale ({display_path(c.path)})")
                for reason in c.reasons:
                    out(f"  {reason}")
        if not all(c.fresh for c in outcomes):
            progress("hint: run 'envbuild lock' to update the stale locks")
            raise typer.Exit(1)
        return

    import os

    results = (r for d in directories for r in locking.lock(d, targets=target, resolver=resolver, upgrade=upgrade,
                                                              progress=progress, environ=os.environ,
                                                              conda_solver=conda_solver))
    for result in results:
        state = "wrote" if result.written else "unchanged"
        out(f"{result.target}: {result.packages} packages, {state} {display_path(result.path)} "
            f"({result.seconds:.1f} s)")
        for change in result.changes:
            out(f"  {change.describe()}")
        if not result.changes:
            out("  no version changes")


def _spec_dirs(directory: Path) -> list[Path]:
    """The directories under ``directory`` holding an envbuild.yaml: the files git tracks there (a
    repository's own specs, not a vendored copy's), else a walk that skips hidden directories."""
    from envbuild.adapters.git import tracked_files
    from envbuild.errors import UserError

    tracked = tracked_files(directory, "envbuild.yaml")
    found = tracked if tracked is not None else [
        p for p in directory.rglob("envbuild.yaml") if not any(part.startswith(".") for part in
                                                            p.relative_to(directory).parts)]
    if not found:
        raise UserError(f"no envbuild.yaml under {directory}")
    return sorted({p.parent for p in found})
