"""envbuild lock / verify for conda targets, hermetic: a hand-made file:// channel and the local PyPI index."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conda_lock.lockfile import parse_conda_lock_file

from tests.conftest import REPO, assert_no_traceback, install_conda_lock


RATTLER_READ = """
import os, sys, rattler
env = rattler.LockFile.from_path(sys.argv[1]).default_environment()
print(" ".join(p.name for p in env.packages(env.platforms()[0])))
sys.stdout.flush(); os._exit(0)
"""


def lock(cli, image, *args):
    result = cli("lock", str(image), *args)
    assert_no_traceback(result)
    return result


def packages(image, target="cpu"):
    parsed = parse_conda_lock_file(image / "locks" / f"{target}.conda-lock.yml")  # conda-lock's own parser
    return {(p.name, p.manager, p.version, p.url.rsplit("/", 1)[-1]) for p in parsed.package}


def test_lock_is_conda_lock_v1_deterministic_and_checkable(cli, conda_image):
    image = conda_image(["python=3.11", "tinytool", "tinydata"], pip=["alpha<2"])
    result = lock(cli, image)
    assert result.returncode == 0, result.stderr
    assert packages(image) == {
        ("libtiny", "conda", "1.1", "libtiny-1.1-h1_1.tar.bz2"),  # the highest build of the newest version
        ("tinytool", "conda", "2.0", "tinytool-2.0-h0_0.tar.bz2"),
        ("tinydata", "conda", "0.3", "tinydata-0.3-pyh0_0.tar.bz2"),
        ("python", "conda", "3.11.2", "python-3.11.2-h0_envbuild.tar.bz2"),
        ("alpha", "pip", "1.0", "alpha-1.0-py3-none-any.whl"),
        ("beta", "pip", "1.1", "beta-1.1-py3-none-any.whl")}
    text = (image / "locks" / "cpu.conda-lock.yml").read_text()
    assert "md5: " in text and "sha256: " in text and "custom_metadata" in text
    # rattler's lock-file reader (pixi's) reads it too: in a child process, like everything py-rattler
    read = subprocess.run([sys.executable, "-c", RATTLER_READ, str(image / "locks" / "cpu.conda-lock.yml")],
                          capture_output=True, text=True, timeout=60)
    assert sorted(read.stdout.split()) == ["alpha", "beta", "libtiny", "python", "tinydata", "tinytool"], read.stderr
    again = lock(cli, image)
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert (image / "locks" / "cpu.conda-lock.yml").read_text() == text

    assert lock(cli, image, "--check").returncode == 0
    env = image / "environment.yml"
    env.write_text("# a comment does not make a lock stale\n" + env.read_text().replace("\n", "\r\n"))
    assert lock(cli, image, "--check").returncode == 0
    env.write_text(env.read_text() + "  - newtool\n")
    stale = lock(cli, image, "--check")
    assert stale.returncode == 1 and "changed environment.yml" in stale.stdout


def test_exclude_newer_holds_the_conda_solve_to_a_date(cli, conda_image):
    image = conda_image(["newtool"])  # newtool was uploaded in 2027, after the spec's exclude-newer
    result = lock(cli, image)
    assert result.returncode == 3 and "cannot be solved" in result.stderr and "newtool" in result.stderr
    spec = image / "envbuild.yaml"
    spec.write_text(spec.read_text().replace("exclude-newer: 2026-06-01", "exclude-newer: 2027-06-01"))
    assert lock(cli, image).returncode == 0
    assert ("newtool", "conda", "9.0", "newtool-9.0-h0_0.tar.bz2") in packages(image)


def test_cuda_targets_solve_with_the_cuda_virtual_package(cli, conda_image):
    from tests.conftest import CONDA_SPEC

    spec = CONDA_SPEC + '  gpu:\n    cuda: "12.4"\n  old:\n    cuda: "11.8"\n'
    image = conda_image(["cudastub"], spec=spec)
    cpu = lock(cli, image, "--target", "cpu")
    assert cpu.returncode == 3 and "__cuda" in cpu.stderr and "cuda:" in cpu.stderr  # the hint names the key
    assert lock(cli, image, "--target", "old").returncode == 3
    gpu = lock(cli, image, "--target", "gpu")
    assert gpu.returncode == 0, gpu.stderr
    assert ("cudastub", "conda", "12.1", "cudastub-12.1-h0_0.tar.bz2") in packages(image, "gpu")


def test_bad_inputs_exit_2_with_the_line(cli, conda_image):
    image = conda_image(["tinytool"], pip=["-e .", "git+https://github.com/x/y"])
    result = lock(cli, image)
    assert result.returncode == 2 and "editable" in result.stderr and "VCS" in result.stderr
    image = conda_image(["tinytool ==="], name="bad")
    result = lock(cli, image)
    # named before any solve, with the file, the key path and the line
    assert result.returncode == 2 and "environment.yml: dependencies[0] (line" in result.stderr, result.stderr
    assert "'tinytool ===' is not a conda match spec" in result.stderr
    (image / "environment.yml").unlink()
    result = lock(cli, image)
    assert result.returncode == 2 and "conda: file not found: environment.yml" in result.stderr


def test_python_of_the_spec_and_the_environment_must_agree(cli, conda_image):
    image = conda_image(["python=3.11"])
    spec = image / "envbuild.yaml"
    spec.write_text(spec.read_text().replace('python: "3.11"', 'python: "3.12"'))
    result = lock(cli, image)
    # said before the channel is asked (offline too): the environment file's python spec, as written
    assert result.returncode == 2 and "asks for 'python=3.11'" in result.stderr and "python 3.12" in result.stderr


def test_verify_a_prefix_clean_then_planted_drift(cli, conda_image, tmp_path):
    image = conda_image(["python=3.11", "tinytool", "tinydata"], pip=["alpha<2"])
    assert lock(cli, image).returncode == 0
    lock_file = image / "locks" / "cpu.conda-lock.yml"
    prefix = tmp_path / "env"
    install_conda_lock(lock_file, prefix)
    python = str(prefix / "bin" / "python")

    def verify(*extra):
        result = cli("verify", "--lock", str(lock_file), "--python", python, "--files", "--json", *extra)
        assert_no_traceback(result)
        return result.returncode, sorted((f["kind"], f["name"]) for f in json.loads(result.stdout)["findings"])

    assert verify() == (0, [])
    # a conda file edited in place (one with the prefix written into it at install, too)
    (prefix / "share" / "tinytool" / "README").write_text("edited\n")
    with open(prefix / "bin" / "tinytool", "a") as handle:
        handle.write("# patched\n")
    assert verify() == (1, [("modified", "tinytool")])
    # issue 32, item 8: a file edited together with its conda-meta record (the environment's own
    # claim) is still modified, against the package archive's info/paths.json
    import hashlib

    [record_path] = (prefix / "conda-meta").glob("tinytool-*.json")
    record = json.loads(record_path.read_text())
    digest = hashlib.sha256((prefix / "share" / "tinytool" / "README").read_bytes()).hexdigest()
    for entry in record["paths_data"]["paths"]:
        if entry["_path"] == "share/tinytool/README":
            entry["sha256"] = entry["sha256_in_prefix"] = digest
    record_path.write_text(json.dumps(record))
    result = cli("verify", "--lock", str(lock_file), "--python", python, "--files", "--json")
    [tinytool] = [f for f in json.loads(result.stdout)["findings"] if f["name"] == "tinytool"]
    assert tinytool["expected"] == "files as in its archive" and any(p.endswith("share/tinytool/README")
                                                                     for p in tinytool["paths"])
    # a conda package removed behind conda's back, another one planted
    meta = prefix / "conda-meta"
    (meta / "tinydata-0.3-pyh0_0.json").rename(tmp_path / "tinydata.json")
    planted = json.loads((meta / "libtiny-1.1-h1_1.json").read_text()) | {"name": "newtool", "version": "9.0",
                                                                          "build": "h0_0", "paths_data": {}}
    (meta / "newtool-9.0-h0_0.json").write_text(json.dumps(planted))
    assert verify() == (1, [("missing", "tinydata"), ("modified", "tinytool"), ("unexpected", "newtool")])
    assert verify("--allow-extra", "newtool")[1] == [("missing", "tinydata"), ("modified", "tinytool")]


def test_a_swapped_build_and_a_pip_version_are_drift(cli, conda_image, tmp_path):
    image = conda_image(["python=3.11", "tinytool"], pip=["alpha<2"])
    other = conda_image(["python=3.11", "tinytool", "libtiny=1.1=h0_0"], pip=["alpha<2", "beta==1.0"], name="other")
    assert lock(cli, image).returncode == 0 and lock(cli, other).returncode == 0
    prefix = tmp_path / "env"
    install_conda_lock(other / "locks" / "cpu.conda-lock.yml", prefix)  # what production actually got
    result = cli("verify", "--lock", str(image / "locks" / "cpu.conda-lock.yml"), "--python",
                 str(prefix / "bin" / "python"), "--json")
    findings = {f["name"]: f for f in json.loads(result.stdout)["findings"]}
    assert result.returncode == 1 and set(findings) == {"libtiny", "beta"}
    assert findings["libtiny"] | {"detail": ""} == {"kind": "build", "name": "libtiny", "expected": "1.1 h1_1",
                                                   "actual": "1.1 h0_0", "detail": "", "severity": "medium"}
    assert (findings["beta"]["kind"], findings["beta"]["expected"], findings["beta"]["actual"]) == ("version", "1.1", "1.0")
    diff = cli("diff", str(image / "locks" / "cpu.conda-lock.yml"), str(other / "locks" / "cpu.conda-lock.yml"))
    assert diff.returncode == 1 and "libtiny (conda)" in diff.stdout and "beta" in diff.stdout


@pytest.mark.slow
def test_exit_codes_are_reliable_over_many_runs(channel):
    """py-rattler can crash at interpreter exit after async calls (10-35 % of runs measured): the
    worker answers, flushes and leaves with os._exit, so its exit code is the answer's, every time."""
    request = {"channels": [f"file://{channel}"], "platform": "linux-64", "virtual": [["__glibc", "2.28", "0"]],
               "exclude_newer": "2026-06-01T00:00:00Z", "timeout": 60}
    codes = []
    for i in range(40):
        specs = ["tinytool"] if i % 2 == 0 else ["newtool"]  # newtool is excluded by date: unsolvable
        done = subprocess.run([sys.executable, "-m", "envbuild.adapters.index.rattler_worker"], capture_output=True,
                              text=True, input=json.dumps(dict(request, specs=specs)), timeout=120)
        answer = json.loads(done.stdout)
        codes.append((done.returncode, "records" in answer))
    assert codes == [(0, True), (3, False)] * 20


