"""core/digest.py: digests that ignore key order and formatting, and say which input changed."""

from envbuild.core.digest import changed_components, combine, digest_of


def test_a_digest_ignores_key_order_but_not_values():
    assert digest_of({"a": 1, "b": [1, 2]}) == digest_of({"b": [1, 2], "a": 1})
    assert digest_of({"a": 1, "b": [2, 1]}) != digest_of({"a": 1, "b": [1, 2]})
    assert digest_of({"a": 1}).startswith("sha256:") and len(digest_of({})) == 71
    assert combine({"x": "sha256:1", "y": "sha256:2"}) == combine({"y": "sha256:2", "x": "sha256:1"})


def test_changed_components_name_each_input():
    old = {"envbuild.yaml (target cpu)": "1", "requirements.in": "2", "old.in": "3"}
    new = {"envbuild.yaml (target cpu)": "1", "requirements.in": "9", "new.in": "4"}
    assert changed_components(old, new) == ["added input new.in", "removed input old.in", "changed requirements.in"]
