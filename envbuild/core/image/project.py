"""The project installed into an image: what its built wheel says about itself, and whether the lock
covers what it depends on. Pure: the wheel's METADATA text comes in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from envbuild.core.lock import Lock
from envbuild.core.markers import applies
from envbuild.core.names import canonical_name


@dataclass(frozen=True, kw_only=True)
class ProjectWheel:
    name: str  # canonical
    version: str
    file_name: str  # the wheel's file name
    sha256: str  # hex
    summary: str = ""
    license: str = ""
    requires: tuple[str, ...] = ()  # Requires-Dist, as written
    dirty: bool = False  # built from a working tree with uncommitted changes

    @property
    def shown_version(self) -> str:
        return f"{self.version}-dirty" if self.dirty else self.version

    def metadata(self) -> dict[str, object]:
        """Its entry in /etc/envbuild/image.json."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "wheel": self.file_name,
                "dirty": self.dirty}


def read_metadata(text: str) -> dict[str, object]:
    """Name, Version, Summary, License (or License-Expression) and Requires-Dist from a METADATA file."""
    from email.parser import HeaderParser  # only when a wheel's METADATA is read (a build), never for verify

    message = HeaderParser().parsestr(text)
    return {"name": canonical_name(message.get("Name", "")), "version": message.get("Version", ""),
            "summary": (message.get("Summary") or "").strip(),
            "license": (message.get("License-Expression") or message.get("License") or "").strip().splitlines()[0]
            if (message.get("License-Expression") or message.get("License") or "").strip() else "",
            "requires": tuple(message.get_all("Requires-Dist") or ())}


def uncovered(project: ProjectWheel, lock: Lock, environment: Mapping[str, str]) -> list[str]:
    """The project's dependencies (for this target's marker environment, no extras) that the lock
    does not pin at a version they accept: each as 'requirement (locked: x)' or 'requirement'."""
    from packaging.requirements import InvalidRequirement, Requirement

    pinned = {p.key: p.version for p in lock.packages}
    missing = []
    for text in project.requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            missing.append(f"{text} (not a valid requirement)")
            continue
        if not applies(str(requirement.marker) if requirement.marker else None, dict(environment, extra="")):
            continue
        version = pinned.get(canonical_name(requirement.name))
        if version is None:
            missing.append(str(requirement))
        elif not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{requirement} (locked: {version})")
    return missing


def from_label(labels: Mapping[str, str]) -> "tuple[str, str, str] | None":
    """(name, version, sha256 hex) from the image label the build wrote ('dev.envbuild.project':
    'name version sha256:hex'). The label, not image.json: the engine keeps it out of reach of
    whoever is root inside a container, so a planted entry cannot make a package expected."""
    from envbuild.core.layout import Labels

    parts = (labels.get(Labels.PROJECT) or "").split()
    if len(parts) != 3 or not parts[2].startswith("sha256:"):
        return None
    return parts[0], parts[1].removesuffix("-dirty"), parts[2].removeprefix("sha256:")
