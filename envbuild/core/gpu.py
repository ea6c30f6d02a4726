"""The names of the GPU stack, written once: which packages are the CUDA runtime (the layer plan
gives them a layer of their own), which ones a GPU run's results hang on (severity), and which
dependencies say that a project runs on a GPU (init). Pure."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

# The CUDA runtime as PyPI ships it: NVIDIA's nvidia-* wheels (cuBLAS, cuDNN, NCCL...).
PIP_CUDA_RUNTIME = ("nvidia-*",)
# conda-forge's and NVIDIA's channels split it into many packages.
CONDA_CUDA_RUNTIME = ("cuda-*", "cudatoolkit", "libcublas*", "libcufft*", "libcurand*", "libcusolver*", "libcusparse*",
                      "libcufile*", "libcudss*", "libcutensor*", "libnvjitlink*", "libnvjpeg*", "libnvfatbin*", "libnpp*",
                      "cudnn", "libcudnn*", "nccl", "libnccl*", "cutensor")
# Built against CUDA: a project that depends on one runs on a GPU.
CUDA_FRAMEWORKS = ("torch", "torchvision", "torchaudio", "pytorch", "pytorch-cuda", "triton", "jaxlib", "jax-cuda*",
                   "tensorflow*", "cupy*", "tensorrt*", "onnxruntime-gpu", "xformers", "flash-attn", "bitsandbytes",
                   "deepspeed", "vllm")
# What a GPU run's results hang on: the runtime, the frameworks, and jax itself (its CUDA plugins).
GPU_STACK = (*PIP_CUDA_RUNTIME, *CONDA_CUDA_RUNTIME, *CUDA_FRAMEWORKS, "jax")
# The conda packages whose version is the environment's CUDA version, in the order they are asked.
CONDA_CUDA_VERSION_PACKAGES = ("cuda-version", "cuda-cudart", "cudatoolkit")


def matches(name: str, patterns: Iterable[str]) -> bool:
    """``name`` (normalised) fits one of ``patterns`` (fnmatch, case-sensitive)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def wants_cuda(name: str) -> bool:
    """A dependency that says its project runs on a GPU: a CUDA framework or the runtime itself."""
    return matches(name.lower(), (*PIP_CUDA_RUNTIME, *CUDA_FRAMEWORKS, "cuda-version", "cudatoolkit"))
