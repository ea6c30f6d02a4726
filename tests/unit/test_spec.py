import pytest

from envbuild.core.spec.model import DEFAULT_INDEX, parse_spec
from envbuild.errors import SpecError

GOOD = """
name: team/model
python: "3.11"
requirements: [requirements.in]
index:
  extra: [https://download.pytorch.org/whl/cpu]
exclude-newer: 2026-11-01
targets:
  cpu: {}
  cuda:
    base: nvidia/cuda:12.4.1-runtime-ubuntu22.04
    requirements:
      - cuda.in
      - "pyproject.toml[gpu, extra2]"
    index: {url: https://mirror.example/simple, extra: [https://download.pytorch.org/whl/cu124]}
    cuda: "12.4"
"""


def test_good_spec_parses_every_field():
    spec = parse_spec(GOOD)
    assert spec.name == "team/model" and spec.python == "3.11" and spec.platform == "linux/amd64"
    assert spec.exclude_newer == "2026-11-01T00:00:00Z"
    cuda = spec.target("cuda")
    assert cuda.cuda == "12.4" and cuda.base.startswith("nvidia/cuda")
    assert [r.path for r in spec.inputs_for(cuda)] == ["requirements.in", "cuda.in", "pyproject.toml"]
    assert spec.inputs_for(cuda)[2].extras == ("gpu", "extra2")
    assert spec.index_url(spec.target("cpu")) == DEFAULT_INDEX
    assert spec.index_url(cuda) == "https://mirror.example/simple"
    assert spec.extra_index_urls(cuda) == ("https://download.pytorch.org/whl/cpu", "https://download.pytorch.org/whl/cu124")


def test_whitespace_and_comments_do_not_change_the_model():
    noisy = "# a comment\r\n" + GOOD.replace("\n", "   \r\n").replace("cpu: {}", "cpu: {}   # the cpu one")
    assert parse_spec(noisy) == parse_spec(GOOD)


@pytest.mark.parametrize(
    "change, message",
    [
        (("cpu: {}", "cpu: {bsae: x}"), "envbuild.yaml: targets.cpu.bsae: unknown key"),
        (("    base: nvidia/cuda:12.4.1-runtime-ubuntu22.04", "    base: [a, b]"),
         "envbuild.yaml: targets.cuda.base: expected a string (an image reference), got a list"),
        (('python: "3.11"', "python: 3.1"), "envbuild.yaml: python: expected a Python version"),
        (('cuda: "12.4"', "cuda: twelve"), "targets.cuda.cuda: expected a CUDA version"),
        (("exclude-newer: 2026-11-01", "exclude-newer: last tuesday"), "exclude-newer: expected a date"),
        (("name: team/model", "name: Team Model"), "name: expected a lowercase image name"),
        (("name: team/model\n", "name: team/model\nplatform: windows/amd64\n"), "platform: expected one of"),
        (("index:\n  extra:", "index:\n  extra: 5\n  other:"), "index.other: unknown key"),
        (("  cpu: {}", "  CPU: {}"), "targets.CPU: expected a target name"),
    ],
)
def test_errors_name_the_file_the_key_path_and_what_was_expected(change, message):
    with pytest.raises(SpecError) as err:
        parse_spec(GOOD.replace(*change))
    assert message in err.value.message
    assert err.value.exit_code == 2


def test_unknown_key_suggests_the_closest_known_one():
    with pytest.raises(SpecError) as err:
        parse_spec(GOOD.replace("exclude-newer:", "exclude_newer:"))
    assert err.value.path == "exclude_newer" and err.value.hint == "did you mean 'exclude-newer'?"


def test_python_written_as_a_bare_float_gets_a_quoting_hint():
    with pytest.raises(SpecError) as err:
        parse_spec(GOOD.replace('python: "3.11"', "python: 3.10"))
    assert "quote it" in err.value.hint


def test_duplicate_keys_are_refused_not_silently_overwritten():
    with pytest.raises(SpecError, match="duplicate key 'python'"):
        parse_spec(GOOD + 'python: "3.12"\n')


def test_malformed_yaml_reports_line_and_column():
    with pytest.raises(SpecError, match=r"invalid YAML: line \d+, column \d+"):
        parse_spec("name: x\ntargets: [unclosed\n")


@pytest.mark.parametrize("text, path", [("", ""), ("name: x\npython: '3.11'\n", "targets"),
                                         ("- a\n- b\n", "(top level)")])
def test_empty_or_incomplete_specs(text, path):
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert err.value.path == path


def test_a_target_without_any_requirements_is_an_error():
    with pytest.raises(SpecError, match="targets.cpu.requirements: no requirements"):
        parse_spec("name: x\npython: '3.11'\ntargets:\n  cpu: {}\n")


def test_unknown_target_lists_the_defined_ones():
    with pytest.raises(SpecError, match=r"no target named 'gpu' \(defined: cpu, cuda\)"):
        parse_spec(GOOD).target("gpu")


def test_extras_only_for_pyproject():
    with pytest.raises(SpecError, match=r"requirements\[0\]: extras in brackets"):
        parse_spec(GOOD.replace("requirements: [requirements.in]", "requirements: ['requirements.in[x]']"))


def test_a_python_older_than_envbuild_supports_says_so():
    import pytest

    from envbuild.errors import SpecError

    with pytest.raises(SpecError, match=r"python: Python 3\.7 is older than envbuild supports \(3\.8 and newer"):
        parse_spec('name: a/b\npython: "3.7"\nrequirements: r.in\ntargets:\n  cpu: {}\n')