@pytest.mark.parametrize("name, code, words", [
    ("NVlabs__stylegan3__environment.yml", 5, ["conda channel https://conda.anaconda.org/pytorch cannot be reached"]),
    ("CompVis__stable-diffusion__environment.yaml", 2, ["3 input lines", "editable", "git+https://github.com/CompVis"]),
    ("facebookresearch__dinov2__conda-extras.yaml", 2, ["VCS requirement", "submitit"]),
])
def test_real_world_environment_files_fail_with_a_specific_message(cli, make_image, name, code, words):
    """The files are tests/data/realworld/conda/ (sources.tsv). Each file gets the one reason it cannot be
    locked (a VCS or editable pip line is refused before any channel is asked). The channels are made
    unreachable on purpose (a proxy on a closed port), so the outcome is the same with or without
    internet access: the test is about the message, not about anaconda.org."""
    from tests.conftest import hermetic_env

    text = (REPO / "tests" / "data" / "realworld" / "conda" / name).read_text()
    python = "3.8" if "3.8" in text else "3.9"
    image = make_image(f'name: rw/conda\npython: "{python}"\nconda: {name}\ntargets:\n  cuda:\n    cuda: "11.8"\n',
                       {name: text})
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env = hermetic_env(HTTPS_PROXY=nowhere, https_proxy=nowhere, HTTP_PROXY=nowhere, http_proxy=nowhere, NO_PROXY="",
                       no_proxy="")
    result = cli("lock", str(image), env=env)
    if code == 5:  # the first channel in the file's order, every run (the solver's own report varies)
        assert all(cli("lock", str(image), env=env).stderr == result.stderr for _ in range(2))
    assert_no_traceback(result)
    assert result.returncode == code, result.stderr
    for word in words:
        assert word in result.stderr
    assert not (image / "locks").exists()


