"""The snapshot's shape: what is refused, with which key path."""

from __future__ import annotations

import pytest

from envbuild.core.check.snapshot import InvalidSnapshot, validate_snapshot

GOOD = {"schema": 1, "interpreter": {"version": "3.11.7"}, "distributions": [
    {"name": "a", "version": "1", "location": "/s", "files": {"checked": 1, "modified": [], "missing": [],
                                                                "unreadable": []}}],
        "extra-key-from-a-newer-probe": [1, 2]}


def test_a_good_snapshot_passes_with_keys_it_does_not_know():
    assert validate_snapshot(GOOD) is GOOD


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
        validate_snapshot(data)


def test_not_a_mapping_at_all():
    with pytest.raises(InvalidSnapshot, match=r"\(top level\): expected a mapping, got a list"):
        validate_snapshot([1])
