"""core/lineage/hardware.py and core/lineage/record.invocation_of: what a re-run needs, recorded (issue 34, item 1)."""

from __future__ import annotations

from envbuild.core.lineage.hardware import differences, fingerprint
from envbuild.core.lineage.record import invocation_of
from tests.support.snapshots import snap as typed

CAPABILITIES = {"H100": "9.0", "A100": "8.0", "A10G": "8.6", "A10": "8.6"}
GPU_SNAPSHOT = {"interpreter": {"machine": "x86_64"}, "cpu": {"model": "AMD EPYC 7R13", "cores": 48},
                "gpu": {"driver": "550.54.15", "gpus": [{"bus": "0000:00:1e.0", "model": "NVIDIA A10G"}],
                        "cuda_runtime": "12.4.127", "torch_cuda": "12.4"},
                "environment": {"PYTHONHASHSEED": "0"}}


def test_the_fingerprint_names_cpu_gpu_and_the_cuda_stack_with_compute_capability():
    found = fingerprint(typed(GPU_SNAPSHOT), CAPABILITIES)
    assert found == {"machine": "x86_64", "cpu_model": "AMD EPYC 7R13", "cores": 48,
                     "gpus": [{"model": "NVIDIA A10G", "compute_capability": "8.6"}],  # A10G, not A10
                     "driver": "550.54.15", "cuda_runtime": "12.4.127", "torch_cuda": "12.4"}
    assert fingerprint(typed({"interpreter": {"machine": "aarch64"}})) == {"machine": "aarch64"}


def test_differences_name_each_fact_that_moved_and_one_that_is_gone():
    recorded = fingerprint(typed(GPU_SNAPSHOT), CAPABILITIES)
    assert differences(recorded, recorded) == []
    here = fingerprint(typed({**GPU_SNAPSHOT, "gpu": {"gpus": [{"model": "NVIDIA H100 80GB HBM3"}], "driver": "550.54.15",
                                                "cuda_runtime": "12.4.127", "torch_cuda": "12.4"}}), CAPABILITIES)
    assert differences(recorded, here) == ["gpus: NVIDIA A10G (sm 8.6) (recorded) → NVIDIA H100 80GB HBM3 (sm 9.0) (here)"]
    cpu_only = fingerprint(typed({"interpreter": {"machine": "x86_64"}, "cpu": {"model": "AMD EPYC 7R13", "cores": 8}}))
    moved = differences(recorded, cpu_only)
    assert "cores: 48 (recorded) → 8 (here)" in moved and any(m.startswith("driver: 550.54.15") for m in moved)


def test_the_invocation_is_the_command_given_else_the_engine_s_and_credentials_never_recorded():
    given = invocation_of(typed(GPU_SNAPSHOT), command=["python", "train.py", "--hub-url", "https://u:s3cret@hub.example/x"],
                          workdir="/work", capabilities=CAPABILITIES)
    assert given["command"][:2] == ["python", "train.py"] and "s3cret" not in str(given)
    assert given["workdir"] == "/work" and given["environment"] == {"PYTHONHASHSEED": "0"} and given["image"] is None
    engine = {**GPU_SNAPSHOT, "engine": {"ref": "team/model:cpu-1", "image_id": "sha256:" + "a" * 64,
                                         "config": {"entrypoint": ["python", "-m", "train"], "cmd": ["--epochs", "3"],
                                                    "workdir": "/home/app"}}}
    found = invocation_of(typed(engine), command=None, workdir=None)
    assert found["command"] == ["python", "-m", "train", "--epochs", "3"] and found["workdir"] == "/home/app"
    assert found["image"] == {"ref": "team/model:cpu-1", "image_id": "sha256:" + "a" * 64}
    assert invocation_of(typed({}), command=None, workdir=None)["command"] is None  # nothing says: reproduce will say so
    pushed = {"engine": {"ref": "r:5000/m:1", "image_id": "sha256:" + "b" * 64,
                         "repo_digests": ["r:5000/m@sha256:" + "c" * 64]}}
    assert invocation_of(typed(pushed), command=None, workdir=None)["image"]["repo_digests"] == ["r:5000/m@sha256:" + "c" * 64]


def test_a_re_run_is_held_to_the_machine_s_facts_not_to_envbuild_s_own_packages():
    """reproduce fingerprints this machine with the local probe, in envbuild's own environment: it has no
    torch or nvidia-* wheels, so comparing those facts would call every GPU re-run other hardware."""
    from envbuild.core.lineage.hardware import host

    recorded = fingerprint(typed(GPU_SNAPSHOT), CAPABILITIES)
    here = fingerprint(typed({**GPU_SNAPSHOT, "gpu": {"driver": "550.54.15", "gpus": GPU_SNAPSHOT["gpu"]["gpus"]}}),
                       CAPABILITIES)
    assert differences(recorded, here) == ["cuda_runtime: 12.4.127 (recorded) → none (here)",
                                           "torch_cuda: 12.4 (recorded) → none (here)"]
    assert differences(host(recorded), host(here)) == []
    moved = host({**here, "driver": "535.104.05"})
    assert differences(host(recorded), moved) == ["driver: 550.54.15 (recorded) → 535.104.05 (here)"]
