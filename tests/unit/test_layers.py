"""The layer plan (core/spec/layers.py): pure, golden-tested on a CUDA training stack."""

from __future__ import annotations

import os

import pytest

from envbuild.core.spec.keypaths import Reader
from envbuild.core.spec.layers import MB, LayerRules, plan_layers, rules_from
from envbuild.core.spec.model import parse_spec
from envbuild.errors import SpecError
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "layers.cuda.txt"

# A torch 2.9 CUDA lock, as its sizes are on PyPI (bytes of the linux x86_64 wheels, rounded).
CUDA_STACK = [
    ("torch", 899_700_000), ("triton", 155_500_000), ("nvidia-cublas-cu12", 594_300_000),
    ("nvidia-cudnn-cu12", 706_800_000), ("nvidia-nccl-cu12", 322_400_000), ("nvidia-cusparse-cu12", 288_200_000),
    ("nvidia-cuda-runtime-cu12", 954_000), ("sympy", 6_300_000), ("networkx", 2_000_000), ("numpy", 16_600_000),
    ("scipy", 35_700_000), ("pandas", 12_400_000), ("tqdm", None), ("jinja2", None), ("markupsafe", None),
    ("filelock", None), ("fsspec", None), ("mpmath", None), ("typing-extensions", None), ("setuptools", 1_200_000),
]


def test_a_cuda_stack_is_planned_from_the_most_stable_and_heaviest_to_the_most_volatile():
    plan = plan_layers(CUDA_STACK, LayerRules(), project=True)
    text = "\n".join(plan.describe()) + "\n"
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert [layer.name for layer in plan.layers] == ["cuda", "torch", "triton", "scipy", "numpy", "pandas", "sympy",
                                                     "packages"]
    assert plan.count == 11  # skeleton + 8 + project + metadata
    assert plan.layer_of("tqdm") == "packages" and plan.layer_of("nvidia-nccl-cu12") == "cuda"


def test_bumping_a_small_package_changes_only_the_packages_layer():
    before = plan_layers(CUDA_STACK, LayerRules())
    after = plan_layers([(n, s) if n != "tqdm" else ("tqdm", 80_000) for n, s in CUDA_STACK], LayerRules())
    assert [(x.name, x.packages) for x in before.layers] == [(x.name, x.packages) for x in after.layers]


def test_the_users_groups_come_first_in_the_order_written_and_take_their_packages():
    rules = LayerRules(groups=(("torch-stack", ("torch", "Triton")), ("data", ("pandas", "numpy*"))))
    plan = plan_layers(CUDA_STACK, rules)
    assert [layer.name for layer in plan.layers] == ["torch-stack", "data", "cuda", "scipy", "sympy", "packages"]
    assert plan.layers[0].packages == ("torch", "triton") and plan.layers[0].why == "group"


def test_a_group_that_matches_nothing_is_no_layer():
    plan = plan_layers(CUDA_STACK, LayerRules(groups=(("none", ("nothing-*",)),)))
    assert "none" not in [layer.name for layer in plan.layers]


def test_too_many_layers_merge_the_smallest_large_packages_first_then_cuda():
    plan = plan_layers(CUDA_STACK, LayerRules(max=6))  # skeleton, metadata, packages: 3 left
    assert [layer.name for layer in plan.layers] == ["cuda", "torch", "triton", "packages"]
    assert "scipy" in plan.layers[-1].packages
    tight = plan_layers(CUDA_STACK, LayerRules(max=3))
    assert [layer.name for layer in tight.layers] == ["packages"] and tight.count == 3
    assert all(layer.packages for layer in tight.layers)


def test_more_groups_than_layers_is_an_error_naming_the_key():
    rules = LayerRules(max=4, groups=(("a", ("torch",)), ("b", ("triton",))))
    with pytest.raises(SpecError) as error:
        plan_layers(CUDA_STACK, rules, key="targets.cuda.layers")
    assert "targets.cuda.layers.max" in str(error.value) and "more than max 4" in str(error.value)


