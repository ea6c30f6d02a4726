"""core/gpu.py: the GPU stack's names, held once, and what layers, severity and init make of them."""

import pytest

from envbuild.core import gpu
from envbuild.core.check.severity import severity
from envbuild.core.findings import Finding
from envbuild.core.spec.layers import LayerRules, plan_layers


@pytest.mark.parametrize("name", ["libnpp", "libcufile", "cudatoolkit", "cutensor", "torchvision", "nvidia-nccl-cu12"])
def test_every_part_of_the_cuda_stack_is_critical_when_it_moves(name):
    """Severity, layers and init read one list: a conda-split runtime part (libnpp...) moved is as
    critical as an nvidia-* wheel (severity's own list lacked libnpp, libcufile, cutensor...)."""
    assert severity(Finding(kind="version", name=name, expected="1.0", actual="1.0.1")) == "critical"


def test_the_conda_runtime_takes_the_cuda_layer_cudatoolkit_included():
    """cudatoolkit (the older conda runtime) went with the small packages: no 'cuda-*' pattern fits it."""
    stack = [("cudatoolkit", 900_000_000), ("libcublas", 400_000_000), ("numpy", 8_900_000)]
    plan = plan_layers(stack, LayerRules(), staged=False, cuda_patterns=gpu.CONDA_CUDA_RUNTIME)
    assert plan.layers[0].name == "cuda" and plan.layers[0].packages == ("cudatoolkit", "libcublas")


@pytest.mark.parametrize("name, wanted", [("torch", True), ("flash-attn", True),
                                          ("nvidia-cudnn-cu12", True), ("jaxlib", True), ("numpy", False),
                                          ("jax", False), ("pandas", False)])
def test_which_dependency_says_a_project_runs_on_a_gpu(name, wanted):
    assert gpu.wants_cuda(name) is wanted
