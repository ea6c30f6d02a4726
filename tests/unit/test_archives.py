"""The archives normalisation loads (adapters/engine/archives.py), and which image store an engine has."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from envbuild.adapters.engine.archives import full_archive, thin_archive
from envbuild.adapters.engine.docker import store_of
from envbuild.errors import BuildError

CONFIG = b'{"rootfs":{"type":"layers"}}'
HEX = "c" * 64


def test_the_store_is_containerd_s_where_docker_info_says_so():
    docker29 = {"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}
    assert store_of(docker29) == "containerd"
    assert store_of({"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]]}) == "overlay2"
    assert store_of({"Driver": "vfs", "DriverStatus": None}) == "vfs"


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_a_thin_archive_names_the_layers_and_carries_none():
    files = members(thin_archive(CONFIG, HEX, ["sha256:" + "1" * 64], "team/model:cpu-1"))
    assert set(files) == {f"{HEX}.json", "manifest.json"}
    assert json.loads(files["manifest.json"]) == [{"Config": f"{HEX}.json", "RepoTags": ["team/model:cpu-1"],
                                                   "Layers": ["1" * 64 + "/layer.tar"]}]


def saved(tmp_path, layout: str):
    """A `docker save` archive: the legacy layout (layer.tar in folders) or Docker 25's OCI one (blobs,
    with the legacy names as links to them), three layers, an index.json that must not travel."""
    path = tmp_path / f"{layout}.tar"
    with tarfile.open(path, "w") as tar:
        names = []
        for i in range(3):
            data = f"layer {i}".encode()
            name = f"blobs/sha256/{i:064d}" if layout == "oci" else f"{i:064d}/layer.tar"
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
            if layout == "oci":
                link = tarfile.TarInfo(f"{i:064d}/layer.tar")
                link.type, link.linkname = tarfile.SYMTYPE, f"../blobs/sha256/{i:064d}"
                tar.addfile(link)
                name = link.name
            names.append(name)
        for member, data in (("manifest.json", json.dumps([{"Config": "old.json", "Layers": names}]).encode()),
                             ("old.json", b"{}"), ("index.json", b'{"manifests": []}')):
            entry = tarfile.TarInfo(member)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    return path


@pytest.mark.parametrize("layout", ["legacy", "oci"])
def test_a_full_archive_is_the_saved_image_with_the_new_config_and_only_the_kept_layers(tmp_path, layout):
    out = io.BytesIO()
    full_archive(saved(tmp_path, layout), out, CONFIG, HEX, 2, "team/model:cpu-1")
    files = members(out.getvalue())
    assert files["layers/000.tar"] == b"layer 0" and files["layers/001.tar"] == b"layer 1"
    assert files[f"blobs/sha256/{HEX}"] == CONFIG
    assert set(files) == {"layers/000.tar", "layers/001.tar", f"blobs/sha256/{HEX}", "manifest.json"}  # no index.json
    assert json.loads(files["manifest.json"]) == [{"Config": f"blobs/sha256/{HEX}", "RepoTags": ["team/model:cpu-1"],
                                                   "Layers": ["layers/000.tar", "layers/001.tar"]}]


def test_a_saved_image_with_fewer_layers_than_its_config_is_an_error(tmp_path):
    with pytest.raises(BuildError, match="saved 3 layers of x:1, fewer than its config's 4"):
        full_archive(saved(tmp_path, "legacy"), io.BytesIO(), CONFIG, HEX, 4, "x:1")
