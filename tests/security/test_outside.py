"""An image or a container whose root user makes the place's own Python lie: the verdict comes from
the engine's side (its export stream, docker diff, its configuration), never from the answer alone.
Issue 32, items 1-3. Real engine; the image built once per session from the local index."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.conftest import assert_no_traceback
from tests.security.test_containers import SITE, as_root, docker

pytestmark = [pytest.mark.security, pytest.mark.docker, pytest.mark.slow]
STDLIB = "/usr/lib/python3.11"

# Appended to the standard library's json: every answer the probe prints leaves zz.pth out.
FILTER = """
_real_dumps = dumps
def dumps(obj, *a, **k):
    if isinstance(obj, dict) and "site_files" in obj:
        for files in (obj.get("site_files") or {}).values():
            files.pop("zz.pth", None)
    if isinstance(obj, dict) and "pth" in obj:
        obj["pth"] = [p for p in obj["pth"] if not p["path"].endswith("zz.pth")]
    return _real_dumps(obj, *a, **k)
"""
PLANT = "import os; os.environ.setdefault('ENVBUILD_TEST_PLANTED', '1')\n"

# Takes zz.pth away while a probe runs (its command line says --deadline=), puts it back after.
WATCHER = f"""
import os, time
planted, text = "{SITE}/zz.pth", open("{SITE}/zz.pth").read()
while True:
    probing = False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            probing |= b"--dead" + b"line=" in open("/proc/%s/cmdline" % pid, "rb").read()
        except OSError:
            pass
    if probing and os.path.exists(planted):
        os.remove(planted)
    elif not probing and not os.path.exists(planted):
        open(planted, "w").write(text)
    time.sleep(0.005)
"""


def verify(cli, *args: str, env=None) -> dict:
    result = cli("verify", *args, "--json", env=env)
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert report["exit_code"] == result.returncode
    return report


def by_name(report: dict) -> dict[str, dict]:
    return {f["name"]: f for f in report["findings"]}


def test_a_filter_in_the_standard_library_cannot_hide_a_planted_pth(container, cli, built_image_env):
    """Issue 32, way out 1: the probe's answer leaves zz.pth out; the engine's reading does not."""
    as_root(container, "tee", f"{SITE}/zz.pth", stdin=PLANT)
    as_root(container, "sh", "-c", f"cat >> {STDLIB}/json/__init__.py", stdin=FILTER)
    for files in (("--files",), ()):
        report = verify(cli, "--container", container, *files, env=built_image_env)
        assert report["exit_code"] == 1, report
        found = by_name(report)
        assert found[STDLIB]["kind"] == "modified" and found[STDLIB]["paths"] == [f"{STDLIB}/json/__init__.py"]
        assert found["/opt/venv"]["paths"] == [f"{SITE}/zz.pth"]
        if files:
            assert found["the probe's answer"]["kind"] == "concealed"
            assert found["the probe's answer"]["severity"] == "critical"
            assert found["the probe's answer"]["paths"] == [f"{SITE}/zz.pth"]
            assert found["zz.pth"]["kind"] == "unowned" and found["zz.pth"]["detail"].startswith("runs code at start-up")
            assert found["/opt/venv"]["expected"] == "as built (build manifest, docker diff)"


def test_a_watcher_that_takes_the_plant_away_while_the_probe_runs(container, cli, built_image_env):
    as_root(container, "tee", f"{SITE}/zz.pth", stdin=PLANT)
    docker("exec", "-d", "-u", "0", container, "python3", "-c", WATCHER)
    time.sleep(0.5)
    report = verify(cli, "--container", container, "--files", env=built_image_env)
    assert report["exit_code"] == 1
    found = by_name(report)
    assert found["zz.pth"]["kind"] == "unowned"  # read by the engine before the probe started
    assert f"{SITE}/zz.pth" in found["/opt/venv"]["paths"]


@pytest.mark.parametrize("change, group", [
    ("echo 'import os' >> /etc/python3.11/sitecustomize.py", "/etc/python3.11"),
    (f"echo 'import os' > {STDLIB}/usercustomize.py", STDLIB),
    ("mv /usr/bin/python3.11 /usr/bin/python3.11.real && printf '#!/bin/sh\\nexec /usr/bin/python3.11.real \"$@\"\\n'"
     " > /usr/bin/python3.11 && chmod +x /usr/bin/python3.11", "/usr/bin/python3.11"),
    ("echo /tmp/evil.so > /etc/ld.so.preload", "/etc/ld.so.preload"),
    ("mkdir -p /home/app/.local/lib/python3.11/site-packages && echo 'import os' > "
     "/home/app/.local/lib/python3.11/site-packages/u.pth", "/home/app/.local/lib/python3.11"),
])
def test_start_up_code_outside_the_prefix_is_drift(container, cli, built_image_env, change, group):
    """Issue 32, way out 2: outside /opt/venv and /etc/envbuild, docker diff and the manifest see it."""
    as_root(container, "sh", "-c", change)
    for files in (("--files",), ()):
        report = verify(cli, "--container", container, *files, env=built_image_env)
        assert report["exit_code"] == 1, (files, report)
        finding = by_name(report)[group]
        assert finding["kind"] == "modified" and finding["severity"] == "high"
        assert "docker diff" in finding["expected"] and ("build manifest" in finding["expected"]) == bool(files)


def test_a_committed_image_with_no_build_record_is_checked_against_its_base(container, cli, built_image_env):
    """`docker commit` gives a new image ID, so no build manifest: the planted .pth is found through
    the engine, the stdlib filter against the base image's own files."""
    as_root(container, "tee", f"{SITE}/zz.pth", stdin=PLANT)
    as_root(container, "sh", "-c", f"cat >> {STDLIB}/json/__init__.py", stdin=FILTER)
    ref = f"envbuild-test/committed:{container}"
    docker("commit", "--change", "ENV PYTHONPATH=/srv/shadow", container, ref)
    try:
        report = verify(cli, "--image", ref, "--files", env=built_image_env)
        found = by_name(report)
        assert report["exit_code"] == 1
        assert found["the probe's answer"]["kind"] == "concealed"
        assert found["zz.pth"]["kind"] == "unowned"
        assert found[STDLIB]["expected"] == "as built (its base image's files)"
        assert found[STDLIB]["paths"] == [f"{STDLIB}/json/__init__.py"]
        notes = report["targets"][0]["notes"]
        assert "PYTHONPATH" not in found  # its spec may have set it: said, not judged, with no record here
        assert "the image's environment sets PYTHONPATH=/srv/shadow (no record of its build here to check it " \
            "against)" in notes
        assert any("against its base image" in n for n in notes)
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True)


