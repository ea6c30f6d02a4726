"""envbuild lock against the local index: no internet needed."""

from __future__ import annotations

import json

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO, assert_no_traceback, hermetic_env

GOLDEN = REPO / "tests" / "golden"


def spec(index_url: str, *, extra: str = "", python: str = "3.11", exclude_newer: str = "2026-05-01") -> str:
    return f"""\
name: fixture
python: "{python}"
exclude-newer: {exclude_newer}
index: {index_url}
requirements: requirements.in
targets:
  cpu: {{}}
{extra}"""


@pytest.fixture
def image(make_image, index):
    return make_image(spec(index.url), {"requirements.in": "alpha\nepsilon  # pinned by date\n"})


def body(text: str) -> str:
    return text.split("\n\n", 1)[1]


def test_lock_matches_golden_and_is_installable_shape(image, index, cli):
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    text = (image / "locks" / "cpu.txt").read_text()
    golden = GOLDEN / "lock_cpu.txt"
    # The index URL (random port) feeds the settings digest; mask just the two lines it changes.
    normalised = re.sub(r"(# inputs-digest: |\(target cpu\): )sha256:[0-9a-f]{64}", r"\1{DIGEST}",
                        text.replace(index.url, "{INDEX}"))
    normalised = re.sub(r"# body-sha256: [0-9a-f]{64}", "# body-sha256: {DIGEST}", normalised)  # covers the URL
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        golden.write_text(normalised)
    assert normalised == golden.read_text()
    # What the user sees: one line per target, and resolver progress on stderr; each change with -v.
    assert result.stdout.splitlines() == [line for line in result.stdout.splitlines() if line.startswith("cpu: ")]
    assert re.fullmatch(r"cpu: 5 packages, wrote \S+/img/locks/cpu.txt \([0-9.]+ s\): 5 added\n", result.stdout), \
        result.stdout
    assert "[cpu] resolving 2 requirements with uv" in result.stderr
    verbose = cli("lock", str(image), "--upgrade", "-v")
    assert verbose.returncode == 0 and "no version changes" in verbose.stdout
    (image / "locks" / "cpu.txt").unlink()
    verbose = cli("lock", str(image), "-v")
    assert "  added      alpha 2.0" in verbose.stdout and "  added      delta 1.0" in verbose.stdout


