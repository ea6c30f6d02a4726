"""core/lineage/data.py: what `dvc status` says of a workspace, and two records of DVC outputs compared."""

from __future__ import annotations

import pytest

from envbuild.core.lineage.data import checked_outputs, compare_outputs, status_findings
from envbuild.errors import UserError


def test_every_changed_path_of_dvc_status_is_a_finding_and_up_to_date_is_none():
    assert status_findings({}, "ws") == []
    found = status_findings({
        "train": [{"changed deps": {"data/prepared": "modified"}}, {"changed outs": {"model.pkl": "deleted"}},
                  "changed command"],
        "raw.csv.dvc": [{"changed outs": {"raw.csv": "not in cache"}}],
    }, "ws")
    assert [(f.kind, f.name, f.expected, f.actual, f.detail) for f in found] == [
        ("data", "raw.csv", "as raw.csv.dvc has it", "not in cache", "raw.csv.dvc: changed outs"),
        ("data", "data/prepared", "as dvc.lock has it", "modified", "train: changed deps"),
        ("data", "model.pkl", "as dvc.lock has it", "deleted", "train: changed outs"),
        ("data", "train", "as in dvc.lock", "changed command", "dvc status"),
    ]


def test_a_dvc_status_of_another_shape_is_refused_or_read_as_far_as_it_goes():
    with pytest.raises(UserError, match="expected a JSON object"):
        status_findings(["modified"], "ws")
    odd = status_findings({"s": [7, {"changed outs": "everything"}]}, "ws")  # never a crash, never silence
    assert [(f.name, f.actual) for f in odd] == [("s", "changed outs")]


OUT = {"stage": "prepare", "path": "data/prepared", "hash": "md5", "value": "aa.dir", "size": 10, "nfiles": 2}


def test_outputs_compared_by_hash_and_by_presence():
    assert compare_outputs([OUT], [dict(OUT, size=99)], expected_label="run", actual_label="dvc.lock") == []
    other = dict(OUT, value="bb.dir", size=12, nfiles=1)
    (changed,) = compare_outputs([OUT], [other], expected_label="run", actual_label="dvc.lock")
    assert (changed.kind, changed.name, changed.expected, changed.actual) == ("data", "data/prepared", "md5:aa.dir",
                                                                              "md5:bb.dir")
    assert changed.detail == "other data than run (10 bytes, 2 files → 12 bytes, 1 file)"
    model = {"stage": "train", "path": "model.pkl", "hash": "md5", "value": "cc"}
    gone, new = compare_outputs([OUT], [model], expected_label="run", actual_label="dvc.lock")
    assert (gone.name, gone.actual, gone.detail) == ("data/prepared", "not versioned", "only in run")
    assert (new.name, new.expected, new.detail) == ("model.pkl", "not versioned", "only in dvc.lock")
    assert [f.name for f in compare_outputs([OUT], [dict(OUT, hash="sha256")], expected_label="a",
                                            actual_label="b")] == ["data/prepared"]


@pytest.mark.parametrize(("value", "message"), [
    ({"path": "x"}, "outputs: expected a list"),
    (["x"], "outputs[0]: expected a mapping"),
    ([dict(OUT, value=3)], "outputs[0].value: expected a string"),
    ([dict(OUT, size="big")], "outputs[0].size: expected an integer"),
    ([dict(OUT, nfiles=True)], "outputs[0].nfiles: expected an integer"),
])
def test_recorded_outputs_of_the_wrong_shape_are_refused_at_their_key(value, message):
    with pytest.raises(UserError) as caught:
        checked_outputs(value, "run: dvc.json")
    assert message in caught.value.message
    assert checked_outputs([OUT], "run") == [OUT]
