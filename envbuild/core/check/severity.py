"""How much a finding risks a model's results, from pure rules (README: Severities). Pure.

critical: the GPU stack (the CUDA runtime's packages, cuDNN, NCCL, torch's and jax's builds, the
    driver), the interpreter, the platform — a model that runs at all may compute something else;
    files modified in the GPU stack, a tampered /etc/envbuild record, and a place whose answer the
    engine's own reading of its files contradicts (`concealed`: nothing it says can be trusted).
high: native numeric libraries (numpy, scipy, BLAS/MKL, …) changed in any way; files modified or
    unowned, duplicates and shadowing; a missing package; a major version change; a variable that
    changes what Python loads, set in an image's or a container's environment against its record
    (`config`); data other than
    DVC versioned (or than the run trained on); a model whose run has no recent passing reproduction.
medium: a minor version change; another build or other files of the same version; a determinism
    variable unset or different (results differ run to run, not by design); anything else.
low: a patch change; an unexpected extra package (high when it ships a .pth that runs code at start-up).
"""

from __future__ import annotations

from envbuild.core.findings import STARTUP, Finding
from envbuild.core.gpu import GPU_STACK, matches
from envbuild.core.names import canonical_name

LEVELS = ("low", "medium", "high", "critical")
NATIVE = ("numpy", "scipy", "mkl*", "intel-openmp", "libblas", "libcblas", "liblapack*", "openblas", "libopenblas",
          "blas", "scikit-learn", "pandas", "pyarrow", "numba", "llvmlite", "xgboost", "lightgbm", "catboost", "h5py",
          "numexpr", "bottleneck", "opencv*", "libgfortran*", "libgomp", "llvm-openmp", "tbb")
_FILES = ("modified", "unowned", "shadowed", "duplicate")
_CONTENT = ("build", "rehashed")
_ENVIRONMENT = ("python", "platform", "gpu")


def severity(finding: Finding) -> str:
    name = canonical_name(finding.name)
    gpu, native = matches(name, GPU_STACK), matches(name, NATIVE)
    kind = finding.kind
    if kind in _ENVIRONMENT or finding.name == "/etc/envbuild lock":
        return "critical"
    if kind in ("data", "reproduction"):  # reproduction: no passing `reproduce` of the run lately
        return "high"
    if kind == "concealed":  # the place's answer hid what the engine reads: nothing it says can be trusted
        return "critical"
    if kind == "config":
        return "high"
    if kind == "unexpected":  # an extra package is low, unless it runs code at every start
        return "high" if finding.detail.startswith(STARTUP) else "low"
    if kind in _FILES or kind == "missing":
        return "critical" if gpu and kind == "modified" else "high"
    if kind in ("version", *_CONTENT):
        if gpu:
            return "critical"
        if native:
            return "high"
        return _change(finding.expected, finding.actual) if kind == "version" else "medium"
    return "medium"


def at_least(finding: Finding, level: str) -> bool:
    return LEVELS.index(severity(finding)) >= LEVELS.index(level)


def _change(expected: str | None, actual: str | None) -> str:
    """major → high, minor → medium, anything smaller → low; unreadable versions: medium."""
    a, b = _release(expected), _release(actual)
    if a is None or b is None:
        return "medium"
    if a[0] != b[0]:
        return "high"
    if a[1:2] != b[1:2]:
        return "medium"
    return "low"


def _release(text: str | None) -> tuple[int, ...] | None:
    from packaging.version import InvalidVersion, Version

    if not text:
        return None
    try:
        release = Version(text.split()[0]).release
    except InvalidVersion:
        return None
    return tuple(release) + (0,) * (3 - len(release))
