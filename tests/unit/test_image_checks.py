"""The engine's record against the environment: labels, docker diff, the build manifest, the
configuration, the start-up surface. Pure."""

from __future__ import annotations

import hashlib

from envbuild.core.check.image import (config_findings, engine_findings, label_vouches, surface_findings,
                                         unrecorded_config)
from envbuild.core.check.severity import severity
from envbuild.core.image.surface import group_of, tree_of
from envbuild.core.snapshot import EngineConfig
from tests.support.snapshots import snap as typed


def test_docker_diff_counts_real_changes_on_the_start_up_surface_only():
    changes = [["C", "/opt"], ["C", "/opt/venv"], ["C", "/opt/venv/lib"], ["A", "/opt/venv/lib/x.py"],
               ["D", "/opt/venv/bin/tool"], ["C", "/tmp"], ["A", "/tmp/scratch"], ["C", "/home/app"],
               ["A", "/home/app/.cache/x"]]
    [finding] = surface_findings(None, None, changes)
    assert (finding.name, finding.actual) == ("/opt/venv", "1 added, 1 deleted")
    assert finding.paths == ("/opt/venv/bin/tool", "/opt/venv/lib/x.py")
    assert finding.expected == "as built (docker diff)"


def test_start_up_code_outside_the_prefix_is_on_the_surface():
    changes = [["C", "/etc/python3.11/sitecustomize.py"], ["C", "/usr/bin/python3.11"],
               ["A", "/usr/lib/python3.11/hook.py"], ["A", "/etc/ld.so.preload"],
               ["A", "/home/app/.local/lib/python3.11/site-packages/x.pth"], ["C", "/etc/hostname"],
               ["A", "/usr/lib/x86_64-linux-gnu/libfoo.so"]]
    found = {f.name: f for f in surface_findings(None, None, changes)}
    assert set(found) == {"/etc/python3.11", "/usr/bin/python3.11", "/usr/lib/python3.11", "/etc/ld.so.preload",
                          "/home/app/.local/lib/python3.11"}
    assert all(severity(f) == "high" for f in found.values())
    assert tree_of("/usr/lib/python3.11/json/__init__.py") == ("/usr/lib", "python3.11/json/__init__.py")
    assert group_of("/opt/venv/lib/python3.11/site-packages/a.py") == "/opt/venv"
    assert tree_of("/usr/lib/../lib/python3.11/os.py") == ("/usr/lib", "python3.11/os.py")
    assert tree_of("/srv/python3.11/x.py") is None


def test_the_embedded_lock_must_be_the_labelled_one():
    lock = "# envbuild-lock: 2\n"
    labels = {"dev.envbuild.lock.sha256": hashlib.sha256(lock.encode()).hexdigest()}
    snapshot = {"engine": {"labels": labels, "changes": []}}
    assert label_vouches(typed(snapshot), lock) and engine_findings(typed(snapshot), lock) == []
    [finding] = engine_findings(typed(snapshot), lock + "# edited\n")
    assert finding.name == "/etc/envbuild lock"
    assert engine_findings(typed({}), lock) == []  # not an engine place: nothing to compare


def test_every_file_of_a_tree_against_the_build_manifest_and_docker_diff_said_once():
    built = {"/opt/venv": {"a.py": "1", "b.pyc": "2", "gone": "3"}}
    seen = {"/opt/venv": {"a.py": "1", "b.pyc": "9", "new.so": "4"}, "/opt/conda": {"x": "5"}}
    found = {f.name: f for f in surface_findings(built, seen, [["A", "/opt/venv/new.so"], ["C", "/opt/venv/a.py"]])}
    assert found["/opt/venv"].actual == "2 changed, 1 added, 1 deleted"  # a.py: written, even if back as built
    assert found["/opt/venv"].paths == ("/opt/venv/a.py", "/opt/venv/b.pyc", "/opt/venv/gone", "/opt/venv/new.so")
    assert found["/opt/venv"].expected == "as built (build manifest, docker diff)"
    assert found["/opt/conda"].actual == "1 added"
    assert surface_findings(built, built, []) == []


def test_the_configuration_against_the_image_or_the_build():
    image = {"env": {"PATH": "/opt/venv/bin:/usr/bin", "LANG": None}, "entrypoint": ["train"], "cmd": None,
             "user": "10001:10001", "workdir": "/workspace"}
    container = dict(image, env=dict(image["env"], PYTHONPATH="/evil", LD_PRELOAD="/tmp/x.so", API_KEY=None),
                     cmd=["--epochs", "3"], user="0")
    drifted = dict(image, entrypoint=["sh"], user="0", env=dict(image["env"], PATH="/tmp:/usr/bin"))
    image, container, drifted = (EngineConfig.read(c) for c in (image, container, drifted))
    found = {f.name: f for f in config_findings(container, image, image=False, expected_label="as its image has it")}
    assert set(found) == {"PYTHONPATH", "LD_PRELOAD"}  # a container's own command and user are its to choose
    assert found["PYTHONPATH"].actual == "/evil" and severity(found["LD_PRELOAD"]) == "high"
    assert config_findings(image, image, image=True, expected_label="as built") == []
    assert {f.name for f in config_findings(drifted, image, image=True, expected_label="as built")} == \
        {"ENTRYPOINT", "USER", "PATH"}
    # no record of the build (built on another runner): said, not judged - its spec may have set them
    assert config_findings(container, None, image=True, expected_label="no record") == []
    assert unrecorded_config(container) == [
        "the image's environment sets PYTHONPATH=/evil (no record of its build here to check it against)",
        "the image's environment sets LD_PRELOAD=/tmp/x.so (no record of its build here to check it against)"]
