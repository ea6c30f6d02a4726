"""core/check/severity.py: the README's severity rules, each one checked."""

import pytest

from envbuild.core.findings import Finding
from envbuild.core.check.severity import severity


@pytest.mark.parametrize("kind, name, expected, actual, level", [
    ("version", "nvidia-cudnn-cu12", "9.10.2.21", "9.10.2.22", "critical"),  # the GPU stack: any change
    ("version", "torch", "2.9.1", "2.9.1+cpu", "critical"),
    ("build", "pytorch", "2.5.1 cuda124_0", "2.5.1 cpu_0", "critical"),
    ("gpu", "driver", ">= 525.60", "470.82", "critical"),
    ("python", "python", "3.11", "3.12.1", "critical"),
    ("platform", "platform", "linux/amd64", "linux/arm64", "critical"),
    ("modified", "/etc/envbuild lock", "the lock the image was built with", "not a lock envbuild wrote", "critical"),
    ("modified", "nvidia-nccl-cu12", "files as in the locked wheel", "1 modified", "critical"),
    ("version", "numpy", "2.1.0", "2.1.1", "high"),  # native numeric: a patch is high
    ("rehashed", "scipy", "1.16.0", "1.16.0", "high"),
    ("modified", "requests", "files as in the locked wheel", "1 modified", "high"),
    ("unowned", "/opt/venv", None, "3 files", "high"),
    ("missing", "tqdm", "4.67.1", None, "high"),
    ("version", "rich", "13.0.0", "14.0.0", "high"),  # major
    ("version", "rich", "13.0.0", "13.1.0", "medium"),  # minor
    ("version", "rich", "13.0.0", "13.0.1", "low"),  # patch
    ("version", "Typing_Extensions", "4.15.0", "4.15.1", "low"),
    ("version", "weird", "a-b", "c", "medium"),  # unreadable versions
    ("build", "libtiny", "1.1 h1_1", "1.1 h0_0", "medium"),
    ("unexpected", "rich", None, "13.0", "low"),
    ("image", "image", "x", "y", "medium"),
    ("data", "data/prepared", "as dvc.lock has it", "modified", "high"),  # other data than versioned
])
def test_the_rules(kind, name, expected, actual, level):
    assert severity(Finding(kind=kind, name=name, expected=expected, actual=actual)) == level


def test_a_determinism_variable_is_medium():
    from envbuild.core.findings import Finding
    from envbuild.core.check.severity import severity

    assert severity(Finding(kind="determinism", name="PYTHONHASHSEED", expected="0", actual="random")) == "medium"
