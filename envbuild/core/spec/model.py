"""envbuild.yaml → frozen dataclasses. Pure: text in, model out, no file access.

Every problem is a SpecError naming the file, the key path and what was expected, e.g.
``envbuild.yaml: targets.cuda.base: expected a string (an image reference), got a list``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any


from envbuild.core.spec.keypaths import Reader, kind
from envbuild.core.spec.layers import LayerRules, rules_from
from envbuild.core.lock.model import DEFAULT_INDEX
from envbuild.core.platforms import NAMES as PLATFORMS
from envbuild.core.spec.reproduce import ReproduceRules, reproduce_from
from envbuild.core.spec.runtime import KEYS as RUNTIME_KEYS
from envbuild.core.spec.runtime import Runtime, runtime_from
from envbuild.core.yamlfile import load_yaml
from envbuild.errors import SpecError

SPEC_FILE = "envbuild.yaml"
SPEC_VERSION = 1

# An image repository, optionally behind a registry host ('registry.example.com:5000/team/model').
_NAME_RE = re.compile(r"^(?:[a-zA-Z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_TARGET_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_PYTHON_RE = re.compile(r"^3\.(\d+)(?:\.\d+)?$")
_CUDA_RE = re.compile(r"^\d+\.\d+(?:\.\d+)?$")
_INPUT_RE = re.compile(r"^(?P<path>[^\[\]]+?)(?:\[(?P<extras>[^\[\]]*)\])?$")
_URL_RE = re.compile(r"^(https?|file)://\S+$")


@dataclass(frozen=True, kw_only=True)
class InputRef:
    """One requirements input: a requirements file, or a pyproject.toml with chosen extras."""

    path: str
    extras: tuple[str, ...] = ()
    key: str = ""  # where it was declared, for error messages: "targets.cpu.requirements[0]"

    @property
    def is_pyproject(self) -> bool:
        return self.path.rsplit("/", 1)[-1] == "pyproject.toml"


@dataclass(frozen=True, kw_only=True)
class Index:
    url: str | None = None  # None: inherit (the spec's index, then PyPI)
    extra: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # pages or directories of files (pip's --find-links), as URLs


@dataclass(frozen=True, kw_only=True)
class Target:
    name: str
    base: str | None = None
    requirements: tuple[InputRef, ...] = ()
    index: Index = field(default_factory=Index)
    cuda: str | None = None
    system_packages: tuple[str, ...] | None = None  # apt packages on top of the base (None: the default)
    conda: str | None = None  # an environment.yml, relative to the spec (None: the spec's)
    project: str | None = None  # the project directory installed into the image (None: the spec's)
    platform: str | None = None  # linux/amd64 or linux/arm64 (None: the spec's)
    runtime: Runtime = field(default_factory=Runtime)  # over the spec's (core/spec/runtime.py)
    layers: LayerRules = field(default_factory=LayerRules)  # over the spec's (core/spec/layers.py)
    base_packages: str | None = None  # "inherit": the venv sees the base's packages (None: the spec's)
    reproduce: ReproduceRules = field(default_factory=ReproduceRules)  # over the spec's (core/spec/reproduce.py)


@dataclass(frozen=True, kw_only=True)
class Spec:
    file: str
    name: str
    python: str
    platform: str = "linux/amd64"
    requirements: tuple[InputRef, ...] = ()
    index: Index = field(default_factory=Index)
    exclude_newer: str | None = None
    base: str | None = None
    targets: tuple[Target, ...] = ()
    version: int = SPEC_VERSION
    source: str | None = None  # where the image definition lives (org.opencontainers.image.source)
    templates: str | None = None  # a directory of template overrides, relative to the spec
    conda: str | None = None  # an environment.yml: the target's lock is then a conda-lock.yml
    project: str | None = None  # a directory with pyproject.toml (or setup.py): its wheel goes into the image
    runtime: Runtime = field(default_factory=Runtime)  # entrypoint, cmd, workdir, env, user, labels, files
    layers: LayerRules = field(default_factory=LayerRules)  # how the image's layers are grouped
    base_packages: str = "ignore"  # "inherit": the venv sees the base's own packages, and the lock takes them as given
    reproduce: ReproduceRules = field(default_factory=ReproduceRules)  # how a recorded run is re-run and judged

    def target(self, name: str) -> Target:
        for target in self.targets:
            if target.name == name:
                return target
        known = ", ".join(t.name for t in self.targets)
        raise SpecError(self.file, "targets", f"no target named {name!r} (defined: {known})")

    def inputs_for(self, target: Target) -> tuple[InputRef, ...]:
        return self.requirements + target.requirements

    def index_url(self, target: Target) -> str:
        return target.index.url or self.index.url or DEFAULT_INDEX

    def extra_index_urls(self, target: Target) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.index.extra + target.index.extra))

    def find_links(self, target: Target) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.index.find_links + target.index.find_links))

    def base_for(self, target: Target) -> str | None:
        return target.base or self.base

    def conda_for(self, target: Target) -> str | None:
        return target.conda or self.conda

    def platform_for(self, target: Target) -> str:
        return target.platform or self.platform

    def project_for(self, target: Target) -> str | None:
        return target.project or self.project

    def runtime_for(self, target: Target) -> Runtime:
        return target.runtime.over(self.runtime)

    def layers_for(self, target: Target) -> LayerRules:
        return target.layers.over(self.layers)

    def reproduce_for(self, target: Target) -> ReproduceRules:
        return target.reproduce.over(self.reproduce)

    def inherits(self, target: Target) -> bool:
        """Does the target's venv see the base image's own Python packages (base-packages: inherit)?"""
        return (target.base_packages or self.base_packages) == "inherit"


# ---------------------------------------------------------------- parsing


def parse_spec(text: str, file: str = SPEC_FILE) -> Spec:
    """Parse the text of an envbuild.yaml."""
    data = load_yaml(text, file)
    if data is None:
        raise SpecError(file, "", "the file is empty", hint="see images/demo/envbuild.yaml for an example")
    return spec_from_dict(data, file)


def spec_from_dict(data: Any, file: str = SPEC_FILE) -> Spec:
    r = Reader(file)
    r.mapping("", data)
    r.keys("", data, required={"name", "python", "targets"}, optional=_TOP_KEYS)
    version = data.get("version", SPEC_VERSION)
    if version != SPEC_VERSION:
        raise SpecError(file, "version", f"unsupported spec version {version!r} (this envbuild reads {SPEC_VERSION})")
    name = r.string("name", data["name"])
    if not _NAME_RE.match(name):
        raise SpecError(file, "name", f"expected a lowercase image name like 'team/model' or 'registry:5000/team/model', got {name!r}")
    targets_data = data["targets"]
    r.mapping("targets", targets_data)
    if not targets_data:
        raise SpecError(file, "targets", "expected at least one target, e.g. 'cpu: {}'")
    targets = tuple(_target(r, str(tname), tdata) for tname, tdata in targets_data.items())
    spec = Spec(
        file=file,
        name=name,
        python=_python(r, data["python"]),
        platform=_platform(r, "platform", data.get("platform", "linux/amd64")),
        requirements=_inputs(r, "requirements", data.get("requirements")),
        index=_index(r, "index", data.get("index")),
        exclude_newer=_exclude_newer(r, data.get("exclude-newer")),
        base=_optional_string(r, "base", data.get("base")),
        targets=targets,
        version=version,
        source=_source(r, data.get("source")),
        templates=r.string("templates", data["templates"], what="a directory") if "templates" in data else None,
        conda=_conda(r, "conda", data.get("conda")),
        project=_project(r, "project", data.get("project")),
        runtime=runtime_from(r, "", data),
        layers=rules_from(r, "layers", data["layers"]) if "layers" in data else LayerRules(),
        base_packages=_base_packages(r, "base-packages", data.get("base-packages")) or "ignore",
        reproduce=reproduce_from(r, "reproduce", data["reproduce"]) if "reproduce" in data else ReproduceRules(),
    )
    for target in targets:
        if not spec.inputs_for(target) and not spec.conda_for(target):
            raise SpecError(
                file,
                f"targets.{target.name}.requirements",
                "no requirements for this target",
                hint="add 'requirements: [requirements.in]' or 'conda: environment.yml' at the top level or to the target",
            )
    return spec


_TOP_KEYS = {"version", "name", "python", "platform", "requirements", "index", "exclude-newer", "base", "targets",
             "source", "templates", "conda", "project", "layers", "base-packages", "reproduce", *RUNTIME_KEYS}
_TARGET_KEYS = {"base", "requirements", "index", "cuda", "system-packages", "conda", "project", "platform",
                "layers", "base-packages", "reproduce", *RUNTIME_KEYS}
BASE_PACKAGES = ("ignore", "inherit")  # the base's own Python packages: unseen by the venv, or taken as given


def _base_packages(r: Reader, path: str, value: Any) -> str | None:
    if value is None or value in BASE_PACKAGES:
        return None if value is None else str(value)
    raise SpecError(r.file, path, f"expected one of {', '.join(BASE_PACKAGES)}, got {value!r}")


def _target(r: Reader, name: str, data: Any) -> Target:
    path = f"targets.{name}"
    if not _TARGET_RE.match(name):
        raise SpecError(r.file, path, "expected a target name of lowercase letters, digits, '.', '_' or '-'")
    if data is None:
        data = {}
    r.mapping(path, data)
    r.keys(path, data, required=set(), optional=_TARGET_KEYS)
    cuda = data.get("cuda")
    if cuda is not None:
        cuda = _version_string(r, f"{path}.cuda", cuda)
        if not _CUDA_RE.match(cuda):
            raise SpecError(r.file, f"{path}.cuda", f"expected a CUDA version like \"12.4\", got {cuda!r}")
    return Target(
        name=name,
        base=_optional_string(r, f"{path}.base", data.get("base")),
        requirements=_inputs(r, f"{path}.requirements", data.get("requirements")),
        index=_index(r, f"{path}.index", data.get("index")),
        cuda=cuda,
        system_packages=_packages(r, f"{path}.system-packages", data["system-packages"])
        if "system-packages" in data else None,
        conda=_conda(r, f"{path}.conda", data.get("conda")),
        project=_project(r, f"{path}.project", data.get("project")),
        platform=_platform(r, f"{path}.platform", data["platform"]) if "platform" in data else None,
        runtime=runtime_from(r, path, data),
        layers=rules_from(r, f"{path}.layers", data["layers"]) if "layers" in data else LayerRules(),
        base_packages=_base_packages(r, f"{path}.base-packages", data.get("base-packages")),
        reproduce=reproduce_from(r, f"{path}.reproduce", data["reproduce"]) if "reproduce" in data else ReproduceRules(),
    )


def _conda(r: Reader, path: str, value: Any) -> str | None:
    if value is None:
        return None
    text = r.string(path, value, what="the path of a conda environment file (environment.yml)").strip()
    if not text.endswith((".yml", ".yaml")):
        raise SpecError(r.file, path, f"expected a conda environment file ending in .yml or .yaml, got {text!r}")
    return text


def _project(r: Reader, path: str, value: Any) -> str | None:
    if value is None:
        return None
    text = r.string(path, value, what="the project's directory, relative to envbuild.yaml (e.g. '.')").strip()
    if not text or text.startswith("/") or any(not c.isprintable() for c in text):
        raise SpecError(r.file, path, f"expected a directory relative to envbuild.yaml, got {text!r}")
    return text.rstrip("/") or "."


def _packages(r: Reader, path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and re.fullmatch(r"[a-z0-9][a-z0-9+.:=~-]*", v)
                                              for v in value):
        raise SpecError(r.file, path, "expected a list of Debian/Ubuntu package names, e.g. [python3, python3-venv]")
    return tuple(value)


def _python(r: Reader, value: Any) -> str:
    text = _version_string(r, "python", value)
    m = _PYTHON_RE.match(text)
    if m and int(m.group(1)) < 8 and text != "3.1":  # "3.1" is YAML's reading of an unquoted 3.10
        raise SpecError(r.file, "python", f"Python {text} is older than envbuild supports (3.8 and newer: the probe "
                        "and the lock's wheels need it)", hint="move the project to Python 3.8 or newer first")
    if not m or int(m.group(1)) < 8:
        hint = "quote it: python: \"3.10\" (YAML reads 3.10 as the number 3.1)" if text == "3.1" else None
        raise SpecError(r.file, "python", f"expected a Python version like \"3.11\", got {text!r}", hint=hint)
    return text


def _version_string(r: Reader, path: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SpecError(r.file, path, f"expected a version string, got {kind(value)}")
    return str(value).strip()


def _platform(r: Reader, path: str, value: Any) -> str:
    text = r.string(path, value)
    if text not in PLATFORMS:
        raise SpecError(r.file, path, f"expected one of {', '.join(PLATFORMS)}, got {text!r}")
    return text


def _exclude_newer(r: Reader, value: Any) -> str | None:
    """A date or timestamp → RFC 3339 UTC ('2026-11-01T00:00:00Z')."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise SpecError(
                r.file, "exclude-newer", f"expected a date like 2026-11-01 or 2026-11-01T12:00:00Z, got {value!r}"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    else:
        raise SpecError(r.file, "exclude-newer", f"expected a date like 2026-11-01, got {kind(value)}")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _source(r: Reader, value: Any) -> str | None:
    if value is None:
        return None
    text = r.string("source", value, what="a URL")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise SpecError(r.file, "source", f"expected a URL without spaces or control characters, got {text!r}")
    if "@" in text.split("//", 1)[-1].split("/", 1)[0]:
        raise SpecError(r.file, "source", "must not contain credentials (it becomes an image label)")
    return text


