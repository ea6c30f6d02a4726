"""CUDA compatibility checks over envbuild/data/cuda.json. Pure: the data and the probe output come in.

- which CUDA runtime a lock carries (an nvidia-cuda-runtime wheel, a +cuXYZ torch, PyPI's default torch);
- at render/build time: refuse a lock built for a newer CUDA than the target's base declares;
- at verify time: a driver too old for the locked runtime, a GPU the runtime cannot drive, and
  (only when the user asks with --gpu) no driver at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from envbuild.core.findings import Finding
from envbuild.core.gpu import CONDA_CUDA_VERSION_PACKAGES
from envbuild.core.lock import CONDA, Lock, Package
from envbuild.core.snapshot import Gpu
from envbuild.core.versions import major_minor, version_tuple

_RUNTIME = re.compile(r"^nvidia-cuda-runtime(?:-cu(\d+))?$")
_TORCH_LOCAL = re.compile(r"\+cu(\d+)(\d)$")


@dataclass(frozen=True, kw_only=True)
class LockedCuda:
    version: str  # "12.8"
    source: str  # what says so: "nvidia-cuda-runtime-cu12 12.8.90", "torch 2.4.1+cu121"


def locked_cuda(pins: Iterable[Package], data: Mapping[str, Any]) -> LockedCuda | None:
    """The CUDA runtime a lock installs, or None for a CPU lock."""
    pins = list(pins)
    for pin in pins:
        if _RUNTIME.match(pin.name):
            return LockedCuda(version=major_minor(pin.version), source=f"{pin.name} {pin.version}")
    for pin in pins:
        if pin.name != "torch":
            continue
        local = _TORCH_LOCAL.search(pin.version)
        if local:
            return LockedCuda(version=f"{local[1]}.{local[2]}", source=f"torch {pin.version}")
        if "+" not in pin.version:
            default = data["torch_pypi_default_cuda"].get(major_minor(pin.version))
            if default:
                return LockedCuda(version=default, source=f"torch {pin.version} (PyPI's default CUDA build)")
    return None


_VIRTUAL_CUDA = re.compile(r">=?\s*(\d+(?:\.\d+)?)")


def conda_cuda_runtime(packages: Iterable[Package]) -> LockedCuda | None:
    """The CUDA runtime of a conda environment: cuda-version (conda-forge's pin), cuda-cudart, the
    older cudatoolkit package, or else the highest driver a package asks for with __cuda >= X.Y."""
    packages = [p for p in packages if p.manager == CONDA]
    found = {p.name: p.version for p in packages}
    for name in CONDA_CUDA_VERSION_PACKAGES:
        if name in found:
            return LockedCuda(version=major_minor(found[name]), source=f"{name} {found[name]} (conda)")
    needs = []
    for p in packages:
        for dep, constraint in p.dependencies:
            match = _VIRTUAL_CUDA.search(constraint) if dep == "__cuda" else None
            if match:
                needs.append((version_tuple(match[1]), major_minor(match[1]), p))
    if needs:
        _, version, p = max(needs, key=lambda n: n[0])
        return LockedCuda(version=version, source=f"{p.name} {p.version} needs __cuda >={version} (conda)")
    return None


def lock_cuda(lock: Lock, data: Mapping[str, Any]) -> LockedCuda | None:
    """The CUDA runtime a lock carries: its conda packages' when it has any, else its pip packages',
    else (base-packages: inherit) the base image's, as the lock's header recorded it."""
    found = conda_cuda_runtime(lock.conda) or locked_cuda(lock.pip, data)
    if found is None and lock.base_packages and lock.cuda_runtime:
        version, _, source = lock.cuda_runtime.partition(" (")
        return LockedCuda(version=version, source=source.removesuffix(")") or "the base image")
    return found


def check_target(target_cuda: str, locked: LockedCuda | None) -> tuple[str | None, str | None]:
    """(error, warning) for a CUDA target: the base declares `target_cuda`, the lock carries `locked`."""
    if locked is None:
        return None, (f"target declares CUDA {target_cuda} but its lock has no CUDA runtime "
                      "(no nvidia-cuda-runtime wheel, no CUDA torch): it will run on the CPU")
    if version_tuple(locked.version) > version_tuple(major_minor(target_cuda)):
        if locked.version.split(".")[0] == target_cuda.split(".")[0]:
            # Minor version compatibility: within a major, a newer runtime runs on the older
            # release's driver (PTX newer than the driver aside), so the driver decides, not the base.
            return None, (f"{locked.source} needs CUDA {locked.version}, newer than the target's CUDA "
                          f"{target_cuda}: it runs through minor version compatibility on a driver for CUDA "
                          f"{target_cuda.split('.')[0]}.x, but PTX newer than the driver cannot be JIT-compiled "
                          "(verify --gpu checks the driver)")
        return (f"{locked.source} needs CUDA {locked.version}, newer than the target's CUDA {target_cuda}",
                None)
    if major_minor(locked.version) != major_minor(target_cuda):
        return None, (f"the base declares CUDA {target_cuda} but the lock brings its own runtime, CUDA "
                      f"{locked.version} ({locked.source}); the pip runtime is the one torch loads")
    return None, None


def cpu_target_warning(locked: LockedCuda | None) -> str | None:
    """A target without 'cuda:' whose lock still brings a CUDA runtime: gigabytes of nvidia-* wheels
    for nothing, usually PyPI's default (CUDA) torch."""
    if locked is None:
        return None
    return (f"the target declares no CUDA, but its lock brings CUDA {locked.version} ({locked.source}); for a "
            "CPU image add PyTorch's CPU index (index: {extra: [https://download.pytorch.org/whl/cpu]}) and pin "
            "the +cpu build, or set 'cuda:' on the target")


def min_driver(cuda: str, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the release's own driver, the family minimum under minor version compatibility)."""
    toolkit = data["toolkit_driver"].get(major_minor(cuda))
    family = data["minor_version_driver"].get(cuda.split(".")[0])
    return toolkit, family


def compute_capability(model: str, data: Mapping[str, Any]) -> str | None:
    """Longest table key found in the model name: 'NVIDIA H100 80GB HBM3' → 9.0, 'Tesla K80' → 3.7."""
    hits = [key for key in data["gpu_compute_capability"] if re.search(rf"\b{re.escape(key)}\b", model)]
    return data["gpu_compute_capability"][max(hits, key=len)] if hits else None


def supported_cc(cuda: str, data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(lowest, highest) compute capability of the newest table row at or below this CUDA version."""
    rows = [(k, v) for k, v in data["cuda_compute_capability"].items() if version_tuple(k) <= version_tuple(major_minor(cuda))]
    if not rows:
        return None
    _, (low, high) = max(rows, key=lambda kv: version_tuple(kv[0]))
    return low, high


def gpu_findings(locked: LockedCuda | None, gpu: Gpu | None, data: Mapping[str, Any], *,
                 require_gpu: bool) -> tuple[list[Finding], list[str]]:
    """Findings (drift) and notes (context) about the GPU stack of one environment."""
    findings: list[Finding] = []
    notes: list[str] = []
    gpu = gpu or Gpu()
    driver = gpu.driver
    if locked is None:
        if require_gpu and not driver:
            findings.append(Finding(kind="gpu", name="driver", expected="an NVIDIA driver", actual=None,
                                    detail="--gpu was given but no NVIDIA driver was found"))
        return findings, notes
    toolkit, family = min_driver(locked.version, data)
    if not driver:
        if require_gpu:
            findings.append(Finding(kind="gpu", name="driver", expected=f">= {family or toolkit}", actual=None,
                                    detail=f"no NVIDIA driver found; the lock needs CUDA {locked.version}"))
        else:
            notes.append(f"no NVIDIA driver here: GPU checks skipped (normal on a CI runner; --gpu requires one); "
                         f"the lock needs CUDA {locked.version}, driver >= {family or toolkit}")
        return findings, notes
    if family and version_tuple(driver) < version_tuple(family):
        findings.append(Finding(kind="gpu", name="driver", expected=f">= {family}", actual=driver,
                                detail=f"too old for CUDA {locked.version} ({locked.source})"))
    elif toolkit and version_tuple(driver) < version_tuple(toolkit):
        notes.append(f"driver {driver} runs CUDA {locked.version} through minor version compatibility "
                     f"(CUDA {locked.version} ships with {toolkit}): PTX newer than the driver cannot be JIT-compiled")
    elif not family and not toolkit:
        notes.append(f"envbuild has no driver data for CUDA {locked.version}")
    bounds = supported_cc(locked.version, data)
    for card in gpu.gpus:
        cc = compute_capability(card.model, data)
        if cc is None or bounds is None:
            notes.append(f"GPU {card.model or card.bus}: compute capability unknown to envbuild")
            continue
        low, high = bounds
        if version_tuple(cc) < version_tuple(low):
            findings.append(Finding(kind="gpu", name="compute-capability", expected=f">= {low}",
                                    actual=f"{cc} ({card.model})",
                                    detail=f"CUDA {locked.version} has no code for this GPU"))
        elif version_tuple(cc) > version_tuple(high):
            notes.append(f"GPU {card.model} (compute capability {cc}) is newer than CUDA {locked.version} "
                         "knows: it runs only through PTX JIT, if the build ships PTX")
    return findings, notes
