"""core/spec/runtime.py: the image's runtime settings, parsed with key paths, merged per target, rendered."""

import os
from pathlib import Path

import pytest

from envbuild.adapters.templates import load_templates
from envbuild.core.image.render import RenderExtras, RenderInput, render_dockerfile
from envbuild.core.spec.model import parse_spec
from envbuild.errors import SpecError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "Dockerfile.runtime"
BASE = 'name: team/model\npython: "3.11"\nexclude-newer: 2026-05-01\nbase: debian@sha256:' + "0" * 64 + "\nrequirements: r.in\n"
EVERYTHING = BASE + """\
entrypoint: [python, -m, tinytrain]
cmd: [--epochs, 3]
workdir: /workspace
env: {OMP_NUM_THREADS: 4, GREETING: "cost $5"}
user: trainer
labels: {com.example.team: vision}
files:
  - {src: config, dst: /etc/tinytrain}
targets:
  cpu:
    env: {OMP_NUM_THREADS: 8}
    labels: {com.example.tier: batch}
    files: [{src: extra.json, dst: /workspace/extra.json}]
"""


def spec(text: str):
    return parse_spec(text, "envbuild.yaml")


def test_a_target_overrides_replaces_merges_and_appends():
    s = spec(EVERYTHING)
    runtime = s.runtime_for(s.target("cpu"))
    assert runtime.entrypoint == ("python", "-m", "tinytrain") and runtime.cmd == ("--epochs", "3")
    assert dict(runtime.env) == {"OMP_NUM_THREADS": "8", "GREETING": "cost $5"}
    assert dict(runtime.labels) == {"com.example.team": "vision", "com.example.tier": "batch"}
    assert [(f.src, f.dst) for f in runtime.files] == [("config", "/etc/tinytrain"), ("extra.json", "/workspace/extra.json")]


def test_every_runtime_setting_renders_into_a_stable_dockerfile():
    s = spec(EVERYTHING)
    text = render_dockerfile(load_templates(), RenderInput(
        spec=s, target=s.target("cpu"), lock_text="a==1 --hash=sha256:00\n", lock_file="locks/cpu.txt",
        image_dir="images/model", base_ref="debian@sha256:" + "0" * 64, inputs_digest="sha256:1",
        template="cpu.Dockerfile.j2", extras=RenderExtras(context={"embedded_lock": "lock.txt", "installer": {"version": "0.13.9"}})))
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert 'ENV OMP_NUM_THREADS="8" \\\n    GREETING="cost \\$5"' in text  # no build-time expansion of $5
    assert "USER 10001:10001" in text and "trainer:x:10001:10001::/home/trainer" in text
    assert 'com.example.team="vision"' in text and "cp -a /tmp/layer/files/1 /staging/workspace/extra.json" in text
    assert "chown 10001:10001 /staging/workspace" in text


@pytest.mark.parametrize("fragment, where, words", [
    ("entrypoint: python -m train\n", "entrypoint", "expected a list .exec form."),
    ("cmd: []\n", "cmd", "non-empty list"),
    ("workdir: workspace\n", "workdir", "absolute path"),
    ("env: {HF_TOKEN: abc}\n", "env.HF_TOKEN", "looks like a credential"),
    ("env: {MIRROR: 'https://bob:hunter2@pypi.corp/simple'}\n", "env.MIRROR", "looks like a credential"),
    ("env: {WANDB: ghp_0123456789abcdef}\n", "env.WANDB", "looks like a credential"),
    ("env: {1BAD: x}\n", "env.1BAD", "variable name"),
    ("env: {DEBUG: true}\n", "env.DEBUG", "expected a string"),
    ("user: 'root; rm'\n", "user", "user name"),
    ("labels: {dev.envbuild.target: x}\n", "labels.dev.envbuild.target", "cannot be overridden"),
    ("labels: {org.opencontainers.image.created: x}\n", "labels.org.opencontainers.image.created", "cannot be overridden"),
    ("files: [{src: /etc/passwd, dst: /x}]\n", r"files\[0\].src", "relative path"),
    ("files: [{src: a}]\n", r"files\[0\].dst", "required key is missing"),
])
def test_bad_runtime_settings_name_their_key(fragment, where, words):
    with pytest.raises(SpecError, match=rf"envbuild.yaml: {where}: .*{words}"):
        spec(BASE + fragment + "targets:\n  cpu: {}\n")


def test_root_and_a_uid_are_users_too():
    from envbuild.core.image.render import identity

    assert identity(spec(BASE + "user: root\ntargets:\n  cpu: {}\n").runtime) == ("root", 0, "/root")
    assert identity(spec(BASE + "user: 0\ntargets:\n  cpu: {}\n").runtime) == ("root", 0, "/root")
    assert identity(spec(BASE + "user: 2000\ntargets:\n  cpu: {}\n").runtime) == ("app", 2000, "/home/app")
    assert identity(spec(BASE + "targets:\n  cpu: {}\n").runtime) == ("app", 10001, "/home/app")


def test_determinism_true_sets_the_documented_variables_and_a_mapping_adjusts_them():
    from envbuild.core.spec.runtime import DETERMINISM

    on = spec(BASE + "determinism: true\nenv: {PYTHONHASHSEED: '42'}\ntargets:\n  cpu: {}\n  gpu: {determinism: false}\n")
    cpu = on.runtime_for(on.target("cpu"))
    assert dict(cpu.determinism) == DETERMINISM and DETERMINISM["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert dict(cpu.environment)["PYTHONHASHSEED"] == "42"  # the spec's own env wins over the defaults
    gpu = on.runtime_for(on.target("gpu"))
    assert gpu.determinism == () and gpu.environment == (("PYTHONHASHSEED", "42"),)  # off: only the spec's env
    tuned = spec(BASE + "determinism: {TF_DETERMINISTIC_OPS: null, MY_SEED: 7}\ntargets:\n  cpu: {}\n")
    assert dict(tuned.runtime_for(tuned.target("cpu")).determinism) == {
        "PYTHONHASHSEED": "0", "CUBLAS_WORKSPACE_CONFIG": ":4096:8", "TF_CUDNN_DETERMINISTIC": "1", "MY_SEED": "7"}
    assert spec(BASE + "targets:\n  cpu: {}\n").runtime_for(spec(BASE + "targets:\n  cpu: {}\n").target("cpu")).determinism is None
    for bad, words in (("determinism: yes please", "expected true, false or a mapping"),
                       ("determinism: {1X: a}", "determinism.1X: expected a variable name")):
        with pytest.raises(SpecError) as caught:
            spec(BASE + bad + "\ntargets:\n  cpu: {}\n")
        assert words in caught.value.message


def test_the_probe_reads_the_variables_the_spec_sets():
    from envbuild.core.spec.runtime import DETERMINISM
    from envbuild.probe.system import DETERMINISM_NAMES

    assert set(DETERMINISM_NAMES) == set(DETERMINISM)  # the probe cannot import core: the two lists agree