def test_channel_credentials_stay_out_of_the_lock(cli, conda_image, channel):
    """A ${VAR} in a channel URL is kept as written (conda-lock's used_env_vars), its value never
    written; a literal user:password is stripped."""
    from tests.conftest import hermetic_env

    image = conda_image(["tinytool"])
    env_file = image / "environment.yml"
    parent, name = channel.parent, channel.name
    env_file.write_text(env_file.read_text().replace(f"file://{channel}", f"file://${{CHANNEL_ROOT}}/{name}"))
    result = cli("lock", str(image), env=hermetic_env(CHANNEL_ROOT=str(parent)))
    assert result.returncode == 0, result.stderr
    text = (image / "locks" / "cpu.conda-lock.yml").read_text()
    assert str(parent) not in text and "url: file://${CHANNEL_ROOT}/" in text and "- CHANNEL_ROOT" in text
    missing = cli("lock", str(image))
    assert missing.returncode == 2 and "CHANNEL_ROOT" in missing.stderr


def test_a_driver_too_old_for_a_conda_cuda_package_is_a_gpu_finding(cli, conda_image, tmp_path):
    from tests.conftest import CONDA_SPEC, hermetic_env
    from tests.integration.test_cuda import fake_root

    image = conda_image(["python=3.11", "cudastub"], spec=CONDA_SPEC + '  gpu:\n    cuda: "12.4"\n')
    assert lock(cli, image, "--target", "gpu").returncode == 0
    lock_file = image / "locks" / "gpu.conda-lock.yml"
    assert "cuda-runtime: 12.1 (cudastub 12.1 needs __cuda >=12.1 (conda))" in lock_file.read_text()
    prefix = tmp_path / "env"
    install_conda_lock(lock_file, prefix)
    result = cli("verify", "--lock", str(lock_file), "--python", str(prefix / "bin" / "python"), "--json",
                 env=hermetic_env(ENVBUILD_PROBE_ROOT=str(fake_root(tmp_path, "470.256.02"))))
    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 1
    assert [(f["kind"], f["name"], f["actual"]) for f in findings] == [("gpu", "driver", "470.256.02")]


