from dataclasses import replace

from envbuild.core.lock import Lock, Package
from envbuild.core.check.verify import diff_views, verify, view_of_lock, view_of_snapshot
from tests.support.snapshots import snap as typed

LOCK = Lock(format="requirements", target="cpu", python="3.11", platform="linux/amd64", resolver="uv",
            inputs_digest="sha256:0",
            packages=(Package(name="numpy", version="2.1.0", hashes=("sha256:1",)),
                      Package(name="torch", version="2.4.1+cpu", hashes=("sha256:2",))))


def snapshot(**interp):
    base = {"version": "3.11.7", "implementation": "cpython", "machine": "x86_64", "system": "linux",
            "libc": "glibc", "libc_version": "2.36"}
    base.update(interp)
    return typed({"interpreter": base, "distributions": [
        {"name": "numpy", "version": "2.1", "location": "/v/site"},
        {"name": "torch", "version": "2.4.1+cpu", "location": "/v/site"},
        {"name": "pip", "version": "24.0", "location": "/v/site"}]})


def kinds(findings):
    return [(f.kind, f.name) for f in findings]


def test_a_matching_environment_has_no_findings_and_versions_compare_as_versions():
    assert verify(LOCK, snapshot()) == []  # 2.1 == 2.1.0; pip is a venv seed, not drift


def test_platform_findings_for_arch_musl_and_old_glibc():
    assert kinds(verify(LOCK, snapshot(machine="aarch64"))) == [("platform", "architecture")]
    assert kinds(verify(LOCK, snapshot(libc="musl", libc_version=""))) == [("platform", "libc")]
    old = verify(LOCK, snapshot(libc_version="2.17"))
    assert kinds(old) == [("platform", "libc")] and old[0].actual == "glibc 2.17"
    assert kinds(verify(LOCK, snapshot(version="3.12.1"))) == [("python", "python")]
    assert kinds(verify(LOCK, snapshot(implementation="pypy"))) == [("python", "implementation")]


def test_pip_is_drift_when_the_lock_pins_it():
    lock = replace(LOCK, packages=LOCK.packages + (Package(name="pip", version="25.0", hashes=("sha256:3",)),))
    assert [(f.kind, f.name, f.expected, f.actual) for f in verify(lock, snapshot())] == [("version", "pip", "25.0", "24.0")]


def test_diff_views_in_both_directions():
    train = view_of_lock(LOCK, "train.txt")
    prod = view_of_snapshot(typed({"interpreter": {"version": "3.11.7", "machine": "x86_64", "system": "linux"},
                                   "distributions": [{"name": "numpy", "version": "2.2.0", "location": "/s"},
                                                     {"name": "rich", "version": "13.0", "location": "/s"}]}),
                            "prod.json")
    found = diff_views(train, prod)
    assert [(f.kind, f.name, f.expected, f.actual) for f in found] == [
        ("version", "numpy", "2.1.0", "2.2.0"), ("unexpected", "rich", None, "13.0"), ("missing", "torch", "2.4.1+cpu", None)]


def test_diff_compares_gpu_stacks_of_two_snapshots_but_not_of_a_lock():
    def snap(gpu):
        return typed({"interpreter": {"version": "3.11.7", "machine": "x86_64", "system": "linux"},
                      "distributions": [], "gpu": gpu})

    train = view_of_snapshot(snap({"driver": "550.54.14", "cuda_runtime": "12.4.127", "cudnn": "9.1.0.70",
                                   "torch_cuda": "12.4", "gpus": [{"model": "NVIDIA A100-SXM4-80GB"}]}), "train")
    prod = view_of_snapshot(snap({"driver": "535.104.05", "cuda_runtime": "12.4.127", "cudnn": "8.9.2.26",
                                  "torch_cuda": "12.4", "gpus": [{"model": "NVIDIA L4"}]}), "prod")
    found = [(f.kind, f.name, f.expected, f.actual) for f in diff_views(train, prod)]
    assert found == [("gpu", "cudnn", "9.1.0.70", "8.9.2.26"), ("gpu", "driver", "550.54.14", "535.104.05"),
                     ("gpu", "gpus", "NVIDIA A100-SXM4-80GB", "NVIDIA L4")]
    no_gpu = view_of_snapshot(snap({}), "ci")
    assert ("gpu", "driver", "550.54.14", None) in [(f.kind, f.name, f.expected, f.actual) for f in diff_views(train, no_gpu)]
    assert [f for f in diff_views(view_of_lock(LOCK, "lock"), no_gpu) if f.kind == "gpu"] == []


def test_diff_says_which_way_a_version_moved_and_finds_a_swapped_artifact():
    train = view_of_lock(LOCK, "train.txt")
    newer = view_of_lock(replace(LOCK, packages=(Package(name="numpy", version="2.2.0", hashes=("sha256:1",)),
                                                 Package(name="torch", version="2.4.1+cpu", hashes=("sha256:9",)))), "b")
    found = [(f.kind, f.name, f.detail.split(":")[0]) for f in diff_views(train, newer)]
    assert found == [("version", "numpy", "upgraded"), ("rehashed", "torch", "same version, other files")]
    assert [f.detail for f in diff_views(newer, train) if f.kind == "version"] == ["downgraded"]
    overlapping = view_of_lock(replace(LOCK, packages=(LOCK.packages[0], replace(LOCK.packages[1],
                                                                                 hashes=("sha256:2", "sha256:9")))), "c")
    assert diff_views(train, overlapping) == []  # a file only added: not a swap
    swapped = view_of_lock(replace(LOCK, packages=(LOCK.packages[0], replace(LOCK.packages[1],
                                                                             hashes=("sha256:2", "sha256:8")))), "d")
    [finding] = diff_views(overlapping, swapped)  # one artifact of two replaced (issue 32, item 5)
    assert (finding.kind, finding.name, finding.detail) == ("rehashed", "torch",
                                                            "same version, other files: 1 of its files replaced by others")


