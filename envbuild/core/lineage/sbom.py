"""The software bill of materials of an environment: CycloneDX 1.6 JSON, written with
cyclonedx-python-lib. Pure: the subject arrives as data, the document leaves as text.

Every locked package is a component with its purl (``pkg:pypi/…``, ``pkg:conda/…`` with build,
channel and subdir) and every hash the lock pins for it (sha256, and md5 for conda archives: an
SBOM that drops the lock's hashes cannot say which file was installed); the distribution URL
where the lock has one; dependency relations where the lock knows them (conda's). The base image
is a container component with its digest, the project's own wheel a library with its sha256. The
environment itself (the image, or the target) is the metadata component and depends on all of them.

Deterministic: the serial number is derived from the content, the timestamp is the image's created
time, components and dependencies are sorted — the same inputs give the same bytes, which is what
lets `build` embed the document and keep the image ID reproducible.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from envbuild.core.layout import Labels
from envbuild.core.lock import CONDA, Package
from envbuild.core.snapshot import Snapshot

if TYPE_CHECKING:
    from cyclonedx.model.component import Component
    from packageurl import PackageURL

_NAMESPACE = uuid.UUID("5f0c7f0e-6d2b-4a4e-9a57-0e6b0c1d2a31")  # envbuild's: serial numbers from content


@dataclass(frozen=True, kw_only=True)
class BomSubject:
    name: str  # the spec's name (the image repository)
    target: str
    packages: tuple[Package, ...]
    created: str | None  # ISO 8601, UTC: the image's created time (None: no timestamp, as for a bare lock)
    tool_version: str  # envbuild's
    platform: str = "linux/amd64"
    image: str | None = None  # the image reference, when there is one
    base: tuple[str, str | None] | None = None  # (reference as written, its digest or image ID)
    project: tuple[str, str, str] | None = None  # (name, version, sha256 of its wheel)
    files: tuple[tuple[str, str], ...] = ()  # the spec's files: (destination in the image, digest of its contents)
    lock_sha256: str | None = None


def cyclonedx_json(subject: BomSubject) -> str:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType, Property, XsUri
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.dependency import Dependency
    from cyclonedx.output.json import JsonV1Dot6

    root = Component(type=ComponentType.CONTAINER if subject.image else ComponentType.APPLICATION,
                     name=subject.name, version=subject.target, bom_ref=f"envbuild:{subject.name}:{subject.target}",
                     properties=[Property(name=k, value=v) for k, v in _root_properties(subject)])
    components: list[Component] = []
    by_name: dict[str, Component] = {}
    for package in sorted(subject.packages, key=lambda p: (p.manager, p.key)):
        hashes = [HashType(alg=HashAlgorithm.SHA_256, content=h.split(":", 1)[1])
                  for h in package.hashes if h.startswith("sha256:")]
        if package.md5:
            hashes.append(HashType(alg=HashAlgorithm.MD5, content=package.md5))
        references = [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(package.url))] \
            if package.url and "${" not in package.url else []
        purl = package_purl(package, subject.platform)
        component = Component(type=ComponentType.LIBRARY, name=package.name, version=package.version,
                              bom_ref=purl.to_string(), purl=purl, hashes=hashes, external_references=references,
                              properties=[Property(name="envbuild:manager", value=package.manager)])
        components.append(component)
        by_name.setdefault(package.key if package.manager != CONDA else package.name, component)
    if subject.base:
        components.append(_base_component(*subject.base))
    if subject.project:
        name, version, sha256 = subject.project
        from packageurl import PackageURL

        purl = PackageURL(type="pypi", name=_pypi_name(name), version=version)
        components.append(Component(type=ComponentType.LIBRARY, name=name, version=version, bom_ref=f"project:{purl}",
                                    purl=purl, hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256)],
                                    properties=[Property(name="envbuild:role", value="project")]))
    for dst, digest in subject.files:  # what the image runs beside its packages: a config, a script
        components.append(Component(type=ComponentType.FILE, name=dst, bom_ref=f"file:{dst}",
                                    properties=[Property(name="envbuild:role", value="file"),
                                                Property(name="envbuild:content-digest", value=digest)]))
    bom = Bom(components=components, serial_number=_serial(subject), metadata=BomMetaData(component=root))
    # None, not the library's default now(): the same image gives the same bytes
    bom.metadata.timestamp = _timestamp(subject.created) if subject.created else None  # type: ignore[assignment]
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="envbuild",
                                                version=subject.tool_version))
    bom.dependencies.add(Dependency(ref=root.bom_ref, dependencies=[Dependency(ref=c.bom_ref) for c in components]))
    for package in subject.packages:
        if package.manager != CONDA:
            continue
        on = [by_name[name].bom_ref for name, _ in package.dependencies if name in by_name]
        if on:
            bom.dependencies.add(Dependency(ref=by_name[package.name].bom_ref,
                                            dependencies=[Dependency(ref=ref) for ref in on]))
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


def package_purl(package: Package, platform: str) -> PackageURL:
    from packageurl import PackageURL

    if package.manager == CONDA:
        url = package.url or ""
        channel, subdir = (url.rsplit("/", 3)[1:3] if url.count("/") >= 3 else ("", ""))
        kind = "conda" if url.endswith(".conda") else "tar.bz2"
        qualifiers = {k: v for k, v in (("build", package.build or ""), ("channel", channel), ("subdir", subdir),
                                        ("type", kind)) if v}
        return PackageURL(type="conda", name=package.name, version=package.version, qualifiers=qualifiers)
    return PackageURL(type="pypi", name=_pypi_name(package.name), version=package.version)


def _pypi_name(name: str) -> str:
    """The purl spec's PyPI name: lowercase, '_' as '-'."""
    return name.lower().replace("_", "-")