def test_packages_of_unknown_size_are_small_and_the_threshold_is_the_users():
    unsized = plan_layers([("torch", None), ("six", None)], LayerRules())
    assert [layer.name for layer in unsized.layers] == ["packages"]
    assert unsized.describe()[1] == "packages: six, torch [packages, sizes not in the lock]"
    small = plan_layers([("numpy", 16_900_000), ("six", None)], LayerRules()).describe()
    assert small[1:3] == ["numpy: numpy [large, 16.9 MB]", "packages: six [packages, each under 1 MB]"]
    plan = plan_layers(CUDA_STACK, LayerRules(threshold=100 * MB))
    assert [layer.name for layer in plan.layers] == ["cuda", "torch", "triton", "packages"]


def test_every_package_is_in_exactly_one_layer():
    plan = plan_layers(CUDA_STACK, LayerRules(groups=(("x", ("nvidia-cu*", "torch")),), max=5))
    names = [name for layer in plan.layers for name in layer.packages]
    assert sorted(names) == sorted(n for n, _ in CUDA_STACK)


SPEC = """\
name: t/x
python: "3.11"
requirements: [r.in]
layers: {max: 10, threshold: 50MB, groups: {torch-stack: [torch, triton]}}
targets:
  cpu: {}
  cuda:
    layers: {threshold: 100MiB}
"""


def test_the_spec_reads_layers_and_a_target_overrides_key_by_key():
    spec = parse_spec(SPEC)
    assert spec.layers_for(spec.target("cpu")) == LayerRules(max=10, threshold=50 * MB,
                                                             groups=(("torch-stack", ("torch", "triton")),))
    assert spec.layers_for(spec.target("cuda")).threshold == 100 * 1024 * 1024
    assert spec.layers_for(spec.target("cuda")).max == 10


@pytest.mark.parametrize(("value", "where", "says"), [
    ({"max": 2}, "layers.max", "from 3 to 100"),
    ({"max": True}, "layers.max", "from 3 to 100"),
    ({"threshold": "big"}, "layers.threshold", "a size like 32MB"),
    ({"threshold": -5}, "layers.threshold", "a size like 32MB"),
    ({"groups": {"cuda": ["x"]}}, "layers.groups.cuda", "not one of"),
    ({"groups": {"ok": []}}, "layers.groups.ok", "list of package names"),
    ({"groups": ["torch"]}, "layers.groups", "expected a mapping"),
    ({"maxi": 3}, "layers.maxi", "did you mean 'max'"),
])
def test_bad_layer_rules_name_the_key(value, where, says):
    with pytest.raises(SpecError) as error:
        rules_from(Reader("envbuild.yaml"), "layers", value)
    assert where in str(error.value) and says in str(error.value) + str(error.value.hint)


def test_a_conda_plan_is_split_from_one_install_with_conda_forge_cuda_names():
    from envbuild.core.gpu import CONDA_CUDA_RUNTIME

    stack = [("pytorch", 1_200_000_000), ("libcublas", 400_000_000), ("cuda-cudart", 1_000_000), ("cudnn", 700_000_000),
             ("libcurl", 400_000), ("python", 31_000_000), ("openssl", 3_100_000), ("numpy", 8_900_000)]
    plan = plan_layers(stack, LayerRules(), staged=False, cuda_patterns=CONDA_CUDA_RUNTIME)
    assert [(layer.name, layer.packages) for layer in plan.layers] == [
        ("cuda", ("cuda-cudart", "cudnn", "libcublas")), ("pytorch", ("pytorch",)), ("python", ("python",)),
        ("numpy", ("numpy",)), ("packages", ("libcurl", "openssl"))]
    assert plan.names == ["cuda", "pytorch", "python", "numpy", "packages", "metadata"] and plan.count == 6
    assert plan.describe()[-1] == "metadata: the pip part and the project, /etc/envbuild, the user"
    assert [layer.name for layer in plan_layers(stack, LayerRules(max=3), staged=False).layers] == ["pytorch", "packages"]
