#!/usr/bin/env python3
"""Benchmark the wheel fetch of `build`: envbuild's JSON-page downloads against `pip download` of the
same hash-pinned requirements, both into empty folders (prints, never asserts).

    python bench/fetch.py [--lock images/train/locks/cpu.txt] [--runs 3]

Needs the network (PyPI).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.lock import read_lock
from envbuild.core.platforms import platform as platform_facts

INDEX = "https://pypi.org/simple"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lock", default=str(Path(__file__).resolve().parent.parent / "images/train/locks/cpu.txt"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lock = read_lock(Path(args.lock).read_text(), args.lock)
    pins = [p for p in lock.packages if p.hashes]
    body = "".join(f"{p.name}=={p.version} " + " ".join(f"--hash={h}" for h in p.hashes) + "\n" for p in pins)
    ours, pips, size = [], [], 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            wheels = Wheelhouse(Path(tmp) / "wheels", {"PATH": "/usr/bin:/bin"}).fetch(
                pins, python=lock.python or "3.11", platform=lock.platform, index_url=INDEX, extra_index_urls=[],
                progress=lambda _line: None)
            ours.append(time.perf_counter() - start)
            size = sum(w.path.stat().st_size for w in wheels)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "req.txt").write_text(body)
            argv = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes", "--only-binary=:all:",
                    "--python-version", lock.python or "3.11", "--implementation", "cp", "--dest", tmp + "/dl",
                    "-r", tmp + "/req.txt", "--index-url", INDEX, "--progress-bar", "off", "--isolated"]
            for plat in platform_facts(lock.platform).wheel_platforms:
                argv += ["--platform", plat]
            start = time.perf_counter()
            subprocess.run(argv, check=True, env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"})
            pips.append(time.perf_counter() - start)
    a, b = statistics.median(ours), statistics.median(pips)
    print(f"{len(pins)} wheels, {size / 1e6:.1f} MB from {INDEX}, medians of {args.runs} cold runs")
    print(f"envbuild fetch (JSON pages, 4 at a time): {a:.2f} s   pip download: {b:.2f} s   ratio {a / b:.2f}x")


if __name__ == "__main__":
    main()
