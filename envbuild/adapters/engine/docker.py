"""The container engine (core/image/engine.ContainerEngine) implemented with the Docker Engine API (docker-py).

docker-py reaches only the classic builder: the engine is that builder (core/image/engine.ImageBuilder);
BuildKit is run through a docker client (adapters/engine/builders.py). Reproducible image IDs: after a build,
by either builder, the image config is rewritten (fixed 'created', no container/hostname/parent
fields, one history entry per layer, canonical JSON) and loaded back (adapters/engine/archives.py): on the
graph-driver store as a thin archive, manifest and config only (`docker load` skips a layer whose
chain ID it already holds: milliseconds whatever the image size); on the containerd store, which
needs every layer it is given, as the saved image with its config replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envbuild.core.image.engine import ImageInfo
from envbuild.adapters.engine.archives import full_archive, thin_archive
from envbuild.core.image.plan import kept_layers, normalized_config
from envbuild.core.progress import Progress
from envbuild.core.redact import redact_text
from envbuild.errors import BuildError, ToolUnavailable, UserError

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CHATTER = re.compile(r"^(Removing intermediate container|Successfully (built|tagged)|Sending build context|"
                      r"DEPRECATED: The legacy builder|\s+(Install the buildx|BuildKit|https://docs.docker.com/go/buildx))")


DEFAULT_TIMEOUT = 60.0  # seconds for each Docker API call but the build itself (ENVBUILD_DOCKER_TIMEOUT)


def api_timeout(environ: Mapping[str, str]) -> float:
    value = environ.get("ENVBUILD_DOCKER_TIMEOUT", "")
    try:
        return float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        raise UserError(f"ENVBUILD_DOCKER_TIMEOUT={value!r}: expected a number of seconds") from None


class _Bounded:
    """docker-py's API object with every call's timeout turned into one clear error: an engine that
    accepts the connection and never answers must not hang envbuild (exit 5 naming the call)."""

    def __init__(self, target: Any, timeout: float) -> None:
        self._target = target
        self._timeout = timeout

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            import requests

            try:
                return attribute(*args, **kwargs)
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:  # not APIError
                raise ToolUnavailable(f"the Docker engine did not answer {name} within {self._timeout:g} s "
                                      f"({type(exc).__name__})",
                                      hint="check the engine (docker info); ENVBUILD_DOCKER_TIMEOUT sets the limit") from None

        return call


class Engine:
    kind = label = "classic"  # as an ImageBuilder (core/image/engine.py): the engine's own builder

    def __init__(self, client: Any, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._store: str | None = None
        self.client = client
        self.api = _Bounded(client.api, timeout)
        self.images = _Bounded(client.images, timeout)

    @classmethod
    def connect(cls, timeout: float = DEFAULT_TIMEOUT) -> Engine:
        """``timeout`` bounds every API call but the build's own stream, which runs as long as it must."""
        try:
            import docker
            import requests
            from docker.errors import DockerException
        except ImportError:  # pragma: no cover - docker is a dependency
            raise ToolUnavailable("the docker Python package is not installed") from None
        try:
            endpoint = _context_endpoint()
            client = docker.from_env(version="auto", timeout=timeout) if endpoint is None else docker.DockerClient(
                base_url=endpoint[0], tls=endpoint[1], version="auto", timeout=timeout)
            client.ping()
        except (DockerException, requests.exceptions.RequestException) as exc:
            import os

            where = endpoint[0] if endpoint else os.environ.get("DOCKER_HOST") or "the local socket"
            raise ToolUnavailable(f"no Docker engine answers at {redact_text(where)} within {timeout:g} s: "
                                  f"{_short(exc)}", hint="start one (scripts/setup-docker.sh does it on Debian), or "
                                  "check DOCKER_HOST / the docker context") from None
        return cls(client, timeout)

    # ------------------------------------------------------------ images

    def inspect(self, ref: str) -> ImageInfo | None:
        from docker.errors import ImageNotFound, NotFound

        try:
            raw = self.api.inspect_image(ref)
        except (ImageNotFound, NotFound):
            return None
        return ImageInfo(id=raw["Id"], repo_digests=tuple(raw.get("RepoDigests") or ()),
                         labels=(raw.get("Config") or {}).get("Labels") or {}, size=int(raw.get("Size") or 0),
                         diff_ids=tuple((raw.get("RootFS") or {}).get("Layers") or ()), raw=raw)

    def pull(self, ref: str, progress: Progress) -> ImageInfo:
        from docker.errors import APIError

        try:
            if "@" in ref:
                self.api.pull(ref)
            else:
                repository, tag = repository_and_tag(ref)
                self.api.pull(repository, tag=tag)
        except APIError as exc:
            raise ToolUnavailable(f"cannot pull {ref}: {_short(exc)}") from None
        info = self.inspect(ref)
        if info is None:  # pragma: no cover
            raise ToolUnavailable(f"pulled {ref} but the engine does not show it")
        progress(f"pulled {ref}")
        return info

    def tag(self, image_id: str, ref: str) -> None:
        repository, tag = repository_and_tag(ref)
        self.api.tag(image_id, repository, tag, force=True)

    def remove(self, image_id: str) -> None:
        from docker.errors import APIError

        try:
            self.api.remove_image(image_id, noprune=True)  # keep the intermediate images: the build cache
        except APIError:
            pass

    # ------------------------------------------------------------ build

    def native_platform(self) -> str | None:
        from envbuild.core.platforms import of_machine

        return of_machine(str(self.api.info().get("Architecture", "")))

    def runs(self, platform: str) -> bool:
        """Natively, or through a QEMU binfmt handler registered on this (the engine's) host."""
        from pathlib import Path

        from envbuild.core.platforms import platform as platform_facts

        if self.native_platform() == platform:
            return True
        return Path(f"/proc/sys/fs/binfmt_misc/qemu-{platform_facts(platform).machine}").exists()

    def run_python(self, image_id: str, args: Sequence[str]) -> str | None:
        from docker.errors import APIError

        container, text = None, None
        try:
            container = self.api.create_container(image_id, command=list(args), entrypoint=["python3"],
                                                  network_disabled=True, user="65534")
            self.api.start(container)
            if self.api.wait(container, timeout=120).get("StatusCode") == 0:
                text = self.api.logs(container, stdout=True, stderr=True).decode("utf-8", "replace")
        except (APIError, OSError, ValueError):
            text = None
        finally:
            with contextlib.suppress(APIError, TypeError):
                self.api.remove_container(container, force=True)
        return text

    def build(self, context_dir: str, *, nocache: bool, buildargs: Mapping[str, str], progress: Progress,
              platform: str | None = None, plain: bool = False) -> str:
        """Classic build from a context directory; returns the image ID. Failures name the step.
        Each step's line, and its time when it took a second or more; ``plain``: the steps' own output
        too (for CI logs), with the daemon's colour codes and container chatter stripped."""
        import time

        from docker.errors import APIError

        step, output, image_id, started = "", list[str](), None, time.monotonic()

        def finished() -> None:
            elapsed = time.monotonic() - started
            if step and elapsed >= 1:
                progress(f"  {step.split(' (', 1)[0]} took {elapsed:.1f} s")

        extra = {"platform": platform} if platform else {}
        sent = sum(f.stat().st_size for f in Path(context_dir).rglob("*") if f.is_file() and not f.is_symlink())
        uploading: float | None = time.monotonic()
        try:
            stream = self.api.build(path=context_dir, dockerfile="Dockerfile", rm=True, forcerm=True, pull=False,
                                    nocache=nocache, buildargs=dict(buildargs), decode=True, **extra,
                                    timeout=None)  # a step may run for an hour without a line of output
            for chunk in stream:
                if uploading is not None:  # the SDK tars the context and sends it before the first line
                    progress(f"sent the build context ({sent / 1e6:.1f} MB) in {time.monotonic() - uploading:.1f} s")
                    uploading, started = None, time.monotonic()
                if "error" in chunk:
                    detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                    raise BuildError(f"build failed at {step or 'the start'}", details=_tail(output, detail),
                                     hint="the lines above are the failing step's output")
                if "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = chunk["aux"]["ID"]
                text = chunk.get("stream", "")
                for line in _ANSI.sub("", text).splitlines():
                    match = _STEP.match(line)
                    if match:
                        finished()
                        step, output, started = f"step {match[1]}/{match[2]} ({match[3][:100]})", [], time.monotonic()
                        progress(f"step {match[1]}/{match[2]}: {match[3][:120]}")
                    elif line.strip() and not line.startswith(" ---> ") and not _CHATTER.match(line):
                        output.append(line)
                        if plain:
                            progress(f"  | {line}")
                    m = re.match(r"^Successfully built ([0-9a-f]+)$", line)
                    if m and image_id is None:
                        image_id = m[1]
        except APIError as exc:
            raise BuildError(f"build failed: {_short(exc)}") from None
        finished()
        if image_id is None:
            raise BuildError("the engine finished the build without reporting an image ID", details=_tail(output, ""))
        info = self.inspect(image_id)
        assert info is not None
        return info.id

    def normalize(self, image_id: str, *, created: str, history: list[str], ref: str,
                  architecture: str | None = None) -> str:
        """The image config rewritten deterministically (``architecture``: an imported root's) and loaded back."""
        info = self.inspect(image_id)
        if info is None:  # pragma: no cover
            raise BuildError(f"image {image_id} vanished before normalisation")
        raw = dict(info.raw, Architecture=architecture) if architecture else info.raw
        config_bytes = normalized_config(raw, created=created, history=history)
        config_hex = hashlib.sha256(config_bytes).hexdigest()  # an image ID is the digest of its config
        new_id = f"sha256:{config_hex}"
        layers = kept_layers(raw, len(history))
        if self.image_store() == CONTAINERD_STORE:  # its image ID is the manifest's digest: ask it after the load
            self.load_full(image_id, config_bytes, config_hex, len(layers), ref)
            loaded = self.inspect(ref)
            if loaded is None:  # pragma: no cover
                raise BuildError(f"the engine loaded {ref} but does not show it")
            return loaded.id
        if self.inspect(new_id) is None:
            self.images.load(thin_archive(config_bytes, config_hex, layers, ref))
        self.tag(new_id, ref)
        return new_id

    def image_store(self) -> str:
        """CONTAINERD_STORE where the engine keeps images in containerd's content store (fresh Docker 29
        installs, Docker Desktop: `docker info` shows driver-type io.containerd.snapshotter.v1), else its
        graph driver ("overlay2")."""
        if self._store is None:
            self._store = store_of(self.api.info())
        return self._store

    def load_full(self, image_id: str, config_bytes: bytes, config_hex: str, layers: int, ref: str) -> None:
        """The built image saved, its config and manifest replaced, loaded back (adapters/engine/archives.py)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="envbuild-normalise-") as tmp:
            saved, rewritten = Path(tmp) / "saved.tar", Path(tmp) / "normalised.tar"
            with saved.open("wb") as sink:
                for chunk in self.client.api.get_image(image_id):  # unbounded: gigabytes take their time
                    sink.write(chunk)
            with rewritten.open("wb") as sink:
                full_archive(saved, sink, config_bytes, config_hex, layers, ref)
            saved.unlink()
            with rewritten.open("rb") as archive:
                self.client.api.load_image(archive)

    def import_rootfs(self, tar_path: str, *, created: str, ref: str, changes: list[str],
                      platform: str | None = None) -> str:
        """docker import a root filesystem tarball, then normalise its config like a build."""
        repository, tag = repository_and_tag(ref)
        result = self.api.import_image_from_file(tar_path, repository=repository, tag=tag, changes=changes)
        match = re.search(r"sha256:[0-9a-f]{64}", json.dumps(result))
        if not match:
            raise BuildError(f"docker import did not report an image ID: {str(result)[:200]}")
        return self.normalize(match[0], created=created, history=[f"envbuild base: root filesystem of {ref}"], ref=ref,
                              architecture=platform.rsplit("/", 1)[-1] if platform else None)

    def prune_stages(self, dry_run: bool) -> tuple[int, int]:
        from envbuild.core.layout import Labels

        filters = {"dangling": True, "label": Labels.STAGE}
        # Stages, as a dry run counts them: the engine also deletes each stage's step images (its
        # ImagesDeleted lists those too, 1112 entries for 162 stages measured), which are no one's to count.
        stages = len(self.api.images(filters=filters))
        if dry_run:  # an image's Size counts the base's layers it shares: no honest total before removal
            return stages, 0
        result = self.api.prune_images(filters=filters)
        return stages, int(result.get("SpaceReclaimed") or 0)

    def layer_sizes(self, image_id: str) -> list[int]:
        """Of a normalised image, whose history has one entry per layer (core/image/plan.history)."""
        return [int(entry.get("Size") or 0) for entry in reversed(self.api.history(image_id))]

    # ------------------------------------------------------------ push

    def push(self, ref: str, progress: Progress) -> str:
        from docker.errors import APIError

        repository, tag = repository_and_tag(ref)
        digest = None
        try:
            for chunk in self.api.push(repository, tag=tag, stream=True, decode=True):
                if "error" in chunk:
                    raise ToolUnavailable(f"push of {ref} failed: {chunk['error']}")
                if "aux" in chunk and "Digest" in chunk["aux"]:
                    digest = chunk["aux"]["Digest"]
                elif chunk.get("status") and not chunk.get("progressDetail"):
                    progress(f"push: {chunk['status']}")
        except APIError as exc:
            raise ToolUnavailable(f"push of {ref} failed: {_short(exc)}") from None
        if digest is None:
            raise ToolUnavailable(f"the registry did not return a digest for {ref}")
        return digest


CONTAINERD_STORE = "containerd"


def store_of(info: Mapping[str, Any]) -> str:
    """The image store `docker info` describes (Engine.image_store)."""
    pairs = [pair for pair in info.get("DriverStatus") or [] if isinstance(pair, (list, tuple)) and len(pair) == 2]
    if any(key == "driver-type" and value == "io.containerd.snapshotter.v1" for key, value in pairs):
        return CONTAINERD_STORE
    return str(info.get("Driver") or "")


def repository_and_tag(ref: str) -> tuple[str, str]:
    """'host:5000/team/img:tag' → ('host:5000/team/img', 'tag')."""
    if "@" in ref:
        raise UserError(f"cannot tag by digest: {ref}")
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return ref, "latest"
    return name, tag


def _short(exc: Exception) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return str(text).strip().splitlines()[0][:300] if str(text).strip() else type(exc).__name__


def _tail(lines: list[str], detail: str) -> str:
    shown = lines[-25:]
    if detail and (not shown or detail.strip() not in shown[-1]):
        shown.append(detail.strip())
    return "\n".join(shown)


def _context_endpoint() -> tuple[str, object] | None:
    """The engine the docker CLI talks to, chosen as it chooses: DOCKER_HOST, else the context that
    DOCKER_CONTEXT names, else the client config's current context ($DOCKER_CONFIG, ~/.docker). None:
    docker-py's own default (DOCKER_HOST or the local socket). verify and snapshot run the docker
    CLI, so build and they reach the same engine. Read here: docker-py looks for contexts beside a
    config.json that need not exist."""
    import hashlib
    import json
    import os

    if os.environ.get("DOCKER_HOST"):
        return None
    root = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = os.environ.get("DOCKER_CONTEXT")
    if not name:
        try:
            name = json.loads((root / "config.json").read_text(encoding="utf-8")).get("currentContext")
        except (OSError, ValueError, AttributeError):
            name = None
    if not name or name == "default":
        return None
    key = hashlib.sha256(name.encode()).hexdigest()
    try:
        meta = json.loads((root / "contexts" / "meta" / key / "meta.json").read_text(encoding="utf-8"))
        endpoint = meta["Endpoints"]["docker"]
        host = str(endpoint["Host"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ToolUnavailable(f"docker context {name!r} does not exist (or has no docker endpoint)",
                              hint="docker context ls shows them") from None
    tls_dir = root / "contexts" / "tls" / key / "docker"
    tls: object = False
    if tls_dir.is_dir():
        from docker.tls import TLSConfig

        files = {n: str(tls_dir / f"{n}.pem") for n in ("ca", "cert", "key") if (tls_dir / f"{n}.pem").is_file()}
        tls = TLSConfig(client_cert=(files["cert"], files["key"]) if "cert" in files and "key" in files else None,
                        ca_cert=files.get("ca"), verify=not endpoint.get("SkipTLSVerify", False))
    return host, tls
