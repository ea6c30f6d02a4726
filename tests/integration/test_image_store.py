"""The containerd image store (Docker 29's default), as far as this machine can show it: Docker 29
cannot run here, but its importer can — dockerd's own containerd, through `ctr image import`, in a
namespace of the test's own. The thin archive the graph-driver store loads is refused there; the full
archive normalisation writes on that store imports, as the very image (its config digest is the ID).
And the full-archive path of Engine.normalize, run on this engine, gives the thin path's image ID."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from envbuild.adapters.engine.archives import full_archive, thin_archive
from envbuild.core.image.plan import kept_layers, normalized_config

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SOCKET = "/var/run/docker/containerd/containerd.sock"


def ctr(namespace: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ctr", "--address", SOCKET, "-n", namespace, *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def namespace():
    if shutil.which("ctr") is None or not Path(SOCKET).exists():
        pytest.fail("ctr and dockerd's containerd are needed (Debian's docker.io brings both: scripts/setup-docker.sh)")
    name = f"envbuild-test-{uuid.uuid4().hex[:8]}"
    yield name
    for ref in ctr(name, "images", "ls", "-q").stdout.split():
        ctr(name, "images", "rm", "--sync", ref)
    ctr("default", "namespaces", "rm", name)


def history_of(engine, image_id: str) -> list[str]:
    """The history lines normalisation wrote, the lowest layer's first."""
    return [entry["CreatedBy"] for entry in reversed(engine.client.api.history(image_id))]


def normalised(engine, image_id: str) -> tuple[bytes, tuple[str, ...]]:
    """The config normalisation writes for an image envbuild built (normalising again changes nothing)."""
    raw = engine.inspect(image_id).raw
    history = history_of(engine, image_id)
    config = normalized_config(raw, created=raw["Created"], history=history)
    assert "sha256:" + hashlib.sha256(config).hexdigest() == image_id
    return config, kept_layers(raw, len(history))


def test_containerd_refuses_the_thin_archive_and_imports_the_full_one(built_image, engine, namespace, tmp_path):
    image_id, ref = built_image[1]["id"], "envbuild-test/store:normalised"
    config, layers = normalised(engine, image_id)
    thin = tmp_path / "thin.tar"
    thin.write_bytes(thin_archive(config, image_id[7:], layers, ref))
    refused = ctr(namespace, "images", "import", "--no-unpack", str(thin))
    assert refused.returncode != 0 and "layer.tar" in refused.stderr and "not found" in refused.stderr, refused.stderr
    saved = tmp_path / "saved.tar"
    subprocess.run(["docker", "save", "-o", str(saved), image_id], check=True, timeout=300)
    full = tmp_path / "full.tar"
    with full.open("wb") as out:
        full_archive(saved, out, config, image_id[7:], len(layers), ref)
    imported = ctr(namespace, "images", "import", "--no-unpack", str(full))
    assert imported.returncode == 0, imported.stderr
    listed = [line.split() for line in ctr(namespace, "images", "ls").stdout.splitlines()[1:]]
    (name, _media, manifest_digest, *_rest), = listed
    assert name == f"docker.io/{ref}"
    manifest = json.loads(ctr(namespace, "content", "get", manifest_digest).stdout)
    assert manifest["config"]["digest"] == image_id  # the very image: same config, so same ID
    assert len(manifest["layers"]) == len(layers)


def test_normalise_on_the_containerd_path_gives_the_thin_path_s_image(built_image, engine):
    """Engine.normalize as it runs on a containerd store (save, rewrite, load the full archive), on
    this engine: the image that comes back is the one the thin path gave."""
    from envbuild.adapters.engine.docker import Engine

    image_id = built_image[1]["id"]
    history = history_of(engine, image_id)
    created = engine.inspect(image_id).raw["Created"]
    containerd_path = Engine(engine.client)
    containerd_path._store = "containerd"  # what image_store() answers on Docker 29
    ref = f"envbuild-test/store:{uuid.uuid4().hex[:8]}"
    try:
        assert containerd_path.normalize(image_id, created=created, history=history, ref=ref) == image_id
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True)
    assert built_image[1]["image_store"] == "overlay2"
    assert built_image[1]["config_digest"] == image_id and built_image[1]["manifest_digest"] is None