def test_lock_reports_as_json_and_markdown_and_in_the_job_summary(image, cli, tmp_path):
    from tests.conftest import hermetic_env

    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = cli("lock", str(image), "--json", env=hermetic_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [cpu] = report["targets"]
    assert cpu["target"] == "cpu" and cpu["written"] is True and cpu["packages"] == 5 and cpu["summary"] == "5 added"
    assert {"kind": "added", "name": "alpha", "old": None, "new": "2.0"} in cpu["changes"]
    text = summary.read_text()
    assert text.startswith("earlier step\n### envbuild lock\n") and "| alpha | - | 2.0 |" in text
    checked = cli("lock", str(image), "--check", "--json")
    assert checked.returncode == 0 and json.loads(checked.stdout)["fresh"] is True
    (image / "requirements.in").write_text("alpha\n")
    stale = cli("lock", str(image), "--check", "--format", "json")
    assert stale.returncode == 1
    [target] = json.loads(stale.stdout)["targets"]
    assert target["fresh"] is False and target["reasons"]
    markdown = cli("lock", str(image), "-f", "markdown")
    assert markdown.returncode == 0 and "#### cpu" in markdown.stdout and "no version changes" not in markdown.stdout


def test_extras_markers_and_exclude_newer_are_honoured(image, index, cli):
    assert cli("lock", str(image)).returncode == 0
    pins = {line.split("==")[0]: line.split("==")[1].split()[0]
            for line in (image / "locks" / "cpu.txt").read_text().splitlines() if "==" in line}
    # alpha 2.0 needs gamma[fast] → delta; gamma's win32-only dependency is not there on Linux;
    # epsilon 2.0 was uploaded after exclude-newer.
    assert pins == {"alpha": "2.0", "beta": "1.1", "gamma": "1.0", "delta": "1.0", "epsilon": "1.0"}


def test_lock_twice_gives_the_same_bytes_and_says_nothing_changed(image, cli):
    assert cli("lock", str(image)).returncode == 0
    path = image / "locks" / "cpu.txt"
    first, mtime = path.read_bytes(), path.stat().st_mtime_ns
    again = cli("lock", str(image))
    assert again.returncode == 0 and "no version changes" in again.stdout and "unchanged" in again.stdout
    assert path.read_bytes() == first and path.stat().st_mtime_ns == mtime


def test_pip_tools_produces_the_same_lock_body(image, make_image, index, cli):
    assert cli("lock", str(image)).returncode == 0
    other = make_image(spec(index.url), {"requirements.in": "alpha\nepsilon\n"}, name="other")
    result = cli("lock", str(other), "--resolver", "pip-tools")
    assert result.returncode == 0, result.stderr
    uv_text = (image / "locks" / "cpu.txt").read_text()
    pt_text = (other / "locks" / "cpu.txt").read_text()
    assert body(uv_text) == body(pt_text)
    assert "# resolver: pip-tools" in pt_text and "--resolver pip-tools" in pt_text


def test_pip_tools_refuses_a_target_the_host_cannot_stand_in_for(make_image, index, cli):
    other = "3.12" if sys.version_info[:2] != (3, 12) else "3.11"
    image = make_image(spec(index.url, python=other), {"requirements.in": "alpha\n"})
    result = cli("lock", str(image), "--resolver", "pip-tools")
    assert result.returncode == 2
    assert f"cannot stand in for this target (Python {other}" in result.stderr and "--resolver uv" in result.stderr
    assert_no_traceback(result)
    assert not (image / "locks").exists()


def test_check_is_offline_fresh_then_stale_with_the_reason(image, index, cli):
    assert cli("lock", str(image)).returncode == 0
    before = sum(index.requests.values())
    fresh = cli("lock", str(image), "--check")
    assert fresh.returncode == 0 and "cpu: up to date" in fresh.stdout
    # Formatting-only edits to the spec and the requirements do not make the lock stale ...
    spec_file, req = image / "envbuild.yaml", image / "requirements.in"
    spec_file.write_bytes(b"# reformatted\r\n" + spec_file.read_bytes().replace(b"\n", b"   \r\n"))
    req.write_bytes(b"# the inputs\r\nalpha   \r\n\r\nepsilon # again\r\n")
    assert cli("lock", str(image), "--check").returncode == 0
    # ... but a requirement change does, and --check says which input changed.
    req.write_text("alpha>=2\nepsilon\n")
    stale = cli("lock", str(image), "--check")
    assert stale.returncode == 1
    assert "cpu: stale" in stale.stdout and "changed requirements.in" in stale.stdout
    assert sum(index.requests.values()) == before  # not a single request to the index


def test_check_reports_a_missing_lock(image, cli):
    result = cli("lock", str(image), "--check")
    assert result.returncode == 1 and "no lock file" in result.stdout


def test_relock_keeps_pins_unless_upgrade(make_image, index, cli):
    image = make_image(spec(index.url), {"requirements.in": "beta<1.1\n"})
    assert cli("lock", str(image)).returncode == 0
    (image / "requirements.in").write_text("beta\n")
    kept = cli("lock", str(image))
    assert kept.returncode == 0 and "beta==1.0" in (image / "locks" / "cpu.txt").read_text()
    upgraded = cli("lock", str(image), "--upgrade")
    assert upgraded.returncode == 0 and "1 upgraded" in upgraded.stdout
    assert "beta==1.1" in (image / "locks" / "cpu.txt").read_text()


def test_includes_and_constraints_are_followed_and_digested(make_image, index, cli):
    image = make_image(spec(index.url), {
        "requirements.in": "-r deps/base.txt\n-c deps/constraints.txt\nepsilon\n",
        "deps/base.txt": "alpha\n",
        "deps/constraints.txt": "beta<1.1\nalpha<2\n",
    })
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    text = (image / "locks" / "cpu.txt").read_text()
    assert "alpha==1.0" in text and "beta==1.0" in text
    assert "#   deps/base.txt: sha256:" in text and "#   deps/constraints.txt: sha256:" in text
    (image / "deps" / "constraints.txt").write_text("beta<1.1\n")
    stale = cli("lock", str(image), "--check")
    assert stale.returncode == 1 and "changed deps/constraints.txt" in stale.stdout


def test_pyproject_dependencies_with_an_extra(make_image, index, cli):
    pyproject = '[project]\nname = "app"\nversion = "1"\ndependencies = ["beta"]\n' \
                '[project.optional-dependencies]\nfast = ["gamma[fast]"]\n'
    image = make_image(spec(index.url).replace("requirements: requirements.in", "requirements: ['pyproject.toml[fast]']"),
                       {"pyproject.toml": pyproject})
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    text = (image / "locks" / "cpu.txt").read_text()
    assert all(f"{n}==" in text for n in ("beta", "gamma", "delta")) and "alpha" not in text


def test_the_lock_installs_with_plain_pip_require_hashes(image, index, cli, tmp_path):
    assert cli("lock", str(image)).returncode == 0
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    done = subprocess.run([*pip, "install", "--require-hashes", "-r", str(image / "locks" / "cpu.txt")],
                          env=hermetic_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    check = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import alpha, beta, gamma, delta, epsilon; print(alpha.__version__, epsilon.__version__)"],
                           capture_output=True, text=True)
    assert check.stdout.split() == ["2.0", "1.0"]


def test_credentials_never_reach_the_lock_or_the_output(make_image, index, cli):
    secret_url = index.url.replace("http://", "http://robot:s3cr3t-t0ken@")
    image = make_image(spec(secret_url), {"requirements.in": "alpha\n"})
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    text = (image / "locks" / "cpu.txt").read_text()
    assert "s3cr3t" not in text + result.stdout + result.stderr and "robot" not in text
    assert f"--index-url {index.url}\n" in text
    # An index that fails must not print the secret either.
    dead = make_image(spec("http://robot:s3cr3t-t0ken@127.0.0.1:9/simple"), {"requirements.in": "alpha\n"}, name="d")
    failed = cli("lock", str(dead))
    assert failed.returncode == 5 and "s3cr3t" not in failed.stderr + failed.stdout


def test_index_credentials_from_the_environment(make_image, index, cli):
    url = index.url.replace("http://", "http://${IDX_USER}:${IDX_TOKEN}@")
    image = make_image(spec(url), {"requirements.in": "beta\n"})
    missing = cli("lock", str(image))
    assert missing.returncode == 2 and "${IDX_USER}, which is not set" in missing.stderr
    ok = cli("lock", str(image), env=hermetic_env(IDX_USER="u", IDX_TOKEN="hunter2"))
    assert ok.returncode == 0, ok.stderr
    text = (image / "locks" / "cpu.txt").read_text()
    assert "hunter2" not in text and "${IDX_USER}:${IDX_TOKEN}@" in text  # pip expands these at install


# ---------------------------------------------------------------- error paths: code, one line, no partial file


@pytest.mark.parametrize("name, spec_text, files, code, message", [
    ("malformed-yaml", "name: x\ntargets: [\n", {}, 2, "envbuild.yaml: invalid YAML: line 3"),
    ("unknown-key", None, {"requirements.in": "alpha\n"}, 2, "envbuild.yaml: targets.cpu.bsae: unknown key"),
    ("missing-input", None, {}, 2, "envbuild.yaml: requirements: file not found: requirements.in"),
    ("vcs", None, {"requirements.in": "alpha\ngit+https://github.com/huggingface/peft.git\n"}, 2,
     "requirements.in:2: 'git+https://github.com/huggingface/peft.git' is a VCS requirement"),
    ("unresolvable", None, {"requirements.in": "alpha>=1\nomega\n"}, 3, "cannot be satisfied together"),
    ("no-such-package", None, {"requirements.in": "no-such-package-anywhere\n"}, 3, "cannot be satisfied"),
    ("python-too-old", None, {"requirements.in": "modern\n"}, 3, "cannot be satisfied"),
])
def test_error_paths_exit_code_one_clear_message_and_previous_lock_untouched(
        make_image, index, cli, name, spec_text, files, code, message):
    text = spec_text if spec_text is not None else spec(index.url)
    if name == "unknown-key":
        text = text.replace("cpu: {}", "cpu: {bsae: x}")
    image = make_image(text, files, name=name)
    previous = "# not touched\n"
    (image / "locks").mkdir()
    (image / "locks" / "cpu.txt").write_text(previous)
    result = cli("lock", str(image))
    assert result.returncode == code, result.stderr
    assert_no_traceback(result)
    first = result.stderr.splitlines()[[i for i, line in enumerate(result.stderr.splitlines())
                                        if line.startswith("envbuild: error:")][0]]
    assert message in first
    assert (image / "locks" / "cpu.txt").read_text() == previous
    assert sorted(p.name for p in (image / "locks").iterdir()) == ["cpu.txt"]  # no temp file left behind


def test_unreachable_index_is_exit_5(make_image, cli):
    image = make_image(spec("http://127.0.0.1:9/simple"), {"requirements.in": "alpha\n"})
    result = cli("lock", str(image))
    assert result.returncode == 5 and "could not be reached" in result.stderr
    assert_no_traceback(result)


def test_a_missing_spec_and_an_unknown_target(tmp_path, image, cli):
    assert cli("lock", str(tmp_path / "nowhere")).returncode == 2
    result = cli("lock", str(image), "--target", "gpu")
    assert result.returncode == 2 and "no target named 'gpu' (defined: cpu)" in result.stderr


def test_debug_shows_the_traceback(tmp_path, cli):
    result = cli("--debug", "lock", str(tmp_path))
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_targets_lock_in_parallel_but_a_bad_input_in_one_stops_all(make_image, index, cli):
    text = spec(index.url, extra="  gpu:\n    requirements: [gpu.in]\n")
    image = make_image(text, {"requirements.in": "alpha\n", "gpu.in": "delta\n"})
    result = cli("lock", str(image))
    assert result.returncode == 0, result.stderr
    assert {p.name for p in (image / "locks").iterdir()} == {"cpu.txt", "gpu.txt"}
    gpu = (image / "locks" / "gpu.txt").read_text()
    assert "#   gpu.in: sha256:" in gpu and "gpu.in" not in (image / "locks" / "cpu.txt").read_text()
    bad = make_image(text, {"requirements.in": "alpha\n", "gpu.in": "git+https://github.com/x/y.git\n"}, name="bad")
    failed = cli("lock", str(bad))
    assert failed.returncode == 2 and "gpu.in:1" in failed.stderr and not (bad / "locks").exists()


def test_a_lock_with_a_stray_binary_byte_is_bad_input_and_render_dash_o_dash_is_stdout(locked, cli, tmp_path):
    """Issue 35's defects: `lock --check` of a lock that is not UTF-8 was an internal error (exit 70), and
    `render -o -` wrote a file named '-'."""
    import shutil

    image = tmp_path / "img"
    shutil.copytree(locked, image)
    spec = image / "envbuild.yaml"  # a base pinned by digest: render needs no engine
    spec.write_text(spec.read_text() + f"base: python:3.11-slim@sha256:{'a' * 64}\n")
    lock = image / "locks" / "cpu.txt"
    lock.write_bytes(lock.read_bytes() + b"\xff\n")
    for command in (["lock", str(image), "--check"], ["render", str(image)]):
        done = cli(*command)
        assert done.returncode == 2 and "not a text file (not UTF-8)" in done.stderr, (command, done.stderr)
        assert "internal error" not in done.stderr
    shutil.copy(locked / "locks" / "cpu.txt", lock)
    rendered = cli("render", str(image), "-o", "-", cwd=tmp_path)
    assert rendered.returncode == 0 and rendered.stdout.startswith("# Generated by envbuild")
    assert not (tmp_path / "-").exists()
