"""Requirement inputs → normalised requirement lines. Pure: text in, model out.

A requirements file is parsed the way pip reads it (logical lines joined on a trailing backslash,
``#`` comments, CRLF or LF, options such as ``-r``, ``-c``, ``--index-url``), but keeps only what
can be hash-pinned: named requirements from an index. VCS, URL, local-path and editable lines are
collected as problems naming the file and line, so the user sees every one of them at once.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envbuild.core.lines import logical_lines

_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_URL_PREFIXES = ("http://", "https://", "ftp://")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2")
# Options that change how pip installs, not what the lock pins: accepted and ignored.
_IGNORED_FLAGS = {"--prefer-binary", "--require-hashes", "--no-deps", "--trusted-host", "--use-feature",
                  "--only-binary", "--no-binary", "--progress-bar"}
# (?<!\s): a match starts only at the first space of a run, so long runs of spaces stay linear.
_OPTION_AFTER_REQUIREMENT = re.compile(r"(?<!\s)\s+--?[a-z]")

HINTS = {
    "vcs": "name it and use git over https, ssh or file: 'name @ git+https://host/repo@tag' (envbuild "
    "pins the tag's commit and the wheel built from it)",
    "git-protocol": "git:// is unauthenticated and unencrypted, and most hosts have switched it off: write "
    "git+https://host/repo@ref instead",
    "url": "list the index that hosts the file under 'index.extra' and require it by name and version "
    "(e.g. torch==2.4.1+cpu)",
    "path": "build it into a wheel and publish it to an index listed under 'index.extra'; envbuild locks "
    "what comes from package indexes (install your own project in the image after the lock)",
    "editable": "editable installs are for development; require a released version or a wheel from an index",
    "find-links": "write the location as a URL (https://host/wheels/ or file:///abs/path/wheels), here or under "
    "'index.find-links' in envbuild.yaml",
    "no-index": "list the index to use under 'index.url' in envbuild.yaml",
    "invalid": "see https://packaging.python.org/en/latest/specifications/dependency-specifiers/",
    "option": "envbuild reads -r, -c, --index-url, --extra-index-url and --pre from requirements files",
}


@dataclass(frozen=True, kw_only=True)
class Problem:
    """A line that cannot go into a hash-pinned lock."""

    origin: str  # "requirements.in:7"
    text: str
    kind: str  # vcs | url | path | editable | find-links | no-index | invalid | option

    @property
    def message(self) -> str:
        what = {
            "vcs": "is a VCS requirement envbuild cannot lock (unnamed, or not git)",
            "git-protocol": "uses the git:// protocol, which the host has disabled (it has no authentication)",
            "url": "is a direct URL requirement; envbuild locks from package indexes only",
            "path": "is a local path; pip cannot pin it by hash",
            "editable": "is an editable install; pip cannot pin it by hash",
            "find-links": "uses --find-links with a path; envbuild takes find-links locations as URLs",
            "no-index": "uses --no-index; envbuild needs an index to lock from",
            "invalid": "is not a valid requirement",
            "option": "uses an option envbuild does not support in a lock input",
        }[self.kind]
        return f"{self.origin}: {self.text!r} {what}"

    @property
    def hint(self) -> str:
        return HINTS[self.kind]


@dataclass(frozen=True, kw_only=True)
class RequirementLine:
    text: str  # normalised by packaging: 'numpy<2,>=1.26; python_version >= "3.10"'
    name: str  # canonical name
    origin: str
    vcs: str | None = None  # 'git+https://host/repo@ref': built into a wheel at lock time (its ref pinned to a commit)


@dataclass(frozen=True, kw_only=True)
class Include:
    kind: str  # "requirements" (-r) or "constraints" (-c)
    path: str  # as written, relative to the including file
    origin: str


@dataclass(frozen=True, kw_only=True)
class ParsedFile:
    requirements: tuple[RequirementLine, ...] = ()
    includes: tuple[Include, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # --find-links URLs
    prerelease: bool = False
    problems: tuple[Problem, ...] = ()


def parse_requirements_text(text: str, source: str) -> ParsedFile:
    """Parse one requirements file. ``source`` names it in origins ("requirements.in")."""
    requirements: list[RequirementLine] = []
    includes: list[Include] = []
    extra: list[str] = []
    problems: list[Problem] = []
    index_url: str | None = None
    find_links: list[str] = []
    prerelease = False
    for number, line in logical_lines(text):
        origin = f"{source}:{number}"
        if line.startswith("-"):
            try:  # shlex only where quoting can matter: it is slow on long lines
                tokens = shlex.split(line) if any(q in line for q in "'\"\\") else line.split()
            except ValueError:
                tokens = line.split()
            option, value = _split_option(tokens)
            if option in ("-r", "--requirement", "-c", "--constraint"):
                kind = "constraints" if option in ("-c", "--constraint") else "requirements"
                if value:
                    includes.append(Include(kind=kind, path=value, origin=origin))
                else:
                    problems.append(Problem(origin=origin, text=line, kind="invalid"))
            elif option in ("-i", "--index-url"):
                index_url = value.rstrip("/") if value else None
            elif option == "--extra-index-url":
                if value:
                    extra.append(value.rstrip("/"))
            elif option == "--pre":
                prerelease = True
            elif option in ("-e", "--editable"):
                problems.append(Problem(origin=origin, text=line, kind="editable"))
            elif option in ("-f", "--find-links"):
                if value and value.startswith(("http://", "https://", "file://")):
                    find_links.append(value.rstrip("/"))
                else:
                    problems.append(Problem(origin=origin, text=line, kind="find-links"))
            elif option == "--no-index":
                problems.append(Problem(origin=origin, text=line, kind="no-index"))
            elif option not in _IGNORED_FLAGS:
                problems.append(Problem(origin=origin, text=line, kind="option"))
            continue
        req_text = _strip_per_requirement_options(line)
        parsed = parse_requirement(req_text, origin)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            requirements.append(parsed)
    return ParsedFile(
        requirements=tuple(requirements),
        includes=tuple(includes),
        index_url=index_url,
        extra_index_urls=tuple(extra),
        prerelease=prerelease,
        find_links=tuple(find_links),
        problems=tuple(problems),
    )


def parse_requirement(text: str, origin: str) -> RequirementLine | Problem:
    """One PEP 508 requirement, or the Problem that keeps it out of a lock. A git requirement
    ('name @ git+https://…@ref', or 'git+https://…@ref#egg=name') is one: locked as the wheel built
    from the commit its ref names."""
    if text.lower().startswith(("git+", "git://")) and "#egg=" in text:
        url, _, egg = text.partition("#egg=")
        text = f"{egg.split('&')[0].strip()} @ {url.strip()}"
    kind = classify_direct_reference(text)
    if kind:
        return Problem(origin=origin, text=text, kind=kind)
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return Problem(origin=origin, text=text, kind="invalid")
    if req.url and req.url.lower().startswith(("git://", "git+git://")):
        return Problem(origin=origin, text=text, kind="git-protocol")
    if req.url and req.url.lower().startswith(("git+https://", "git+http://", "git+ssh://", "git+file://")):
        return RequirementLine(text=str(req), name=canonicalize_name(req.name), origin=origin, vcs=req.url)
    if req.url:
        return Problem(origin=origin, text=text, kind=_url_kind(req.url))
    return RequirementLine(text=str(req), name=canonicalize_name(req.name), origin=origin)


def classify_direct_reference(text: str) -> str | None:
    """'vcs', 'url' or 'path' for a bare reference that is not a named requirement, else None."""
    lowered = text.lower()
    if lowered.startswith(_VCS_PREFIXES):
        return "vcs"
    if lowered.startswith(_URL_PREFIXES):
        return "url"
    if lowered.startswith("file:"):
        return "path"
    head = text.split(";", 1)[0].strip()
    if head.startswith((".", "/", "~")) or "\\" in head or ("/" in head and "@" not in head):
        return "path"
    if lowered.split(";", 1)[0].strip().endswith(_ARCHIVE_SUFFIXES) and "@" not in head:
        return "path"
    return None


def _url_kind(url: str) -> str:
    lowered = url.lower()
    if lowered.startswith(_VCS_PREFIXES):
        return "vcs"
    if lowered.startswith("file:"):
        return "path"
    return "url"


def _split_option(tokens: list[str]) -> tuple[str, str | None]:
    first = tokens[0]
    if first.startswith("--") and "=" in first:
        option, given = first.split("=", 1)
        return option, given
    if first.startswith("-") and not first.startswith("--") and len(first) > 2:
        return first[:2], first[2:].strip()  # -rfile.txt
    value = tokens[1] if len(tokens) > 1 else None
    return first, value


def _strip_per_requirement_options(line: str) -> str:
    """Drop '--hash=...' and other per-requirement options that pip allows after a requirement."""
    return _OPTION_AFTER_REQUIREMENT.split(" " + line, maxsplit=1)[0].strip() if " -" in line else line
