"""Wheels fetched straight from the index's JSON pages (adapters/index/downloads.py): the file pip would
pick, hash-checked before the cache has it, progress in bytes — a bar on a terminal, periodic lines
when piped. Hermetic: the local index on 127.0.0.1."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envbuild.adapters.index.downloads import Remote, download
from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.lock import Package, read_lock
from envbuild.errors import BuildError
from tests.conftest import REPO, hermetic_env, run_cli


@pytest.fixture
def locked(make_image, index):
    directory = make_image(f"name: t/dl\npython: \"3.11\"\nexclude-newer: 2026-05-01\nindex: {index.url}\n"
                           "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": "alpha\nepsilon\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    lock_file = directory / "locks" / "cpu.txt"
    return read_lock(lock_file.read_text(), str(lock_file))


def fetch(lock, index, cache: Path) -> tuple[list, list[str]]:
    lines: list[str] = []
    wheels = Wheelhouse(cache, hermetic_env()).fetch(list(lock.packages), python="3.11", platform="linux/amd64",
                                                     index_url=index.url, extra_index_urls=[], progress=lines.append)
    return wheels, lines


def test_the_locked_files_come_from_the_json_pages_in_parallel_and_hash_checked(locked, index, tmp_path):
    index.requests.clear()
    wheels, lines = fetch(locked, index, tmp_path / "cache")
    assert sorted(w.name for w in wheels) == sorted(p.name for p in locked.packages)
    for wheel, pin in zip(wheels, locked.packages):
        assert f"sha256:{wheel.sha256}" in pin.hashes and wheel.path.is_file()
        assert wheel.path.parent.name == wheel.sha256  # content-addressed
    assert any(line.startswith(f"downloaded {len(wheels)} wheels, ") and " s (" in line for line in lines), lines
    assert all(index.requests[f"/files/{w.path.name}"] == 1 for w in wheels)
    _, again = fetch(locked, index, tmp_path / "cache")
    assert again == [f"all {len(wheels)} wheels already in the cache ({tmp_path / 'cache'})"]


def test_a_file_that_is_not_the_locked_one_never_enters_the_cache(locked, index, tmp_path):
    pin = next(p for p in locked.packages if p.name == "alpha")
    served = next(name for name in index.paths if name.startswith(f"alpha-{pin.version}-"))
    honest = index.paths[served]
    swapped = tmp_path / served
    swapped.write_bytes(honest.read_bytes() + b"\0")  # the JSON page still names the locked hash
    index.paths[served] = swapped
    try:
        with pytest.raises(BuildError, match=r"alpha .*arrived with sha256 .*not the .* the lock and the index name"):
            fetch(locked, index, tmp_path / "cache")
    finally:
        index.paths[served] = honest
    assert not list((tmp_path / "cache").rglob(served))


def slow_remotes(count=3, size=4 << 20):
    return [Remote(Package(name=f"p{i}", version="1", manager="pip"), "http://x/", f"p{i}.whl", "0" * 64, size)
            for i in range(count)]


def slow_fetch(remote, add):
    for _ in range(8):
        time.sleep(0.05)
        add(remote.size // 8)
    return Path(remote.filename)


def test_piped_progress_is_a_line_every_interval_with_bytes_and_totals():
    lines: list[str] = []
    paths = download(slow_remotes(), slow_fetch, lines.append, {"ENVBUILD_PROGRESS_INTERVAL": "0.1"})
    assert sorted(paths) == ["p0", "p1", "p2"]
    periodic = [line for line in lines if line.startswith("  ")]
    assert periodic and all(" of 12.6 MB (" in line and "/3 files" in line for line in periodic), lines
    assert lines[-1].startswith("downloaded 3 wheels, 12.6 MB in ")


METER = """
import sys, time
sys.path.insert(0, {tests!r})
from envbuild.cli.output import progress, use_meter
from envbuild.adapters.index.downloads import download
from tests.integration.test_downloads import slow_fetch, slow_remotes
use_meter()
download(slow_remotes(), slow_fetch, progress, {{}})
"""


def run_in(script: str, *, terminal: bool) -> bytes:
    argv = [sys.executable, "-c", script.format(tests=str(REPO))]
    if not terminal:
        return subprocess.run(argv, capture_output=True, cwd=REPO).stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, cwd=REPO)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait()
    os.close(leader)
    return out


def test_a_terminal_gets_a_bar_redrawn_in_place_and_a_pipe_gets_no_escape_codes():
    shown = run_in(METER, terminal=True)
    assert b"\r\x1b[K[" in shown and b"#" in shown and b"of 12.6 MB" in shown
    assert shown.rstrip().endswith(b"/s)") and b"downloaded 3 wheels, 12.6 MB" in shown
    piped = run_in(METER, terminal=False)
    assert b"\x1b" not in piped and b"\r" not in piped
    assert piped.decode().splitlines()[-1].startswith("downloaded 3 wheels, 12.6 MB in ")


def test_a_full_disk_while_fetching_is_exit_74_naming_the_path(locked, index, tmp_path):
    """Issue 32, item 12: the disk, not the index, is at fault (it said exit 5, "check the index")."""
    from envbuild.adapters.index.downloads import stream
    from envbuild.errors import FileError

    wheels, _ = fetch(locked, index, tmp_path / "cache")
    url = f"{index.url.rsplit('/simple', 1)[0]}/files/{wheels[0].path.name}"
    with pytest.raises(FileError) as failed:
        stream(url, Path("/dev/full"), lambda _n: None)  # every write: ENOSPC
    assert failed.value.exit_code == 74 and "cannot write /dev/full: No space left on device" in failed.value.message
