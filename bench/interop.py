#!/usr/bin/env python3
"""Benchmark envbuild with other tools' files (prints, never asserts).

    python bench/interop.py [--runs N]

Locks bench/ml-requirements.in as a uv project (uv lock, PyPI), syncs it with `uv sync --no-dev`,
then times per run (medians of N, whole processes):
  envbuild verify --lock uv.lock      vs  uv sync --frozen --no-dev --dry-run  (uv's own "is it in sync")
  envbuild verify --lock pylock.toml  vs  uv pip sync --dry-run pylock.toml (offline)
  envbuild export --format requirements, from envbuild's lock  vs  uv export --frozen --no-dev
Ratios are envbuild / uv.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def timed(argv: list[str], runs: int, cwd: Path, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{argv[:4]} failed: {done.stderr[-800:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    requirements = [line.strip() for line in (HERE / "ml-requirements.in").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    env = dict(os.environ, UV_NO_CONFIG="1", UV_PYTHON=sys.executable, UV_PYTHON_DOWNLOADS="never",
               UV_INDEX_URL="https://pypi.org/simple", PIP_CONFIG_FILE=os.devnull)
    uv, envbuild = str(BIN / "uv"), [sys.executable, "-m", "envbuild"]
    with tempfile.TemporaryDirectory(prefix="envbuild-bench-interop-") as tmp:
        root = Path(tmp)
        deps = ", ".join(f'"{r}"' for r in requirements)
        (root / "pyproject.toml").write_text(f'[project]\nname = "bench"\nversion = "0"\nrequires-python = ">=3.11"\n'
                                             f"dependencies = [{deps}]\n[tool.uv]\npackage = false\n")
        for argv in ([uv, "lock", "-q"], [uv, "sync", "-q", "--frozen", "--no-dev"],
                     [uv, "export", "-q", "--frozen", "--no-dev", "--format", "pylock.toml", "-o", "pylock.toml"],
                     [uv, "export", "-q", "--frozen", "--no-dev", "-o", "requirements.txt"]):
            subprocess.run(argv, cwd=root, env=env, check=True)
        python = str(root / ".venv" / "bin" / "python")
        count = len([line for line in (root / "requirements.txt").read_text().splitlines() if "==" in line])
        rows = [
            ("envbuild verify --lock uv.lock", timed([*envbuild, "verify", "--lock", "uv.lock", "--python", python],
                                                     args.runs, root, env),
             "uv sync --frozen --dry-run", timed([uv, "sync", "--frozen", "--no-dev", "--dry-run", "--offline"],
                                                 args.runs, root, env)),
            ("envbuild verify --lock pylock.toml", timed([*envbuild, "verify", "--lock", "pylock.toml", "--python",
                                                          python], args.runs, root, env),
             "uv pip sync --dry-run pylock.toml", timed([uv, "pip", "sync", "--dry-run", "--offline", "--python",
                                                         python, "pylock.toml"], args.runs, root, env)),
            ("envbuild export --format requirements", timed([*envbuild, "export", "--lock", "requirements.txt",
                                                             "--format", "requirements"], args.runs, root, env),
             "uv export --frozen", timed([uv, "export", "-q", "--frozen", "--no-dev"], args.runs, root, env)),
        ]
    print(f"a uv project of {count} packages (bench/ml-requirements.in), synced; medians of {args.runs}")
    for name, mine, peer_name, peer in rows:
        print(f"  {name:40s} {mine:6.3f} s   {peer_name:36s} {peer:6.3f} s   ratio {mine / peer:.2f}x")


if __name__ == "__main__":
    main()