@pytest.mark.parametrize("variable, value", [
    ("PYTHONPATH", "/srv/shadow"), ("PYTHONHOME", "/srv/python"), ("PYTHONSTARTUP", "/srv/startup.py"),
    ("PYTHONUSERBASE", "/srv/userbase"), ("PYTHONWARNINGS", "ignore::evil.Hook"), ("LD_AUDIT", "/srv/audit.so"),
])
def test_a_container_s_environment_against_its_image(built_image, cli, built_image_env, variable, value):
    """Issue 32, way out 3: each of these makes every workload load code from elsewhere; LD_PRELOAD
    would run inside the probe itself (emptied for it: the probe still answers)."""
    name = f"envbuild-test-env-{time.monotonic_ns()}"
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", "-e", f"{variable}={value}",
                    "-e", "LD_PRELOAD=/nonexistent/evil.so", "-e", "API_TOKEN=hunter2", built_image[1]["image"],
                    "sleep", "600"], capture_output=True, check=True)
    try:
        result = cli("verify", "--container", name, "--json", env=built_image_env)
        assert "hunter2" not in result.stdout + result.stderr  # only the names of other variables are kept
        report = json.loads(result.stdout)
        found = by_name(report)
        assert {n for n, f in found.items() if f["kind"] == "config"} == {variable, "LD_PRELOAD"}
        assert found[variable]["actual"] == value and found[variable]["severity"] == "high"
        assert report["exit_code"] == 1 and not report["targets"][0]["error"]
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_a_compiled_stdlib_module_replaced_in_a_container(container, cli, built_image_env):
    """A .pyc with a valid header and other code is loaded instead of its source: the surface's hash
    and docker diff see it, whatever the header says."""
    as_root(container, "sh", "-c", f"cp {STDLIB}/__pycache__/os.cpython-311.pyc /tmp/x && "
            f"printf 'junk' >> {STDLIB}/__pycache__/os.cpython-311.pyc")
    report = verify(cli, "--container", container, "--files", env=built_image_env)
    assert by_name(report)[STDLIB]["paths"] == [f"{STDLIB}/__pycache__/os.cpython-311.pyc"]
    assert report["exit_code"] == 1


def test_a_clean_container_and_image_say_ok_in_every_mode(built_image, container, cli, built_image_env):
    for args in (("--container", container), ("--container", container, "--files"),
                 ("--image", built_image[1]["image"], "--files")):
        report = verify(cli, *args, env=built_image_env)
        assert report["findings"] == [] and report["exit_code"] == 0, (args, report)


def test_an_image_whose_lock_and_label_were_rewritten_together_fails_require_lock(container, built_image, cli,
                                                                                  built_image_env):
    """Issue 32, way out 8 / item 7: whoever can push the image rewrites its lock and the label that
    vouches for it; --require-lock names the lock it must carry (the repository's)."""
    import hashlib

    image_dir, build = built_image
    repository_lock = image_dir / "locks" / "cpu.txt"
    as_root(container, "sh", "-c", "echo '# a line of my own' >> /etc/envbuild/lock.txt")
    text = docker("exec", container, "cat", "/etc/envbuild/lock.txt") + "\n"
    ref = f"envbuild-test/relocked:{container}"
    docker("commit", "--change", f"LABEL dev.envbuild.lock.sha256={hashlib.sha256(text.encode()).hexdigest()}",
           container, ref)
    try:
        own = verify(cli, "--image", ref, env=built_image_env)
        assert any(n.startswith("self-attested: verified against the lock its image carries")
                   for n in own["targets"][0]["notes"])
        required = verify(cli, "--image", ref, "--require-lock", str(repository_lock), env=built_image_env)
        assert required["exit_code"] == 1
        [finding] = required["findings"]
        assert (finding["name"], finding["severity"]) == ("/etc/envbuild lock", "critical")
        assert str(repository_lock) in finding["expected"]
        clean = verify(cli, "--image", build["image"], "--require-lock", str(repository_lock), env=built_image_env)
        assert clean["exit_code"] == 0 and not any(n.startswith("self-attested") for n in clean["targets"][0]["notes"])
        both = cli("verify", "--image", ref, "--lock", str(repository_lock), "--require-lock", str(repository_lock))
        assert both.returncode == 2 and "--require-lock" in both.stderr
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True)
