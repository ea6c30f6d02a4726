"""envbuild record and verify/diff against MLflow: a real tracking server on 127.0.0.1 (sqlite
backend, proxied local artifact store) started here, and the embedded sqlite store with no server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, hermetic_env, kinds, pip

pytestmark = pytest.mark.slow


def client(uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def new_run(uri, experiment="training"):
    c = client(uri)
    found = c.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else c.create_experiment(experiment)
    return c.create_run(experiment_id).info.run_id


def record(cli, uri, run_id, *args):
    result = cli("record", "--run-id", run_id, "--json", *args, env=hermetic_env(MLFLOW_TRACKING_URI=uri))
    assert_no_traceback(result)
    return result


def test_record_then_verify_production_against_the_registered_model(cli, mlflow_server, locked, venv, tmp_path, index):
    uri, lock = mlflow_server, locked / "locks" / "cpu.txt"
    python = str(venv / "bin" / "python")
    run_id = new_run(uri)
    done = record(cli, uri, run_id, "--python", python, "--lock", str(lock), "--files")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    c = client(uri)
    tags = c.get_run(run_id).data.tags
    assert tags["envbuild.lock.sha256"] == hashlib.sha256(lock.read_bytes()).hexdigest() == answer["tags"]["envbuild.lock.sha256"]
    assert tags["envbuild.source"] == f"python {python}"
    logged = {Path(a.path).name for a in c.list_artifacts(run_id, "envbuild")}
    expected = {"snapshot.json", "lock.txt", "sbom.cdx.json", "invocation.json", "record.json"}
    assert logged == expected == set(answer["artifacts"])
    snapshot = json.loads(Path(c.download_artifacts(run_id, "envbuild/snapshot.json", str(tmp_path))).read_text())
    assert snapshot["files_checked"] is True and {d["name"] for d in snapshot["distributions"]} >= {"alpha", "epsilon"}
    sbom = json.loads(Path(c.download_artifacts(run_id, "envbuild/sbom.cdx.json", str(tmp_path))).read_text())
    assert {comp["name"] for comp in sbom["components"]} >= {"alpha", "epsilon"}

    # the model the run trained, registered, and an alias on its version
    c.create_registered_model("fraud")
    version = c.create_model_version("fraud", source=f"runs:/{run_id}/model", run_id=run_id).version
    c.set_registered_model_alias("fraud", "champion", version)
    env = hermetic_env(MLFLOW_TRACKING_URI=uri)
    for source in (f"mlflow:runs:/{run_id}", f"mlflow:models:/fraud/{version}", "mlflow:models:/fraud@champion"):
        clean = cli("verify", "--python", python, "--against", source, "--json", env=env)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert json.loads(clean.stdout)["findings"] == []

    # production drifts: a downgrade, found against what the training run had
    pip(venv, "install", "--no-deps", "--index-url", index.url, "beta==1.0")
    drift = cli("verify", "--python", python, "--against", "mlflow:models:/fraud@champion", "--json", env=env)
    assert drift.returncode == 1 and kinds(json.loads(drift.stdout)) == [("version", "beta")]
    table = cli("diff", f"mlflow:runs:/{run_id}", str(lock), env=env)
    assert table.returncode == 0 and "no differences" in table.stdout


def test_the_training_environment_not_only_its_lock_is_the_expected_side(cli, mlflow_server, locked, venv, tmp_path,
                                                                         index):
    """Training had a package the lock does not name (installed by hand into the training venv): a
    production environment installed from the lock alone lacks it, and verify --against says so."""
    uri = mlflow_server
    training = tmp_path / "training"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(training)], check=True)
    pip(training, "install", "--require-hashes", "--no-deps", "-r", str(locked / "locks" / "cpu.txt"))
    pip(training, "install", "--no-deps", "--index-url", index.url, "omega")
    run_id = new_run(uri)
    assert record(cli, uri, run_id, "--python", str(training / "bin" / "python"),
                  "--lock", str(locked / "locks" / "cpu.txt")).returncode == 0
    found = cli("verify", "--python", str(venv / "bin" / "python"), "--against", f"mlflow:runs:/{run_id}", "--json",
                env=hermetic_env(MLFLOW_TRACKING_URI=uri))
    report = json.loads(found.stdout)
    assert found.returncode == 1 and kinds(report) == [("missing", "omega")]
    assert "only in mlflow:runs:/" in report["findings"][0]["detail"]


def test_a_run_that_lies_is_refused_and_mistakes_are_one_line(cli, mlflow_server, locked, venv):
    uri, c = mlflow_server, client(mlflow_server)
    env = hermetic_env(MLFLOW_TRACKING_URI=uri)
    python = str(venv / "bin" / "python")

    nothing = cli("verify", "--python", python, "--against", f"mlflow:runs:/{new_run(uri)}", env=env)
    assert nothing.returncode == 2 and "has no envbuild record" in nothing.stderr and "hint: record" in nothing.stderr
    missing = cli("verify", "--python", python, "--against", "mlflow:runs:/0123456789abcdef", env=env)
    assert missing.returncode == 2 and "not found at http://127.0.0.1" in missing.stderr
    for bad in ("mlflow:runs:/../x", "mlflow:models:/", "mlflow:models:/fraud", "mlflow:nope"):
        refused = cli("verify", "--python", python, "--against", bad, env=env)
        assert refused.returncode == 2 and "not an MLflow source" in refused.stderr, bad
    no_model = cli("verify", "--python", python, "--against", "mlflow:models:/nobody@champion", env=env)
    assert no_model.returncode == 2 and "mlflow:models:/nobody@champion: not found" in no_model.stderr
    no_run = cli("record", "--python", python, env=env)
    assert no_run.returncode == 2 and "no MLflow run to record into" in no_run.stderr

    # a snapshot of the wrong shape, and a lock edited after it was written
    shaped = new_run(uri)
    c.log_text(shaped, json.dumps({"schema": 1, "interpreter": {}, "distributions": [{"name": 3}]}), "envbuild/snapshot.json")
    wrong = cli("verify", "--python", python, "--against", f"mlflow:runs:/{shaped}", env=env)
    assert wrong.returncode == 2 and "snapshot.json: not an envbuild snapshot: distributions[0]." in wrong.stderr
    tampered = new_run(uri)
    assert record(cli, uri, tampered, "--python", python, "--lock", str(locked / "locks" / "cpu.txt")).returncode == 0
    lock = (locked / "locks" / "cpu.txt").read_text().replace("alpha==2.0", "alpha==1.0")
    c.log_text(tampered, lock, "envbuild/lock.txt")
    edited = cli("verify", "--python", python, "--against", f"mlflow:runs:/{tampered}", env=env)
    assert edited.returncode == 2 and "lock.txt" in edited.stderr and "body" in edited.stderr
    for result in (nothing, missing, no_model, no_run, wrong, edited):
        assert_no_traceback(result)


def test_the_python_api_records_into_the_active_run_with_the_embedded_store(tmp_path):
    """No server: MLflow's own sqlite store. envbuild.record() inside `with mlflow.start_run()`;
    importing envbuild does not import mlflow."""
    script = """
