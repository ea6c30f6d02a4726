"""build --push: the build's provenance and SBOM attached to the pushed image (adapters/engine/registry.py)."""

from __future__ import annotations

from collections.abc import Mapping


def attach(ref: str, repo_digest: str, *, provenance: str | None, sbom: str | None,
           environ: Mapping[str, str]) -> list[str]:
    from envbuild.adapters.engine.registry import Document, attach as put

    documents = [Document(artifact_type=kind, text=text, suffix=suffix) for kind, text, suffix in (
        ("application/vnd.in-toto+json", provenance, "att"), ("application/vnd.cyclonedx+json", sbom, "sbom"))
        if text]
    return put(ref, repo_digest, documents, environ=environ) if documents else []
