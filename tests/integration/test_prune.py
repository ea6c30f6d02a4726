"""envbuild prune --cache-older-than: cache files unused for that long go, the rest stay (no engine)."""

from __future__ import annotations

import json
import os
import time

from tests.conftest import hermetic_env


def test_cache_files_unused_for_the_given_days_are_removed_and_recent_ones_kept(cli, tmp_path):
    cache = tmp_path / "cache"
    old = cache / "wheels" / "sha256" / "aa" / ("aa" * 32) / "old-1.0-py3-none-any.whl"
    new = cache / "archives" / "sha256" / "bb" / ("bb" * 32) / "new-1.0-0.conda"
    # what lock remembers about locked files (adapters/index/pin_files.py, wheel_hooks.py): old ones go too
    old_memo, new_memo = cache / "files" / "cc" / ("cc" * 32), cache / "hooks" / "dd" / ("dd" * 32)
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 1000)
    for path in (old_memo, new_memo):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"[]")
    ten_days_ago = time.time() - 10 * 86400
    for path in (old, old_memo):
        os.utime(path, (ten_days_ago, ten_days_ago))
    env = hermetic_env(ENVBUILD_CACHE=str(cache))
    dry = cli("prune", "--no-stages", "--cache-older-than", "7", "--dry-run", "--json", env=env)
    assert json.loads(dry.stdout) | {"schema": 0} == {"schema": 0, "dry_run": True, "stages": 0, "stage_bytes": 0,
                                                      "cache_entries": 2, "cache_bytes": 1002}
    assert old.exists() and old_memo.exists()
    done = cli("prune", "--no-stages", "--cache-older-than", "7", env=env)
    assert done.returncode == 0 and "removed 0 builder stage images (0.0 MB reclaimed) and 2 cache files" in done.stdout
    assert not old.parent.exists() and new.exists() and not old_memo.exists() and new_memo.exists()
    bad = cli("prune", "--no-stages", "--cache-older-than", "-1", env=env)
    assert bad.returncode == 2 and "expected a number of days" in bad.stderr
