"""envbuild base: a Debian base image from the Debian archive, for air-gapped sites and registry-less hosts."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envbuild.adapters.engine.docker import repository_and_tag
from envbuild.adapters.process import run
from envbuild.core.image.engine import ContainerEngine
from envbuild.core.progress import Progress, silent
from envbuild.errors import BuildError, ToolUnavailable

DEFAULT_PACKAGES = ("python3", "python3-venv")
DEFAULT_MIRROR = "http://deb.debian.org/debian"


@dataclass(frozen=True, kw_only=True)
class BaseOutcome:
    ref: str
    content_ref: str
    image_id: str
    built: bool


def make_base(engine: ContainerEngine, *, suite: str = "bookworm", packages: Sequence[str] = (), tag: str | None = None,
              mirror: str = DEFAULT_MIRROR, rebuild: bool = False, progress: Progress = silent,
              environ: Mapping[str, str], platform: str | None = None) -> BaseOutcome:
    """Bootstrap a minimal Debian root (minbase + python3 + python3-venv + packages), import it,
    normalise its config (created = 1970, like every envbuild image) and tag it twice: the name
    asked for, and '<repository>:<suite>-<first 12 hex of its layer digest>' (by content).
    ``platform``: another architecture than the engine's (linux/arm64 on an amd64 host): its
    packages' scripts run under QEMU, so the host must be able to run its programs; its default
    name is envbuild/base:<suite>-<arch>, beside the native one."""
    from envbuild.core.platforms import platform as platform_facts

    native = engine.native_platform()
    foreign = platform is not None and platform != native
    arch = platform_facts(platform).name.rsplit("/", 1)[-1] if platform else None  # Debian's names are Docker's
    if foreign and not engine.runs(platform or ""):
        raise ToolUnavailable(f"this machine cannot run {platform} programs, which bootstrapping a {platform} "
                              f"Debian needs (no QEMU handler for {platform_facts(platform or '').machine})",
                              hint="install QEMU's binfmt handlers (apt-get install qemu-user-static binfmt-support), "
                              f"or run 'envbuild base' on a {platform} host and move the image (docker save / load)")
    ref = tag or (f"envbuild/base:{suite}-{arch}" if foreign else f"envbuild/base:{suite}")
    existing = engine.inspect(ref)
    if existing is not None and not rebuild:
        progress(f"{ref} exists ({existing.id[:19]}…); pass --rebuild to make it again")
        return BaseOutcome(ref=ref, content_ref=_content_ref(ref, suite, existing.diff_ids[0]), image_id=existing.id,
                           built=False)
    include = ",".join(dict.fromkeys((*DEFAULT_PACKAGES, *packages)))
    with tempfile.TemporaryDirectory(prefix="envbuild-base-") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        env = dict(environ, SOURCE_DATE_EPOCH="0")
        if shutil.which("mmdebstrap"):
            argv = ["mmdebstrap", "--variant=minbase", f"--include={include}", "--format=tar",
                    *([f"--architectures={arch}"] if foreign else []), suite, str(rootfs), mirror]
        elif shutil.which("debootstrap"):
            argv = ["debootstrap", "--variant=minbase", f"--include={include}", *([f"--arch={arch}"] if foreign else []),
                    suite, str(Path(tmp) / "root"), mirror]
        else:
            raise ToolUnavailable("neither mmdebstrap nor debootstrap is installed",
                                  hint="apt-get install mmdebstrap")
        progress(f"bootstrapping Debian {suite} with {argv[0]} ({include}); this takes about a minute")
        done = run(argv, env=env, timeout=1800, on_stderr_line=lambda line: None)
        if done.returncode != 0:
            raise BuildError(f"{argv[0]} failed (exit {done.returncode})",
                             details="\n".join(done.stderr.strip().splitlines()[-10:]))
        if argv[0] == "debootstrap":
            packed = run(["tar", "--sort=name", "--mtime=@0", "--numeric-owner", "-C", str(Path(tmp) / "root"),
                          "-cf", str(rootfs), "."], timeout=600)
            if packed.returncode != 0:
                raise BuildError("tar of the bootstrapped root failed", details=packed.stderr.strip()[-500:])
        progress("importing the root filesystem")
        image_id = engine.import_rootfs(str(rootfs), created="1970-01-01T00:00:00Z", ref=ref,
                                        changes=['CMD ["python3"]', "ENV LANG=C.UTF-8"],
                                        platform=platform if foreign else None)
    info = engine.inspect(image_id)
    assert info is not None
    content_ref = _content_ref(ref, suite, info.diff_ids[0])
    engine.tag(image_id, content_ref)
    return BaseOutcome(ref=ref, content_ref=content_ref, image_id=image_id, built=True)


def _content_ref(ref: str, suite: str, diff_id: str) -> str:
    return f"{repository_and_tag(ref)[0]}:{suite}-{diff_id.split(':')[1][:12]}"
