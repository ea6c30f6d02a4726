"""adapters/engine/training.py without an engine: the network a training gets, and mounts that cannot carry
options of their own (issue 34)."""

from __future__ import annotations

import pytest

from envbuild.adapters.engine.training import Mount, network_for
from envbuild.errors import UserError


@pytest.mark.parametrize("metrics_file, uri, expected", [
    ("/workspace/metrics.json", "http://127.0.0.1:5000", "none"),  # envbuild reads the metrics: no network
    (None, None, "none"),
    (None, "http://127.0.0.1:5000", "host"),  # the bridge cannot reach the host's loopback
    (None, "http://localhost:5000", "host"),
    (None, "https://mlflow.example.com", "bridge"),
])
def test_a_training_gets_the_least_network_it_needs(metrics_file, uri, expected):
    assert network_for(metrics_file=metrics_file, tracking_uri=uri) == expected


@pytest.mark.parametrize("source, target", [
    ("/data/x,readonly=false", "/data"), ('/data/"x', "/data"), ("/data", "/data,bind-propagation=shared"),
    ("/data", "relative"), ("/data", "/a/../etc"),
])
def test_a_mount_cannot_smuggle_options(source, target):
    with pytest.raises(UserError):
        Mount(source=source, target=target)
    assert Mount(source="/srv/work space", target="/data").target == "/data"
