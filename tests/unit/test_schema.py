"""envbuild schema: every example spec passes it, it knows exactly the reader's keys, and on a set of
invalid specs it says no where the reader does (jsonschema's validator, draft 2020-12)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import pytest
import yaml

from envbuild.core.spec import model as spec
from envbuild.core.spec.schema import spec_schema
from envbuild.errors import SpecError

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = sorted(p for p in REPO.glob("**/envbuild.yaml") if not any(part.startswith(".") for part in p.parts))


def as_json(value):
    """YAML as an editor's language server sees it: dates are strings."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v))


@functools.cache
def validator():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(spec_schema())
    return Draft202012Validator(spec_schema())


def test_the_schema_has_exactly_the_reader_s_keys():
    schema = spec_schema()
    assert set(schema["properties"]) == spec._TOP_KEYS
    assert set(schema["$defs"]["target"]["properties"]) == spec._TARGET_KEYS


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_example_spec_passes(path):
    assert len(EXAMPLES) >= 7
    errors = [e.message for e in validator().iter_errors(as_json(yaml.safe_load(path.read_text())))]
    assert errors == []


GOOD = {"name": "team/model", "python": "3.11", "requirements": ["requirements.in"], "targets": {"cpu": {}}}


@pytest.mark.parametrize("change", [
    {"nmae": "x"},  # a misspelt key
    {"python": "3.x"},
    {"name": "Team Model"},
    {"platform": "windows/amd64"},
    {"targets": {}},
    {"targets": {"CPU!": {}}},
    {"targets": {"cpu": {"bsae": "x"}}},
    {"targets": {"cuda": {"cuda": "twelve"}}},
    {"targets": {"cpu": {"base": ["a"]}}},
    {"entrypoint": "train --fast"},  # a shell string, not the exec form
    {"workdir": "workspace"},
    {"env": {"1BAD": "x"}},
    {"user": "Root User"},
    {"layers": {"max": 2}},
    {"layers": {"groups": {"cuda": ["nvidia-*"]}}},  # a reserved group name
    {"conda": "environment.txt"},
    {"index": {"url": "ftp://mirror"}},
    {"exclude-newer": "yesterday"},
    {"files": [{"src": "a"}]},
    {"source": "https://user:pw@github.com/org/repo"},
])
def test_the_schema_refuses_what_the_reader_refuses(change):
    data = {**GOOD, **change}
    with pytest.raises(SpecError):
        spec.spec_from_dict(data)
    assert list(validator().iter_errors(as_json(data))), f"the schema accepts {change}"


@pytest.mark.parametrize("change", [
    {"python": 3.12},
    {"index": "https://mirror.example/simple"},
    {"targets": {"cpu": None, "cuda": {"cuda": "12.8", "base": "nvidia/cuda:12.8.0-runtime-ubuntu24.04"}}},
    {"determinism": {"PYTHONHASHSEED": "1", "TF_DETERMINISTIC_OPS": None}},
    {"layers": {"threshold": "500MiB", "groups": {"torch-stack": ["torch", "triton"]}}},
    {"user": 1000, "env": {"OMP_NUM_THREADS": 4}},
])
def test_the_schema_accepts_what_the_reader_accepts(change):
    data = {**GOOD, **change}
    spec.spec_from_dict(data)
    assert [e.message for e in validator().iter_errors(as_json(data))] == []


@pytest.mark.parametrize("value", ["32MB", "32mb", "500MiB", "4 kb", "1.5GB", "7", "2B", "32M", "32Mi", "MB", "32 XB",
                                   "-1MB", "1e3"])
def test_the_schema_s_size_grammar_is_the_reader_s(value):
    """Issue 35: the editor schema once accepted '32M' and said the threshold defaults to 32MB, while
    the reader refused '32M' and the default is 4 MB. Now one pattern and one constant serve both."""
    import re

    from envbuild.core.spec import layers
    from envbuild.core.spec.keypaths import Reader

    threshold = spec_schema()["properties"]["layers"]["properties"]["threshold"]
    pattern = next(option["pattern"] for option in threshold["oneOf"] if option.get("type") == "string")
    try:
        layers.rules_from(Reader("f"), "layers", {"threshold": value})
        read = True
    except SpecError:
        read = False
    assert bool(re.match(pattern, value)) == read, value
    assert "(4MB)" in threshold["description"] and layers.DEFAULT_THRESHOLD == 4 * layers.MB
