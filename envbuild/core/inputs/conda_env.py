"""environment.yml → CondaEnv. Pure: text in, model out.

What envbuild reads: ``channels`` (names, ``defaults``, ``nodefaults``, http(s):// and file:// URLs,
paths relative to the file), ``dependencies`` (conda match specs, and one ``pip:`` list in
requirements syntax). ``name`` and ``prefix`` name a place on someone's disk and are ignored;
``variables`` are refused, because an image gets its environment from the spec, not from conda.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from envbuild.core.redact import strip_credentials
from envbuild.core.inputs.requirements import Problem, RequirementLine, parse_requirements_text
from envbuild.errors import SpecError

# conda's "defaults" on Linux (conda ≥ 4.7); "nodefaults" removes it.
DEFAULTS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")
CHANNEL_ALIAS = "https://conda.anaconda.org"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
_SPEC_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:::[A-Za-z0-9_.\-]+)?")


@dataclass(frozen=True, kw_only=True)
class CondaEnv:
    channels: tuple[str, ...]  # as written: names or URLs (literal credentials too: the solve needs them)
    specs: tuple[str, ...]  # conda match specs, as written
    pip: tuple[RequirementLine, ...] = ()
    pip_index_url: str | None = None  # --index-url / --extra-index-url lines of the pip section
    pip_extra_index_urls: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    where: tuple[str, ...] = ()  # each spec's key path and line, for messages: "dependencies[3] (line 9)"

    def digest_view(self) -> dict[str, Any]:
        """What a lock depends on: comments, order of keys and 'name:' do not make it stale."""
        view: dict[str, Any] = {"channels": [strip_credentials(c) for c in self.channels],
                                "dependencies": list(self.specs),
                                "pip": [r.text for r in self.pip]}
        if self.pip_index_url or self.pip_extra_index_urls:
            view["pip-index"] = [strip_credentials(u) for u in (self.pip_index_url or "", *self.pip_extra_index_urls)]
        return view


def parse_environment(text: str, file: str) -> CondaEnv:
    from envbuild.core.yamlfile import load_yaml  # one YAML loader (duplicate keys refused)

    _check_first_line(text, file)
    data = load_yaml(text, file)
    if not isinstance(data, dict):
        raise SpecError(file, "", "expected a mapping with 'channels' and 'dependencies'")
    unknown = sorted(set(data) - {"name", "prefix", "channels", "dependencies", "variables"})
    if unknown:
        raise SpecError(file, unknown[0], "unknown key", hint="environment files have channels and dependencies")
    if data.get("variables"):
        raise SpecError(file, "variables", "envbuild does not set environment variables from an environment file",
                        hint="set them in the image (ENV in a template override) or at run time")
    channels = _channels(file, data.get("channels"), _item_lines(text, "channels"))
    deps = data.get("dependencies")
    if not isinstance(deps, list) or not deps:
        raise SpecError(file, "dependencies", "expected a non-empty list of packages")
    lines = _item_lines(text, "dependencies")
    specs: list[str] = []
    where_specs: list[str] = []
    pip: list[RequirementLine] = []
    problems: list[Problem] = []
    index_url: str | None = None
    extra_index_urls: list[str] = []
    for i, item in enumerate(deps):
        where = _at("dependencies", i, lines)
        if isinstance(item, dict):
            if set(item) != {"pip"} or not isinstance(item["pip"], list):
                raise SpecError(file, where, "expected a package spec or 'pip: [requirements]'")
            parsed = parse_requirements_text("\n".join(str(x) for x in item["pip"]), f"{file} (pip)")
            pip.extend(parsed.requirements)
            problems.extend(parsed.problems)
            problems.extend(Problem(origin=i.origin, text=f"-{i.kind[0]} {i.path}", kind="option")
                            for i in parsed.includes)
            index_url = parsed.index_url or index_url
            extra_index_urls.extend(parsed.extra_index_urls)
            continue
        if not isinstance(item, str) or not _SPEC_RE.match(item.strip()):
            raise SpecError(file, where, f"expected a conda package spec like 'numpy>=1.26' or 'python=3.11', "
                                         f"got {item!r}")
        specs.append(" ".join(item.split()))
        where_specs.append(where)
    if not channels:
        raise SpecError(file, "channels", "no channels to solve from",
                        hint="name one, e.g. 'channels: [conda-forge]', or a file:// channel")
    return CondaEnv(channels=tuple(channels), specs=tuple(specs), pip=tuple(pip), pip_index_url=index_url,
                    pip_extra_index_urls=tuple(extra_index_urls), problems=tuple(problems), where=tuple(where_specs))


_TOP_LEVEL = re.compile(r"^(---|\.\.\.|%|\{|[A-Za-z_][\w.-]*\s*:|- |#)")


def _check_first_line(text: str, file: str) -> None:
    """A first line that is no YAML key (a shell command pasted above the file) is named as line 1,
    where YAML's parser would blame the next line."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not _TOP_LEVEL.match(line):
            raise SpecError(file, f"line {number}", f"expected a key such as 'channels:' or 'dependencies:', got "
                            f"{line.strip()[:60]!r}", hint="an environment file is YAML: remove a command pasted "
                            "at its top")
        return


