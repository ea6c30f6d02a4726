"""The data a model trains on, through the real DVC (the venv `make tools` installs from
tools/dvc/locks/tool.txt): a DVC workspace made here with git, `dvc init` and a pipeline stage,
checked by `verify --data`, recorded by `snapshot` and compared by `diff` and `verify --against`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, hermetic_env

pytestmark = pytest.mark.slow


def env_with(dvc_bin: Path | None, **extra: str) -> dict[str, str]:
    env = hermetic_env(DVC_NO_ANALYTICS="1", **extra)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not (Path(p) / "dvc").exists()]
    env["PATH"] = os.pathsep.join(([str(dvc_bin)] if dvc_bin else []) + path)
    return env


def dvc(dvc_bin: Path, workspace: Path, *args: str) -> str:
    done = subprocess.run([str(dvc_bin / "dvc"), *args], cwd=workspace, env=env_with(dvc_bin), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def reproduced_workspace(tmp_path_factory, dvc_bin) -> Path:
    """A DVC repository: raw data, a `prepare` stage that writes a directory output, reproduced
    (once: each test gets a copy, ``workspace``)."""
    root = tmp_path_factory.mktemp("dvc") / "project"
    (root / "data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    dvc(dvc_bin, root, "init", "-q")
    (root / "data" / "raw.csv").write_text("x,y\n1,2\n")
    dvc(dvc_bin, root, "stage", "add", "-q", "-n", "prepare", "-d", "data/raw.csv", "-o", "data/prepared",
        "mkdir -p data/prepared && cp data/raw.csv data/prepared/train.csv")
    dvc(dvc_bin, root, "repro", "-q")
    assert (root / "dvc.lock").is_file()
    return root


@pytest.fixture
def workspace(tmp_path, reproduced_workspace) -> Path:
    """A copy of the reproduced repository, to change at will (DVC rehashes what it has not seen)."""
    import shutil

    return Path(shutil.copytree(reproduced_workspace, tmp_path / "project", symlinks=True))


def verify(cli, workspace, dvc_bin, *args):
    result = cli("verify", "--data", *args, cwd=workspace, env=env_with(dvc_bin))
    assert_no_traceback(result)
    return result


def test_a_workspace_dvc_calls_up_to_date_passes_and_a_changed_output_fails(cli, workspace, dvc_bin):
    clean = verify(cli, workspace, dvc_bin, "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["findings"] == []
    assert "data (" in verify(cli, workspace, dvc_bin).stdout

    (workspace / "data" / "prepared" / "train.csv").write_text("x,y\n1,3\n")  # the training data edited by hand
    (workspace / "data" / "raw.csv").unlink()
    drift = verify(cli, workspace, dvc_bin, "--json")
    report = json.loads(drift.stdout)
    assert drift.returncode == 1
    found = {(f["name"], f["actual"], f["severity"]) for f in report["findings"]}
    assert found == {("data/prepared", "modified", "high"), ("data/raw.csv", "deleted", "high")}
    assert {f["detail"] for f in report["findings"]} == {"prepare: changed outs", "prepare: changed deps"}
    low = verify(cli, workspace, dvc_bin, "--fail-on", "critical")
    assert low.returncode == 0 and "data/prepared" in low.stdout


def test_without_dvc_it_says_it_cannot_check_and_outside_a_dvc_repository_it_says_so(cli, workspace, dvc_bin,
                                                                                     tmp_path):
    missing = cli("verify", "--data", cwd=workspace, env=env_with(None))
    assert missing.returncode == 5, missing.stdout + missing.stderr
    assert "DVC is not installed" in missing.stdout + missing.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    outside = verify(cli, plain, dvc_bin)
    assert outside.returncode == 2 and "not inside of a DVC repository" in outside.stderr
    assert len(outside.stderr.strip().splitlines()) <= 2


def test_snapshots_carry_the_data_versions_and_diff_and_verify_against_them(cli, workspace, dvc_bin, tmp_path):
    env = env_with(dvc_bin)
    before = tmp_path / "before.json"
    assert cli("snapshot", "-o", str(before), cwd=workspace, env=env).returncode == 0
    data = json.loads(before.read_text())["data"]
    assert data["dvc_lock"].endswith("dvc.lock")
    (output,) = data["outputs"]
    assert output["stage"] == "prepare" and output["path"] == "data/prepared" and output["nfiles"] == 1
    assert output["hash"] == "md5" and output["value"].endswith(".dir")

    # new data, reproduced: the workspace agrees with its own dvc.lock, but not with the one recorded
    (workspace / "data" / "raw.csv").write_text("x,y\n5,6\n7,8\n")
    dvc(dvc_bin, workspace, "repro", "-q")
    assert verify(cli, workspace, dvc_bin).returncode == 0
    against = verify(cli, workspace, dvc_bin, "--against", str(before), "--json")
    report = json.loads(against.stdout)
    data_findings = [f for f in report["findings"] if f["kind"] == "data"]
    assert against.returncode == 1
    assert [f["name"] for f in data_findings] == ["data/prepared"]
    assert data_findings[0]["expected"] == f"md5:{output['value']}" and data_findings[0]["actual"] != data_findings[0]["expected"]

    after = tmp_path / "after.json"
    assert cli("snapshot", "-o", str(after), cwd=workspace, env=env).returncode == 0
    diff = cli("diff", str(before), str(after), "--json", env=env)
    assert diff.returncode == 1, diff.stdout + diff.stderr
    assert [(f["kind"], f["name"]) for f in json.loads(diff.stdout)["findings"]] == [("data", "data/prepared")]


def test_a_bad_dvc_lock_is_refused_at_its_key_before_anything_runs(cli, workspace, dvc_bin):
    (workspace / "dvc.lock").write_text("schema: '2.0'\nstages:\n  prepare:\n    outs:\n    - path: 3\n")
    result = cli("snapshot", cwd=workspace, env=env_with(dvc_bin))
    assert_no_traceback(result)
    assert result.returncode == 2 and "stages.prepare.outs[0].path: expected a string" in result.stderr


def test_production_data_is_checked_against_what_the_training_run_recorded(cli, workspace, dvc_bin, tmp_path):
    """MLflow's embedded sqlite store: record the run in the workspace, change the data, reproduce;
    verify --against the run --data finds it — also from a record whose snapshot predates `data`."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    run_id = client.create_run(client.create_experiment("t", artifact_location=str(tmp_path / "artifacts"))).info.run_id
    env = env_with(dvc_bin, MLFLOW_TRACKING_URI=uri)
    done = cli("record", "--run-id", run_id, "--json", cwd=workspace, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tags"]["envbuild.dvc.outputs"] == "1"
    source = f"mlflow:runs:/{run_id}"
    same = cli("verify", "--data", "--against", source, "--json", cwd=workspace, env=env)
    assert same.returncode == 0, same.stdout + same.stderr

    (workspace / "data" / "raw.csv").write_text("x,y\n9,9\n")
    dvc(dvc_bin, workspace, "repro", "-q")
    snapshot = tmp_path / "artifacts" / run_id / "artifacts" / "envbuild" / "snapshot.json"
    for first_record_format in (False, True):
        if first_record_format:  # as the first envbuild with `record` wrote it: the data only in envbuild/dvc.json
            text = json.loads(snapshot.read_text())
            assert text.pop("data")["outputs"][0]["path"] == "data/prepared"
            snapshot.write_text(json.dumps(text))
        drift = cli("verify", "--data", "--against", source, "--json", cwd=workspace, env=env)
        assert_no_traceback(drift)
        findings = [f for f in json.loads(drift.stdout)["findings"] if f["kind"] == "data"]
        assert drift.returncode == 1 and [f["name"] for f in findings] == ["data/prepared"]
        assert findings[0]["detail"].startswith(f"other data than {source} (run {run_id})")
