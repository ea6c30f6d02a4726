"""SPDX 2.3 JSON, written with spdx-tools, from envbuild's own CycloneDX document. Pure.

One seam: every SBOM envbuild makes is first the CycloneDX document (core/lineage/sbom.py); `--format
spdx-json` translates that document, so the two formats cannot disagree. Each component becomes a
package with its purl (a PACKAGE-MANAGER reference), its checksums (sha256, md5) and its download
location (the lock's URL, else NOASSERTION); the environment is the package the document
DESCRIBES, and it DEPENDS_ON each of them (conda's own relations too). Deterministic like the
CycloneDX document: the namespace comes from its serial number, the time from its timestamp (a
lock with no exclude-newer has none: 1970-01-01, said in the creator comment).
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Any

NAMESPACE = "https://envbuild.invalid/spdx/"  # a URI of envbuild's, never fetched: SPDX needs one per document


def spdx_json(cyclonedx_text: str) -> str:
    from spdx_tools.spdx.model import (Actor, ActorType, Checksum, ChecksumAlgorithm, CreationInfo, Document,
                                       ExternalPackageRef, ExternalPackageRefCategory, Package, PackagePurpose,
                                       Relationship, RelationshipType, SpdxNoAssertion)
    from spdx_tools.spdx.validation.uri_validators import validate_download_location
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    bom = json.loads(cyclonedx_text)
    meta = bom.get("metadata") or {}
    root = meta.get("component") or {}
    stamp = meta.get("timestamp")
    created = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime(1970, 1, 1, tzinfo=timezone.utc)
    tools = ((meta.get("tools") or {}).get("components") or [{}])
    info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", data_license="CC0-1.0",
                        name=f"{root.get('name', 'environment')} {root.get('version', '')}".strip(),
                        document_namespace=NAMESPACE + str(bom.get("serialNumber", "")).removeprefix("urn:uuid:"),
                        creators=[Actor(ActorType.TOOL, f"envbuild-{tools[0].get('version', '')}")],
                        created=created.astimezone(timezone.utc).replace(tzinfo=None),
                        creator_comment=None if stamp else "no creation time: a lock without exclude-newer")
    ids: dict[str, str] = {}

    def package(component: dict[str, Any], spdx_id: str) -> Any:
        ids[component.get("bom-ref", spdx_id)] = spdx_id
        algorithms = {"SHA-256": ChecksumAlgorithm.SHA256, "MD5": ChecksumAlgorithm.MD5}
        urls = [r["url"] for r in component.get("externalReferences", []) if r.get("type") == "distribution"]
        purpose = PackagePurpose.CONTAINER if component.get("type") == "container" else (
            PackagePurpose.APPLICATION if component.get("type") == "application" else PackagePurpose.LIBRARY)
        # SPDX's download-location grammar wants a host name: a file: or 127.0.0.1 URL is NOASSERTION, said in source_info
        where = urls[0] if urls and not validate_download_location(urls[0]) else None
        return Package(
            spdx_id=spdx_id, name=component.get("name", ""), version=component.get("version"),
            download_location=where or SpdxNoAssertion(), files_analyzed=False,
            source_info=f"downloaded from {urls[0]}" if urls and where is None else None,
            checksums=[Checksum(algorithms[h["alg"]], h["content"]) for h in component.get("hashes", [])
                       if h.get("alg") in algorithms],
            external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl",
                                                    component["purl"])] if component.get("purl") else [],
            primary_package_purpose=purpose)

    document = Document(info)
    document.packages = [package(root, "SPDXRef-environment")]
    document.packages += [package(c, f"SPDXRef-Package-{i}") for i, c in enumerate(bom.get("components", []), 1)]
    document.relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-environment")]
    for entry in bom.get("dependencies", []):
        for on in entry.get("dependsOn", []):
            if entry.get("ref") in ids and on in ids:
                document.relationships.append(Relationship(ids[entry["ref"]], RelationshipType.DEPENDS_ON, ids[on]))
    stream = io.StringIO()
    write_document_to_stream(document, stream, validate=True)
    return stream.getvalue() + "\n"
