"""core/envvars.py: ${VAR} references in index and channel URLs."""

import pytest

from envbuild.core.envvars import expand, references
from envbuild.core.redact import redact_text
from envbuild.errors import UserError


def test_references_are_listed_once_sorted():
    assert references("https://${USER}:${TOKEN}@h/${TOKEN}/simple") == ["TOKEN", "USER"]
    assert references("https://h/simple") == []


def test_expanded_values_are_redacted_from_then_on():
    url = expand("https://h/t/${PRIVATE_INDEX_TOKEN}/simple", {"PRIVATE_INDEX_TOKEN": "tok-98765-secret"})
    assert url == "https://h/t/tok-98765-secret/simple"
    assert redact_text(f"GET {url} failed") == "GET https://h/t/***/simple failed"


def test_an_unset_variable_is_the_user_s_mistake():
    with pytest.raises(UserError, match=r"refers to \$\{NOPE\}, which is not set"):
        expand("https://${NOPE}@h/simple", {})