import sys
import envbuild
assert "mlflow" not in sys.modules, "import envbuild imported mlflow"
import mlflow
with mlflow.start_run() as run:
    done = envbuild.record()
print(run.info.run_id, done.run_id, done.tags["envbuild.source"], sep="|")
"""
    env = hermetic_env(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path}/mlflow.db")
    from tests.unit.test_lineage import DVC_LOCK

    (tmp_path / "dvc.lock").write_text(DVC_LOCK)  # the data this run trained on, beside its code
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    active, recorded, source = done.stdout.strip().splitlines()[-1].split("|")
    assert active == recorded and source == f"python {sys.executable}"
    from mlflow.tracking import MlflowClient

    tags = MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"]).get_run(active).data.tags
    assert tags["envbuild.version"] and "envbuild.lock.sha256" not in tags  # this venv was not built by envbuild
    assert tags["envbuild.dvc.outputs"] == "2"
    # what a re-run needs (issue 34): the command this training was started with, where, on what
    folder = MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"]).download_artifacts(active, "envbuild", str(tmp_path))
    invocation = json.loads((Path(folder) / "invocation.json").read_text())
    assert invocation["command"] == [sys.executable, "-c", script] and invocation["workdir"] == str(tmp_path)
    assert invocation["hardware"]["cores"] >= 1 and invocation["hardware"]["machine"] and invocation["image"] is None


@pytest.mark.docker
def test_an_image_is_recorded_with_the_engine_s_facts_and_verified_against_the_run(cli, mlflow_server, built_image,
                                                                                  container):
    uri, (_, built) = mlflow_server, built_image
    run_id = new_run(uri)
    done = record(cli, uri, run_id, "--image", built["image"])
    assert done.returncode == 0, done.stderr
    tags = client(uri).get_run(run_id).data.tags
    labels = json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}",
                                        built["image"]], capture_output=True, text=True, check=True).stdout)
    assert tags["envbuild.image"] == built["image"] and tags["envbuild.image.id"] == built["id"]
    assert tags["envbuild.lock.sha256"] == labels["dev.envbuild.lock.sha256"]
    assert tags["envbuild.inputs-digest"] == labels["dev.envbuild.inputs-digest"]
    folder = client(uri).download_artifacts(run_id, "envbuild")
    invocation = json.loads((Path(folder) / "invocation.json").read_text())
    config = json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config}}", built["image"]],
                                       capture_output=True, text=True, check=True).stdout)
    assert invocation["command"] and invocation["command"] == (config.get("Entrypoint") or []) + (config.get("Cmd") or [])  # the image's own
    assert invocation["image"] == {"ref": built["image"], "image_id": built["id"]}
    served = cli("verify", "--container", container, "--against", "mlflow:runs:/" + run_id, "--json",
                 env=hermetic_env(MLFLOW_TRACKING_URI=uri))
    assert served.returncode == 0 and json.loads(served.stdout)["findings"] == [], served.stdout + served.stderr


@pytest.mark.docker
def test_an_image_with_determinism_sets_it_and_verify_finds_a_container_that_overrides_it(cli, make_image, index,
                                                                                        base_image, tmp_path):
    from envbuild.core.spec.runtime import DETERMINISM

    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    image = make_image(f"""\
        name: envbuild-test/determinism
        python: "3.11"
        exclude-newer: 2026-05-01
        index: {index.url}
        base: {base_image}
        requirements: requirements.in
        determinism: true
        targets:
          cpu: {{}}
        """, {"requirements.in": "alpha\n"})
    assert cli("lock", str(image), env=env).returncode == 0
    built = cli("build", str(image), "--target", "cpu", "--json", env=env)
    assert built.returncode == 0, built.stderr
    ref = json.loads(built.stdout)["image"]
    config = json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Env}}", ref],
                                       capture_output=True, text=True, check=True).stdout)
    assert {f"{k}={v}" for k, v in DETERMINISM.items()} <= set(config)
    clean = cli("verify", "--image", ref, "--json", env=env)
    assert clean.returncode == 0 and json.loads(clean.stdout)["findings"] == [], clean.stdout
    name = f"envbuild-test-seed-{tmp_path.name[-8:]}"
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", "-e", "PYTHONHASHSEED=random",
                    "--entrypoint", "sleep", ref, "600"], capture_output=True, check=True)
    try:
        drift = cli("verify", "--container", name, "--json", env=env)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    report = json.loads(drift.stdout)
    assert drift.returncode == 1 and kinds(report) == [("determinism", "PYTHONHASHSEED")]
    assert report["findings"][0]["actual"] == "random" and report["findings"][0]["severity"] == "medium"


def test_against_a_run_with_no_tracking_uri_is_exit_2_and_writes_nothing_here(tmp_path):
    """MLflow's default store is a new sqlite:///mlflow.db in the current directory: reading from it
    left a database where the user stood, then said "not found" (issue 32)."""
    from tests.conftest import hermetic_env, run_cli

    env = hermetic_env()
    env.pop("MLFLOW_TRACKING_URI", None)
    result = run_cli("verify", "--python", sys.executable, "--against", "mlflow:runs:/0123456789abcdef0123456789abcdef",
                     cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    assert "no MLflow tracking server is named (MLFLOW_TRACKING_URI is unset)" in result.stderr
    assert "hint: set MLFLOW_TRACKING_URI" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
