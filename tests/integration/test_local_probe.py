"""A metadata verify of a local interpreter starts no second one: the probe runs in envbuild's own
process from the interpreter's facts (cached, keyed by the executable and its pyvenv.cfg), and
answers exactly what the probe run by that interpreter answers."""

from __future__ import annotations

import json
import os
import sys
import time

from envbuild.adapters.places import Place, argv_for, local_snapshot, probe_source
from envbuild.adapters.process import run
from tests.conftest import TEST_CACHE, hermetic_env


def _probed_there(place: Place) -> dict:
    done = run(argv_for(place, False), stdin=probe_source(), timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_in_process_answers_what_the_interpreter_itself_answers(venv, monkeypatch, tmp_path):
    monkeypatch.setenv("ENVBUILD_CACHE", str(tmp_path / "cache"))
    (venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "extra.pth") \
        .write_text(f"{tmp_path}\nimport os; os.system('touch {tmp_path}/ran')\n")
    for place in (Place(kind="python", name=str(venv / "bin" / "python")), Place(kind="local"),
                  Place(kind="python", name=sys.executable)):
        there = _probed_there(place)
        for _ in range(2):  # the facts asked, then from the cache
            here = local_snapshot(place)
            assert here == there, place
    assert not (tmp_path / "ran").exists()  # a .pth file's code is reported, never run
    assert len(list((tmp_path / "cache" / "interpreters").glob("*.json"))) == 2


def _version(cli, venv) -> str:
    result = cli("snapshot", "--python", str(venv / "bin" / "python"), "-o", "-")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["interpreter"]["version"]


def test_the_cached_facts_are_used_and_asked_again_when_the_venv_changes(cli, venv):
    real = _version(cli, venv)
    [kept] = [p for p in (os.path.join(TEST_CACHE, "interpreters", n) for n in os.listdir(
        os.path.join(TEST_CACHE, "interpreters"))) if str(venv) in open(p).read()]
    record = json.load(open(kept))
    record["facts"]["version"] = "3.0.0"
    with open(kept, "w") as handle:
        json.dump(record, handle)
    assert _version(cli, venv) == "3.0.0"  # no interpreter was asked: the cache answered
    cfg = venv / "pyvenv.cfg"
    time.sleep(0.01)
    cfg.write_text(cfg.read_text())  # the same text, a new mtime: the key no longer matches
    assert _version(cli, venv) == real
    with open(kept, "w") as handle:
        handle.write("{not json")
    assert _version(cli, venv) == real  # a broken cache file is asked again, never trusted


def test_a_files_verify_of_the_venv_is_still_clean(cli, locked, venv):
    result = cli("verify", str(locked), "--python", str(venv / "bin" / "python"), "--files", "--json",
                 env=hermetic_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


# What a metadata verify of a local venv must not load: the command-line framework, the terminal
# library, the lock-time machinery (wheelhouse, resolvers, conda, requirement parsing), process and
# thread pools, the standard library's heavier modules that only other commands need, and
# packaging (equal version strings are equal without it). Reading a spec (an image directory named)
# needs PyYAML and datetime; --lock FILE needs neither.
NOT_ON_THE_VERIFY_PATH = ("typer", "click", "rich", "concurrent.futures", "subprocess", "tempfile", "shutil", "email",
                          "packaging", "packaging.version",
                          "importlib.metadata", "zipfile", "packaging.requirements", "packaging.tags",
                          "envbuild.adapters.index.wheelhouse", "envbuild.adapters.index.resolvers", "envbuild.ecosystems.conda",
                          "envbuild.cli.typer_app")


def test_a_metadata_verify_loads_only_what_it_needs(locked, venv, tmp_path):
    code = ("import sys\nfrom envbuild.cli import main\ncode = main(sys.argv[1:])\n"
            "print(code, ' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    env = dict(hermetic_env(), ENVBUILD_CACHE=str(tmp_path / "cache"))
    python = ["--python", str(venv / "bin" / "python")]
    for args, unwanted in (([str(locked)], NOT_ON_THE_VERIFY_PATH),
                           (["--lock", str(locked / "locks" / "cpu.txt")], (*NOT_ON_THE_VERIFY_PATH, "yaml", "datetime"))):
        for _attempt in ("facts asked and cached", "facts from the cache"):
            done = run([sys.executable, "-c", code, "verify", *args, *python], env=env, timeout=60)
            exit_code, modules = done.stderr.strip().splitlines()[-1].split(" ", 1)
            assert exit_code == "0", done.stderr
        loaded = set(modules.split())
        assert "envbuild.probe.main" in loaded  # the probe ran here, in this process
        assert not [m for m in unwanted if m in loaded], args
