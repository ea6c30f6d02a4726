"""A training in a container, kept until it has been recorded (`envbuild run`, `envbuild reproduce`).

The container is created from the image with a keeper for its first process (the image's own Python,
isolated, waiting for a signal) and the training is started in it with `docker exec`, as the image's
user, in its working directory: when the training ends, the container is still there, with every file
the training left, for the probe to snapshot — the container that trained, not a fresh one. Then it
is removed.

Values of variables reach the training through `docker exec -e NAME` with the value in the docker
client's own environment: never on a command line (`ps` shows argv), never in the container's
configuration (`docker inspect` shows that), never in the image.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from envbuild.adapters.process import run, run_shown, stream
from envbuild.core.layout import Labels
from envbuild.errors import ToolUnavailable, UserError

NETWORKS = ("none", "host", "bridge")
MAX_METRICS_FILE = 16 << 20
_KEEPER = ["-I", "-S", "-c", "import signal; signal.pause()"]
LABEL = Labels.RUN  # on every container a run starts: `docker ps -f label=dev.envbuild.run` finds one left over


@dataclass(frozen=True, kw_only=True)
class Mount:
    source: str  # a directory on this machine
    target: str  # where the training sees it, read-only

    def __post_init__(self) -> None:
        # docker's --mount is key=value pairs split at commas: one in a path would add options of its own
        if "," in self.source or '"' in self.source:
            raise UserError(f"--data {self.source}: a path with a comma or a quote cannot be mounted",
                            hint="move or link the workspace to a plain path")
        if not re.fullmatch(r"/[A-Za-z0-9._/-]{0,255}", self.target) or ".." in self.target.split("/"):
            raise UserError(f"--data-mount {self.target!r}: expected an absolute path of letters, digits, '.', '_', "
                            "'-' and '/'")


def network_for(*, metrics_file: str | None, tracking_uri: str | None) -> str:
    """The least a training needs: nothing when envbuild reads its metrics from a file; else the tracking
    server its own mlflow logs to — the host's network for a server on this machine's loopback (the
    bridge cannot reach it), the default bridge for any other. Never taken from a record: a record
    that asked for the host's network would get it for whatever command it names."""
    if metrics_file or not tracking_uri:
        return "none"
    from urllib.parse import urlsplit

    host = urlsplit(tracking_uri).hostname or ""
    return "host" if host in ("localhost", "::1") or host.startswith("127.") else "bridge"


@contextmanager
def container(image: str, *, network: str, python: str = "python3", mounts: Sequence[Mount] = (),
              gpus: str | None = None, timeout: float = 120.0) -> Iterator[str]:
    """A started container of ``image`` that runs nothing yet: its name. Removed on the way out.
    ``gpus``: docker's --gpus (all, a count, device=…), for the NVIDIA container toolkit."""
    if network not in NETWORKS:
        raise UserError(f"--network {network}: expected one of {', '.join(NETWORKS)}")
    name = f"envbuild-run-{uuid.uuid4().hex[:12]}"
    argv = ["docker", "create", "--name", name, "--network", network, "--label", f"{LABEL}=1", "--entrypoint", python]
    for mount in mounts:
        argv += ["--mount", f"type=bind,source={mount.source},target={mount.target},readonly"]
    if gpus:
        argv += ["--gpus", gpus]
    created = run([*argv, image, *_KEEPER], timeout=timeout)
    if created.returncode != 0:
        raise ToolUnavailable(f"cannot create a container of {image}: {_last(created.stderr)}",
                              hint="is the Docker engine running (scripts/setup-docker.sh)?")
    try:
        started = run(["docker", "start", name], timeout=timeout)
        if started.returncode != 0:
            raise ToolUnavailable(f"cannot start a container of {image}: {_last(started.stderr)}",
                                  hint=f"the image needs {python} on its PATH (envbuild images have it)")
        yield name
    finally:
        run(["docker", "rm", "-f", "-v", name], timeout=timeout)


def train(name: str, argv: Sequence[str], *, env: Mapping[str, str], workdir: str | None, show: Callable[[str], None],
          timeout: float | None = None) -> tuple[int, str]:
    """Run argv in the container; its output line by line to ``show``. (exit status, last lines)."""
    if not argv:
        raise UserError("nothing to run: the image has no entrypoint or command, and none was given",
                        hint="give the command after --: envbuild run IMAGE -- python train.py")
    command = ["docker", "exec"]
    if workdir:
        command += ["-w", workdir]
    for key in sorted(env):
        command += ["-e", key]  # the value from the client's environment: never on a command line
    done = run_shown([*command, name, *argv], show=show, env={**os.environ, **env}, timeout=timeout)
    if done.returncode in (126, 127) and "executable file not found" in done.stderr:
        raise UserError(f"{argv[0]}: not found in the image", hint="check the entrypoint, or the command after --")
    return done.returncode, done.stderr


def read_file(name: str, path: str, *, timeout: float = 120.0) -> str | None:
    """A file the training wrote in the container, as text (None: it is not there). Read through the
    engine (`docker cp`), not by a process inside: the training's files are not trusted to run."""
    # at most a little more than the limit is read: a tar of a bigger file is cut, and refused below
    body, done = stream(["docker", "cp", f"{name}:{path}", "-"], lambda out: out.read(MAX_METRICS_FILE + (1 << 20)),
                        timeout=timeout)
    if done.returncode != 0 or not body:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(body)) as archive:
            member = next((m for m in archive.getmembers() if m.isfile()), None)
            if member is None:
                return None
            if member.size > MAX_METRICS_FILE:
                raise UserError(f"{path}: over {MAX_METRICS_FILE >> 20} MB: not a metrics file")
            handle = archive.extractfile(member)
            return handle.read().decode("utf-8", "replace") if handle else None
    except tarfile.TarError:
        return None


def read_metrics(name: str, path: str, *, where: str) -> dict[str, float] | None:
    """The metrics the training wrote to ``path`` (core/lineage/reproduction.metrics_of; ``where`` names the file
    in a message); None when it wrote no such file."""
    from envbuild.core.lineage.reproduction import metrics_of

    text = read_file(name, path)
    return None if text is None else metrics_of(text, where)


def _last(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][-300:] if lines else "no reason given"


def image_id(ref: str) -> str | None:
    """The ID of the image ``ref`` names here (None: no such image)."""
    done = run(["docker", "image", "inspect", "--format", "{{.Id}}", ref], timeout=60)
    return done.stdout.strip() or None if done.returncode == 0 else None


def image_label(ref: str, name: str) -> str | None:
    import json

    done = run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", ref], timeout=60)
    try:
        labels = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        return None
    return str(labels[name]) if isinstance(labels, dict) and name in labels else None


def pull(ref: str, *, timeout: float = 1800) -> str | None:
    """``ref`` pulled (a name@sha256: digest, so the bytes are the pushed ones): its image ID, None when it
    cannot be pulled (gone from the registry, no registry reachable)."""
    done = run(["docker", "pull", "--quiet", ref], timeout=timeout)
    return image_id(ref) if done.returncode == 0 else None