def test_the_installed_prefix_splits_into_layers_that_add_up_to_it(cli, conda_image, tmp_path):
    """conda_installer.py --split (what a conda image's builder runs): each layer gets exactly its
    packages' files and records; the layers copied back over what is left give the whole prefix,
    and verify --files is clean on it."""
    import shutil

    from envbuild.core.spec.layers import LayerRules
    from envbuild.core.lock import read_lock
    from envbuild.core.image.render import layer_split
    from envbuild.ecosystems.conda import CondaEcosystem

    image = conda_image(["python=3.11", "tinytool", "tinydata"], pip=["alpha<2"])
    assert lock(cli, image).returncode == 0
    lock_file = image / "locks" / "cpu.conda-lock.yml"
    prefix = tmp_path / "env"
    install_conda_lock(lock_file, prefix)
    whole = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if not p.is_dir())
    rules = LayerRules(groups=(("tools", ("tinytool", "libtiny")),))
    plan = CondaEcosystem().layer_plan(read_lock(lock_file.read_text(), str(lock_file)), rules, project=False,
                                       file="envbuild.yaml", key="layers")
    assert [(layer.name, layer.packages) for layer in plan.layers] == [
        ("tools", ("libtiny", "tinytool")), ("packages", ("python", "tinydata"))]
    assert not plan.staged and plan.names == ["tools", "packages", "metadata"]
    (tmp_path / "layers.json").write_text(layer_split(plan))
    done = subprocess.run([sys.executable, str(REPO / "envbuild" / "conda_installer.py"), "--split",
                           str(tmp_path / "layers.json"), str(prefix), str(tmp_path / "layers")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    tools = tmp_path / "layers" / "01" / prefix.relative_to("/")
    assert sorted(str(p.relative_to(tools)) for p in tools.rglob("*") if not p.is_dir()) == [
        "bin/tinytool", "conda-meta/libtiny-1.1-h1_1.json", "conda-meta/tinytool-2.0-h0_0.json", "lib/libtiny.txt",
        "share/tinytool/README"]
    left = {str(p.relative_to(prefix)) for p in prefix.rglob("*") if not p.is_dir()}
    assert any(name.startswith("lib/python3.11/site-packages/alpha") for name in left)  # the pip part stays
    assert not any(name.startswith(("bin/tinytool", "share/tinydata", "conda-meta/python-")) for name in left)
    for folder in ("01", "02"):
        shutil.copytree(tmp_path / "layers" / folder / prefix.relative_to("/"), prefix, symlinks=True,
                        dirs_exist_ok=True)
    assert sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if not p.is_dir()) == whole
    result = cli("verify", "--lock", str(lock_file), "--python", str(prefix / "bin" / "python"), "--files")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_conda_lock_tool_file_with_several_platforms_is_checked_for_the_environment_s_own(cli, conda_image,
                                                                                          tmp_path):
    """conda-lock's own multi-platform file (no envbuild metadata): the prefix's platform is chosen,
    unless --platform names another."""
    import yaml

    image = conda_image(["python=3.11", "tinytool"])
    assert lock(cli, image).returncode == 0
    lock_file = image / "locks" / "cpu.conda-lock.yml"
    prefix = tmp_path / "env"
    install_conda_lock(lock_file, prefix)
    doc = yaml.safe_load(lock_file.read_text())
    doc["metadata"].pop("custom_metadata")
    doc["metadata"]["platforms"] = ["linux-64", "linux-aarch64"]
    arm = [dict(p, platform="linux-aarch64", url=p["url"].replace("linux-64", "linux-aarch64"),
                hash=dict(p["hash"], sha256="0" * 64)) for p in doc["package"]]
    doc["package"] += arm
    foreign = tmp_path / "conda-lock.yml"
    foreign.write_text(yaml.safe_dump(doc))
    python = str(prefix / "bin" / "python")
    own = cli("verify", "--lock", str(foreign), "--python", python, "--json")
    assert_no_traceback(own)
    assert own.returncode == 0, own.stdout + own.stderr
    other = cli("verify", "--lock", str(foreign), "--python", python, "--platform", "linux-aarch64", "--json")
    assert other.returncode == 1 and json.loads(other.stdout)["findings"]
    missing = cli("verify", "--lock", str(foreign), "--python", python, "--platform", "osx-arm64")
    assert missing.returncode == 2 and "locks no osx-arm64 (linux-64, linux-aarch64)" in missing.stderr


def test_an_exported_conda_lock_installs_the_same_prefix_and_verifies_clean(cli, conda_image, tmp_path):
    from conda_lock.lockfile import parse_conda_lock_file

    image = conda_image(["python=3.11", "tinytool"], pip=["alpha<2"])
    assert lock(cli, image).returncode == 0
    exported = tmp_path / "conda-lock.yml"
    done = cli("export", str(image), "--format", "conda-lock", "-o", str(exported))
    assert done.returncode == 0, done.stderr
    assert "envbuild-lock" not in exported.read_text()
    assert {p.name for p in parse_conda_lock_file(exported).package} >= {"python", "tinytool", "alpha"}
    prefix = tmp_path / "env"
    install_conda_lock(exported, prefix)
    python = str(prefix / "bin" / "python")
    for against in (image / "locks" / "cpu.conda-lock.yml", exported):
        result = cli("verify", "--lock", str(against), "--python", python, "--files", "--json")
        assert result.returncode == 0, result.stdout + result.stderr
    refused = cli("export", str(image), "--format", "requirements")
    assert refused.returncode == 2 and "its conda packages have no requirements form" in refused.stderr