def test_diff_reports_files_a_files_snapshot_found_modified():
    prod = view_of_snapshot(typed({"interpreter": {"version": "3.11.7", "machine": "x86_64", "system": "linux"},
                                   "distributions": [{"name": "numpy", "version": "2.1.0", "location": "/s",
                                                      "files": {"modified": ["/s/numpy/linalg/x.py"]}},
                                                     {"name": "torch", "version": "2.4.1+cpu", "location": "/s"}]}),
                            "prod.json")
    [finding] = diff_views(view_of_lock(LOCK, "train.txt"), prod)
    assert (finding.kind, finding.name, finding.actual) == ("modified", "numpy", "1 modified")
    assert finding.detail == "in prod.json: numpy/linalg/x.py" and finding.paths == ("/s/numpy/linalg/x.py",)


def test_determinism_the_expected_side_ran_with_is_drift_when_unset_or_other():
    from envbuild.core.check.verify import View, determinism_findings, diff_views

    training = View(label="run", packages={}, determinism={"PYTHONHASHSEED": "0", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"})
    serving = View(label="prod", packages={}, determinism={"PYTHONHASHSEED": "random", "TF_DETERMINISTIC_OPS": "1"})
    found = diff_views(training, serving)
    assert [(f.kind, f.name, f.expected, f.actual) for f in found] == [
        ("determinism", "CUBLAS_WORKSPACE_CONFIG", ":4096:8", None), ("determinism", "PYTHONHASHSEED", "0", "random")]
    assert "unset here" in found[0].detail and "another value here" in found[1].detail
    assert diff_views(serving, serving) == [] and determinism_findings({}, {"X": "1"}, "why") == []


def test_an_unexpected_package_that_runs_code_at_start_up_is_high_not_low():
    """Issue 32: an extra distribution whose own RECORD lists a .pth with an executable line showed as
    a low 'unexpected', which --fail-on medium passes; it runs code at every interpreter start."""
    from envbuild.core.check.severity import severity
    from envbuild.core.check.verify import package_findings

    site = "/venv/lib/python3.11/site-packages"
    snap = {"distributions": [{"name": "helper", "version": "1.0", "location": site},
                              {"name": "extra", "version": "2.0", "location": site}],
            "pth": [{"path": f"{site}/helper_hook.pth", "owner": "helper", "exec": ["import os; os.system('x')"]},
                    {"path": f"{site}/extra.pth", "owner": "extra", "exec": [], "added": ["/opt/x"]}]}
    extra, helper = package_findings({}, typed(snap), set())  # by name
    assert (helper.name, severity(helper)) == ("helper", "high")
    assert helper.detail == f"runs code at start-up: import os; os.system('x') (helper_hook.pth); in {site}"
    assert helper.paths == (f"{site}/helper_hook.pth",)
    assert (extra.name, severity(extra), extra.detail) == ("extra", "low", f"in {site}")  # a path entry, no code


def test_start_up_code_a_locked_wheel_ships_is_named_and_judged_by_what_the_lock_recorded():
    """Issue 32, way out 4 (the litellm 1.82.7 shape): the payload is in the locked wheel's own RECORD."""
    from envbuild.core.check.severity import severity
    from envbuild.core.check.verify import hook_findings

    site = "/v/lib/python3.11/site-packages"
    snapshot = typed({"distributions": [{"name": "litellm", "version": "1.82.7", "location": site}],
                      "pth": [{"path": f"{site}/litellm_init.pth", "exec": ["import base64; exec(base64.b64decode('...'))"],
                               "owner": "litellm"}, {"path": f"{site}/paths.pth", "exec": [], "owner": "litellm"}]})
    pin = Package(name="litellm", version="1.82.7", hashes=("sha256:1",))
    unrecorded = replace(LOCK, packages=(pin,))
    findings, [note] = hook_findings(snapshot, unrecorded)  # a lock of before: named, not judged
    assert findings == [] and note.startswith("runs code at start-up: litellm_init.pth of litellm 1.82.7")
    [finding], notes = hook_findings(snapshot, replace(unrecorded, hooks_checked=True))
    assert notes == [] and (finding.kind, finding.name, severity(finding)) == ("unowned", "litellm_init.pth", "high")
    assert finding.expected == "the start-up code the lock records for litellm 1.82.7: none"
    assert "b64decode" in finding.detail
    expected = replace(unrecorded, hooks_checked=True, packages=(replace(pin, hooks=("litellm_init.pth",)),))
    findings, [note] = hook_findings(snapshot, expected)
    assert findings == [] and "the lock expects it" in note
    assert hook_findings(snapshot, replace(LOCK, hooks_checked=True)) == ([], [])  # unlocked: 'unexpected' says it


def test_sitecustomize_on_the_path_is_named_where_only_the_place_could_be_asked():
    from envbuild.core.check.verify import hook_findings

    found = [{"module": "sitecustomize", "path": "/usr/lib/python3.11/sitecustomize.py"}]
    assert hook_findings(typed({"customize": found}), LOCK) == ([], [
        "runs code at start-up: sitecustomize at /usr/lib/python3.11/sitecustomize.py"])
    assert hook_findings(typed({"customize": found, "engine": {"labels": {}}}), LOCK) == ([], [])  # its manifest judges it
