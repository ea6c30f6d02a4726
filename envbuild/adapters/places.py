"""Where the probe runs: this interpreter, another one, a container, an image, a host over ssh.

Nothing is installed anywhere: the probe's source goes to the remote Python on stdin
(`python3 -I -S - [--files]`: isolated, no site, so none of the environment's own code runs) and
one JSON object comes back on stdout. That answer is hostile until checked: it must parse and have
the snapshot's shape (core/snapshot.py), else that place alone is an error. Each place is bounded
in time: the probe arms an alarm for itself (killing `docker exec` or `ssh` on this side does not
stop the process over there) and this side stops waiting a few seconds later.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from envbuild.adapters.process import run
from envbuild.core.check.image import LOADER_ENV, RISKY_ENV
from envbuild.core.progress import Progress, silent
from envbuild.core.snapshot import Engine, Snapshot
from envbuild.errors import TimedOut, ToolUnavailable, UserError

DEFAULT_TIMEOUT = 120.0  # seconds per place
_GRACE = 5.0  # this side waits this much longer than the probe's own alarm


@dataclass(frozen=True, kw_only=True)
class Place:
    kind: str  # local | python | container | image | ssh | exec
    name: str = ""
    interpreter: str = "python3"  # for container, image, ssh, exec
    ssh_config: str | None = None
    conda_prefix: str | None = None  # a conda environment to inventory (default: found by the probe)

    def __post_init__(self) -> None:
        if self.kind == "ssh" and (self.name.startswith("-") or not self.name.strip()):
            raise UserError(f"--ssh {self.name!r}: not a host name (it starts with '-': ssh would read it as an "
                            "option)", hint="give a host name, user@host or an alias from your ssh config")
        if self.kind == "exec":
            exec_argv(self.name)  # a command line that does not split is the user's mistake, said now

    @property
    def label(self) -> str:
        return "this interpreter" if self.kind == "local" else f"{self.kind} {self.name}"


# The probe is a package (envbuild/probe/); a place's Python gets it as one script on stdin: each
# module's source, run as a module of a package made in memory, in dependency order, then main().
_BOOT = """import sys, types


def _boot(sources):
    package = types.ModuleType("envbuild_probe")
    package.__path__ = []
    sys.modules["envbuild_probe"] = package
    for name, source in sources:
        module = types.ModuleType("envbuild_probe." + name)
        module.__package__ = "envbuild_probe"
        sys.modules[module.__name__] = module
        exec(compile(source, "<envbuild probe " + name + ".py>", "exec"), module.__dict__)
        setattr(package, name, module)
    return sys.modules["envbuild_probe.main"]