def python_disagreement(env: CondaEnv, python: str) -> str | None:
    """The spec of ``env`` that pins a Python other than ``python`` (X.Y), as written; None when none
    does (no spec names python, or its range allows it): said before any solve, offline too."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    wanted = python.split(".")[:2]
    for spec in env.specs:
        match = re.match(r"^python(?![\w.-])\s*(\S*)", spec.split("::")[-1])
        if match is None or not match[1]:
            continue
        constraint = match[1].split("[")[0]
        exact = re.fullmatch(r"(?:==?)?(\d+(?:\.\d+)*)(?:\.\*)?", constraint)  # python=3.11, 3.11.4, 3.11.*
        if exact:
            given = exact[1].split(".")[:2]
            if given != wanted[:len(given)]:
                return spec
            continue
        try:
            allowed = SpecifierSet(constraint)
        except InvalidSpecifier:
            continue  # the solver says what is wrong with it
        if not any(allowed.contains(f"{python}.{patch}", prereleases=True) for patch in (0, 99)):
            return spec
    return None


def _item_lines(text: str, key: str) -> list[int]:
    """The line of each item of the top-level list ``key``, for messages ('dependencies[3] (line 9)')."""
    import yaml

    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key_node, value in node.value:
        if getattr(key_node, "value", None) == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _channels(file: str, value: Any, lines: list[int] = ()) -> list[str]:  # type: ignore[assignment]
    if value is None:
        value = ["defaults"]  # what conda does when an environment file names no channel
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise SpecError(file, "channels", "expected a list of channel names or URLs")
    names = [c.strip().rstrip("/") for c in value]
    out: list[str] = []
    for i, name in enumerate(names):
        if name == "nodefaults":
            continue
        if name == "defaults":
            if "nodefaults" not in names:
                out.extend(DEFAULTS)
            continue
        if "://" in name:
            if not name.startswith(("http://", "https://", "file://")):
                raise SpecError(file, _at("channels", i, lines), f"unsupported channel URL {name!r}")
            out.append(name)
        elif name.startswith((".", "/")):
            out.append(posixpath.normpath(name))  # a local channel, relative to the environment file
        elif _NAME_RE.match(name):
            out.append(name)
        else:
            raise SpecError(file, _at("channels", i, lines), f"expected a channel name or URL, got {name!r}")
    return list(dict.fromkeys(out))


def channel_url(channel: str, base_dir: str) -> str:
    """A channel as the solver fetches it: names go through conda's channel alias, local paths are
    taken relative to ``base_dir`` (the environment file's directory, absolute)."""
    if "://" in channel:
        return channel
    if channel.startswith((".", "/")):
        return "file://" + posixpath.normpath(posixpath.join(base_dir, channel))
    return f"{CHANNEL_ALIAS}/{channel}"


def _at(key: str, index: int, lines: list[int]) -> str:
    return f"{key}[{index}]" + (f" (line {lines[index]})" if index < len(lines) else "")
