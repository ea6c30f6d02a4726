"""A wheel cache that CI jobs share: concurrent writers, killed writers, planted files."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import hermetic_env

pytestmark = pytest.mark.security


def test_concurrent_writers_of_one_cache_all_succeed(locked, venv, tmp_path):
    cache = tmp_path / "shared-cache"
    env = hermetic_env(ENVBUILD_CACHE=str(cache))
    argv = [sys.executable, "-m", "envbuild", "verify", str(locked), "--python", str(venv / "bin" / "python"),
            "--files"]
    for _round in range(3):
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(6)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        assert [code for code, _ in results] == [0] * 6, results
        for entry in cache.rglob("*"):
            assert not entry.name.endswith(".tmp"), entry
        for _ in cache.rglob("*.whl"):
            break
        else:
            pytest.fail("nothing was cached")
        subprocess.run(["rm", "-rf", str(cache)], check=True)


def test_a_killed_writer_leaves_nothing_trusted_and_stale_files_are_cleaned(tmp_path):
    from envbuild.adapters.files import STALE_SECONDS, store

    folder = tmp_path / "entry"
    folder.mkdir()
    stale = folder / ".x-1.0-py3-none-any.whl.k1ll3d.tmp"
    stale.write_bytes(b"half a wheel")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    fresh = folder / ".x-1.0-py3-none-any.whl.wr1t1ng.tmp"
    fresh.write_bytes(b"someone is writing this")

    def interrupted(tmp):
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store(folder, "x-1.0-py3-none-any.whl", interrupted)
    assert sorted(p.name for p in folder.iterdir()) == [fresh.name]  # the stale one and our own are gone
    path = store(folder, "x-1.0-py3-none-any.whl", lambda tmp: tmp.write_bytes(b"whole"))
    assert path.read_bytes() == b"whole" and oct(path.stat().st_mode & 0o777) == "0o644"


def _store_one(args):
    from envbuild.adapters.index.wheelhouse import Wheelhouse

    cache, source, digest, start = args
    while time.time() < start:  # all at once
        time.sleep(0.001)
    stored = Wheelhouse(cache=cache)._store(source, digest)
    return stored.read_bytes() == source.read_bytes()


def test_writers_racing_on_one_entry_never_fail_and_readers_see_whole_files(tmp_path):
    import hashlib
    import multiprocessing

    source = tmp_path / "big-1.0-py3-none-any.whl"
    source.write_bytes(os.urandom(24 << 20))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    for attempt in range(3):
        cache = tmp_path / f"cache{attempt}"
        start = time.time() + 0.5
        with multiprocessing.get_context("fork").Pool(8) as pool:
            assert pool.map(_store_one, [(cache, source, digest, start)] * 8) == [True] * 8
        assert [p.name for p in (cache / "sha256").rglob("*") if p.is_file()] == [source.name]
