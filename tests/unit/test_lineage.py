"""core/lineage/record.py: MLflow source names and what a record holds."""

from __future__ import annotations

import json

import pytest

from envbuild.core.lineage.record import Source, parse_source, record_artifacts
from envbuild.errors import UserError
from tests.support.snapshots import snap as typed


@pytest.mark.parametrize(("text", "parsed"), [
    ("mlflow:runs:/0a1b2c", Source(run_id="0a1b2c")),
    ("mlflow:models:/fraud/3", Source(model="fraud", version="3")),
    ("mlflow:models:/fraud@champion", Source(model="fraud", alias="champion")),
])
def test_sources_parse_and_name_themselves_back(text, parsed):
    assert parse_source(text) == parsed and parsed.label == text


@pytest.mark.parametrize("text", ["mlflow:runs:/", "mlflow:runs:/a/../b", "mlflow:models:/fraud", "mlflow:models:/x/v1",
                                  "mlflow:models:/x@", "mlflow:experiments:/1", "mlflow:runs:/" + "a" * 65])
def test_anything_else_is_refused_with_the_three_forms(text):
    with pytest.raises(UserError) as caught:
        parse_source(text)
    assert "not an MLflow source" in caught.value.message and "mlflow:models:/<name>@<alias>" in caught.value.hint


def test_an_image_record_takes_its_facts_from_the_engine_and_strips_dirty():
    snapshot = {"schema": 1, "interpreter": {}, "distributions": [], "taken": {"from": "image x", "at": "t"},
                "envbuild": {"image": {"inputs_digest": "inside", "target": "cpu"}},
                "engine": {"image_id": "sha256:abc", "ref": "envbuild/demo:cpu-1",
                           "labels": {"dev.envbuild.inputs-digest": "sha256:engine",
                                      "org.opencontainers.image.revision": "f00d-dirty"}}}
    artifacts, tags = record_artifacts(typed(snapshot), lock=("requirements", "lock text\n"), sbom="{}", source="image x",
                                       git_commit="ignored", tool_version="9")
    assert sorted(artifacts) == ["image.json", "lock.txt", "record.json", "sbom.cdx.json", "snapshot.json"]
    assert tags["envbuild.image"] == "envbuild/demo:cpu-1" and tags["envbuild.image.id"] == "sha256:abc"
    assert tags["envbuild.inputs-digest"] == "sha256:engine"  # the label, not the file inside the image
    assert (tags["envbuild.git.commit"], tags["envbuild.git.dirty"]) == ("f00d", "true")
    assert json.loads(artifacts["record.json"])["tags"] == tags


def test_a_plain_interpreter_record_has_no_image_or_lock_tags():
    _, tags = record_artifacts(typed({"schema": 1, "interpreter": {}, "distributions": []}), lock=None, sbom=None,
                               source="this interpreter", git_commit=None, tool_version="9")
    assert tags == {"envbuild.version": "9", "envbuild.source": "this interpreter"}


DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw.csv
      hash: md5
      md5: 0cc175b9c0f1b6a831c399e269772661
      size: 10
    outs:
    - path: data/prepared
      hash: md5
      md5: 92eb5ffee6ae2fec3ad71c777531578f.dir
      size: 2048
      nfiles: 3
  train:
    cmd: python train.py
    outs:
    - path: model.pkl
      md5: 4a8a08f09d37b73795649038408b5f33
      size: 99
"""


def test_dvc_lock_outputs_are_recorded_as_dvc_wrote_them():
    import yaml

    from envbuild.core.lineage.data import dvc_outputs

    assert dvc_outputs(yaml.safe_load(DVC_LOCK), "dvc.lock") == [
        {"stage": "prepare", "path": "data/prepared", "hash": "md5", "value": "92eb5ffee6ae2fec3ad71c777531578f.dir",
         "size": 2048, "nfiles": 3},
        {"stage": "train", "path": "model.pkl", "hash": "md5", "value": "4a8a08f09d37b73795649038408b5f33", "size": 99}]
    artifacts, tags = record_artifacts(typed({"schema": 1}), lock=None, sbom=None, source="s", git_commit=None, tool_version="9",
                                       data=dvc_outputs(yaml.safe_load(DVC_LOCK), "dvc.lock"))
    assert json.loads(artifacts["dvc.json"])["outputs"][1]["path"] == "model.pkl" and tags["envbuild.dvc.outputs"] == "2"


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]", "not a dvc.lock"),
    ("schema: '1.0'\nstages: {}\n", "schema: '1.0' is not supported"),
    ("schema: '2.0'\nstages:\n  a:\n    outs: {path: x}\n", "stages.a.outs: expected a list"),
    ("schema: '2.0'\nstages:\n  a:\n    outs:\n    - path: 3\n", "stages.a.outs[0].path: expected a string"),
    ("schema: '2.0'\nstages:\n  a:\n    outs:\n    - path: x\n      md5: [1]\n", "stages.a.outs[0].md5: expected"),
])
def test_a_dvc_lock_of_the_wrong_shape_is_refused_at_its_key_path(text, message):
    import yaml

    from envbuild.core.lineage.data import dvc_outputs

    with pytest.raises(UserError) as caught:
        dvc_outputs(yaml.safe_load(text), "dvc.lock")
    assert message in caught.value.message
