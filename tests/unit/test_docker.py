"""adapters/engine/docker.py: the parts that need no engine."""

import pytest

from envbuild.adapters.engine.docker import api_timeout, repository_and_tag
from envbuild.errors import UserError


@pytest.mark.parametrize("ref, expected", [
    ("team/model:cpu-ab12", ("team/model", "cpu-ab12")),
    ("127.0.0.1:5000/team/model:cpu", ("127.0.0.1:5000/team/model", "cpu")),
    ("127.0.0.1:5000/team/model", ("127.0.0.1:5000/team/model", "latest")),
    ("debian", ("debian", "latest")),
])
def test_split_ref_handles_registry_ports(ref, expected):
    assert repository_and_tag(ref) == expected


def test_a_digest_reference_cannot_be_a_tag():
    with pytest.raises(UserError, match="cannot tag by digest"):
        repository_and_tag("debian@sha256:" + "0" * 64)


def test_the_api_timeout_comes_from_the_environment():
    assert api_timeout({}) == 60.0
    assert api_timeout({"ENVBUILD_DOCKER_TIMEOUT": "2.5"}) == 2.5
    with pytest.raises(UserError, match="expected a number of seconds"):
        api_timeout({"ENVBUILD_DOCKER_TIMEOUT": "soon"})
