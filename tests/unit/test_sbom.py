"""The CycloneDX document (core/lineage/sbom.py): valid against CycloneDX 1.6 by the library's own validator,
every locked hash kept, purls as the purl spec writes them, deterministic."""

from __future__ import annotations

import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from envbuild.core.lock import Package
from envbuild.core.lineage.sbom import BomSubject, cyclonedx_json, subject_of_image

NUMPY = Package(name="numpy", version="2.4.6", manager="pip", hashes=("sha256:" + "a" * 64, "sha256:" + "b" * 64))
TYPING = Package(name="typing_extensions", version="4.15.0", manager="pip", hashes=("sha256:" + "1" * 64,))
LIB = Package(name="libtiny", version="1.1", manager="conda", build="h1_1", md5="d" * 32,
              url="https://conda.anaconda.org/conda-forge/linux-64/libtiny-1.1-h1_1.tar.bz2", hashes=("sha256:" + "c" * 64,))
TOOL = Package(name="tinytool", version="2.0", manager="conda", build="h0_0", md5="f" * 32,
               url="https://conda.anaconda.org/conda-forge/linux-64/tinytool-2.0-h0_0.conda", hashes=("sha256:" + "e" * 64,),
               dependencies=(("libtiny", ">=1.1"), ("__glibc", ">=2.17")))
SUBJECT = BomSubject(name="team/model", target="cpu", packages=(NUMPY, TYPING, LIB, TOOL), created="2026-11-01T00:00:00Z",
                     tool_version="0.1.0", image="team/model:cpu-0123456789ab",
                     base=("envbuild/base:bookworm", "sha256:" + "9" * 64), project=("tinytrain", "0.1.0", "8" * 64),
                     lock_sha256="7" * 64)


def components(doc: dict) -> dict[str, dict]:
    return {c["bom-ref"]: c for c in doc["components"]}


def test_the_document_is_valid_cyclonedx_1_6_and_the_same_bytes_every_time():
    text = cyclonedx_json(SUBJECT)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert text == cyclonedx_json(SUBJECT)
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6" and doc["metadata"]["timestamp"] == "2026-11-01T00:00:00+00:00"
    assert doc["metadata"]["component"]["type"] == "container" and doc["metadata"]["component"]["name"] == "team/model"
    assert doc["metadata"]["tools"]["components"] == [{"name": "envbuild", "type": "application", "version": "0.1.0"}]
    other = cyclonedx_json(BomSubject(**{**SUBJECT.__dict__, "packages": (NUMPY,)}))
    assert json.loads(other)["serialNumber"] != doc["serialNumber"]  # derived from the content


def test_every_locked_hash_is_kept_with_its_purl():
    found = components(json.loads(cyclonedx_json(SUBJECT)))
    numpy = found["pkg:pypi/numpy@2.4.6"]
    assert [h["content"] for h in numpy["hashes"]] == ["a" * 64, "b" * 64]
    assert "pkg:pypi/typing-extensions@4.15.0" in found  # the purl spec's PyPI names
    lib = found["pkg:conda/libtiny@1.1?build=h1_1&channel=conda-forge&subdir=linux-64&type=tar.bz2"]
    assert {(h["alg"], h["content"]) for h in lib["hashes"]} == {("SHA-256", "c" * 64), ("MD5", "d" * 32)}
    assert lib["externalReferences"] == [{"type": "distribution", "url": LIB.url}]
    assert "type=conda" in next(ref for ref in found if ref.startswith("pkg:conda/tinytool"))


def test_the_base_image_and_the_project_are_components_and_conda_dependencies_are_relations():
    doc = json.loads(cyclonedx_json(SUBJECT))
    found = components(doc)
    base = next(c for ref, c in found.items() if ref.startswith("base:"))
    assert base["type"] == "container" and base["version"] == "sha256:" + "9" * 64
    assert base["purl"].startswith("pkg:oci/base@sha256:") and "tag=bookworm" in base["purl"]
    project = found["project:pkg:pypi/tinytrain@0.1.0"]
    assert project["hashes"] == [{"alg": "SHA-256", "content": "8" * 64}]
    relations = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert sorted(relations["envbuild:team/model:cpu"]) == sorted(found)  # the environment holds them all
    tool = next(ref for ref in found if ref.startswith("pkg:conda/tinytool"))
    assert relations[tool] == [next(ref for ref in found if ref.startswith("pkg:conda/libtiny"))]  # __glibc: virtual


def test_a_bare_lock_has_no_timestamp_and_an_image_s_labels_give_its_subject():
    bare = json.loads(cyclonedx_json(BomSubject(name="cpu.txt", target="cpu", packages=(NUMPY,), created=None,
                                                tool_version="0.1.0")))
    assert "timestamp" not in bare["metadata"] and bare["metadata"]["component"]["type"] == "application"
    labels = {"org.opencontainers.image.title": "team/model", "dev.envbuild.target": "cpu",
              "org.opencontainers.image.created": "2026-11-01T00:00:00Z", "dev.envbuild.platform": "linux/amd64",
              "org.opencontainers.image.base.name": "envbuild/base:bookworm",
              "org.opencontainers.image.base.digest": "sha256:" + "9" * 64}
    image_json = {"project": {"name": "tinytrain", "version": "0.1.0", "sha256": "8" * 64, "wheel": "x.whl"}}
    subject = subject_of_image(labels, image_json, SUBJECT.packages, image=SUBJECT.image, tool_version="0.1.0",
                               lock_sha256="7" * 64)
    assert cyclonedx_json(subject) == cyclonedx_json(SUBJECT)  # what build embeds is what an image gives back


@pytest.mark.parametrize("created", ["2026-11-01T00:00:00Z", "2026-11-01T00:00:00+00:00"])
def test_created_times_in_either_iso_form(created):
    doc = json.loads(cyclonedx_json(BomSubject(**{**SUBJECT.__dict__, "created": created})))
    assert doc["metadata"]["timestamp"] == "2026-11-01T00:00:00+00:00"
