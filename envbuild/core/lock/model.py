"""The lock model: one Lock of packages, each with the manager that installs it (pip or conda), as
conda-lock's own format has it. Pure; the file formats are pip_format.py and conda_format.py."""

from __future__ import annotations

from dataclasses import dataclass

from envbuild.core.names import canonical_name

DEFAULT_INDEX = "https://pypi.org/simple"
PIP, CONDA = "pip", "conda"


@dataclass(frozen=True, kw_only=True)
class Package:
    name: str  # pip: canonical (PEP 503); conda: as its channel names it
    version: str
    manager: str = PIP
    hashes: tuple[str, ...] = ()  # "sha256:<hex>", sorted: every file a pip pin allows; a conda-lock entry's one file
    marker: str | None = None  # a PEP 508 marker the target could not settle (requirements format only)
    url: str | None = None  # the one file of a conda-lock entry (conda archive or pip wheel)
    md5: str | None = None  # conda records md5 beside sha256
    build: str | None = None  # conda only: the build string
    dependencies: tuple[tuple[str, str], ...] = ()  # conda-lock entries: (name, constraint)
    size: int | None = None  # bytes of the locked file the target installs, where the index told (layers)
    optional: bool = False  # checked when installed, not missing when not (a uv.lock's extras and groups)
    hooks: tuple[str, ...] = ()  # the start-up code its wheel ships: .pth files that run code, customize modules

    @property
    def sha256(self) -> str:
        """The hex digest of the first sha256 (a conda-lock entry has exactly one)."""
        return next((h.split(":", 1)[1] for h in self.hashes if h.startswith("sha256:")), "")

    @property
    def sha256s(self) -> frozenset[str]:
        """The hex digest of every sha256 the pin allows."""
        return frozenset(h.split(":", 1)[1] for h in self.hashes if h.startswith("sha256:"))

    @property
    def key(self) -> str:
        """How verify matches it: conda names as they are, pip names canonical."""
        return self.name if self.manager == CONDA else canonical_name(self.name)

    @property
    def file_name(self) -> str:
        return (self.url or "").rsplit("/", 1)[-1].split("#", 1)[0]

    @property
    def requirement(self) -> str:
        text = f"{self.name}=={self.version}"
        return f"{text} ; {self.marker}" if self.marker else text


@dataclass(frozen=True, kw_only=True)
class Lock:
    """What one target's lock file says, whichever format holds it."""

    format: str  # the file format: "requirements" (pip's, for a pip target) or "conda-lock" (a conda target)
    target: str
    platform: str  # "linux/amd64" (a conda-lock file says linux-64; its reader translates)
    packages: tuple[Package, ...]
    python: str | None = None  # X.Y[.Z]; None: a conda environment without a Python of its own
    resolver: str = ""  # uv, pip-tools, rattler, conda-lock
    inputs_digest: str = ""
    inputs: tuple[tuple[str, str], ...] = ()  # (input name, digest), sorted
    exclude_newer: str | None = None
    command: str = ""  # how to regenerate it
    cuda_runtime: str | None = None  # "12.8 (nvidia-cuda-runtime-cu12 12.8.90)": which CUDA build was locked
    version: int = 2  # envbuild's format version the file was read as
    index_url: str = DEFAULT_INDEX  # may hold ${VAR}s: expanded only where something is fetched
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # pages or directories of files the pins may come from (URLs)
    # (name, 'git+URL@commit', 'git+URL@ref' as the input wrote it): pins whose wheel is built from a commit
    vcs: tuple[tuple[str, str, str], ...] = ()
    channels: tuple[str, ...] = ()  # conda channels, as written
    sources: tuple[str, ...] = ()  # the environment files a conda lock was solved from
    hooks_checked: bool = False  # every pin's wheel was read for start-up code at lock time (Package.hooks)
    # (name, version) of each distribution the base image has (base-packages: inherit): taken as given,
    # not installed by the lock, checked by verify like a pin (by version)
    base_packages: tuple[tuple[str, str], ...] = ()

    @property
    def pip(self) -> tuple[Package, ...]:
        return tuple(p for p in self.packages if p.manager == PIP)

    @property
    def conda(self) -> tuple[Package, ...]:
        return tuple(p for p in self.packages if p.manager == CONDA)

    @property
    def expected(self) -> dict[str, str]:
        """canonical name → version of every Python distribution the environment must have: the
        pins, and the base image's own packages where the target inherits them."""
        return {**dict(self.base_packages), **{p.name: p.version for p in self.pip}}

    def package(self, name: str) -> Package | None:
        """The pip package of this name (any spelling), or None."""
        key = canonical_name(name)
        return next((p for p in self.pip if p.name == key), None)
