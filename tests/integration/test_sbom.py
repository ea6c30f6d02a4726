"""envbuild sbom from a lock, an image directory, a conda lock and a snapshot, hermetic (the local
index and channel); the document validated by CycloneDX's own library. The image case (the SBOM
build embeds, read back with --image) is test_build.py's, on a real engine."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from envbuild.core.lock import read_lock
from tests.conftest import assert_no_traceback

PINNED_BASE = "python:3.11-slim-bookworm@sha256:" + "ab" * 32  # pinned by digest: no engine needed


def valid(text: str) -> dict:
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    return json.loads(text)


def locked(make_image, cli, index, base="envbuild/base:bookworm"):
    image = make_image(f"name: team/model\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: {base}\n"
                       f"index: {index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                       {"requirements.in": "alpha\nepsilon\n"})
    assert cli("lock", str(image)).returncode == 0
    return image


def test_a_lock_s_sbom_has_every_pin_with_every_locked_hash(make_image, cli, index, tmp_path):
    image = locked(make_image, cli, index)
    lock_file = image / "locks" / "cpu.txt"
    result = cli("sbom", "--lock", str(lock_file))
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    doc = valid(result.stdout)
    lock = read_lock(lock_file.read_text(), "cpu.txt")
    found = {c["purl"]: sorted(h["content"] for h in c["hashes"]) for c in doc["components"]}
    assert found == {f"pkg:pypi/{p.name}@{p.version}": sorted(h.split(":", 1)[1] for h in p.hashes) for p in lock.packages}
    assert doc["metadata"]["timestamp"].startswith("2026-05-01")  # the lock's exclude-newer, never "now"
    out = tmp_path / "sbom.cdx.json"
    written = cli("sbom", "--lock", str(lock_file), "-o", str(out))
    assert written.returncode == 0 and written.stdout == "" and out.read_text() == result.stdout
    assert cli("sbom", "--lock", str(lock_file), "-o", "-").stdout == result.stdout


def test_a_target_s_sbom_adds_the_base_image_by_digest(make_image, cli, index):
    image = locked(make_image, cli, index, base=PINNED_BASE)
    result = cli("sbom", str(image), "--target", "cpu")
    assert result.returncode == 0, result.stderr
    doc = valid(result.stdout)
    base = [c for c in doc["components"] if c["type"] == "container"]
    assert [(c["name"], c["version"]) for c in base] == [("python", "sha256:" + "ab" * 32)]
    assert doc["metadata"]["component"]["name"] == "team/model"
    assert any(p["name"] == "envbuild:image" and p["value"].startswith("team/model:cpu-")
               for p in doc["metadata"]["component"]["properties"])


def test_a_conda_lock_s_components_are_conda_purls_with_md5_and_relations(conda_image, cli):
    image = conda_image(["python=3.11", "tinytool"], pip=["alpha<2"])
    assert cli("lock", str(image)).returncode == 0
    doc = valid(cli("sbom", "--lock", str(image / "locks" / "cpu.conda-lock.yml")).stdout)
    purls = {c["purl"]: c for c in doc["components"]}
    tool = next(c for purl, c in purls.items() if purl.startswith("pkg:conda/tinytool@2.0?build=h0_0"))
    assert {h["alg"] for h in tool["hashes"]} == {"SHA-256", "MD5"}
    assert "pkg:pypi/alpha@1.0" in purls
    relations = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert any(ref.startswith("pkg:conda/libtiny@1.1") for ref in relations[tool["bom-ref"]])


def test_a_snapshot_without_a_lock_lists_what_was_found(cli, tmp_path, venv):
    snapshot = tmp_path / "snap.json"
    assert cli("snapshot", "--python", str(venv / "bin" / "python"), "-o", str(snapshot)).returncode == 0
    doc = valid(cli("sbom", str(snapshot)).stdout)
    assert {c["purl"].split("@")[0] for c in doc["components"]} >= {"pkg:pypi/alpha", "pkg:pypi/epsilon"}
    assert all("hashes" not in c for c in doc["components"])  # found, not locked: no hash to vouch for
    assert {"name": "envbuild:components", "value": "as found installed, no lock: no hashes to vouch for them"} \
        in doc["metadata"]["component"]["properties"]


def test_bad_sources_are_one_line_and_a_hint(cli, tmp_path):
    missing = cli("sbom", "--lock", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "no lock file at" in missing.stderr and "hint:" in missing.stderr
    spdx = cli("sbom", "--lock", str(tmp_path / "nope.txt"), "--format", "swid")
    assert spdx.returncode == 2 and "--format 'swid': expected one of cyclonedx-json, spdx-json" in spdx.stderr
    both = cli("sbom", str(tmp_path), "--lock", str(tmp_path / "x.txt"))
    assert both.returncode == 2 and "give one source" in both.stderr
    for result in (missing, spdx, both):
        assert_no_traceback(result)


def test_spdx_is_the_same_document_in_spdx_2_3_and_valid_by_spdx_tools(make_image, cli, index, conda_image):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    image = locked(make_image, cli, index)
    lock_file = image / "locks" / "cpu.txt"
    cyclonedx = json.loads(cli("sbom", "--lock", str(lock_file)).stdout)
    result = cli("sbom", "--lock", str(lock_file), "--format", "spdx-json")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["creationInfo"]["created"].startswith("2026-05-01")
    purls = {ref["referenceLocator"]: p for p in doc["packages"] for ref in p.get("externalRefs", [])}
    assert set(purls) == {c["purl"] for c in cyclonedx["components"]}
    for component in cyclonedx["components"]:
        assert sorted(c["checksumValue"] for c in purls[component["purl"]]["checksums"]) == \
            sorted(h["content"] for h in component["hashes"])
    assert cli("sbom", "--lock", str(lock_file), "--format", "spdx-json").stdout == result.stdout  # deterministic
    conda = conda_image(["python=3.11", "tinytool"], pip=["alpha<2"])
    assert cli("lock", str(conda)).returncode == 0
    for text in (result.stdout, cli("sbom", "--lock", str(conda / "locks" / "cpu.conda-lock.yml"), "--format",
                                    "spdx-json").stdout):
        path = image / "doc.spdx.json"
        path.write_text(text)
        assert validate_full_spdx_document(parse_file(str(path))) == []
    relations = {(r["spdxElementId"], r["relationshipType"]) for r in json.loads(text)["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES") in relations and ("SPDXRef-environment", "DEPENDS_ON") in relations
    assert sum(1 for r in json.loads(text)["relationships"] if r["relationshipType"] == "DEPENDS_ON"
               and r["spdxElementId"] != "SPDXRef-environment") > 0  # conda's own relations
