#!/usr/bin/env python3
"""Benchmark `envbuild lock` against the resolvers it drives (prints, never asserts).

    python bench/lock.py [--runs N] [--no-pip-tools]

The same 18-package ML input (bench/ml-requirements.in) goes through:
  raw `uv pip compile --generate-hashes`   vs  `envbuild lock` (uv)       — cold and warm cache, N runs
  (and so does bench/sdist-requirements.in: three pure-Python packages published as sdists only)
  raw `pip-compile --generate-hashes`      vs  `envbuild lock --resolver pip-tools` — once each (it
                                               downloads every file of every pin to hash it: GBs)
  `envbuild lock --check` whole process, N runs (target < 0.3 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
INPUT = HERE / "ml-requirements.in"
SDISTS = HERE / "sdist-requirements.in"
DATE = "2026-11-01T00:00:00Z"
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{done.stderr[-2000:]}")
    return elapsed


def image(work: Path, name: str, source: Path = INPUT) -> Path:
    directory = work / name
    directory.mkdir()
    shutil.copy(source, directory / "requirements.in")
    (directory / "envbuild.yaml").write_text(
        f'name: bench\npython: "{PY}"\nexclude-newer: {DATE[:10]}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n')
    return directory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pip-tools", action="store_true")
    args = parser.parse_args()
    envbuild = [str(BIN / "envbuild")]
    uv = str(BIN / "uv")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_INDEX", "PIP_EXTRA", "PIP_FIND"))}
    base_env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1")
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for source in (INPUT, SDISTS):
            raw_uv = [uv, "pip", "compile", str(source), "--generate-hashes", "--no-header", "--no-annotate",
                      "--python-version", PY, "--python-platform", "x86_64-manylinux_2_28", "--no-python-downloads",
                      "--exclude-newer", DATE, "--upgrade", "-o"]
            for cache in ("cold", "warm"):
                uv_times, eb_times = [], []
                for i in range(args.runs):
                    for which in ("uv", "envbuild"):
                        env = dict(base_env)
                        cache_dir = work / f"cache-{source.stem}-{cache}-{which}-{i if cache == 'cold' else 0}"
                        env["UV_CACHE_DIR"] = str(cache_dir / "uv")
                        env["ENVBUILD_CACHE"] = str(cache_dir / "envbuild")
                        if cache == "warm" and i == 0:  # fill the cache once, not timed
                            d = image(work, f"fill-{source.stem}-{which}", source)
                            timed(envbuild + ["lock", str(d), "-U"] if which == "envbuild" else raw_uv + [str(d / "o.txt")], env, work)
                        d = image(work, f"{source.stem}-{cache}-{which}-{i}", source)
                        if which == "uv":
                            uv_times.append(timed(raw_uv + [str(d / "out.txt")], env, work))
                        else:
                            eb_times.append(timed(envbuild + ["lock", str(d), "--upgrade"], env, work))
                rows.append((f"uv, {source.stem}, {cache} cache", statistics.median(uv_times), statistics.median(eb_times)))

        fresh = image(work, "check")
        subprocess.run(envbuild + ["lock", str(fresh)], env=base_env, capture_output=True, check=True)
        check_times = [timed(envbuild + ["lock", str(fresh), "--check"], base_env, work) for _ in range(max(args.runs, 10))]
        pins = sum(1 for line in (fresh / "locks" / "cpu.txt").read_text().splitlines() if "==" in line)

        if not args.no_pip_tools:
            pc_env = dict(base_env, PIP_CACHE_DIR=str(work / "pip-cache-raw"))
            raw_pc = [sys.executable, "-m", "piptools", "compile", str(INPUT), "--generate-hashes", "--no-header",
                      "--no-annotate", "--allow-unsafe", "--quiet", "--pip-args", f"--uploaded-prior-to {DATE}",
                      "-o", str(work / "pc.txt")]
            pc = timed(raw_pc, pc_env, work)
            eb_env = dict(base_env, PIP_CACHE_DIR=str(work / "pip-cache-envbuild"))
            eb = timed(envbuild + ["lock", str(image(work, "pt")), "--resolver", "pip-tools"], eb_env, work)
            rows.append(("pip-tools, cold cache (1 run)", pc, eb))

    print(f"input: {INPUT.name} (18 top-level packages → {pins} pins), Python {PY}, exclude-newer {DATE[:10]}")
    print(f"{'resolver, input, cache':40} {'raw tool':>10} {'envbuild':>10} {'ratio':>7}")
    for name, raw, eb in rows:
        print(f"{name:40} {raw:9.2f}s {eb:9.2f}s {eb / raw:6.2f}x")
    print(f"envbuild lock --check (whole process, median of {len(check_times)}): {statistics.median(check_times):.3f}s")


if __name__ == "__main__":
    main()
