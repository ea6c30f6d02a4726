import pytest

from envbuild.core.inputs.conda_env import DEFAULTS, channel_url, parse_environment
from envbuild.core.spec.model import parse_spec
from envbuild.errors import SpecError


def test_channels_dependencies_and_the_pip_section():
    env = parse_environment("""
name: demo          # a place on someone's disk: ignored
channels: [pytorch, https://user:secret@conda.example.com/ml, ./channel, nodefaults]
dependencies:
  - python=3.11
  - "pytorch::pytorch  >=2.4"
  - pip
  - pip:
    - --extra-index-url https://pypi.nvidia.com
    - requests<3
""", "environment.yml")
    # kept as written for the solve (a private channel needs its login); never in what a lock records
    assert env.channels == ("pytorch", "https://user:secret@conda.example.com/ml", "channel")
    assert env.digest_view()["channels"] == ["pytorch", "https://conda.example.com/ml", "channel"]
    assert env.specs == ("python=3.11", "pytorch::pytorch >=2.4", "pip")
    assert [r.text for r in env.pip] == ["requests<3"]
    assert env.pip_extra_index_urls == ("https://pypi.nvidia.com",)
    assert not env.problems


def test_defaults_expand_unless_nodefaults_and_no_channels_means_defaults():
    assert parse_environment("channels: [conda-forge, defaults]\ndependencies: [numpy]", "e.yml").channels == (
        "conda-forge", *DEFAULTS)
    assert parse_environment("dependencies: [numpy]", "e.yml").channels == DEFAULTS
    with pytest.raises(SpecError, match="no channels"):
        parse_environment("channels: [nodefaults]\ndependencies: [numpy]", "e.yml")


def test_pip_lines_that_cannot_be_hash_pinned_are_problems_with_their_origin():
    env = parse_environment("""
channels: [conda-forge]
dependencies:
  - pip:
    - -e .
    - git+https://github.com/facebookincubator/submitit
    - -r other.txt
""", "env.yml")
    assert [p.kind for p in env.problems] == ["editable", "vcs", "option"]
    assert env.problems[0].origin.startswith("env.yml (pip)")


@pytest.mark.parametrize("text, where", [
    ("channels: conda-forge\ndependencies: [numpy]", "channels"),
    ("channels: [conda-forge]\ndependencies: []", "dependencies"),
    ("channels: [conda-forge]\ndependencies: [3.11]", "dependencies[0] (line 2)"),
    ("channels: [conda-forge]\ndependencies:\n  - numpy\n  - {conda: [x]}", "dependencies[1] (line 4)"),
    ("channels: [conda-forge]\ndependencies: [numpy]\nvariables: {A: b}", "variables"),
    ("channels: [conda-forge]\ndependencies: [numpy]\ndependencies: [scipy]", ""),
    ("channels: [ftp://x/y]\ndependencies: [numpy]", "channels[0] (line 1)"),
    ("chanels: [conda-forge]\ndependencies: [numpy]", "chanels"),
])
def test_bad_environment_files_name_the_key(text, where):
    with pytest.raises(SpecError) as info:
        parse_environment(text, "env.yml")
    assert info.value.path == where


def test_channel_urls():
    assert channel_url("conda-forge", "/x") == "https://conda.anaconda.org/conda-forge"
    assert channel_url("channel", "/x") == "https://conda.anaconda.org/channel"
    assert channel_url("./local", "/img") == "file:///img/local"
    assert channel_url("file:///srv/ch", "/img") == "file:///srv/ch"


def test_spec_conda_key_replaces_requirements_and_must_be_an_environment_file():
    spec = parse_spec("name: a/b\npython: '3.11'\nconda: environment.yml\ntargets: {cpu: {}, gpu: {conda: gpu.yml}}")
    assert spec.conda_for(spec.target("cpu")) == "environment.yml"
    assert spec.conda_for(spec.target("gpu")) == "gpu.yml"
    with pytest.raises(SpecError, match="environment file ending in .yml"):
        parse_spec("name: a/b\npython: '3.11'\nconda: requirements.txt\ntargets: {cpu: {}}")
    with pytest.raises(SpecError, match="no requirements") as info:
        parse_spec("name: a/b\npython: '3.11'\ntargets: {cpu: {}}")
    assert "conda: environment.yml" in info.value.hint


def test_the_conda_example_image_reads():
    from envbuild.adapters.inputs import load_spec, load_target_inputs
    from tests.conftest import REPO

    directory = REPO / "images" / "conda"
    spec = load_spec(directory)
    for target in spec.targets:
        inputs = load_target_inputs(spec, directory, target)
        assert inputs.conda is not None and inputs.conda.channels == ("conda-forge",)
        assert [r.name for r in inputs.conda.pip] == ["requests"]
    assert spec.target("cuda").cuda == "12.4"


def test_package_urls_keep_channel_variables_and_lose_literal_credentials():
    from envbuild.ecosystems.conda import _from_record

    record = {"name": "a", "version": "1", "build": "h0", "sha256": "0", "md5": "1", "depends": ["b >=2", "c"]}
    channels = [("https://robot:t0ken@conda.example.com/ml", "https://${USER}:${TOKEN}@conda.example.com/ml"),
                ("https://user:secret@other.example.com/ch", "https://user:secret@other.example.com/ch")]
    first = _from_record(dict(record, url="https://robot:t0ken@conda.example.com/ml/linux-64/a-1-h0.conda"), channels)
    assert first.url == "https://${USER}:${TOKEN}@conda.example.com/ml/linux-64/a-1-h0.conda"
    assert first.dependencies == (("b", ">=2"), ("c", "*"))
    second = _from_record(dict(record, url="https://user:secret@other.example.com/ch/noarch/a-1-h0.conda"), channels)
    assert second.url == "https://other.example.com/ch/noarch/a-1-h0.conda"


def test_the_silent_channel_named_is_the_first_in_the_file_s_order(tmp_path):
    from envbuild.adapters.index.conda import _first_silent

    good, gone = tmp_path / "good", tmp_path / "gone"
    (good / "linux-64").mkdir(parents=True)
    (good / "linux-64" / "repodata.json").write_text("{}")
    assert _first_silent([f"file://{good}", f"file://{gone}", "http://127.0.0.1:9/ch"], "linux-64") == f"file://{gone}"
    assert _first_silent([f"file://{good}"], "linux-64") is None
    assert _first_silent(["http://127.0.0.1:9/ch", f"file://{gone}"], "linux-64", timeout=2) == "http://127.0.0.1:9/ch"