_boot(%r).main(sys.argv[1:])
"""


# envbuild/probe's modules, each after those it imports (read as files: this process never imports them).
PROBE_MODULES = ("common", "facts", "paths", "dists", "hashing", "manifest", "system", "main")


@functools.lru_cache(maxsize=1)
def probe_source() -> str:
    """The whole probe as one script for `python -I -S -`."""
    folder = Path(__file__).resolve().parent.parent / "probe"
    return _BOOT % ([(name, (folder / f"{name}.py").read_text(encoding="utf-8")) for name in PROBE_MODULES],)


def argv_for(place: Place, files: bool, timeout: float = DEFAULT_TIMEOUT, progress: float | None = None) -> list[str]:
    """``progress``: the probe tells on stderr how much it has hashed, every that many seconds
    (adapters/probe_progress.py)."""
    args = ["-I", "-S", "-B", "-", f"--deadline={max(1, int(timeout))}"] + (["--files"] if files else [])
    args += [f"--progress={progress:g}"] if progress else []
    if place.conda_prefix:
        args.append(f"--conda-prefix={place.conda_prefix}")
    if place.kind == "local":
        return [sys.executable, *args]
    if place.kind == "python":
        return [place.name, *args]
    # The dynamic loader's code-running variables are emptied for the probe (LD_PRELOAD in a
    # container's environment would run inside it): the engine's record of them is checked instead.
    scrub = [word for name in LOADER_ENV for word in ("-e", f"{name}=")]
    if place.kind == "container":
        return ["docker", "exec", *scrub, "-i", place.name, place.interpreter, *args]
    if place.kind == "image":
        # --pull never: an image that is not here is said to be missing, never fetched from a registry
        return ["docker", "run", "--rm", "-i", *scrub, "--pull", "never", "--network", "none", "--entrypoint",
                place.interpreter, place.name, *args]
    if place.kind == "exec":
        # The user's own command line, split as a shell would split it but run without one; the
        # probe's words follow it (kubectl exec and podman exec pass them on as argv; ssh joins them).
        return [*exec_argv(place.name), place.interpreter, *args]
    if place.kind == "ssh":
        config = ["-F", place.ssh_config] if place.ssh_config else []
        # The remote side is a shell: every word is quoted, so a path with spaces is a path and
        # '; touch X' is part of one, never a command.
        import shlex

        unset = [word for name in LOADER_ENV for word in ("-u", name)]  # the login's LD_PRELOAD never runs in the probe
        remote = " ".join(shlex.quote(word) for word in ("env", *unset, place.interpreter, *args))
        return ["ssh", *config, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "--", place.name, remote]
    raise UserError(f"unknown place kind {place.kind!r}")


def exec_argv(command: str) -> list[str]:
    try:
        import shlex

        argv = shlex.split(command)
    except ValueError as exc:
        raise UserError(f"--exec {command!r}: {exc}", hint="quote it as one argument: --exec 'kubectl exec -i POD --'") \
            from None
    if not argv:
        raise UserError("--exec '': no command", hint="e.g. --exec 'kubectl exec -i POD --'")
    return argv


def take_snapshot(place: Place, *, files: bool = False, timeout: float = DEFAULT_TIMEOUT, progress: Progress = silent,
                  alone: bool = True) -> Snapshot:
    """With ``files``, the site directories hashed, their progress said through ``progress`` (``alone``:
    the only place at work, which may draw a meter); an image's or a container's whole start-up
    surface is read through the engine besides (engine_record)."""
    if place.kind == "container":
        # The engine's record first, before anything runs inside: what the probe then says cannot
        # change it, and a watcher inside has nothing to see coming (adapters/engine/exports.py).
        engine = Engine.read(engine_record(place, timeout, files=files), "engine")
        return replace(_probe(place, files=files, timeout=timeout, progress=progress, alone=alone), engine=engine)
    if place.kind == "image":  # nothing runs in an image: read it while the probe runs in a container of it
        reading = _in_thread(lambda: engine_record(place, timeout, files=files), name=f"engine {place.label}")
        try:
            snapshot = _probe(place, files=files, timeout=timeout, progress=progress, alone=alone)
        except BaseException:
            try:  # its container created for the export is removed before envbuild goes
                reading(timeout + _GRACE)
            except ToolUnavailable:
                pass
            raise
        return replace(snapshot, engine=Engine.read(reading(None), "engine"))
    return _probe(place, files=files, timeout=timeout, progress=progress, alone=alone)


def _probe(place: Place, *, files: bool, timeout: float, progress: Progress, alone: bool) -> Snapshot:
    """The probe's answer from ``place``, checked for its shape (and with no "engine" of its own)."""
    from envbuild.core.snapshot import InvalidSnapshot, read_snapshot

    no_answer = ToolUnavailable(f"{place.label}: no answer from {_interpreter(place)} within {timeout:g} s",
                                hint="raise --timeout, or check the host's load and the interpreter")
    if place.kind in ("local", "python") and not files:
        found = _bounded(local_snapshot, place, timeout)
        if found is _LATE:
            raise no_answer
        if found is not None:
            try:
                return read_snapshot(found)
            except InvalidSnapshot as exc:  # as the probe's answer from anywhere else would be
                raise _malformed(place, "a malformed snapshot", exc) from None
    from envbuild.adapters.probe_progress import HashProgress, without_progress

    hashing = HashProgress(place.label, progress, alone=alone)
    try:
        argv = argv_for(place, files, timeout, progress=hashing.every if files else None)
        done = run(argv, stdin=probe_source(), timeout=timeout + _GRACE, on_stderr_line=hashing.line,
                   env=_scrubbed() if place.kind in ("local", "python") else None)
    except TimedOut:
        raise no_answer from None
    except ToolUnavailable as exc:
        raise ToolUnavailable(f"{place.label}: {exc.message}") from None
    finally:
        hashing.close()
    done = replace(done, stderr=without_progress(done.stderr))
    if done.returncode in (-14, 128 + 14):  # SIGALRM: the probe's own deadline (directly, or via a shell)
        raise no_answer
    if done.returncode != 0:
        raise ToolUnavailable(f"{place.label}: {_why(place, done.returncode, done.stderr)}")
    try:
        answer = json.loads(done.stdout)
        if isinstance(answer, dict):
            answer.pop("engine", None)  # only this side says what the engine knows
        snapshot = read_snapshot(answer)
    except ValueError as exc:  # JSONDecodeError and InvalidSnapshot alike
        what = "a malformed snapshot" if isinstance(exc, InvalidSnapshot) else "no JSON"
        raise _malformed(place, what, exc, details=(done.stderr or done.stdout).strip()[-500:]) from None
    except RecursionError:
        raise ToolUnavailable(f"{place.label}: the probe answered with JSON nested too deeply") from None
    return snapshot


