"""prune(): what envbuild leaves behind, reclaimed.

In the engine: the builder stages of every build (untagged images labelled dev.envbuild.stage),
which are the cache that makes a rebuild after a small lock change install only the changed
layers; pruning them makes the next build of every image install everything again. Images
envbuild tagged are never touched (remove them with docker rmi). In the wheel cache: files not
used by a build, lock or verify for ``older_than_days`` days (each use refreshes a file's mtime);
and what lock remembered about locked files (``files/``, ``hooks/``) that long ago: asked again
when needed.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from envbuild.core.image.engine import ContainerEngine


@dataclass(frozen=True)
class PruneOutcome:
    stages: int = 0
    stage_bytes: int = 0
    cache_entries: int = 0
    cache_bytes: int = 0


def prune(engine: ContainerEngine | None, cache: Path, *, older_than_days: float | None, dry_run: bool) -> PruneOutcome:
    stages, stage_bytes = engine.prune_stages(dry_run) if engine is not None else (0, 0)
    entries = cache_bytes = 0
    if older_than_days is not None:
        cutoff = time.time() - older_than_days * 86400
        for kind in ("wheels", "archives"):
            for folder in sorted((cache / kind / "sha256").glob("*/*")) if (cache / kind / "sha256").is_dir() else ():
                files = [p for p in folder.iterdir() if p.is_file()]
                if files and max(p.stat().st_mtime for p in files) < cutoff:
                    entries += 1
                    cache_bytes += sum(p.stat().st_size for p in files)
                    if not dry_run:
                        shutil.rmtree(folder, ignore_errors=True)
        for kind in ("files", "hooks"):  # adapters/index/pin_files.py, adapters/index/wheel_hooks.py
            for path in sorted((cache / kind).glob("*/*")) if (cache / kind).is_dir() else ():
                if path.is_file() and path.stat().st_mtime < cutoff:
                    entries += 1
                    cache_bytes += path.stat().st_size
                    if not dry_run:
                        path.unlink(missing_ok=True)
    return PruneOutcome(stages=stages, stage_bytes=stage_bytes, cache_entries=entries, cache_bytes=cache_bytes)
