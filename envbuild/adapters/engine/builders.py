"""The builders behind core/image/engine.ImageBuilder: BuildKit, run by a docker client, and the classic
builder (adapters/engine/docker.Engine itself, through the Docker Engine API). Which one is core/image/builders.choose's
decision; this module finds the docker clients and runs BuildKit's build.

The docker CLI picks its engine as envbuild does (DOCKER_HOST, DOCKER_CONTEXT, the client's current
context), so the image BuildKit builds lands in the engine envbuild then normalises it in. With buildx,
the builder is buildx's choice (BUILDX_BUILDER, `docker buildx use`) unless --builder names one, and
`--load` brings the image into the engine whatever the builder's driver (docker-container, kubernetes,
remote): that is how a build runs past this machine.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from envbuild.adapters.process import run
from envbuild.core.image.builders import CLASSIC, Choice, Offers, ProgressReader, choose, client_major
from envbuild.core.image.engine import ContainerEngine, ImageBuilder
from envbuild.core.progress import Progress
from envbuild.core.redact import redact_text
from envbuild.errors import BuildError

DEBIAN_CLIENT = "/usr/bin/docker"  # Debian's docker.io: a 20.10 client with BuildKit built in
PROBE_TIMEOUT = 20.0


def find_offers(environ: Mapping[str, str]) -> Offers:
    """ENVBUILD_DOCKER when set (that client only); else the `docker` on PATH, then Debian's."""
    import shutil

    named = environ.get("ENVBUILD_DOCKER")
    candidates = [named] if named else [shutil.which("docker", path=environ.get("PATH")), DEBIAN_CLIENT]
    seen: set[str] = set()
    looked: list[str] = []
    builtin = None
    for client in candidates:
        if not client:
            continue
        if not (os.path.isfile(client) and os.access(client, os.X_OK)):
            looked.append(f"{client}: not an executable")
            continue
        real = os.path.realpath(client)
        if real in seen:
            continue
        seen.add(real)
        if run([client, "buildx", "version"], env=environ, timeout=PROBE_TIMEOUT).returncode == 0:
            return Offers(buildx=client, builtin=builtin, looked_at=tuple(looked))
        version = run([client, "version", "--format", "{{.Client.Version}}"], env=environ,
                      timeout=PROBE_TIMEOUT).stdout.strip().splitlines()
        major = client_major(version[0]) if version else None
        if major is not None and major < 23:
            builtin = builtin or client
        else:
            looked.append(f"{client} {version[0] if version else '(no version)'}: no buildx plugin")
    return Offers(builtin=builtin, looked_at=tuple(looked))


def connect_builder(engine: ContainerEngine, environ: Mapping[str, str], requested: str | None) -> tuple[ImageBuilder, Choice]:
    """The builder ``requested`` names (auto, buildkit, classic, a buildx builder; ENVBUILD_BUILDER when
    None), and the choice made. The classic builder is the engine itself."""
    wanted = requested or environ.get("ENVBUILD_BUILDER") or None
    choice = choose(wanted, Offers() if wanted == CLASSIC else find_offers(environ))
    if choice.kind == CLASSIC:
        return engine, choice
    return BuildKit(choice, environ), choice


class BuildKit:
    kind = "buildkit"

    def __init__(self, choice: Choice, environ: Mapping[str, str]) -> None:
        assert choice.client is not None
        self.choice = choice
        self.label = choice.label
        self._environ = dict(environ)

    def argv(self, context_dir: str, *, iidfile: str, nocache: bool, buildargs: Mapping[str, str],
             platform: str | None) -> list[str]:
        assert self.choice.client is not None
        command = ["buildx", "build", "--load", *(["--builder", self.choice.name] if self.choice.name else [])] \
            if self.choice.buildx else ["build"]
        args = [arg for key, value in sorted(buildargs.items()) for arg in ("--build-arg", f"{key}={value}")]
        return [self.choice.client, *command, "--progress", "plain", "--iidfile", iidfile,
                *(["--no-cache"] if nocache else []), *(["--platform", platform] if platform else []),
                *args, context_dir]

    def build(self, context_dir: str, *, nocache: bool, buildargs: Mapping[str, str], progress: Progress,
              platform: str | None = None, plain: bool = False) -> str:
        """The context's Dockerfile built by BuildKit; the image ID (the engine's, after --load)."""
        reader = ProgressReader(progress=progress, plain=plain)
        with tempfile.TemporaryDirectory(prefix="envbuild-buildkit-") as tmp:
            iidfile = str(Path(tmp) / "iid")
            done = run(self.argv(context_dir, iidfile=iidfile, nocache=nocache, buildargs=buildargs, platform=platform),
                       env={**self._environ, "DOCKER_BUILDKIT": "1"}, on_stderr_line=reader.feed)
            image_id = Path(iidfile).read_text(encoding="utf-8").strip() if Path(iidfile).is_file() else ""
        if done.returncode != 0:
            step, details = reader.failure()
            raise BuildError(f"build failed at {step or 'the start'}", details=redact_text(details or done.stderr[-3000:]),
                             hint="the lines above are the failing step's output")
        if not image_id.startswith("sha256:"):
            raise BuildError(f"{self.label} finished without naming the image it built",
                             details=redact_text(done.stderr[-2000:]))
        return image_id


def check_base(engine: ContainerEngine, base_layers: tuple[str, ...], image_id: str, ref: str) -> None:
    """The built image must start with the pinned base's layers: a builder finds a local base by a tag
    (core/image/render.Dockerfiles), and a tag can be moved between the pin and the build."""
    from envbuild.core.image.plan import foreign_base_layers

    built = engine.inspect(image_id)
    if built is not None and base_layers and foreign_base_layers(base_layers, built.diff_ids):
        engine.remove(image_id)
        raise BuildError(f"the image built for {ref} does not start with the layers of its pinned base",
                         hint="the tag that named the base moved during the build; build again")
