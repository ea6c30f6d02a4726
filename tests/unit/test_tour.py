"""The comparison behind tests/integration/test_readme_tour.py: what counts as the README's shape."""

from __future__ import annotations

from tests.support.tour import Comparison, match, normalise, sessions

README = """\
text
```
$ envbuild lock images/demo
cpu: 8 packages, wrote images/demo/locks/cpu.txt (0.5 s): 8 added
$ docker exec x sh -c "one
>   two"
$ echo $?
1
```
```
$ envbuild lock images/demo
…
done
```
```
not a session
```
"""


def test_sessions_are_the_blocks_with_commands_and_keep_continuations():
    found = sessions(README)
    assert [s.key for s in found] == ["envbuild lock images/demo", "envbuild lock images/demo #2"]
    first = found[0]
    assert [s.command for s in first.steps] == ["envbuild lock images/demo", 'docker exec x sh -c "one\n  two"', "echo $?"]
    assert first.steps[0].shown == ("cpu: 8 packages, wrote images/demo/locks/cpu.txt (0.5 s): 8 added",)
    assert first.steps[1].shown == () and first.steps[2].shown == ("1",) and first.steps[0].line == 3


def test_durations_sizes_digests_and_column_widths_are_not_the_shape():
    assert normalise("x built: sha256:7438ae04b951… (295 MB, 12.6 s: build 11.4 s)") == \
        normalise("x built: sha256:0123456789abcdef0123 (301 MB, 9 s: build 800ms)")
    assert normalise("  high  missing   tqdm") == normalise("  high missing tqdm")
    # Counts, versions and indentation are.
    assert normalise("cpu: 8 packages") != normalise("cpu: 9 packages")
    assert normalise("tqdm 4.70.1") != normalise("tqdm 4.70.0")
    assert normalise("  note: x") != normalise("note: x")
    # A size in bytes is a number, not a digest.
    assert normalise('{"size": 71365442}') == normalise('{"size": 1}')


def test_json_is_compared_by_its_keys_and_kinds_of_value():
    shown = '{"built": false, "id": "sha256:7438ae04b951…", "layers": [{"name": "numpy", "size": 1}]}'
    assert normalise(shown) == normalise('{"built": true, "id": "sha256:ff", "layers": [{"name": "a", "size": 2}]}')
    assert normalise(shown) != normalise('{"built": false, "id": "x", "layers": [], "extra": 1}')
    assert normalise(shown) != normalise('{"built": "no", "id": "x", "layers": [{"name": "a", "size": 2}]}')


def test_elisions_leave_room_and_everything_else_is_anchored():
    shown = ("first", "…", "middle", "…", "last")
    assert isinstance(match(shown, ["first", "a", "middle", "b", "c", "last"]), list)
    assert isinstance(match(shown, ["first", "middle", "last"]), list)
    assert isinstance(match(shown, ["zero", "first", "middle", "last"]), str)  # anchored at the start
    assert isinstance(match(shown, ["first", "middle", "last", "more"]), str)  # and at the end
    assert isinstance(match(shown, ["first", "last"]), str)  # a shown line that is not printed
    assert isinstance(match(("a", "b"), ["a", "x", "b"]), str)  # shown together: printed together
    assert isinstance(match((), ["something"]), str) and match((), []) == []


def test_one_shown_digest_stands_for_one_printed_digest():
    comparison = Comparison()
    comparison.step("build", ("built envbuild/demo:cpu-dbdfe583eea8",), ["built envbuild/demo:cpu-111111111aaa"])
    comparison.step("verify", ("image envbuild/demo:cpu-dbdfe583eea8: ok",), ["image envbuild/demo:cpu-111111111aaa: ok"])
    assert comparison.problems == []
    comparison.step("stale", ("image envbuild/demo:cpu-dbdfe583eea8: ok",), ["image envbuild/demo:cpu-222222222bbb: ok"])
    assert len(comparison.problems) == 1 and "stands for 11111111" in comparison.problems[0]
    comparison.step("other", ("image envbuild/demo:cpu-4c895a9aa8bb: ok",), ["image envbuild/demo:cpu-111111111aaa: ok"])
    assert "are one digest" in comparison.problems[-1]
    comparison.step("free", ("x sha256:5ae3476b1dd1…",), ["x sha256:0000000000aa"], pair=False)
    assert len(comparison.problems) == 2


def test_exact_mode_wants_the_digests_themselves():
    comparison = Comparison(exact=True)
    comparison.step("build", ("sha256:7438ae04b951…",), ["sha256:7438ae04b95112"])
    assert comparison.problems == []
    comparison.step("build", ("sha256:7438ae04b951…",), ["sha256:7438ae04b95999"])
    assert "the README shows 7438ae04b951" in comparison.problems[0]


def test_a_readme_command_names_the_tag_printed_in_its_place():
    comparison = Comparison()
    comparison.step("build", ("built envbuild/demo:cpu-dbdfe583eea8",), ["built envbuild/demo:cpu-111111111aaa"])
    assert comparison.translate("envbuild verify --image envbuild/demo:cpu-dbdfe583eea8 --files") == \
        "envbuild verify --image envbuild/demo:cpu-111111111aaa --files"
    assert comparison.translate("docker run envbuild/demo:cpu-4284c9ea0a79") == "docker run envbuild/demo:cpu-4284c9ea0a79"
