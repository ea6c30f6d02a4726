"""core/lineage/reproduction.py and its report: a record read back for a re-run, the command a mode starts,
the metrics a file holds, the verdict from checks and metrics, freshness for --require-reproduced,
and the table, Markdown and JUnit renderings (issue 34)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from envbuild.core.report import reproduction as report
from envbuild.core.spec.reproduce import Mode, ReproduceRules, Seed, rules_from_json, rules_to_json
from envbuild.core.lineage.reproduction import (Check, Reproduction, command_for, environment_for, freshness, judged,
                                        metrics_of, recorded_from, with_argument)
from envbuild.core.spec.tolerances import Tolerance, compare
from envbuild.errors import SpecError, UserError

INVOCATION = {"schema": 1, "command": ["train", "--out", "/workspace"], "entrypoint": ["train"],
              "workdir": "/workspace", "environment": {"PYTHONHASHSEED": "0"}, "env": {"LR": "0.5"},
              "env_names": ["HF_TOKEN", "bad name"], "image": {"ref": "x:1", "image_id": "sha256:" + "a" * 64},
              "hardware": {"machine": "x86_64", "cores": 8}, "network": "none",
              "reproduce": {"metrics": {"loss": {"rel": 0.05}}, "modes": {"smoke": {"args": ["--epochs", "1"]}},
                            "seed": {"env": "SEED"}, "metrics-file": "/workspace/metrics.json"}}


def recorded(**artifacts):
    texts = {"invocation.json": json.dumps(INVOCATION), **artifacts}
    return recorded_from("mlflow:runs:/abc", "abc", texts, {"loss": 0.5, "acc": 0.9})


def test_a_record_gives_back_the_command_its_rules_and_its_baseline():
    r = recorded(**{"baseline-smoke.json": json.dumps({"metrics": {"loss": 0.9}, "reason": "x"})})
    assert r.command == ("train", "--out", "/workspace") and r.entrypoint == ("train",)
    assert r.env_names == ("HF_TOKEN",)  # a name that is not one is dropped, never passed to docker exec
    assert r.rules.tolerances() == {"loss": Tolerance(rel=0.05)} and r.rules.metrics_file == "/workspace/metrics.json"
    assert r.metrics == {"loss": 0.5, "acc": 0.9} and r.baselines["smoke"]["metrics"] == {"loss": 0.9}


def test_an_old_record_without_a_command_says_it_cannot_be_reproduced():
    with pytest.raises(UserError, match="cannot reproduce mlflow:runs:/abc: the run did not record its command"):
        recorded_from("mlflow:runs:/abc", "abc", {"snapshot.json": "{}"}, {})
    with pytest.raises(UserError, match="did not record its command"):
        recorded_from("x", None, {"invocation.json": json.dumps({"command": None})}, {})
    with pytest.raises(UserError, match="not a JSON object"):
        recorded_from("x", None, {"invocation.json": "[1]"}, {})


def test_recorded_rules_that_are_bad_are_bad_input():
    bad = dict(INVOCATION, reproduce={"metrics": {"loss": {"rel": -1}}})
    with pytest.raises(SpecError, match="reproduce.metrics.loss.rel"):
        recorded_from("x", None, {"invocation.json": json.dumps(bad)}, {})


def test_rules_survive_the_trip_through_the_record():
    rules = rules_from_json("f", INVOCATION["reproduce"])
    assert rules_from_json("g", rules_to_json(rules)) == rules
    assert rules.seed == Seed(env="SEED")
    with pytest.raises(SpecError, match="reproduce.seed"):
        rules_from_json("f", {"seed": {"env": "A", "arg": "--seed"}})


def test_a_mode_appends_or_replaces_the_arguments_and_a_seed_goes_where_the_rules_say():
    r = recorded()
    assert command_for(r, None) == ["train", "--out", "/workspace"]
    assert command_for(r, Mode(args=("--epochs", "1"))) == ["train", "--out", "/workspace", "--epochs", "1"]
    assert command_for(r, Mode(args=("--steps", "9"), replace=True)) == ["train", "--steps", "9"]
    assert command_for(r, None, seed=(Seed(arg="--seed"), "4"))[-2:] == ["--seed", "4"]
    assert environment_for(r, seed=(Seed(env="SEED"), "4")) == {"PYTHONHASHSEED": "0", "LR": "0.5", "SEED": "4"}
    assert with_argument(["t", "--seed", "1", "--x"], "--seed", "2") == ["t", "--seed", "2", "--x"]
    assert with_argument(["t", "--seed=1"], "--seed", "2") == ["t", "--seed=2"]


def test_a_metrics_file_gives_its_numbers_only():
    found = metrics_of('{"loss": 0.3, "epochs": 3, "numpy": "2.1", "ok": true, "val": {"acc": 0.5}, "l": [1]}', "m")
    assert found == {"loss": 0.3, "epochs": 3.0, "val/acc": 0.5}
    for text in ("not json", "[1, 2]"):
        with pytest.raises(UserError, match="m: the metrics file"):
            metrics_of(text, "m")


def checks(**state):
    names = ("record", "image", "environment", "data", "hardware", "training")
    return [Check(name=n, ok=state.get(n, True), detail="") for n in names]


@pytest.mark.parametrize("state, values, same_image, require, expected", [
    ({}, {"loss": 0.5}, True, False, "bit-exact"),
    ({}, {"loss": 0.5}, False, False, "within-tolerance"),  # another image (or seed): never bit-exact
    ({}, {"loss": 0.51}, True, False, "within-tolerance"),
    ({}, {"loss": 0.6}, True, False, "failed"),
    ({}, {}, True, False, "missing-metric"),
    ({"environment": False}, {"loss": 0.5}, True, False, "unverifiable"),
    ({"data": False}, {"loss": 0.5}, True, False, "unverifiable"),
    ({"hardware": False}, {"loss": 0.5}, True, True, "inconclusive"),
    ({"hardware": False}, {"loss": 0.5}, True, False, "within-tolerance"),  # other hardware, not required: judged
    ({"training": False}, {"loss": 0.5}, True, False, "failed"),
])
def test_the_verdict(state, values, same_image, require, expected):
    outcomes = compare({"loss": 0.5}, values, {"loss": Tolerance(rel=0.05)})
    assert judged(checks(**state), outcomes, require_same_hardware=require, same_image=same_image) == expected


def test_require_reproduced_counts_only_a_recent_passing_full_mode():
    now, day = 10 * 86_400_000, 86_400_000
    runs = [{"run_id": "s", "start_time": now - day // 2, "mode": "smoke", "verdict": "bit-exact"},
            {"run_id": "f", "start_time": now - day // 3, "mode": "full", "verdict": "failed"},
            {"run_id": "r", "start_time": now - day // 4, "mode": "smoke", "verdict": "rebaselined"},
            {"run_id": "old", "start_time": now - 9 * day, "mode": "full", "verdict": "within-tolerance"}]
    finding, note = freshness(runs, run_id="abc", days=7, now_ms=now)
    assert finding is not None and finding.kind == "reproduction" and "last passed 9.0 days ago (run old)" in finding.actual
    assert "run r (mode smoke): rebaselined" in note
    assert freshness(runs, run_id="abc", days=10, now_ms=now)[0] is None
    assert freshness([], run_id="abc", days=10, now_ms=now)[0].actual == "never reproduced"


def result(verdict="failed"):
    outcomes = compare({"acc|<b>": 0.9, "loss": 0.5}, {"loss": 0.7}, {"loss": Tolerance(rel=0.05)})
    return Reproduction(label="mlflow:runs:/abc", run_id="abc", mode="full", verdict=verdict,
                        checks=(Check(name="image", ok=True, detail="x"), Check(name="data", ok=None, detail="none")),
                        outcomes=tuple(outcomes), reproduced_by="new")


def test_the_reports_show_each_metric_with_its_rule_and_junit_fails_each_bad_one():
    r = result()
    assert r.exit_code == 1 and r.to_json()["ok"] is False
    table = report.to_table(r)
    assert "FAILED" in table and "rel 0.05, two-sided" in table and "missing" in table
    markdown = report.to_markdown(r)
    assert "acc\\|\\<b\\>" in markdown and "<b>" not in markdown  # a metric name cannot inject HTML
    suite = ET.fromstring(report.to_junit(r)).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "2", "1")
    failed = {c.get("name"): c.find("failure").get("type") for c in suite if c.find("failure") is not None}
    assert failed == {"acc|<b>": "missing", "loss": "failed"}


def test_inconclusive_exits_5_and_fails_its_junit_case():
    r = result("inconclusive")
    assert r.exit_code == 5
    suite = ET.fromstring(report.to_junit(r)).find("testsuite")
    assert any(c.get("name") == "same hardware" and c.find("failure") is not None for c in suite)


def test_rules_over_recorded_ones_add_and_replace():
    recorded_rules = rules_from_json("r", INVOCATION["reproduce"])
    given = rules_from_json("t", {"metrics": {"loss": {"abs": 0.1}, "acc": {"abs": 0.01}}, "same-hardware": True})
    merged = given.over(recorded_rules)
    assert merged.tolerances() == {"loss": Tolerance(abs=0.1), "acc": Tolerance(abs=0.01)}
    assert merged.same_hardware is True and merged.metrics_file == "/workspace/metrics.json"
    assert isinstance(merged, ReproduceRules) and dict(merged.modes)["smoke"].args == ("--epochs", "1")


def test_the_provenance_carries_the_last_verdict_of_this_image_only():
    from envbuild.core.lineage.provenance import Artifact, BuildFacts, provenance_json, with_reproduction

    image_id = "sha256:" + "b" * 64
    facts = BuildFacts(image="x:1", image_id=image_id, repo_digest=None, target="cpu", spec_file="envbuild.yaml",
                       inputs_digest="sha256:1", tag_digest="2", tool_version="0", base=None,
                       lock=Artifact(name="lock", sha256="c" * 64), files=())
    report = json.dumps({"schema": 1, "verdict": "bit-exact", "mode": "full", "image": image_id,
                         "source": "mlflow:runs:/abc", "reproduced_by": "new"})
    statement = json.loads(with_reproduction(provenance_json(facts), report, "r.json"))
    [byproduct] = statement["predicate"]["runDetails"]["byproducts"]
    assert byproduct["annotations"] == {"verdict": "bit-exact", "mode": "full", "source": "mlflow:runs:/abc",
                                        "reproduced_by": "new"}
    other = report.replace("b" * 64, "d" * 64)
    with pytest.raises(UserError, match="not in this image"):
        with_reproduction(provenance_json(facts), other, "r.json")
    with pytest.raises(UserError, match="not a report of envbuild reproduce"):
        with_reproduction(provenance_json(facts), "{}", "r.json")


def test_a_record_cannot_put_options_or_paths_out_of_the_repository_on_a_command_line():
    hostile = dict(INVOCATION, image={"ref": "x", "image_id": "--help", "repo_digests": ["-x", "r/x@sha256:" + "e" * 64]},
                   definition={"commit": "--upload-pack=evil", "path": "../../etc", "target": "cpu"})
    r = recorded_from("x", None, {"invocation.json": json.dumps(hostile)}, {})
    assert "image_id" not in r.image and r.image["repo_digests"] == ["r/x@sha256:" + "e" * 64]
    assert r.definition is None
    fine = dict(INVOCATION, definition={"commit": "a" * 40, "path": "images/train", "target": "cpu"})
    assert recorded_from("x", None, {"invocation.json": json.dumps(fine)}, {}).definition["path"] == "images/train"
