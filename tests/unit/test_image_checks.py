"""The engine's record against the environment: labels, docker diff, the build manifest. Pure."""

from __future__ import annotations

import hashlib

from envbuild.core.image_checks import changed_trees, engine_findings, label_vouches, manifest_findings


def test_docker_diff_counts_real_changes_under_each_root_only():
    changes = [["C", "/opt"], ["C", "/opt/venv"], ["C", "/opt/venv/lib"], ["A", "/opt/venv/lib/x.py"],
               ["D", "/opt/venv/bin/tool"], ["C", "/tmp"], ["A", "/tmp/scratch"]]
    [finding] = changed_trees(changes, ("/opt/venv", "/etc/envbuild"))
    assert (finding.name, finding.actual) == ("/opt/venv", "1 added, 1 deleted")
    assert finding.paths == ("/opt/venv/bin/tool", "/opt/venv/lib/x.py")


def test_the_embedded_lock_must_be_the_labelled_one():
    lock = "# envbuild-lock: 2\n"
    labels = {"dev.envbuild.lock.sha256": hashlib.sha256(lock.encode()).hexdigest()}
    snapshot = {"engine": {"labels": labels, "changes": []}}
    assert label_vouches(snapshot, lock) and engine_findings(snapshot, lock) == []
    [finding] = engine_findings(snapshot, lock + "# edited\n")
    assert finding.name == "/etc/envbuild lock"
    assert engine_findings({}, lock) == []  # not an engine place: nothing to compare


def test_every_file_of_a_tree_against_the_build_manifest():
    built = {"/opt/venv": {"a.py": "1", "b.pyc": "2", "gone": "3"}}
    seen = {"/opt/venv": {"a.py": "1", "b.pyc": "9", "new.so": "4"}, "/opt/conda": {"x": "5"}}
    found = {f.name: f for f in manifest_findings(built, seen)}
    assert found["/opt/venv"].actual == "1 changed, 1 added, 1 deleted"
    assert found["/opt/venv"].paths == ("/opt/venv/b.pyc", "/opt/venv/gone", "/opt/venv/new.so")
    assert found["/opt/conda"].actual == "1 added"
    assert manifest_findings(built, built) == []
