"""envbuild run and envbuild reproduce on a real engine, a real MLflow server on 127.0.0.1 and real DVC
(issue 34): a small training project (standard library only, its metrics moved by its seed and its
data) built into an image, trained with `envbuild run` as an MLflow run, then reproduced from the run
ID — each verdict, the rules and the paths around them."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, hermetic_env, run_cli
from tests.integration.test_data import dvc, env_with
from tests.support.project import make_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# Reads its data (when mounted), writes metrics.json: loss and accuracy move with the seed and the
# data, the epochs with --epochs. No numpy: the image is built from the local index in seconds.
TRAIN = '''\
"""A training that moves with its seed and its data."""
import json, os, random, sys


def main():
    args = sys.argv[1:]
    epochs = int(args[len(args) - args[::-1].index("--epochs")]) if "--epochs" in args else 10  # the last, as argparse
    data = "/data/data/prepared/train.csv"
    rows = open(data).read().splitlines() if os.path.exists(data) else []
    rng = random.Random(int(os.environ.get("SEED", "0")) * 7919 + len(rows))
    loss = 0.3 + 0.02 * rng.random() + 1.0 / epochs
    accuracy = round(0.9 - 0.01 * rng.random(), 4)
    print("epochs", epochs, "rows", len(rows), "user", os.getuid())
    json.dump({"loss": loss, "accuracy": accuracy, "epochs": epochs, "tool": "stdlib"}, open("metrics.json", "w"))
'''

SPEC = """\
name: envbuild-test/reprotrain
python: "3.11"
exclude-newer: 2026-07-01
base: {base}
index: {index}
requirements: [proj/pyproject.toml]
project: proj
entrypoint: [train]
cmd: [--epochs, "10"]
workdir: /workspace
env: {{SEED: "7"}}
targets:
  cpu: {{}}
reproduce:
  metrics-file: /workspace/metrics.json
  metrics:
    loss: {{rel: 0.001}}
    epochs: {{abs: 0}}
  seed: {{env: SEED}}
  modes:
    smoke: {{args: [--epochs, "2"]}}
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@e", "-c", "user.name=t", *args], cwd=root, check=True,
                   capture_output=True)


def make_definition(directory: Path, base: str, index: str, dependency: str) -> Path:
    (directory).mkdir(parents=True, exist_ok=True)
    (directory / "envbuild.yaml").write_text(SPEC.format(base=base, index=index))
    make_project(directory / "proj", dependencies=(dependency,))
    (directory / "proj" / "tinytrain" / "__init__.py").write_text(TRAIN)
    return directory


@pytest.fixture(scope="module")
def repo(tmp_path_factory, base_image, index, dvc_bin) -> Path:
    """A git and DVC repository: the image definition (img/, locked, committed) and the data it trains on
    (a `prepare` stage's output, in dvc.lock)."""
    root = tmp_path_factory.mktemp("reprotrain")
    make_definition(root / "img", base_image, index.url, "epsilon>=1.0")
    git(root, "init", "-q")
    dvc(dvc_bin, root, "init", "-q")
    (root / "data").mkdir()
    (root / "data" / "raw.csv").write_text("".join(f"{i},{i * i}\n" for i in range(40)))
    dvc(dvc_bin, root, "stage", "add", "-q", "-n", "prepare", "-d", "data/raw.csv", "-o", "data/prepared",
        "mkdir -p data/prepared && cp data/raw.csv data/prepared/train.csv")
    dvc(dvc_bin, root, "repro", "-q")
    assert run_cli("lock", str(root / "img"), env=hermetic_env()).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "training project, locked, with its data")
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)  # the image's user (10001) reads the data
    return root


@pytest.fixture(scope="module")
def env(mlflow_server, dvc_bin):
    return env_with(dvc_bin, MLFLOW_TRACKING_URI=mlflow_server)


def cli(*args, env, cwd=None):
    result = run_cli(*args, env=env, cwd=cwd)
    assert_no_traceback(result)
    return result


@pytest.fixture(scope="module")
def trained(repo, env):
    """`envbuild run` of the image with the data mounted: (the run ID, run's JSON answer)."""
    done = cli("run", str(repo / "img"), "--data", str(repo), "--json", env=env)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "epochs 10 rows 40 user 10001" in done.stderr  # its data mounted, as the image's non-root user
    return answer["run_id"], answer


