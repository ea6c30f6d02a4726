import pytest

from envbuild.adapters.knowledge import cuda_data
from envbuild.core.check.cuda import check_target, compute_capability, gpu_findings, locked_cuda, supported_cc
from envbuild.core.lock import Package
from envbuild.core.snapshot import Gpu

DATA = cuda_data()


def pin(name, version):
    return Package(name=name, version=version, hashes=("sha256:0",))


@pytest.mark.parametrize("pins, expected", [
    ([pin("nvidia-cuda-runtime-cu12", "12.8.90"), pin("torch", "2.9.1")], ("12.8", "nvidia-cuda-runtime-cu12 12.8.90")),
    ([pin("torch", "2.4.1+cu121")], ("12.1", "torch 2.4.1+cu121")),
    ([pin("torch", "2.6.0")], ("12.4", "torch 2.6.0 (PyPI's default CUDA build)")),
    ([pin("torch", "2.4.1+cpu"), pin("numpy", "2.0")], None),
])
def test_locked_cuda(pins, expected):
    found = locked_cuda(pins, DATA)
    assert (found.version, found.source) == expected if expected else found is None


def test_a_lock_newer_than_the_base_is_refused_and_a_mismatch_warned():
    cu121 = locked_cuda([pin("torch", "2.4.1+cu121")], DATA)
    error, _ = check_target("11.8", cu121)
    assert error == "torch 2.4.1+cu121 needs CUDA 12.1, newer than the target's CUDA 11.8"
    error, warning = check_target("12.4", cu121)
    assert error is None and "the base declares CUDA 12.4" in warning
    assert check_target("12.1", cu121) == (None, None)
    assert "no CUDA runtime" in check_target("12.1", None)[1]


def test_a_newer_minor_of_the_same_major_is_a_warning_about_the_driver():
    from envbuild.core.check.cuda import cpu_target_warning

    runtime = locked_cuda([pin("nvidia-cuda-runtime-cu13", "13.2.51")], DATA)
    error, warning = check_target("13.0", runtime)
    assert error is None and "minor version compatibility" in warning and "verify --gpu" in warning
    assert check_target("12.8", runtime)[0] == ("nvidia-cuda-runtime-cu13 13.2.51 needs CUDA 13.2, newer than the "
                                                "target's CUDA 12.8")
    assert "https://download.pytorch.org/whl/cpu" in cpu_target_warning(runtime)
    assert cpu_target_warning(None) is None


def test_driver_checks():
    cuda = locked_cuda([pin("nvidia-cuda-runtime-cu12", "12.8.90")], DATA)
    old, _ = gpu_findings(cuda, Gpu.read({"driver": "470.57.02"}), DATA, require_gpu=False)
    assert [(f.kind, f.name, f.expected, f.actual) for f in old] == [("gpu", "driver", ">= 525.60.13", "470.57.02")]
    compat, notes = gpu_findings(cuda, Gpu.read({"driver": "535.104.05"}), DATA, require_gpu=True)
    assert compat == [] and "minor version compatibility" in notes[0]
    assert gpu_findings(cuda, Gpu.read({"driver": "575.51.03"}), DATA, require_gpu=True) == ([], [])
    cu13 = locked_cuda([pin("nvidia-cuda-runtime", "13.0.48")], DATA)
    assert [f.expected for f in gpu_findings(cu13, Gpu.read({"driver": "570.86.10"}), DATA, require_gpu=False)[0]] == [">= 580.65.06"]


def test_no_driver_is_a_note_unless_the_gpu_is_required():
    cuda = locked_cuda([pin("torch", "2.9.1")], DATA)
    findings, notes = gpu_findings(cuda, Gpu.read({}), DATA, require_gpu=False)
    assert findings == [] and "no NVIDIA driver here" in notes[0]
    findings, _ = gpu_findings(cuda, Gpu.read({}), DATA, require_gpu=True)
    assert [(f.kind, f.name) for f in findings] == [("gpu", "driver")]
    cpu_lock, _ = gpu_findings(None, Gpu.read({}), DATA, require_gpu=True)
    assert [(f.kind, f.name) for f in cpu_lock] == [("gpu", "driver")]


def test_compute_capability():
    assert compute_capability("NVIDIA H100 80GB HBM3", DATA) == "9.0"
    assert compute_capability("Tesla K80", DATA) == "3.7" and compute_capability("NVIDIA A10G", DATA) == "8.6"
    assert supported_cc("12.4", DATA) == ("5.0", "9.0") and supported_cc("13.0", DATA) == ("7.5", "12.1")
    cuda = locked_cuda([pin("nvidia-cuda-runtime-cu12", "12.8.90")], DATA)
    findings, _ = gpu_findings(cuda, Gpu.read({"driver": "575.51.03", "gpus": [{"model": "Tesla K80"}]}), DATA, require_gpu=False)
    assert [(f.name, f.expected, f.actual) for f in findings] == [("compute-capability", ">= 5.0", "3.7 (Tesla K80)")]


def test_conda_cuda_runtime_from_cuda_version_or_the_highest___cuda_dependency():
    from envbuild.core.check.cuda import conda_cuda_runtime

    def pkg(name, version, deps=()):
        return Package(name=name, version=version, manager="conda", url=f"file:///c/{name}.conda", hashes=("sha256:0",),
                            md5="1", build="0", dependencies=deps)

    stub = pkg("cudastub", "12.1", (("__cuda", ">=12.1"),))
    torch = pkg("pytorch", "2.5.1", (("__cuda", ">=11.8"), ("python", ">=3.11,<3.12.0a0")))
    assert conda_cuda_runtime([stub, torch]).version == "12.1"
    assert conda_cuda_runtime([stub, torch]).source == "cudastub 12.1 needs __cuda >=12.1 (conda)"
    assert conda_cuda_runtime([torch, pkg("cuda-version", "12.4")]).source == "cuda-version 12.4 (conda)"
    assert conda_cuda_runtime([pkg("numpy", "2.1.0")]) is None