def _optional_string(r: Reader, path: str, value: Any) -> str | None:
    if value is None:
        return None
    text = r.string(path, value, what="a string (an image reference)")
    if not text or any(c.isspace() for c in text):
        raise SpecError(r.file, path, f"expected an image reference like 'debian:bookworm-slim', got {text!r}")
    return text


def _inputs(r: Reader, path: str, value: Any) -> tuple[InputRef, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise SpecError(r.file, path, f"expected a file name or a list of file names, got {kind(value)}")
    refs = []
    for i, item in enumerate(items):
        key = f"{path}[{i}]" if not isinstance(value, str) else path
        text = r.string(key, item, what="a file name (requirements.in, pyproject.toml[extra])")
        m = _INPUT_RE.match(text.strip())
        if not m:
            raise SpecError(r.file, key, f"expected 'file' or 'pyproject.toml[extra,...]', got {text!r}")
        extras = tuple(e.strip() for e in (m.group("extras") or "").split(",") if e.strip())
        ref = InputRef(path=m.group("path").strip(), extras=extras, key=key)
        if extras and not ref.is_pyproject:
            raise SpecError(r.file, key, "extras in brackets are only meaningful for a pyproject.toml")
        refs.append(ref)
    return tuple(refs)


def _index(r: Reader, path: str, value: Any) -> Index:
    if value is None:
        return Index()
    if isinstance(value, str):  # shorthand: index: https://...
        value = {"url": value}
    r.mapping(path, value)
    r.keys(path, value, required=set(), optional={"url", "extra", "find-links"})
    url = value.get("url")
    if url is not None:
        url = _url(r, f"{path}.url", url)
    extra_value = value.get("extra") or []
    if isinstance(extra_value, str):
        extra_value = [extra_value]
    if not isinstance(extra_value, list):
        raise SpecError(r.file, f"{path}.extra", f"expected a list of index URLs, got {kind(extra_value)}")
    extra = tuple(_url(r, f"{path}.extra[{i}]", u) for i, u in enumerate(extra_value))
    links = value.get("find-links") or []
    if not isinstance(links, list):
        raise SpecError(r.file, f"{path}.find-links", f"expected a list of URLs, got {kind(links)}")
    return Index(url=url, extra=extra, find_links=tuple(_url(r, f"{path}.find-links[{i}]", u) for i, u in enumerate(links)))


def _url(r: Reader, path: str, value: Any) -> str:
    text = r.string(path, value, what="an index URL").strip().rstrip("/")
    if not _URL_RE.match(text):
        raise SpecError(r.file, path, f"expected an http(s):// or file:// index URL, got {text!r}")
    return text
