"""The layer plan: which locked packages go into which image layer. Pure.

A training image is mostly a few huge, rarely changing packages (torch, the CUDA runtime's
``nvidia-*`` wheels, triton, jaxlib) and many small ones that move with every lock. One layer for
all of them means a ``tqdm`` bump rebuilds and re-pushes gigabytes. So the image gets one layer per
group, ordered from the most stable and heaviest to the most volatile:

    venv skeleton · your 'layers.groups' (in the order written) · the CUDA runtime (nvidia-*) ·
    each package whose locked file is at least 'layers.threshold' (largest first) ·
    every other package · the project's wheel and files · envbuild's metadata and the user

Each group is installed in a builder stage of its own, so a lock change that leaves a group's
packages alone finds that stage in the engine's cache and produces the very same layer. When the
groups outnumber 'layers.max', the smallest single-package groups join "packages" first, then the
CUDA group; your own groups are never merged (too many of them is an error).

The sizes come from the lock (the size of each pin's locked file, as its index reported it); a
package whose size the lock does not know counts as small.

A conda target's plan is "split" (not staged): one builder stage installs the whole prefix (py-rattler
links noarch Python packages with the prefix's own interpreter, so a stage of its own would need
Python in it), and the layers are cut from it package by package along conda-meta's file lists. Its
layers are byte-identical across lock changes just the same, so pushes and pulls follow the change;
the rebuild re-links the whole prefix from the archives (seconds, not a download).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from envbuild.core.gpu import PIP_CUDA_RUNTIME
from envbuild.core.names import canonical_name
from envbuild.core.progress import human_size
from envbuild.core.spec.keypaths import Reader, kind
from envbuild.errors import SpecError

MB = 1_000_000
RECORDED_FROM = MB  # the locks record sizes from here on: smaller files never get a layer of their own
DEFAULT_MAX = 16  # layers above the base, all of envbuild's included
# 4 MB of wheel: numpy, pandas, scikit-learn, sympy get layers of their own, so that what a bump of a
# small package rebuilds and re-pushes (the "packages" layer) stays in the tens of MB (bench/layers.py:
# at 8 MB, sympy's 6 MB wheel, 70 MB installed with its .pyc files, made a tqdm bump rebuild 12 %
# of a torch image's cold build).
DEFAULT_THRESHOLD = 4 * MB
# The layers that are always there: the venv skeleton and envbuild's metadata (+ the user).
FIXED_LAYERS = 2
KEYS = {"max", "threshold", "groups"}
# Spelled without flags so that the editor schema (core/spec/schema.py) uses this very pattern: JSON Schema has none.
SIZE_PATTERN = r"^\s*(\d+(?:\.\d+)?)\s*([bB]|[kKmMgG][bB]|[kKmMgG][iI][bB])?\s*$"
_SIZE = re.compile(SIZE_PATTERN)
MAX_RANGE = (3, 100)  # layers.max: the skeleton, one layer of packages and the metadata are three
_UNITS = {"b": 1, "kb": 1000, "mb": MB, "gb": 1000 * MB, "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}
_GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_RESERVED = {"skeleton", "cuda", "packages", "project", "metadata"}


@dataclass(frozen=True, kw_only=True)
class LayerRules:
    """The 'layers:' key of envbuild.yaml (top level, or a target's over it)."""

    max: int | None = None  # None: DEFAULT_MAX
    threshold: int | None = None  # bytes; None: DEFAULT_THRESHOLD
    groups: tuple[tuple[str, tuple[str, ...]], ...] | None = None  # (name, name patterns), in order

    def over(self, base: "LayerRules") -> "LayerRules":
        """A target's rules over the top level's: each key the target sets replaces the top level's."""
        return LayerRules(max=self.max if self.max is not None else base.max,
                          threshold=self.threshold if self.threshold is not None else base.threshold,
                          groups=self.groups if self.groups is not None else base.groups)


@dataclass(frozen=True)
class Layer:
    name: str  # "torch", "cuda", "packages", or a 'layers.groups' name
    packages: tuple[str, ...]  # the packages' names, sorted
    size: int  # bytes of their locked files, as far as the lock knows them
    why: str  # "group", "cuda", "large", "packages"


@dataclass(frozen=True)
class LayerPlan:
    layers: tuple[Layer, ...]  # the package layers, in image order (skeleton, project and metadata apart)
    project: bool = False  # a layer for the project's wheel and the spec's files
    staged: bool = True  # each layer installed in a stage of its own (pip); False: split from one install (conda)
    sized: bool = True  # the lock knew some sizes (then a package without one is under RECORDED_FROM)

    @property
    def count(self) -> int:
        """Layers above the base."""
        return FIXED_LAYERS - (0 if self.staged else 1) + len(self.layers) + (1 if self.project else 0)

    @property
    def names(self) -> list[str]:
        """envbuild's layers, the lowest first."""
        return [*(["skeleton"] if self.staged else []), *(layer.name for layer in self.layers),
                *(["project"] if self.project else []), "metadata"]

    def layer_of(self, name: str) -> str:
        key = canonical_name(name)
        return next(layer.name for layer in self.layers if key in layer.packages)

    def describe(self) -> list[str]:
        """One line per layer, for `build` and the README."""
        lines = ["skeleton: the venv (interpreter links, pyvenv.cfg)"] if self.staged else []
        for layer in self.layers:
            shown = ", ".join(layer.packages[:6]) + (f", … ({len(layer.packages)} in all)" if len(layer.packages) > 6 else "")
            size = human_size(layer.size) if layer.size else "each under 1 MB" if self.sized else "sizes not in the lock"
            lines.append(f"{layer.name}: {shown} [{layer.why}, {size}]")
        if self.project:
            lines.append("project: the project's wheel and the spec's files")
        lines.append("metadata: /etc/envbuild, the user" if self.staged else
                     "metadata: the pip part and the project, /etc/envbuild, the user")
        return lines


def plan_layers(packages: Sequence[tuple[str, int | None]], rules: LayerRules, *, project: bool = False,
                file: str = "envbuild.yaml", key: str = "layers", staged: bool = True,
                cuda_patterns: Sequence[str] = PIP_CUDA_RUNTIME) -> LayerPlan:
    """``packages``: (name, size of its locked file or None) of every package the layers install."""
    limit = rules.max if rules.max is not None else DEFAULT_MAX
    threshold = rules.threshold if rules.threshold is not None else DEFAULT_THRESHOLD
    sizes = {canonical_name(name): size or 0 for name, size in packages}
    left = dict(sizes)

    def take(patterns: Sequence[str]) -> tuple[str, ...]:
        taken = tuple(sorted(n for n in left if any(fnmatch.fnmatchcase(n, canonical_pattern(p)) for p in patterns)))
        for name in taken:
            del left[name]
        return taken

    own = [Layer(name, names, sum(sizes[n] for n in names), "group")
           for name, patterns in rules.groups or () for names in [take(patterns)] if names]
    cuda = take(cuda_patterns)
    cuda_layers = [Layer("cuda", cuda, sum(sizes[n] for n in cuda), "cuda")] if cuda else []
    large = sorted((n for n in left if left[n] >= threshold), key=lambda n: (-left[n], n))
    large_layers = [Layer(n, (n,), left.pop(n), "large") for n in large]
    room = limit - FIXED_LAYERS + (0 if staged else 1) - (1 if project else 0) - len(own) - 1  # 1: "packages"
    if room < 0:
        raise SpecError(file, f"{key}.max", f"{len(own)} groups need {limit - room} layers, more than max {limit}",
                        hint=f"raise {key}.max or join groups")
    while len(cuda_layers) + len(large_layers) > room:
        if large_layers:
            smallest = large_layers.pop()  # the list is largest first
            left[smallest.name] = smallest.size
        else:
            left.update((n, sizes[n]) for n in cuda_layers.pop().packages)
    rest = tuple(sorted(left))
    rest_layers = [Layer("packages", rest, sum(sizes[n] for n in rest), "packages")] if rest else []
    return LayerPlan(layers=tuple(own + cuda_layers + large_layers + rest_layers), project=project, staged=staged,
                     sized=any(sizes.values()))


def canonical_pattern(pattern: str) -> str:
    """A name pattern compared as names are (PEP 503: 'Torch_Vision*' is 'torch-vision*')."""
    return re.sub(r"[-_.]+", "-", pattern).lower()


# ---------------------------------------------------------------- envbuild.yaml


def rules_from(r: Reader, path: str, value: Any) -> LayerRules:
    """``layers: {max: 16, threshold: 4MB, groups: {torch-stack: [torch, triton]}}``."""
    r.mapping(path, value)
    r.keys(path, value, required=set(), optional=KEYS)
    limit = value.get("max")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not MAX_RANGE[0] <= limit <= MAX_RANGE[1]):
        raise SpecError(r.file, f"{path}.max", f"expected a whole number of layers from {MAX_RANGE[0]} to "
                        f"{MAX_RANGE[1]}, got {limit!r}",
                        hint="the skeleton, one layer of packages and the metadata are three")
    threshold = _size(r, f"{path}.threshold", value["threshold"]) if "threshold" in value else None
    groups = _groups(r, f"{path}.groups", value["groups"]) if "groups" in value else None
    return LayerRules(max=limit, threshold=threshold, groups=groups)


def _size(r: Reader, path: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match or float(match[1]) <= 0:
        raise SpecError(r.file, path, f"expected a size like 32MB or 500MiB, got {value!r}")
    return int(float(match[1]) * _UNITS[(match[2] or "b").lower()])


def _groups(r: Reader, path: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    r.mapping(path, value)
    out = []
    for name, patterns in value.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not _GROUP_NAME.match(name) or name in _RESERVED:
            raise SpecError(r.file, where, "expected a group name of lowercase letters, digits, '.', '_' or '-' "
                            f"(not one of {', '.join(sorted(_RESERVED))})")
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p.strip() for p in patterns):
            raise SpecError(r.file, where, f"expected a list of package names or patterns like 'nvidia-*', "
                            f"got {kind(patterns)}")
        out.append((name, tuple(p.strip() for p in patterns)))
    return tuple(out)

