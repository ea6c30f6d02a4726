"""Where the probe runs: this interpreter, another one, a container, an image, a host over ssh.

Nothing is installed anywhere: the probe's source goes to the remote Python on stdin
(`python3 - [--files]`) and one JSON object comes back on stdout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envbuild.adapters.process import run
from envbuild.errors import ToolUnavailable, UserError

KINDS = ("local", "python", "container", "image", "ssh")


@dataclass(frozen=True, kw_only=True)
class Place:
    kind: str  # one of KINDS
    name: str = ""
    interpreter: str = "python3"  # for container, image, ssh
    ssh_config: str | None = None
    conda_prefix: str | None = None  # a conda environment to inventory (default: found by the probe)

    @property
    def label(self) -> str:
        return "this interpreter" if self.kind == "local" else f"{self.kind} {self.name}"


def probe_source() -> str:
    return (Path(__file__).resolve().parent.parent / "probe.py").read_text(encoding="utf-8")


def argv_for(place: Place, files: bool) -> list[str]:
    args = ["-", "--files"] if files else ["-"]
    if place.conda_prefix:
        args.append(f"--conda-prefix={place.conda_prefix}")
    if place.kind == "python":
        return [place.name, *args]
    if place.kind == "container":
        return ["docker", "exec", "-i", place.name, place.interpreter, *args]
    if place.kind == "image":
        return ["docker", "run", "--rm", "-i", "--network", "none", "--entrypoint", place.interpreter, place.name, *args]
    if place.kind == "ssh":
        config = ["-F", place.ssh_config] if place.ssh_config else []
        return ["ssh", *config, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", place.name,
                place.interpreter, *args]
    raise UserError(f"unknown place kind {place.kind!r}")


def take_snapshot(place: Place, *, files: bool = False, timeout: float = 600) -> dict[str, Any]:
    if place.kind == "local":
        from envbuild import probe

        return probe.collect(files=files, conda=place.conda_prefix)
    done = run(argv_for(place, files), stdin=probe_source(), timeout=timeout)
    if done.returncode != 0:
        raise ToolUnavailable(f"{place.label}: {_why(place, done.returncode, done.stderr)}")
    try:
        snapshot = json.loads(done.stdout)
    except ValueError:
        raise ToolUnavailable(f"{place.label}: the probe printed no JSON",
                              details=(done.stderr or done.stdout).strip()[-500:]) from None
    return snapshot


def start_snapshots(places: Sequence[Place], *, files: bool) -> Callable[[], list[dict[str, Any] | ToolUnavailable]]:
    """Start probing every place now, in parallel, and return a function that waits for the results
    (a place that cannot be reached yields its error instead of a snapshot). Starting early lets
    the caller read and parse the lock while the probes run."""

    def one(place: Place) -> dict[str, Any] | ToolUnavailable:
        try:
            return take_snapshot(place, files=files)
        except ToolUnavailable as exc:
            return exc

    pool = ThreadPoolExecutor(max_workers=min(16, len(places)))
    futures = [pool.submit(one, place) for place in places]
    pool.shutdown(wait=False)
    return lambda: [future.result() for future in futures]


def _why(place: Place, code: int, stderr: str) -> str:
    last = next((line.strip() for line in reversed(stderr.strip().splitlines()) if line.strip()), "")
    if place.kind == "ssh" and code == 255:
        return f"cannot connect ({last or 'ssh exit 255'})"
    if code in (126, 127) or "executable file not found" in stderr or "not found" in last.lower():
        return f"no {place.interpreter} there ({last})" if place.kind != "python" else f"cannot run it ({last})"
    return f"exit {code}: {last}"
