import pytest

from envbuild.core.inputs.pyproject import requirements_from_pyproject
from envbuild.core.inputs.requirements import logical_lines, parse_requirements_text


def test_logical_lines_join_continuations_strip_comments_and_handle_crlf_and_bom():
    text = "\ufeffnumpy>=1.26 \\\r\n    ; python_version >= '3.10'  # why\r\n# full comment\r\n\r\nrequests\r\n"
    assert logical_lines(text) == [(1, "numpy>=1.26 ; python_version >= '3.10'"), (5, "requests")]


def test_named_requirements_are_normalised():
    parsed = parse_requirements_text("Requests [socks] >= 2.31 ; python_version>='3.8'\nnumpy\n", "r.in")
    assert [r.text for r in parsed.requirements] == ['Requests[socks]>=2.31; python_version >= "3.8"', "numpy"]
    assert [r.name for r in parsed.requirements] == ["requests", "numpy"]
    assert parsed.requirements[0].origin == "r.in:1"


def test_options_includes_and_indexes():
    text = ("-r base.txt\n--requirement=more.txt\n-c constraints.txt\n"
            "--index-url https://mirror/simple/\n--extra-index-url https://download.pytorch.org/whl/cu121\n"
            "--pre\n--prefer-binary\ntorch==2.1.0 --hash=sha256:abc\n")
    parsed = parse_requirements_text(text, "r.in")
    assert [(i.kind, i.path) for i in parsed.includes] == [("requirements", "base.txt"), ("requirements", "more.txt"),
                                                           ("constraints", "constraints.txt")]
    assert parsed.index_url == "https://mirror/simple"
    assert parsed.extra_index_urls == ("https://download.pytorch.org/whl/cu121",)
    assert parsed.prerelease and not parsed.problems
    assert [r.text for r in parsed.requirements] == ["torch==2.1.0"]


@pytest.mark.parametrize(
    "line, kind",
    [
        ("git+https://github.com/huggingface/peft.git", "vcs"),
        ("clip @ hg+https://hg.example.com/clip", "vcs"),  # git is locked (issue 12); other VCSs are not
        ("clip @ git://github.com/openai/CLIP.git", "git-protocol"),
        ("-e git+https://github.com/pytorch/pytorch_sphinx_theme.git#egg=pytorch_sphinx_theme", "editable"),
        ("-e .", "editable"),
        ("https://download.pytorch.org/whl/cpu/torch-1.8.1%2Bcpu-cp37-cp37m-linux_x86_64.whl", "url"),
        ("torch @ https://download.pytorch.org/whl/torch-2.0.0-cp311-none-linux_x86_64.whl", "url"),
        ("./vendor/mylib", "path"),
        ("mylib @ file:///opt/mylib", "path"),
        ("dist/mylib-1.0-py3-none-any.whl", "path"),
        ("--find-links ./wheels", "find-links"),  # a path: say it as a URL (issue 12 takes URLs)
        ("--no-index", "no-index"),
        ("numpy>=>1", "invalid"),
        ("--some-unknown-option", "option"),
    ],
)
def test_unpinnable_lines_become_problems_naming_the_line(line, kind):
    parsed = parse_requirements_text(f"numpy\n{line}\n", "requirements.txt")
    assert [(p.kind, p.origin) for p in parsed.problems] == [(kind, "requirements.txt:2")]
    assert "requirements.txt:2" in parsed.problems[0].message and parsed.problems[0].hint
    assert [r.name for r in parsed.requirements] == ["numpy"]


def test_pyproject_dependencies_extras_and_self_reference():
    data = {"project": {"name": "lm_eval", "dependencies": ["numpy", "torch>=2"],
                        "optional-dependencies": {"math": ["sympy"], "dev": ["pytest"], "all": ["lm_eval[math,dev]"]}}}
    result = requirements_from_pyproject(data, ("all",), "pyproject.toml")
    assert [r.text for r in result.requirements] == ["numpy", "torch>=2", "pytest", "sympy"]
    assert result.requirements[3].origin == "pyproject.toml:project.optional-dependencies.math[0]"


@pytest.mark.parametrize("data, extras, error", [
    ({}, (), "has no [project] table"),
    ({"project": {"name": "x", "dynamic": ["dependencies"]}}, (), "declares its dependencies as dynamic"),
    ({"project": {"name": "x", "optional-dependencies": {"a": []}}}, ("b",), "has no extra 'b' (extras: a)"),
])
def test_pyproject_whole_file_problems(data, extras, error):
    assert error in requirements_from_pyproject(data, extras, "pyproject.toml").error


def test_find_links_urls_are_read_from_a_requirements_file():
    parsed = parse_requirements_text("-f https://example.com/wheels/\n--find-links file:///srv/wheels\nalpha\n", "r.in")
    assert parsed.find_links == ("https://example.com/wheels", "file:///srv/wheels") and not parsed.problems


def test_a_named_git_requirement_is_a_lock_input():
    parsed = parse_requirements_text("clip @ git+https://github.com/openai/CLIP.git@v1.0\n"
                                     "git+https://github.com/o/peft.git@main#egg=peft\n", "r.in")
    assert not parsed.problems
    assert [(r.name, r.vcs) for r in parsed.requirements] == [
        ("clip", "git+https://github.com/openai/CLIP.git@v1.0"), ("peft", "git+https://github.com/o/peft.git@main")]