def client(uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def artifact(uri, run_id, name, directory):
    return json.loads(Path(client(uri).download_artifacts(run_id, f"envbuild/{name}", str(directory))).read_text())


def reproduce(*args, env, cwd=None):
    return cli("reproduce", *args, env=env, cwd=cwd)


def test_run_records_the_container_that_trained_into_a_new_mlflow_run(trained, mlflow_server, tmp_path):
    run_id, answer = trained
    assert answer["network"] == "none" and answer["command"] == ["train", "--epochs", "10"]
    assert set(answer["metrics"]) == {"loss", "accuracy", "epochs"}  # numbers only: "tool" is not a metric
    run = client(mlflow_server).get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.metrics["epochs"] == 10
    assert run.data.tags["envbuild.run.exit"] == "0" and run.data.tags["envbuild.image.id"].startswith("sha256:")
    invocation = artifact(mlflow_server, run_id, "invocation.json", tmp_path)
    assert invocation["command"] == ["train", "--epochs", "10"] and invocation["workdir"] == "/workspace"
    assert invocation["definition"]["path"] == "img" and invocation["definition"]["target"] == "cpu"
    assert invocation["data_mount"] == "/data" and invocation["hardware"]["machine"]
    assert "dvc.json" in answer["artifacts"]  # the data versions it trained on
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "label=dev.envbuild.run"], capture_output=True, text=True)
    assert left.stdout.strip() == ""  # the container was removed once recorded