def _base_component(ref: str, digest: str | None) -> Component:
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    repository, _, tag = ref.split("@", 1)[0].rpartition(":") if ":" in ref.split("@", 1)[0].rsplit("/", 1)[-1] \
        else (ref.split("@", 1)[0], "", "")
    name = repository.rsplit("/", 1)[-1]
    qualifiers = {k: v for k, v in (("repository_url", repository), ("tag", tag)) if v}
    version = digest or (ref.split("@", 1)[1] if "@" in ref else None)
    purl = PackageURL(type="oci", name=name, version=version, qualifiers=qualifiers)
    hashes = [HashType(alg=HashAlgorithm.SHA_256, content=version.split(":", 1)[1])] \
        if version and version.startswith("sha256:") else []
    return Component(type=ComponentType.CONTAINER, name=repository, version=version, bom_ref=f"base:{purl}", purl=purl,
                     hashes=hashes)


def _root_properties(subject: BomSubject) -> Sequence[tuple[str, str]]:
    out = [("envbuild:target", subject.target), ("envbuild:platform", subject.platform)]
    if subject.image:
        out.append(("envbuild:image", subject.image))
    if subject.lock_sha256:
        out.append(("envbuild:lock:sha256", subject.lock_sha256))
    else:
        out.append(("envbuild:components", "as found installed, no lock: no hashes to vouch for them"))
    return out


def _serial(subject: BomSubject) -> uuid.UUID:
    parts = [subject.name, subject.target, subject.created or "", subject.image or "", subject.lock_sha256 or "",
             *(f"{p.manager}:{p.key}=={p.version}:{','.join(p.hashes)}" for p in sorted(subject.packages, key=lambda p: p.key))]
    return uuid.uuid5(_NAMESPACE, "\n".join(parts))


def _timestamp(created: str) -> datetime:
    return datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(timezone.utc)


def subject_of_image(labels: Mapping[str, str], image_json: Mapping[str, Any], packages: Sequence[Package], *,
                     image: str, tool_version: str, lock_sha256: str | None) -> BomSubject:
    """What an envbuild image says of itself (its labels, /etc/envbuild/image.json) and its lock's
    packages: the same subject `build` embedded the SBOM of."""
    project = image_json.get("project") if isinstance(image_json.get("project"), Mapping) else None
    files = given if isinstance(given := image_json.get("files"), Mapping) else {}
    base = labels.get(Labels.BASE_NAME)
    return BomSubject(name=str(labels.get(Labels.TITLE) or image_json.get("name") or image),
                      target=str(labels.get(Labels.TARGET) or image_json.get("target") or ""),
                      packages=tuple(packages), created=labels.get(Labels.CREATED),
                      tool_version=tool_version, platform=str(labels.get(Labels.PLATFORM) or "linux/amd64"),
                      image=image, base=(base, labels.get(Labels.BASE_DIGEST)) if base else None,
                      project=(str(project["name"]), str(project["version"]), str(project["sha256"])) if project else None,
                      files=tuple(sorted((str(k), str(v)) for k, v in files.items())),
                      lock_sha256=lock_sha256)


def bom_of_lock(text: str, label: str, *, tool_version: str) -> str:
    """The document of a lock file's text (its target, its exclude-newer date as the time)."""
    from envbuild.core.lock import read_lock
    from envbuild.core.image.render import lock_sha256

    lock = read_lock(text, label)
    return cyclonedx_json(BomSubject(name=label.rsplit("/", 1)[-1], target=lock.target, packages=lock.packages,
                                     created=lock.exclude_newer, tool_version=tool_version, platform=lock.platform,
                                     lock_sha256=lock_sha256(text)))


def bom_of_snapshot(data: Snapshot, label: str, *, tool_version: str) -> str:
    """The document of a snapshot: of the lock an envbuild image carries (vouched for by its label,
    else by its own body digest), or of the distributions found, without hashes, when it has none."""
    from envbuild.core.image.render import lock_sha256
    from envbuild.core.lock import PIP
    from envbuild.core.lock.carried import carried_lock, read_carried

    labels = data.engine.labels if data.engine else {}
    found = carried_lock(data)
    lock = read_carried(data, label)
    if found and lock is not None:
        packages, sha256 = lock.packages, lock_sha256(found[1])
    else:
        packages = tuple(Package(name=d.name, version=d.version, manager=PIP)
                         for d in data.distributions if d.name and d.version)
        sha256 = None
    image_json = data.envbuild.image.to_dict() if data.envbuild and data.envbuild.image else {}
    return cyclonedx_json(subject_of_image(labels, image_json, packages, image=label, tool_version=tool_version,
                                           lock_sha256=sha256))
