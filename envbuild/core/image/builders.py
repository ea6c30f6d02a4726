"""Which builder builds an image, chosen from what this machine offers; and what BuildKit's plain
progress output says. Pure: the offers are found by adapters/engine/builders.py.

BuildKit first: it builds the plan's stages in parallel and binds the wheels into each RUN
(templates/base.Dockerfile.j2). Measured on the CPU stack of bench/layers.py, the same plan built
2.3x faster under BuildKit than under the classic builder (20.9 s against 47.4 s; the same image).
BuildKit is reached through a docker
client: ``docker buildx build`` where the buildx plugin is installed (any buildx builder: the
engine's own, ``docker-container``, ``kubernetes``, a remote pool), else a client older than 23.0
with BuildKit built in (``DOCKER_BUILDKIT=1 docker build``; Debian's docker.io 20.10 is one; newer
clients refuse BuildKit without buildx). The classic builder (the Docker Engine API, docker-py) is
the fallback: every engine has it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from envbuild.errors import ToolUnavailable, UserError

AUTO, BUILDKIT, CLASSIC = "auto", "buildkit", "classic"
_BUILDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True, kw_only=True)
class Offers:
    """The docker clients found, and what each can do."""

    buildx: str | None = None  # a client with the buildx plugin
    builtin: str | None = None  # a client older than 23.0: BuildKit built in (DOCKER_BUILDKIT=1)
    looked_at: tuple[str, ...] = ()  # every client looked at, with what it lacked ("/usr/local/bin/docker 28.2.2: no buildx")


@dataclass(frozen=True, kw_only=True)
class Choice:
    kind: str  # BUILDKIT or CLASSIC
    client: str | None = None  # the docker client that runs a BuildKit build
    buildx: bool = False  # `docker buildx build` (else DOCKER_BUILDKIT=1 docker build)
    name: str | None = None  # the buildx builder named by the user (--builder NAME); None: buildx's own choice
    why: str = ""  # why not BuildKit, when classic was the fallback

    @property
    def label(self) -> str:
        """'buildkit (docker buildx, builder remote-pool)', 'buildkit (/usr/bin/docker, built in)', 'classic'."""
        if self.kind == CLASSIC:
            return "classic"
        if self.buildx:
            return f"buildkit (docker buildx{f', builder {self.name}' if self.name else ''})"
        return f"buildkit ({self.client}, built in)"


def choose(requested: str | None, offers: Offers) -> Choice:
    """``requested``: auto (or None), buildkit, classic, or the name of a buildx builder."""
    wanted = (requested or AUTO).strip()
    if wanted == CLASSIC:
        return Choice(kind=CLASSIC)
    if wanted not in (AUTO, BUILDKIT) and not _BUILDER_NAME.match(wanted):
        raise UserError(f"builder {wanted!r}: expected auto, buildkit, classic or the name of a buildx builder",
                        hint="docker buildx ls lists the builders")
    if wanted not in (AUTO, BUILDKIT):
        if offers.buildx is None:
            raise ToolUnavailable(f"builder {wanted!r} is a buildx builder, and no docker client here has buildx "
                                  f"({_looked(offers)})", hint="install the docker-buildx plugin, or set "
                                  "ENVBUILD_DOCKER to a client that has it")
        return Choice(kind=BUILDKIT, client=offers.buildx, buildx=True, name=wanted)
    if offers.buildx is not None:
        return Choice(kind=BUILDKIT, client=offers.buildx, buildx=True)
    if offers.builtin is not None:
        return Choice(kind=BUILDKIT, client=offers.builtin)
    if wanted == BUILDKIT:
        raise ToolUnavailable(f"no docker client here can run BuildKit ({_looked(offers)})",
                              hint="install the docker-buildx plugin (or Debian's docker.io), set ENVBUILD_DOCKER to "
                              "such a client, or choose --builder classic")
    return Choice(kind=CLASSIC, why=f"no BuildKit: {_looked(offers)}")


def _looked(offers: Offers) -> str:
    return "; ".join(offers.looked_at) or "no docker client found"


def client_major(version: str) -> int | None:
    """'20.10.24+dfsg1' → 20; None when it is not a version."""
    match = re.match(r"^\s*v?(\d+)\.", version)
    return int(match[1]) if match else None


# ---------------------------------------------------------------- BuildKit's --progress plain

_VERTEX = re.compile(r"^#(\d+) (.*)$")
_STEP = re.compile(r"^(\[[^\]]+ \d+/\d+\]) (.*)$")  # "[layer-01 2/2] RUN ..."
_DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")
_OUTPUT = re.compile(r"^\d+\.\d+ (.*)$")  # "0.523 text": a step's own output, with its time
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SENT = re.compile(r"^transferring context: (\d+(?:\.\d+)?)(B|kB|MB|GB)(?: (\d+(?:\.\d+)?)s)? done$")
_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


@dataclass
class ProgressReader:
    """Reads `--progress plain` line by line: each step's first line and its time (a second or more),
    ``plain`` its output too; remembers each step's output for the error of a failed build."""

    progress: Callable[[str], None]
    plain: bool = False
    steps: dict[str, str] = field(default_factory=dict)  # vertex → "[stage i/n] INSTRUCTION"
    output: dict[str, list[str]] = field(default_factory=dict)  # vertex → its output lines
    failed: str | None = None  # the vertex that reported ERROR
    tail: list[str] = field(default_factory=list)  # lines outside any vertex (the closing error)

    def feed(self, line: str) -> None:
        line = _ANSI.sub("", line).rstrip()
        match = _VERTEX.match(line)
        if not match:
            if line.strip() and not line.startswith(("------", " > ")):
                self.tail = (self.tail + [line.strip()])[-20:]
            return
        vertex, text = match[1], match[2]
        step = _STEP.match(text)
        if step and vertex not in self.steps:
            self.steps[vertex] = f"{step[1]} {step[2][:100]}"
            self.progress(f"{step[1]}: {step[2][:120]}")
            return
        sent = _SENT.match(text)
        if sent:  # the context's transfer, in an [internal] vertex: said once, as the classic builder's is
            self.progress(f"sent the build context ({float(sent[1]) * _UNITS[sent[2]] / 1e6:.1f} MB) in "
                     f"{float(sent[3] or 0):.1f} s")
            return
        if vertex not in self.steps or step or text.startswith("sha256:"):
            return
        done = _DONE.match(text)
        if done:
            if float(done[1]) >= 1:
                self.progress(f"  {self.steps[vertex].split(' ', 2)[0]} {self.steps[vertex].split(' ', 2)[1]} took "
                         f"{float(done[1]):.1f} s")
            return
        if text.startswith("ERROR"):
            self.failed = vertex
            self.output.setdefault(vertex, []).append(text.removeprefix("ERROR").lstrip(": "))
            return
        shown = _OUTPUT.match(text)
        if shown and shown[1].strip():
            self.output.setdefault(vertex, []).append(shown[1])
            if self.plain:
                self.progress(f"  | {shown[1]}")

    def failure(self) -> tuple[str, str]:
        """(the failed step, its last output lines and the builder's closing error)."""
        step = self.steps.get(self.failed or "", "")
        lines = self.output.get(self.failed or "", [])[-25:]
        closing = [line for line in self.tail if not any(line.endswith(seen) for seen in lines)][-3:]
        return step[:90], "\n".join(lines + closing)
