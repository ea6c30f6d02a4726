"""core/lock/pip_format.py: the pip requirements lock format."""

import os
from pathlib import Path

import pytest

from envbuild.core.lock import Lock, Package, lock_file_name, read_lock, render_lock, pip_format
from envbuild.errors import LockError, UserError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "lock_format.txt"
PINS = (Package(name="numpy", version="2.1.0", hashes=("sha256:" + "2" * 64, "sha256:" + "1" * 64)),
        Package(name="torch", version="2.4.1+cpu", hashes=("sha256:" + "3" * 64,), marker='sys_platform == "linux"',
                size=185_432_100))


def make(**kw) -> Lock:
    fields = dict(format="requirements", target="cpu", python="3.11", platform="linux/amd64", resolver="uv",
                  inputs_digest="sha256:" + "a" * 64, inputs=(("requirements.in", "sha256:" + "b" * 64),),
                  exclude_newer="2026-11-01T00:00:00Z", command="envbuild lock images/demo --target cpu",
                  cuda_runtime="12.1 (torch 2.4.1+cu121)", packages=PINS)
    return Lock(**(fields | kw))


def test_render_is_sorted_pip_format_and_round_trips():
    lock = make(extra_index_urls=("https://download.pytorch.org/whl/cpu",))
    text = render_lock(lock)
    assert "numpy==2.1.0 \\\n    --hash=sha256:1111" in text  # hashes sorted
    assert 'torch==2.4.1+cpu ; sys_platform == "linux" \\\n' in text
    assert "--extra-index-url https://download.pytorch.org/whl/cpu\n" in text
    assert "--index-url" not in text  # PyPI is pip's default: not written
    assert "# cuda-runtime: 12.1 (torch 2.4.1+cu121)\n" in text
    parsed = read_lock(text, "cpu.txt")
    sorted_pins = tuple(sorted((Package(name=p.name, version=p.version, hashes=tuple(sorted(p.hashes)),
                                        marker=p.marker, size=p.size) for p in PINS), key=lambda p: p.name))
    assert parsed == Lock(**(vars(lock) | {"packages": sorted_pins}))
    assert render_lock(parsed) == text


def test_sizes_are_header_lines_outside_the_body_digest():
    text = render_lock(make())
    assert "# size: torch 185432100\n" in text and "# size: numpy" not in text  # only what the index told
    without = render_lock(make(packages=tuple(Package(name=p.name, version=p.version, hashes=p.hashes, marker=p.marker)
                                              for p in PINS)))
    assert pip_format.lock_body(text) == pip_format.lock_body(without)
    assert read_lock(text, "cpu.txt").package("torch").size == 185_432_100
    assert read_lock(text.replace("185432100", "lots"), "cpu.txt").package("torch").size is None


def test_the_format_is_stable_byte_for_byte():
    """The golden file is what a user's lock looks like: a change here changes every lock in every
    repository (regenerate with ENVBUILD_UPDATE_GOLDEN=1, and say so in the change)."""
    text = render_lock(make())
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert lock_file_name("cpu", "requirements") == "cpu.txt"


def test_literal_credentials_never_reach_the_file_but_env_references_do():
    text = render_lock(make(index_url="https://user:s3cret@mirror.corp/simple",
                            extra_index_urls=("https://${USER}:${TOKEN}@private.corp/simple",)))
    assert "s3cret" not in text and "user:" not in text
    assert "--index-url https://mirror.corp/simple" in text
    assert "--extra-index-url https://${USER}:${TOKEN}@private.corp/simple" in text


@pytest.mark.parametrize("text, message", [
    ("numpy==1.0 --hash=sha256:00\n", "cpu.txt: not an envbuild lock file"),
    ("# envbuild-lock: 9\nnumpy==1.0\n", "cpu.txt: header.envbuild-lock: lock format version 9 is not supported"),
    ("# envbuild-lock: 2\n# target: cpu\n", "header is missing python, platform, inputs-digest, body-sha256"),
    ("# envbuild-lock: 1\n# target: cpu\n", "lock format 1 records no digest of its body"),
])
def test_parse_lock_dispatches_on_version_and_refuses_what_it_cannot_read(text, message):
    with pytest.raises(LockError, match=message):
        read_lock(text, "cpu.txt")


@pytest.mark.parametrize("body, message", [("numpy>=1.0 --hash=sha256:00\n", "x: line 1: 'numpy>=1.0' is not pinned"),
                                           ("\nnumpy==1.0\n", "x: line 2: numpy==1.0 has no --hash")])
def test_every_line_must_be_pinned_and_hashed(body, message):
    with pytest.raises(UserError, match=message):
        pip_format.parse_pins(body, "x")


def test_markers_are_settled_for_the_target():
    pins = [Package(name="a", version="1", hashes=("sha256:1",), marker='python_version >= "3.8"'),
            Package(name="b", version="1", hashes=("sha256:2",), marker='sys_platform == "win32"'),
            Package(name="c", version="1", hashes=("sha256:3",), marker='platform_machine == "aarch64"'),
            Package(name="d", version="1", hashes=("sha256:4",), marker='python_full_version >= "3.11.2"'),
            Package(name="e", version="1", hashes=("sha256:5",))]
    amd = pip_format.settle_markers(pins, "3.11", "linux/amd64")
    assert [(p.name, p.marker) for p in amd] == [("a", None), ("d", 'python_full_version >= "3.11.2"'), ("e", None)]
    assert [p.name for p in pip_format.settle_markers(pins, "3.11", "linux/arm64")] == ["a", "c", "d", "e"]


@pytest.mark.parametrize("line", [
    "Numpy==1.0 --hash=sha256:AB01 --hash=sha256:0c",         # the usual form (after the lines are joined)
    "Numpy==1.0 --hash sha256:AB01 --hash=sha256:0c",         # a space instead of '='
    "Numpy==1.0  --hash=sha256:AB01 --hash=sha256:0c",        # two spaces
    "Numpy==1.0 --hash=sha256:0c --hash=sha256:ab01",         # another order, another case
])
def test_a_pin_reads_the_same_however_its_hashes_are_spelled(line):
    """Lock lines take a short way (split at ' --hash='), anything else the pattern: both agree."""
    (package,) = pip_format.parse_pins(line + "\n", "x").packages
    assert (package.name, package.version, package.hashes) == ("numpy", "1.0", ("sha256:0c", "sha256:ab01"))


@pytest.mark.parametrize("line, message", [
    ("numpy==1.0 --hash=sha256:zz", "is not pinned"),     # not hex: not a hash, so part of the requirement
    ("numpy==1.0 --hash=sha256:ab extra", "is not pinned"),  # something after a hash
    ("numpy --hash=sha256:ab", "is not pinned"),
])
def test_a_line_the_short_way_cannot_take_is_judged_by_the_pattern(line, message):
    with pytest.raises(LockError, match=message):
        pip_format.parse_pins(line + "\n", "x")


def test_sizes_are_given_to_the_pins_as_they_are_read():
    lock = pip_format.parse_pins("a==1 --hash=sha256:01\nb==2 --hash=sha256:02\n", "x", sizes={"a": 7})
    assert [(p.name, p.size) for p in lock.packages] == [("a", 7), ("b", None)]
