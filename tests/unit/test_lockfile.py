import pytest

from envbuild.core.lockdiff import diff_pins
from envbuild.core.lockfile import LockFile, LockHeader, Pin, parse_lock, parse_pins, read_inputs_digest, render_lock
from envbuild.core.redact import redact_text, strip_credentials
from envbuild.errors import UserError

HEADER = LockHeader(target="cpu", python="3.11", platform="linux/amd64", resolver="uv",
                    inputs_digest="sha256:" + "a" * 64, inputs=(("requirements.in", "sha256:" + "b" * 64),),
                    exclude_newer="2026-11-01T00:00:00Z", command="envbuild lock images/demo --target cpu",
                    cuda_runtime="12.1 (torch 2.4.1+cu121)")
PINS = (Pin(name="numpy", version="2.1.0", hashes=("sha256:" + "2" * 64, "sha256:" + "1" * 64)),
        Pin(name="torch", version="2.4.1+cpu", hashes=("sha256:" + "3" * 64,), marker='sys_platform == "linux"'))


def make(**kw) -> LockFile:
    return LockFile(header=HEADER, pins=PINS, **kw)


def test_render_is_sorted_pip_format_and_round_trips():
    lock = make(extra_index_urls=("https://download.pytorch.org/whl/cpu",))
    text = render_lock(lock)
    assert "numpy==2.1.0 \\\n    --hash=sha256:1111" in text  # hashes sorted
    assert 'torch==2.4.1+cpu ; sys_platform == "linux" \\\n' in text
    assert "--extra-index-url https://download.pytorch.org/whl/cpu\n" in text
    assert "--index-url" not in text  # PyPI is pip's default: not written
    assert "# cuda-runtime: 12.1 (torch 2.4.1+cu121)\n" in text
    parsed = parse_lock(text, "cpu.txt")
    assert parsed.header == HEADER
    assert parsed.pins == tuple(sorted((Pin(name=p.name, version=p.version, hashes=tuple(sorted(p.hashes)),
                                            marker=p.marker) for p in PINS), key=lambda p: p.name))
    assert read_inputs_digest(text) == HEADER.inputs_digest
    assert render_lock(parsed) == text


def test_literal_credentials_never_reach_the_file_but_env_references_do():
    text = render_lock(make(index_url="https://user:s3cret@mirror.corp/simple",
                            extra_index_urls=("https://${USER}:${TOKEN}@private.corp/simple",)))
    assert "s3cret" not in text and "user:" not in text
    assert "--index-url https://mirror.corp/simple" in text
    assert "--extra-index-url https://${USER}:${TOKEN}@private.corp/simple" in text


def test_redaction_of_free_text():
    assert redact_text("Failed to fetch https://tok:pw@h.example/simple/x/") == "Failed to fetch https://***@h.example/simple/x/"
    assert strip_credentials("https://h.example/simple") == "https://h.example/simple"


@pytest.mark.parametrize("text, message", [
    ("numpy==1.0 --hash=sha256:00\n", "not an envbuild lock file"),
    ("# envbuild-lock: 9\nnumpy==1.0\n", "lock format version 9 is not supported"),
    ("# envbuild-lock: 2\n# target: cpu\n", "header is missing python, platform, inputs-digest, body-sha256"),
    ("# envbuild-lock: 1\n# target: cpu\n", "lock format 1 records no digest of its body"),
])
def test_parse_lock_dispatches_on_version_and_refuses_what_it_cannot_read(text, message):
    with pytest.raises(UserError, match=message):
        parse_lock(text, "cpu.txt")


@pytest.mark.parametrize("body, message", [("numpy>=1.0 --hash=sha256:00\n", "not pinned with '=='"),
                                           ("numpy==1.0\n", "has no --hash")])
def test_every_line_must_be_pinned_and_hashed(body, message):
    with pytest.raises(UserError, match=message):
        parse_pins(body, "x")


def test_diff_pins_reports_each_kind_of_change():
    old = [Pin(name="a", version="1.0", hashes=("sha256:1",)), Pin(name="b", version="2.0", hashes=("sha256:2",)),
           Pin(name="c", version="1.0", hashes=("sha256:3",)), Pin(name="d", version="1.0", hashes=("sha256:4",)),
           Pin(name="f", version="1.0", hashes=("sha256:6",))]
    new = [Pin(name="a", version="1.1", hashes=("sha256:1",)), Pin(name="b", version="1.9", hashes=("sha256:2",)),
           Pin(name="d", version="1.0", hashes=("sha256:9",)), Pin(name="e", version="0.1", hashes=("sha256:5",)),
           Pin(name="f", version="1.0", hashes=("sha256:6", "sha256:7"))]
    assert [(c.kind, c.name, c.old, c.new) for c in diff_pins(old, new)] == [
        ("upgraded", "a", "1.0", "1.1"), ("downgraded", "b", "2.0", "1.9"), ("removed", "c", "1.0", None),
        ("rehashed", "d", "1.0", "1.0"), ("added", "e", None, "0.1")]  # f only gained a wheel: no change


def test_markers_are_settled_for_the_target():
    from envbuild.core.target_env import settle_markers

    pins = [Pin(name="a", version="1", hashes=("sha256:1",), marker='python_version >= "3.8"'),
            Pin(name="b", version="1", hashes=("sha256:2",), marker='sys_platform == "win32"'),
            Pin(name="c", version="1", hashes=("sha256:3",), marker='platform_machine == "aarch64"'),
            Pin(name="d", version="1", hashes=("sha256:4",), marker='python_full_version >= "3.11.2"'),
            Pin(name="e", version="1", hashes=("sha256:5",))]
    amd = settle_markers(pins, "3.11", "linux/amd64")
    assert [(p.name, p.marker) for p in amd] == [("a", None), ("d", 'python_full_version >= "3.11.2"'), ("e", None)]
    assert [p.name for p in settle_markers(pins, "3.11", "linux/arm64")] == ["a", "c", "d", "e"]


def test_process_timeout_kills_and_reports(tmp_path):
    import time

    from envbuild.adapters.process import run
    from envbuild.errors import ToolUnavailable

    start = time.monotonic()
    with pytest.raises(ToolUnavailable, match="did not finish within 1 s"):
        run(["sleep", "30"], timeout=1)
    assert time.monotonic() - start < 5
    done = run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")


@pytest.mark.parametrize("ref, expected", [
    ("team/model:cpu-ab12", ("team/model", "cpu-ab12")),
    ("127.0.0.1:5000/team/model:cpu", ("127.0.0.1:5000/team/model", "cpu")),
    ("127.0.0.1:5000/team/model", ("127.0.0.1:5000/team/model", "latest")),
    ("debian", ("debian", "latest")),
])
def test_split_ref_handles_registry_ports(ref, expected):
    from envbuild.adapters.docker import split_ref

    assert split_ref(ref) == expected
