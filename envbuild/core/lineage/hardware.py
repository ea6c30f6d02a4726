"""A run's hardware fingerprint, and what differs between two. Pure.

PyTorch and TensorFlow promise determinism only on the same software *and hardware*: a reproduction
compares the hardware it runs on with the hardware the run recorded — CPU architecture, model and
core count (a reduction's thread count changes its float sums), GPU models and compute capability,
driver, CUDA runtime, cuDNN and torch's CUDA build (as `verify --gpu`'s probe reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from envbuild.core.snapshot import Cpu, Gpu, Snapshot


_KEYS = ("machine", "cpu_model", "cores", "gpus", "driver", "cuda_runtime", "cudnn", "torch_cuda")
# The machine's own facts. The rest (CUDA runtime, cuDNN, torch's CUDA build) are read from the probed
# environment's packages: a re-run holds them through its image, whose files must match the recorded lock.
HOST_KEYS = ("machine", "cpu_model", "cores", "gpus", "driver")


def host(found: Mapping[str, Any]) -> dict[str, Any]:
    """A fingerprint's facts of the machine alone (HOST_KEYS)."""
    return {key: value for key, value in found.items() if key in HOST_KEYS}


def fingerprint(snapshot: Snapshot, capabilities: Mapping[str, str] | None = None) -> dict[str, Any]:
    """From a snapshot (the probe's answer): the facts a reproduction holds two runs to.
    ``capabilities``: GPU model → compute capability (data/cuda.json), matched by name."""
    cpu, gpu = snapshot.cpu or Cpu(), snapshot.gpu or Gpu()
    gpus = [{"model": entry.model, "compute_capability": _capability(entry.model, capabilities or {})}
            for entry in gpu.gpus]
    found = {"machine": snapshot.interpreter.machine, "cpu_model": cpu.model, "cores": cpu.cores or None,
             "gpus": sorted(gpus, key=lambda g: g["model"] or ""), "driver": gpu.driver,
             "cuda_runtime": gpu.cuda_runtime, "cudnn": gpu.cudnn, "torch_cuda": gpu.torch_cuda}
    return {key: value for key, value in found.items() if value not in (None, "", [])}


def _capability(model: str, capabilities: Mapping[str, str]) -> str | None:
    """The longest known name the model contains ('NVIDIA H100 80GB HBM3' → 'H100' → 9.0)."""
    named = [name for name in capabilities if name.lower() in model.lower()]
    return capabilities[max(named, key=len)] if named else None


def differences(recorded: Mapping[str, Any], here: Mapping[str, Any]) -> list[str]:
    """'cpu_model: X (recorded) → Y (here)' for each fact both fingerprints have and that differs;
    a fact only one of them has is said too (a GPU run re-run on a CPU-only machine)."""
    out = []
    for key in _KEYS:
        if key not in recorded and key not in here:
            continue
        before, now = recorded.get(key), here.get(key)
        if before != now:
            out.append(f"{key}: {_shown(before)} (recorded) → {_shown(now)} (here)")
    return out


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(f"{g.get('model')} (sm {g.get('compute_capability') or '?'})" if isinstance(g, dict) else str(g)
                         for g in value) or "none"
    return str(value)