def _scrubbed() -> dict[str, str]:
    """This process's environment without the loader's code-running variables: an interpreter on
    this machine runs the probe without them (-I already leaves PYTHON* aside)."""
    return {k: v for k, v in os.environ.items() if k not in LOADER_ENV}


def _malformed(place: Place, what: str, exc: Exception, details: str | None = None) -> ToolUnavailable:
    return ToolUnavailable(f"{place.label}: the probe answered with {what} ({exc})", details=details)


_LATE = object()


def _bounded(function: Callable[..., Any], place: Place, timeout: float) -> Any:
    """``function(place, timeout)`` within ``timeout`` seconds, else _LATE. A hostile environment can
    make a read block for ever (a FIFO where METADATA should be): the read then stays behind in a
    daemon thread, which never keeps envbuild from exiting, as the probe's alarm ends it elsewhere;
    what the thread started (an interpreter that never answers) is killed with its process group."""
    return _in_thread(lambda: function(place, timeout), name=f"probe {place.label}")(timeout, kill_late=True)


def local_snapshot(place: Place, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any] | None:
    """The probe's metadata inventory run in this process for an interpreter on this machine: the
    same code, reading the same files, from the interpreter's facts - this one's, or another's from
    the cache (adapters/interpreters.py) - so no second interpreter starts. It never relies on this
    process's sys.path, nor imports what it inventories. Passed through JSON as an answer from
    elsewhere would be. None: that interpreter's facts are not to be had (the probe then runs there)."""
    import os

    from envbuild.probe.main import collect

    from envbuild.adapters.interpreters import cached_facts, resolve
    from envbuild.adapters.cache import cache_root

    executable = sys.executable if place.kind == "local" else resolve(place.name)
    facts = cached_facts(executable, os.environ, cache_root(os.environ), timeout, probe=probe_source(),
                         own=place.kind == "local") if executable else None
    if facts is None:
        return None
    return json.loads(json.dumps(collect(conda=place.conda_prefix, facts=facts), sort_keys=True))


