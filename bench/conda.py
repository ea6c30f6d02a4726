#!/usr/bin/env python3
"""Benchmark envbuild's conda path against py-rattler used directly (prints, never asserts).

    python bench/conda.py [--runs N] [--packages N]

No conda channel is reachable from these machines and no conda binary can be installed, so the
conda-lock CLI cannot run here: the peer is py-rattler itself — the solver and installer envbuild
drives, and what pixi is built on. A synthetic file:// channel (N packages × 3 versions, each with
dependencies and 20 files) stands in for a real one:

  solve:   a fresh `python -c "rattler.solve(...)"`  vs  `envbuild lock` (whole process: read the
           spec, solve in the child process, write the conda-lock file)
  check:   `envbuild lock --check` (offline, whole process)
  verify:  a fresh `python -c` reading every conda-meta record with py-rattler  vs  `envbuild verify`
           (whole process), and `verify --files` vs `sha256sum` over the prefix's files
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.support.conda_channel import CondaPkg, write_channel  # noqa: E402

BIN = Path(sys.executable).parent


def synthetic_channel(root: Path, count: int, big_kb: int = 128) -> list[str]:
    """count packages, 3 versions each; package i depends on up to 3 lower-numbered ones. The newest
    version (the one solves pick) also carries 4 files of big_kb KiB, so --files hashes real bytes."""
    rng = random.Random(7)
    packages = []
    for i in range(count):
        deps = sorted({f"pkg{j:04d} >=1.{rng.randint(0, 1)}" for j in rng.sample(range(i), min(i, rng.randint(0, 3)))})
        for minor in range(3):
            files = {f"share/pkg{i:04d}/file{k}.txt": f"pkg{i} 1.{minor} file {k}\n" * 20 for k in range(20)}
            if minor == 2:
                files.update({f"lib/pkg{i:04d}/blob{k}.bin": f"{i:04d}{k}".ljust(64, "x") * (big_kb * 16)
                              for k in range(4)})
            packages.append(CondaPkg(f"pkg{i:04d}", f"1.{minor}", depends=tuple(deps), files=files))
    write_channel(root, packages)
    return [f"pkg{i:04d}" for i in range(count - 40, count)]  # the top 40 pull in most of the rest


def timed(argv: list[str], **kw) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(argv)}\n{done.stderr[-2000:]}")
    return elapsed


RAW_SOLVE = """
import asyncio, os, sys, rattler
from rattler import BuildString, GenericVirtualPackage, PackageName, Version
vp = [GenericVirtualPackage(PackageName("__glibc"), Version("2.28"), BuildString("0"))]
records = asyncio.run(rattler.solve([sys.argv[1]], sys.argv[2:], platforms=["linux-64", "noarch"], virtual_packages=vp))
print(len(records)); sys.stdout.flush(); os._exit(0)
"""
RAW_READ = """
import glob, os, sys, rattler
records = [rattler.PrefixRecord.from_path(p) for p in glob.glob(os.path.join(sys.argv[1], "conda-meta", "*.json"))]
print(len(records)); sys.stdout.flush(); os._exit(0)
"""


def row(name: str, peer: list[float], ours: list[float], label: str) -> None:
    p, o = statistics.median(peer), statistics.median(ours)
    print(f"  {name:<34} {label:<26} {p:7.3f} s   envbuild {o:7.3f} s   ratio {o / p:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--packages", type=int, default=400)
    args = parser.parse_args()
    envbuild = str(BIN / "envbuild")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        top = synthetic_channel(work / "channel", args.packages)
        print(f"synthetic channel: {args.packages * 3} package files in {time.perf_counter() - t0:.1f} s")
        image = work / "img"
        image.mkdir()
        (image / "envbuild.yaml").write_text('name: bench/conda\npython: "3.11"\nconda: environment.yml\n'
                                             "targets:\n  cpu: {}\n")
        (image / "environment.yml").write_text(f"channels: [file://{work / 'channel'}]\ndependencies:\n"
                                               + "".join(f"  - {name}\n" for name in top))
        env = dict(os.environ, RATTLER_CACHE_DIR=str(work / "rattler-cache"))
        raw = [timed([sys.executable, "-c", RAW_SOLVE, f"file://{work / 'channel'}", *top], env=env)
               for _ in range(args.runs)]
        ours = [timed([envbuild, "lock", str(image)], env=env) for _ in range(args.runs)]
        lock = (image / "locks" / "cpu.conda-lock.yml").read_text()
        count = lock.count("manager: conda")
        print(f"lock: {len(top)} specs -> {count} conda packages, median of {args.runs}")
        row("solve", raw, ours, "py-rattler solve (raw)")
        check = [timed([envbuild, "lock", str(image), "--check"]) for _ in range(args.runs)]
        print(f"  {'lock --check':<34} {'':<26} {'':>9}   envbuild {statistics.median(check):7.3f} s")

        sys.path.insert(0, str(HERE.parent))
        from tests.conftest import install_conda_lock

        prefix = work / "prefix"
        t0 = time.perf_counter()
        install_conda_lock(image / "locks" / "cpu.conda-lock.yml", prefix)
        files = [str(p) for p in prefix.rglob("*") if p.is_file() and "conda-meta" not in p.parts]
        size = sum(os.path.getsize(f) for f in files) / 1e6
        print(f"verify: a prefix of {count} packages, {len(files)} files, {size:.0f} MB "
              f"(installed in {time.perf_counter() - t0:.1f} s)")
        # the probe runs on a bare venv: a conda environment without Python has no pip part to hash
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "bare")], check=True)
        bare = ["--python", str(work / "bare" / "bin" / "python")]
        lock_file = str(image / "locks" / "cpu.conda-lock.yml")
        raw = [timed([sys.executable, "-c", RAW_READ, str(prefix)]) for _ in range(args.runs)]
        ours = [timed([envbuild, "verify", "--lock", lock_file, "--conda-prefix", str(prefix), *bare])
                for _ in range(args.runs)]
        row("verify (conda-meta)", raw, ours, "py-rattler PrefixRecord")
        listing = work / "files.txt"
        listing.write_text("\0".join(files))
        sha = [timed(["sh", "-c", f"xargs -0 -P{os.cpu_count() or 2} -n 256 sha256sum < {listing} > /dev/null"])
               for _ in range(args.runs)]
        ours = [timed([envbuild, "verify", "--lock", lock_file, "--conda-prefix", str(prefix), "--files", *bare])
                for _ in range(args.runs)]
        row("verify --files", sha, ours, "xargs -P sha256sum")
        print(f"  verify --files throughput: sha256sum {size / statistics.median(sha):.0f} MB/s, "
              f"envbuild {size / statistics.median(ours):.0f} MB/s")
        print("conda-lock CLI: not run (it needs a conda, mamba or micromamba binary; none can be installed here)")
        result = subprocess.run([envbuild, "verify", "--lock", lock_file, "--conda-prefix", str(prefix), "--json"],
                                capture_output=True, text=True)
        assert json.loads(result.stdout)["ok"], result.stdout[:500]


if __name__ == "__main__":
    main()
