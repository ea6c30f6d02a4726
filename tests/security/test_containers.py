"""A container whose root user hides drift: the engine's own records (labels, docker diff) and an
isolated probe see through it. Real engine, the image built once per session from the local index."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import assert_no_traceback, kinds
from tests.security.conftest import HIDE

pytestmark = [pytest.mark.security, pytest.mark.docker, pytest.mark.slow]
SITE = "/opt/venv/lib/python3.11/site-packages"

REWRITE_RECORD_AND_LOCK = f"""
import base64, hashlib, re
site = "{SITE}"
open(site + "/gamma/data.txt", "w").write("tampered\\n")
digest = base64.urlsafe_b64encode(hashlib.sha256(b"tampered\\n").digest()).rstrip(b"=").decode()
record = site + "/gamma-1.0.dist-info/RECORD"
text = open(record).read()
open(record, "w").write(re.sub(r"^gamma/data.txt,[^,]*,[0-9]*", "gamma/data.txt,sha256=%s,9" % digest, text, flags=re.M))
open("/etc/envbuild/lock.txt", "a").write("# nothing to see here\\n")
"""


def docker(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, input=stdin).stdout.strip()


def as_root(container: str, *argv: str, stdin: str | None = None) -> None:
    docker("exec", "-i", "-u", "0", container, *argv, stdin=stdin)


def test_a_pth_hook_in_a_container_cannot_make_verify_say_ok(container, cli):
    as_root(container, "tee", f"{SITE}/_h.py", stdin=HIDE)
    as_root(container, "tee", f"{SITE}/zz-hide.pth", stdin="import _h\n")
    as_root(container, "sh", "-c", f"echo tampered >> {SITE}/gamma/data.txt")
    result = cli("verify", "--container", container, "--files", "--json")
    assert_no_traceback(result)
    assert result.returncode == 1
    found = kinds(json.loads(result.stdout))
    assert ("modified", "gamma") in found and ("unowned", "zz-hide.pth") in found and ("unowned", "_h.py") in found
    assert ("modified", "/opt/venv") in found  # the engine's own record agrees


def test_a_file_its_record_and_the_embedded_lock_edited_together_are_still_drift(container, cli):
    """The attacker rewrites gamma's RECORD line to match, and the lock inside: the locked wheel's
    RECORD, the image's lock label and docker diff all disagree."""
    as_root(container, "python3", "-", stdin=REWRITE_RECORD_AND_LOCK)
    result = cli("verify", "--container", container, "--files", "--json")
    assert_no_traceback(result)
    assert result.returncode == 1
    found = kinds(json.loads(result.stdout))
    assert ("modified", "/etc/envbuild lock") in found and ("modified", "/etc/envbuild") in found
    assert ("modified", "/opt/venv") in found


def test_an_image_committed_with_an_edited_lock_is_caught_by_its_label(container, cli):
    as_root(container, "sed", "-i", "s/^epsilon==1.0/epsilon==2.0/", "/etc/envbuild/lock.txt")
    ref = f"envbuild-test/relabelled:{container}"
    docker("commit", container, ref)
    try:
        result = cli("verify", "--image", ref, "--json")
        assert_no_traceback(result)
        assert result.returncode == 1
        report = json.loads(result.stdout)
        assert ("modified", "/etc/envbuild lock") in kinds(report), report
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True)


REWRITE_PYC_BODY = f"""
import glob
[pyc] = glob.glob("{SITE}/alpha/__pycache__/__init__.cpython-311.pyc")
data = open(pyc, "rb").read()
open(pyc, "wb").write(data[:16] + data[16:].replace(b"2.0", b"6.6"))  # a valid header, other code
"""


def test_a_compiled_file_with_a_valid_header_and_other_code_is_caught_by_the_build_manifest(built_image, container,
                                                                                            cli, built_image_env):
    image_dir, result = built_image
    assert result["manifest"] and json.loads(open(result["manifest"]).read())["image"] == result["id"]
    copy = image_dir.parent / "manifest-copy.json"
    assert cli("build", str(image_dir), "--target", "cpu", "--manifest", str(copy), env=built_image_env).returncode == 0
    assert copy.read_text() == open(result["manifest"]).read()  # a no-op build: the same manifest, written here
    clean = cli("verify", "--image", result["image"], "--files", "--json", env=built_image_env)  # the build's cache
    assert clean.returncode == 0 and not any("no build manifest" in n for n in json.loads(clean.stdout)["targets"][0]["notes"])
    as_root(container, "python3", "-", stdin=REWRITE_PYC_BODY)
    report = cli("verify", "--container", container, "--files", "--json", env=built_image_env)
    assert report.returncode == 1
    by_source = {f["expected"]: f for f in json.loads(report.stdout)["findings"] if f["name"] == "/opt/venv"}
    manifest = by_source["as built (build manifest, docker diff)"]
    assert manifest["actual"] == "1 changed" and manifest["paths"][0].endswith("alpha/__pycache__/__init__.cpython-311.pyc")