def engine_record(place: Place, timeout: float, files: bool = False, also: Sequence[str] | None = None) -> dict[str, Any]:
    """What the engine itself knows about a container or an image, out of reach of whoever is root
    inside it: the image's labels (the lock's sha256 among them), its configuration (environment,
    entrypoint, user), for a container every path changed since it was created (`docker diff`)
    and, with ``files``, every file of the start-up surface hashed from its export stream, with the
    paths ``also`` names (default: those the build manifest of its image recorded besides)."""
    what = "container" if place.kind == "container" else "image"
    done = run(["docker", what, "inspect", place.name], timeout=timeout)
    if done.returncode != 0:
        raise ToolUnavailable(f"{place.label}: docker {what} inspect failed: {done.stderr.strip()[-300:]}")
    try:
        found = json.loads(done.stdout)[0]
        config = found.get("Config") or {}
    except (ValueError, LookupError, AttributeError):
        raise ToolUnavailable(f"{place.label}: docker {what} inspect answered no JSON") from None
    image_id = str(found.get("Image" if place.kind == "container" else "Id") or "")
    labels = config.get("Labels") or {}
    record: dict[str, Any] = {"labels": {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
                              "image_id": image_id, "config": _config(config)}
    ref = place.name if place.kind == "image" else config.get("Image")  # what the container was created from
    if isinstance(ref, str) and ref:
        record["ref"] = ref
    pushed = found.get("RepoDigests") if place.kind == "image" else None  # name@sha256: of each push or pull
    if isinstance(pushed, list) and pushed:
        record["repo_digests"] = sorted(str(d) for d in pushed)
    if place.kind == "container":
        changed = run(["docker", "diff", place.name], timeout=timeout)
        if changed.returncode != 0:
            raise ToolUnavailable(f"{place.label}: docker diff failed: {changed.stderr.strip()[-300:]}")
        record["changes"] = [[line[0], line[2:]] for line in changed.stdout.splitlines()
                             if len(line) > 2 and line[0] in "ACD" and line[1] == " "]
        made = run(["docker", "image", "inspect", "--format", "{{json .Config}}", image_id], timeout=timeout)
        try:  # what its image says it runs with: the container's own configuration is checked against it
            record["image_config"] = _config(json.loads(made.stdout) or {}) if made.returncode == 0 else None
        except (ValueError, AttributeError):
            record["image_config"] = None
    if files:
        from envbuild.adapters.engine import exports

        built = None
        if also is None:  # a verify (a build records its manifest with its own ``also``)
            from envbuild.adapters.cache import cache_root
            from envbuild.adapters.engine.manifests import read_manifest

            built = read_manifest(image_id, cache_root(os.environ)) if image_id else None
            also = (built or {}).get("also") or ()
        if place.kind == "image" and built is not None:
            # An image's ID is the digest of its configuration, which names every layer by its content:
            # the same ID, the same files as when the manifest read them through the engine. Read again,
            # they would only say so slower (root on the Docker host is out of reach either way).
            record["files"] = {"trees": built["trees"], "texts": built["texts"]}
        else:
            read = exports.read_container(place.name, timeout, also) if place.kind == "container" \
                else exports.read_image(image_id or place.name, timeout, also)
            record["files"] = read.to_json()
    return record


def _config(config: Any) -> dict[str, Any]:
    """The parts of an engine's container or image configuration that decide what runs: the
    environment (name → value, None for a value not kept), entrypoint, command, user, working directory."""
    env: dict[str, str | None] = {}
    for item in config.get("Env") or []:
        name, _, value = str(item).partition("=")
        env[name] = value if name in RISKY_ENV else None  # of the rest only the name: a container's secrets are there
    out: dict[str, Any] = {"env": env, "user": str(config.get("User") or ""),
                           "workdir": str(config.get("WorkingDir") or "")}
    for key, name in (("Entrypoint", "entrypoint"), ("Cmd", "cmd")):
        value = config.get(key)
        out[name] = [str(v) for v in value] if isinstance(value, list) else None
    return out


def _interpreter(place: Place) -> str:
    return {"local": sys.executable, "python": place.name}.get(place.kind, place.interpreter)


def start_snapshots(places: Sequence[Place], *, files: bool, timeout: float = DEFAULT_TIMEOUT,
                    jobs: int = 16, progress: Progress = silent) -> Callable[[], list[Snapshot | ToolUnavailable]]:
    """Start probing every place now, ``jobs`` at a time, and return a function that waits for the results
    (a place that cannot be reached yields its error instead of a snapshot). Starting early lets
    the caller read and parse the lock while the probes run. ``progress``: the progress of hashing."""

    def one(place: Place) -> Snapshot | ToolUnavailable:
        try:
            return take_snapshot(place, files=files, timeout=timeout, progress=progress, alone=len(places) == 1)
        except ToolUnavailable as exc:
            return exc

    if len(places) == 1:  # one place needs no pool (concurrent.futures costs more to import than a verify here)
        wait = _in_thread(lambda: one(places[0]))
        return lambda: [wait()]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(places))))
    futures = [pool.submit(one, place) for place in places]
    pool.shutdown(wait=False)
    return lambda: [future.result() for future in futures]


def _in_thread(function: Callable[[], Any], name: str | None = None) -> Callable[..., Any]:
    """``function()`` started in a daemon thread. The callable returned waits (at most its argument's
    seconds) and gives the result, raises what the function raised, or gives _LATE."""
    import threading

    result: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(function())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()

    def wait(timeout: float | None = None, kill_late: bool = False) -> Any:
        """``kill_late``: when it gives _LATE, the processes the worker started are killed."""
        worker.join(timeout)
        if worker.is_alive():
            if kill_late:
                from envbuild.adapters.process import kill_children_of

                kill_children_of(worker)
            return _LATE
        if failure:
            raise failure[0]
        return result[0]

    return wait


def _why(place: Place, code: int, stderr: str) -> str:
    last = next((line.strip() for line in reversed(stderr.strip().splitlines()) if line.strip()), "")
    if place.kind == "image" and "no such image" in stderr.lower():
        return f"no image {place.name} here (envbuild never pulls: 'docker pull {place.name}' first)"
    if place.kind == "ssh" and code == 255:
        return f"cannot connect ({last or 'ssh exit 255'})"
    if code in (126, 127) or "executable file not found" in stderr or "not found" in last.lower():
        return f"no {place.interpreter} there ({last})" if place.kind != "python" else f"cannot run it ({last})"
    return f"exit {code}: {last}"
