"""envbuild lock [DIR] [--all] [--target NAME]... [--resolver uv|pip-tools] [--upgrade] [--check] [--conda-solver S]
[--format text|json|markdown] [--json]"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from envbuild.cli.output import out, out_text, progress, report_format, step_summary
from envbuild.cli.settings import SETTINGS


def lock(
    directory: Path | None = typer.Argument(None, help="Image directory holding envbuild.yaml (default: the nearest one "
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
    format: str = typer.Option("text", "--format", "-f", help="text, json or markdown (what changed, per target)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (--format json)."),
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
    fmt = report_format(format, as_json)
    if check:
        _report_checks([c for d in directories for c in locking.check_locks(d, targets=target)], fmt)
        return

    import os

    results = [r for d in directories for r in locking.lock(d, targets=target, resolver=resolver, upgrade=upgrade,
                                                              progress=progress, environ=os.environ,
                                                              conda_solver=conda_solver)]
    from envbuild.core.lock.changes import change_dict, summary
    from envbuild.core.report.markdown import lock_markdown

    markdown = lock_markdown([(r.target, display_path(r.path), r.changes) for r in results])
    step_summary(markdown)
    if fmt == "json":
        out(json.dumps({"schema": 1, "targets": [
            {"target": r.target, "path": display_path(r.path), "packages": r.packages, "written": r.written,
             "seconds": round(r.seconds, 3), "summary": summary(r.changes),
             "changes": [change_dict(c) for c in r.changes]} for r in results]}, sort_keys=True))
        return
    if fmt == "markdown":
        out_text(markdown)
        return
    for result in results:  # one line per target; each change with -v
        state = "wrote" if result.written else "unchanged"
        out(f"{result.target}: {result.packages} packages, {state} {display_path(result.path)} "
            f"({result.seconds:.1f} s): {summary(result.changes)}")
        if SETTINGS.verbose:
            for change in result.changes:
                out(f"  {change.describe()}")


def _report_checks(outcomes: list, fmt: str) -> None:
    from envbuild.adapters.inputs import display_path

    stale = [c for c in outcomes if not c.fresh]
    if fmt == "json":
        out(json.dumps({"schema": 1, "fresh": not stale, "targets": [
            {"target": c.target, "path": display_path(c.path), "fresh": c.fresh, "reasons": list(c.reasons)}
            for c in outcomes]}, sort_keys=True))
    else:
        lines = ["### envbuild lock --check", ""] if fmt == "markdown" else []
        for c in outcomes:
            state = "up to date" if c.fresh else "stale"
            lines.append(f"- {c.target}: {state} ({display_path(c.path)})" if fmt == "markdown"
                         else f"{c.target}: {state} ({display_path(c.path)})")
            lines += [f"  - {r}" if fmt == "markdown" else f"  {r}" for r in c.reasons]
        out_text("\n".join(lines) + "\n")
    if stale:
        progress("hint: run 'envbuild lock' to update the stale locks")
        raise typer.Exit(1)


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
