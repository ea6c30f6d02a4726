"""envbuild prune [--cache-older-than DAYS] [--no-stages] [--dry-run] [--json]"""

from __future__ import annotations

import json

import typer

from envbuild.cli.output import out


def prune(
    cache_older_than: float = typer.Option(None, "--cache-older-than", help="Also remove cached wheels and conda "
                                           "archives unused for this many days."),
    stages: bool = typer.Option(True, "--stages/--no-stages", help="Remove envbuild's builder stages from the engine."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; remove nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Reclaim what builds leave: builder stages in the engine (the layer cache), old cache files."""
    import os

    from envbuild.adapters.cache import cache_root
    from envbuild.errors import UserError
    from envbuild.services.pruning import prune as run_prune

    if cache_older_than is not None and cache_older_than < 0:
        raise UserError(f"--cache-older-than {cache_older_than:g}: expected a number of days, 0 or more")
    engine = None
    if stages:
        from envbuild.adapters.engine.docker import Engine, api_timeout

        engine = Engine.connect(api_timeout(os.environ))
    result = run_prune(engine, cache_root(os.environ), older_than_days=cache_older_than, dry_run=dry_run)
    if as_json:
        out(json.dumps({"schema": 1, "dry_run": dry_run, "stages": result.stages, "stage_bytes": result.stage_bytes,
                        "cache_entries": result.cache_entries, "cache_bytes": result.cache_bytes}, sort_keys=True))
        return
    stages_text = (f"{result.stages} builder stage images" if dry_run
                   else f"{result.stages} builder stage images ({result.stage_bytes / 1e6:.1f} MB reclaimed)")
    out(f"{'would remove' if dry_run else 'removed'} {stages_text} and "
        f"{result.cache_entries} cache files ({result.cache_bytes / 1e6:.1f} MB)")