def test_the_same_run_reproduces_bit_exact_from_its_run_id_and_becomes_evidence(trained, repo, env, mlflow_server,
                                                                                  tmp_path):
    run_id, _ = trained
    summary = tmp_path / "summary.md"
    junit = tmp_path / "junit.xml"
    done = reproduce(f"mlflow:runs:/{run_id}", "--data", str(repo), "--json", "--junit", str(junit),
                     env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "bit-exact" and {m["status"] for m in report["metrics"]} == {"exact"}
    checks = {c["check"]: c["ok"] for c in report["preflight"]}
    assert checks == {"record": True, "image": True, "environment": True, "data": True, "hardware": True,
                      "training": True}
    new = client(mlflow_server).get_run(report["reproduced_by"])
    assert new.data.tags["envbuild.reproduces"] == run_id and new.data.tags["envbuild.reproduce.verdict"] == "bit-exact"
    assert new.data.tags["envbuild.reproduce.mode"] == "full" and new.data.metrics["epochs"] == 10
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) == 6 + 3
    assert "bit-exact" in summary.read_text()
    # the verdict travels with the image's provenance
    (tmp_path / "report.json").write_text(done.stdout)
    provenance = tmp_path / "provenance.json"
    stated = cli("build", str(repo / "img"), "--provenance", str(provenance), "--reproduction",
                 str(tmp_path / "report.json"), env=env)
    assert stated.returncode == 0, stated.stderr
    [byproduct] = json.loads(provenance.read_text())["predicate"]["runDetails"]["byproducts"]
    assert byproduct["annotations"]["verdict"] == "bit-exact" and byproduct["annotations"]["reproduced_by"] == \
        report["reproduced_by"]
    # a passing reproduction is evidence: verify --require-reproduced
    image = json.loads(run_cli("build", str(repo / "img"), "--json", env=env).stdout)["image"]
    fresh = cli("verify", "--image", image, "--against", f"mlflow:runs:/{run_id}", "--require-reproduced", "1",
                "--json", env=env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    stale = cli("verify", "--image", image, "--against", f"mlflow:runs:/{run_id}", "--require-reproduced", "0.000001",
                "--json", env=env)
    assert stale.returncode == 1
    [finding] = json.loads(stale.stdout)["findings"]
    assert finding["kind"] == "reproduction" and finding["actual"].startswith("last passed")


def test_another_seed_fails_the_declared_tolerance_and_passes_a_calibrated_one(trained, repo, env, tmp_path):
    run_id, _ = trained
    source = f"mlflow:runs:/{run_id}"
    tight = reproduce(source, "--data", str(repo), "--seed", "99", "--json", env=env)
    report = json.loads(tight.stdout)
    assert tight.returncode == 1 and report["verdict"] == "failed"
    by = {m["metric"]: m for m in report["metrics"]}
    assert by["loss"]["status"] == "failed" and by["loss"]["rule"] == "rel 0.001, two-sided"
    assert by["accuracy"]["rule"].endswith("(default)")  # undeclared: the default, and said so
    too_few = reproduce(source, "--calibrate", "3", env=env)
    assert too_few.returncode == 2 and "at least 5 runs" in too_few.stderr
    stray = reproduce(source, "-o", str(tmp_path / "t.yaml"), env=env)
    assert stray.returncode == 2 and "it needs --calibrate N" in stray.stderr
    proposed = tmp_path / "tolerances.yaml"
    calibrated = reproduce(source, "--data", str(repo), "--calibrate", "5", "-o", str(proposed), "--json", env=env)
    assert calibrated.returncode == 0, calibrated.stderr
    answer = json.loads(calibrated.stdout)
    assert answer["seeds"] == ["1", "2", "3", "4", "5"] and {m["metric"] for m in answer["metrics"]} == \
        {"loss", "accuracy", "epochs"}
    assert next(m for m in answer["metrics"] if m["metric"] == "loss")["std"] > 0
    within = reproduce(source, "--data", str(repo), "--seed", "99", "--tolerances", str(proposed), "--json", env=env)
    assert within.returncode == 0, within.stdout + within.stderr
    assert json.loads(within.stdout)["verdict"] == "within-tolerance"  # another seed: never bit-exact


def test_a_mode_needs_a_baseline_recorded_with_a_reason(trained, repo, env, mlflow_server, tmp_path):
    run_id, _ = trained
    source = f"mlflow:runs:/{run_id}"
    none_yet = reproduce(source, "--mode", "smoke", env=env)
    assert none_yet.returncode == 2 and "no baseline for this mode" in none_yet.stderr
    assert "--rebaseline" in none_yet.stderr
    silent = reproduce(source, "--mode", "smoke", "--rebaseline", env=env)
    assert silent.returncode == 2 and "--rebaseline needs --reason" in silent.stderr
    unknown = reproduce(source, "--mode", "tiny", env=env)
    assert unknown.returncode == 2 and "known: full, smoke" in unknown.stderr
    done = reproduce(source, "--mode", "smoke", "--rebaseline", "--reason", "smoke lane for pull requests",
                     "--data", str(repo), "--json", env=env)
    assert done.returncode == 0 and json.loads(done.stdout)["verdict"] == "rebaselined", done.stderr
    stored = artifact(mlflow_server, run_id, "baseline-smoke.json", tmp_path)
    assert stored["reason"] == "smoke lane for pull requests" and stored["metrics"]["epochs"] == 2
    assert stored["command"] == ["train", "--epochs", "10", "--epochs", "2"]
    # the model the run trained, registered with an alias: reproduced through the version's run
    c = client(mlflow_server)
    c.create_registered_model("reprotrain")
    version = c.create_model_version("reprotrain", source=f"runs:/{run_id}/model", run_id=run_id).version
    c.set_registered_model_alias("reprotrain", "champion", version)
    smoke = reproduce("mlflow:models:/reprotrain@champion", "--mode", "smoke", "--data", str(repo), "--json", env=env)
    report = json.loads(smoke.stdout)
    assert smoke.returncode == 0 and report["verdict"] == "bit-exact", smoke.stdout
    assert report["source"] == f"mlflow:runs:/{run_id}" and report["metrics"][1]["value"] == 2  # epochs


def test_changed_data_is_unverifiable_and_nothing_trains(trained, repo, env, tmp_path):
    run_id, _ = trained
    copy = tmp_path / "workspace"
    shutil.copytree(repo, copy, symlinks=True)
    subprocess.run(["chmod", "-R", "a+rX", str(copy)], check=True)
    (copy / "data" / "prepared" / "train.csv").write_text("0,0\n")  # the training data, edited by hand
    done = reproduce(f"mlflow:runs:/{run_id}", "--data", str(copy), "--json", env=env)
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["verdict"] == "unverifiable"
    data = next(c for c in report["preflight"] if c["check"] == "data")
    assert data["ok"] is False and "data/prepared" in data["detail"]
    assert "training" not in {c["check"] for c in report["preflight"]} and report["reproduced_by"] is None
    unmounted = reproduce(f"mlflow:runs:/{run_id}", "--json", env=env)
    assert json.loads(unmounted.stdout)["verdict"] == "unverifiable" and "pass --data" in unmounted.stdout


def test_an_image_with_a_downgraded_package_is_unverifiable(trained, repo, env, base_image, index, tmp_path):
    run_id, _ = trained
    downgraded = make_definition(tmp_path / "old", base_image, index.url, "epsilon==1.0")
    assert run_cli("lock", str(downgraded), env=env).returncode == 0
    built = run_cli("build", str(downgraded), "--json", env=env)
    assert built.returncode == 0, built.stderr
    image = json.loads(built.stdout)["image"]
    done = reproduce(f"mlflow:runs:/{run_id}", "--image", image, "--data", str(repo), "--json", env=env)
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["verdict"] == "unverifiable", done.stdout
    environment = next(c for c in report["preflight"] if c["check"] == "environment")
    assert environment["ok"] is False and "epsilon" in environment["detail"] and "1.0" in environment["detail"]
    image_check = next(c for c in report["preflight"] if c["check"] == "image")
    assert "given with --image" in image_check["detail"] and "its project is tinytrain 0.3.0" in image_check["detail"]


def test_a_tolerance_tighter_than_the_resolution_is_refused_before_any_compute(trained, env, tmp_path):
    run_id, _ = trained
    tolerances = tmp_path / "t.yaml"
    tolerances.write_text("metrics:\n  accuracy: {rel: 0.0001, resolution: 0.01}\n")
    done = reproduce(f"mlflow:runs:/{run_id}", "--tolerances", str(tolerances), env=env)
    assert done.returncode == 2 and "an exact comparison in disguise" in done.stderr, done.stderr
    assert "training" not in done.stderr


def record_file(tmp_path, repo, env) -> Path:
    path = tmp_path / "record.json"
    done = cli("run", str(repo / "img"), "--data", str(repo), "--record-file", str(path),
               env={k: v for k, v in env.items() if k != "MLFLOW_TRACKING_URI"})
    assert done.returncode == 0 and "recorded into" in done.stdout, done.stderr
    return path


def test_a_record_file_reproduces_without_mlflow_and_its_edits_give_each_verdict(repo, env, tmp_path):
    bare = {k: v for k, v in env.items() if k != "MLFLOW_TRACKING_URI"}
    path = record_file(tmp_path, repo, env)
    clean = reproduce(str(path), "--data", str(repo), "--json", env=bare)
    assert clean.returncode == 0 and json.loads(clean.stdout)["verdict"] == "bit-exact", clean.stdout
    record = json.loads(path.read_text())

    def edited(name, change):
        copy = json.loads(json.dumps(record))
        change(copy)
        target = tmp_path / f"{name}.json"
        target.write_text(json.dumps(copy))
        return str(target)

    # a metric the baseline has and the re-run does not report: missing, never passed
    missing = reproduce(edited("missing", lambda r: r["metrics"].update(f1=0.5)), "--data", str(repo), "--json",
                        env=bare)
    assert missing.returncode == 1 and json.loads(missing.stdout)["verdict"] == "missing-metric"

    def other_hardware(r):
        invocation = json.loads(r["artifacts"]["invocation.json"])
        invocation["hardware"]["cpu_model"] = "AMD EPYC 9654"
        r["artifacts"]["invocation.json"] = json.dumps(invocation)

    moved = edited("hardware", other_hardware)
    judged = reproduce(moved, "--data", str(repo), "--json", env=bare)
    report = json.loads(judged.stdout)
    assert judged.returncode == 0 and report["verdict"] == "within-tolerance"  # not bit-exact on other hardware
    assert report["hardware_differences"][0].startswith("cpu_model: AMD EPYC 9654 (recorded)")
    strict = tmp_path / "strict.yaml"
    strict.write_text("same-hardware: true\n")
    inconclusive = reproduce(moved, "--data", str(repo), "--tolerances", str(strict), "--json", env=bare)
    assert inconclusive.returncode == 5 and json.loads(inconclusive.stdout)["verdict"] == "inconclusive"

    def gone(r):  # the recorded image is nowhere: rebuilt from the recorded commit, it has another ID
        invocation = json.loads(r["artifacts"]["invocation.json"])
        invocation["image"] = {"ref": "envbuild-test/reprotrain:gone", "image_id": "sha256:" + "0" * 64}
        r["artifacts"]["invocation.json"] = json.dumps(invocation)

    other = reproduce(edited("gone", gone), "--data", str(repo), "--repo", str(repo), "--json", env=bare)
    report = json.loads(other.stdout)
    assert other.returncode == 1 and report["verdict"] == "unverifiable", other.stdout + other.stderr[-2000:]
    image = next(c for c in report["preflight"] if c["check"] == "image")
    assert "not the recorded sha256:000000000000" in image["detail"] and "not the image the run trained in" in \
        image["detail"]
    old = edited("old", lambda r: r["artifacts"].pop("invocation.json"))
    refused = reproduce(old, env=bare)
    assert refused.returncode == 2 and "the run did not record its command" in refused.stderr


def test_a_gone_image_is_rebuilt_from_the_recorded_commit_with_the_same_id(trained, repo, env):
    run_id, answer = trained
    image_id = next(t for t in [json.loads(run_cli("build", str(repo / "img"), "--json", env=env).stdout)["id"]])
    subprocess.run(["docker", "rmi", "-f", image_id], check=True, capture_output=True)
    done = reproduce(f"mlflow:runs:/{run_id}", "--data", str(repo), "--repo", str(repo), "--json", env=env)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["verdict"] == "bit-exact", done.stdout + done.stderr[-2000:]
    image = next(c for c in report["preflight"] if c["check"] == "image")
    assert "rebuilt from" in image["detail"] and "same ID" in image["detail"]
    assert report["image"] == image_id
