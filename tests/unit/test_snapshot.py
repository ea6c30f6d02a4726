"""The snapshot: what is refused, with which key path; the records it reads into; the JSON it
writes back (what came, byte for byte)."""

from __future__ import annotations

import pytest

from envbuild.core.snapshot import FileVerdict, InvalidSnapshot, Snapshot, read_snapshot, stamped

GOOD = {"schema": 1, "interpreter": {"version": "3.11.7"}, "distributions": [
    {"name": "a", "version": "1", "location": "/s", "files": {"checked": 1, "modified": [], "missing": [],
                                                                "unreadable": []}}],
        "extra-key-from-a-newer-probe": [1, 2]}


def test_a_good_snapshot_reads_into_records_and_writes_back_what_came_unknown_keys_too():
    snapshot = read_snapshot(GOOD)
    assert isinstance(snapshot, Snapshot) and snapshot.interpreter.version == "3.11.7"
    (dist,) = snapshot.distributions
    assert (dist.name, dist.location, dist.files) == ("a", "/s", FileVerdict(checked=1))
    assert dist.shadowed_by is None and dist.top_level == ()  # keys the probe left out: their defaults
    assert snapshot.to_dict() == GOOD  # no default written that did not come, the newer probe's key kept


def test_a_real_probe_answer_writes_back_byte_for_byte():
    """The probe of this interpreter, with --files: every record of a real answer, and its JSON again."""
    import json
    import subprocess
    import sys

    from envbuild.adapters.places import probe_source

    done = subprocess.run([sys.executable, "-I", "-S", "-B", "-", "--files"], input=probe_source(), text=True,
                          capture_output=True, timeout=300, check=True)
    answer = json.loads(done.stdout)
    text = json.dumps(answer, indent=2, sort_keys=True)
    assert json.dumps(read_snapshot(answer).to_dict(), indent=2, sort_keys=True) == text
    assert len(read_snapshot(answer).distributions) == len(answer["distributions"]) > 10


def test_what_envbuild_sets_is_written_and_a_made_record_writes_every_field():
    snapshot = stamped(read_snapshot(GOOD), source="venv", at="2026-12-06T00:00:00Z",
                       data=("dvc.lock", [{"stage": "s", "path": "p", "hash": "md5", "value": "v"}]))
    written = snapshot.to_dict()
    assert written["taken"] == {"from": "venv", "at": "2026-12-06T00:00:00Z"}
    assert written["data"] == {"dvc_lock": "dvc.lock", "outputs": [{"stage": "s", "path": "p", "hash": "md5",
                                                                     "value": "v"}]}
    assert FileVerdict().to_dict() == {"checked": 0, "modified": [], "missing": [], "unreadable": []}


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(schema=2), "schema: version 2 is not supported"),
    (lambda d: d.pop("distributions"), "distributions: missing"),
    (lambda d: d["distributions"][0].update(version=None), r"distributions\[0\]\.version: expected a string, got null"),
    (lambda d: d["distributions"][0]["files"].update(checked=True), r"files\.checked: expected an integer, got a boolean"),
    (lambda d: d["distributions"][0]["files"].update(modified="x"), r"files\.modified: expected a list, got a string"),
    (lambda d: d.update(site_files={"/s": {"a.py": 5}}), r"site_files\./s\.a\.py: expected a string, got a number"),
    (lambda d: d.update(interpreter=[]), "interpreter: expected a mapping, got a list"),
    (lambda d: d.update(data={"dvc_lock": "dvc.lock"}), "data.outputs: missing"),
    (lambda d: d.update(data={"outputs": [{"stage": "s", "path": "p", "hash": "md5", "value": 5}]}),
     r"data\.outputs\[0\]\.value: expected a string, got a number"),
])
def test_a_wrong_shape_names_its_key(change, message):
    import copy

    data = copy.deepcopy(GOOD)
    change(data)
    with pytest.raises(InvalidSnapshot, match=message):
        read_snapshot(data)


def test_not_a_mapping_at_all():
    with pytest.raises(InvalidSnapshot, match=r"\(top level\): expected a mapping, got a list"):
        read_snapshot([1])
