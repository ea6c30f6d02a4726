"""Read envbuild.yaml and the requirement inputs of a target from disk.

Follows ``-r`` / ``-c`` includes relative to the including file, reads pyproject.toml dependencies,
and computes one digest per input file from its *parsed* content, so CRLF, comments and
whitespace never make a lock stale while every requirement change does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.files import read_text
from envbuild.core.digest import combine, digest_of
from envbuild.core.layout import LOCKS_DIR
from envbuild.core.lock import lock_file_name
from envbuild.core.redact import strip_credentials
from envbuild.core.spec.model import SPEC_FILE, InputRef, Spec, Target, parse_spec
from envbuild.errors import SpecError, UserError

if TYPE_CHECKING:  # the readers of inputs (packaging's among them) load when inputs are read: finding a lock needs none
    from envbuild.core.inputs.conda_env import CondaEnv
    from envbuild.core.inputs.requirements import Problem, RequirementLine


@dataclass(frozen=True, kw_only=True)
class TargetInputs:
    """Everything a resolver needs for one target, plus the digests that make a lock checkable."""

    requirements: tuple[RequirementLine, ...]
    constraints: tuple[RequirementLine, ...]
    index_url: str  # may hold ${VAR} references; expanded only when the resolver runs
    extra_index_urls: tuple[str, ...]
    prerelease: bool
    find_links: tuple[str, ...] = ()
    components: dict[str, str] = field(default_factory=dict)  # input name → digest
    conda: CondaEnv | None = None  # the target's environment.yml, when it has one
    conda_file: Path | None = None

    @property
    def digest(self) -> str:
        return combine(self.components)


def load_spec(directory: Path) -> Spec:
    path = directory / SPEC_FILE
    if directory.is_file() and directory.name == SPEC_FILE:
        path = directory
    if not path.is_file():
        raise UserError(f"no {SPEC_FILE} in {directory}", hint="pass the image directory, e.g. 'envbuild lock images/demo'")
    return parse_spec(_read(path, path.name), display_path(path))


def spec_dir(directory: Path) -> Path:
    return directory.parent if directory.is_file() else directory


def find_spec_dir(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding envbuild.yaml, as git finds .git: the
    walk stops at the repository's root (a directory with .git) or the filesystem's, so a spec
    outside the repository is never picked up. None when there is none."""
    here = start.absolute()
    for parent in [here, *here.parents]:
        if (parent / SPEC_FILE).is_file():
            return parent
        if (parent / ".git").exists():
            return None
    return None


def repository_root(directory: Path) -> Path:
    """The git work tree holding the image directory, or the image directory itself outside git:
    the boundary no input may cross."""
    start = directory.resolve()
    for parent in [start, *start.parents]:
        if (parent / ".git").exists():
            return parent
    return start


def repo_relative(root: Path) -> str:
    """The image directory relative to its repository root ('.' outside one): the same wherever
    the command runs, so files that mention it stay byte-identical."""
    return Path(os.path.relpath(root.resolve(), repository_root(root))).as_posix()


def regenerate_command(root: Path, target: str, options: str = "") -> str:
    """What a lock's header says to run to make it again (``options``: the ecosystem's, see
    Ecosystem.regenerate_options)."""
    return f"envbuild lock {repo_relative(root)} --target {target}{options}"


def target_lock_path(root: Path, target: str, format: str) -> Path:
    """Where a target's lock lives: <image directory>/locks/<target>.<the format's suffix>."""
    return root / LOCKS_DIR / lock_file_name(target, format)


def confined(path: Path, boundary: Path, where: str, spec_file: str | None = None) -> Path:
    """``path`` with its links resolved, if it lies inside ``boundary``; else exit 2 naming where
    it was named (a spec key or an include's file:line). Checked before anything reads the file."""
    resolved = path.resolve()
    if resolved == boundary or boundary in resolved.parents:
        return resolved
    problem = f"{path} lies outside the repository ({boundary})"
    hint = "inputs must be files of the repository that holds envbuild.yaml (copy it in, or link the other way)"
    if spec_file is not None:
        raise SpecError(spec_file, where, problem, hint=hint)
    raise UserError(f"{where}: {problem}", hint=hint)


def load_target_inputs(spec: Spec, directory: Path, target: Target) -> TargetInputs:
    walker = _Walker(root=directory, boundary=repository_root(directory))
    for ref in spec.inputs_for(target):
        walker.add_input(ref, spec.file)
    conda, conda_file = None, None
    if spec.conda_for(target):
        conda_file, conda = _load_conda(spec, directory, target)
        walker.problems.extend(conda.problems)
        walker.components[walker._name(conda_file)] = digest_of(conda.digest_view())
    if walker.problems:
        raise _problems_error(walker.problems)
    settings: dict[str, Any] = {
        "python": spec.python,
        "platform": spec.platform_for(target),
        "index": strip_credentials(spec.index_url(target)) if (target.index.url or spec.index.url) else None,
        "extra-index": [strip_credentials(u) for u in spec.extra_index_urls(target)],
        **({"find-links": [strip_credentials(u) for u in spec.find_links(target)]} if spec.find_links(target) else {}),
        "exclude-newer": spec.exclude_newer,
        "cuda": target.cuda,
        "inputs": [f"{ref.path}[{','.join(ref.extras)}]" if ref.extras else ref.path for ref in spec.inputs_for(target)],
    }
    if conda is not None:  # only then: pip targets' digests stay what they were
        settings["conda"] = spec.conda_for(target)
    if spec.inherits(target):  # the base's packages are lock inputs then: another base, another lock
        settings["base-packages"] = {"inherit": spec.base_for(target)}
    components = {f"{SPEC_FILE} (target {target.name})": digest_of(settings), **walker.components}
    index_url = target.index.url or spec.index.url or walker.index_url or spec.index_url(target)
    extra = tuple(dict.fromkeys(spec.extra_index_urls(target) + tuple(walker.extra_index_urls)))
    return TargetInputs(
        requirements=tuple(walker.requirements),
        constraints=tuple(walker.constraints),
        index_url=index_url,
        extra_index_urls=extra,
        prerelease=walker.prerelease,
        find_links=tuple(dict.fromkeys(spec.find_links(target) + tuple(walker.find_links))),
        components=components,
        conda=conda,
        conda_file=conda_file,
    )


def _load_conda(spec: Spec, directory: Path, target: Target) -> tuple[Path, CondaEnv]:
    rel = spec.conda_for(target) or ""
    key = f"targets.{target.name}.conda" if target.conda else "conda"
    path = confined(directory / rel, repository_root(directory), key, spec.file)
    if not path.is_file():
        raise SpecError(spec.file, key, f"file not found: {rel}",
                        hint=f"paths are relative to the directory of {Path(spec.file).name}")
    from envbuild.core.inputs.conda_env import parse_environment

    return path, parse_environment(_read(path, rel), display_path(path))


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass
class _Walker:
    root: Path
    boundary: Path
    requirements: list[RequirementLine] = field(default_factory=list)
    constraints: list[RequirementLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    components: dict[str, str] = field(default_factory=dict)
    extra_index_urls: list[str] = field(default_factory=list)
    find_links: list[str] = field(default_factory=list)
    index_url: str | None = None
    prerelease: bool = False

    def add_input(self, ref: InputRef, spec_file: str) -> None:
        if Path(ref.path).name in ("setup.py", "setup.cfg"):
            raise SpecError(spec_file, ref.key, f"{ref.path}: envbuild reads dependencies as written and a setup.py "
                            "computes them when it runs",
                            hint="list them under [project].dependencies in pyproject.toml (then 'requirements: "
                            "[pyproject.toml]'), or write a requirements file ('pip-compile setup.py' makes one)")
        path = confined(self.root / ref.path, self.boundary, ref.key, spec_file)
        if not path.is_file():
            raise SpecError(spec_file, ref.key, f"file not found: {ref.path}",
                            hint=f"paths are relative to the directory of {Path(spec_file).name}")
        if ref.is_pyproject:
            self._add_pyproject(path, ref, spec_file)
        else:
            self._add_file(path, "requirements", chain=())

    def _name(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def _add_pyproject(self, path: Path, ref: InputRef, spec_file: str) -> None:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]

        from envbuild.core.inputs.pyproject import requirements_from_pyproject

        name = self._name(path)
        try:
            data = tomllib.loads(_read(path, name))
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{name}: invalid TOML: {exc}") from None
        result = requirements_from_pyproject(data, ref.extras, name)
        if result.error:
            raise SpecError(spec_file, ref.key, f"{name} {result.error}")
        self.problems.extend(result.problems)
        self.requirements.extend(result.requirements)
        label = f"{name}[{','.join(ref.extras)}]" if ref.extras else name
        self.components[label] = digest_of([r.text for r in result.requirements])

    def _add_file(self, path: Path, kind: str, chain: tuple[Path, ...]) -> None:
        from envbuild.core.inputs.requirements import parse_requirements_text

        name = self._name(path)
        if path in chain:
            cycle = " -> ".join(self._name(p) for p in (*chain, path))
            raise UserError(f"requirement files include each other in a cycle: {cycle}")
        parsed = parse_requirements_text(_read(path, name), name)
        self.problems.extend(parsed.problems)
        (self.constraints if kind == "constraints" else self.requirements).extend(parsed.requirements)
        self.extra_index_urls.extend(parsed.extra_index_urls)
        self.find_links.extend(parsed.find_links)
        self.index_url = parsed.index_url or self.index_url
        self.prerelease = self.prerelease or parsed.prerelease
        self.components[name] = digest_of({
            "kind": kind,
            "requirements": [r.text for r in parsed.requirements],
            "includes": [[i.kind, i.path] for i in parsed.includes],
            "index-url": strip_credentials(parsed.index_url) if parsed.index_url else None,
            "extra-index-urls": [strip_credentials(u) for u in parsed.extra_index_urls],
            "pre": parsed.prerelease,
            **({"find-links": [strip_credentials(u) for u in parsed.find_links]} if parsed.find_links else {}),
        })
        for include in parsed.includes:
            target = confined(path.parent / include.path, self.boundary, include.origin)
            if not target.is_file():
                raise UserError(f"{include.origin}: included file not found: {include.path}",
                                hint=f"paths in -r/-c lines are relative to {name}")
            self._add_file(target, "constraints" if kind == "constraints" else include.kind, (*chain, path))


def _read(path: Path, name: str) -> str:
    return read_text(path, name)


def _problems_error(problems: list[Problem]) -> UserError:
    if len(problems) == 1:
        return UserError(problems[0].message, hint=problems[0].hint)
    lines: list[str] = []
    explained: set[str] = set()
    for problem in problems:
        lines.append(problem.message)
        if problem.kind not in explained:
            explained.add(problem.kind)
            lines.append(f"    what to do: {problem.hint}")
    return UserError(f"{len(problems)} input lines cannot go into a hash-pinned lock:", details="\n".join(lines))
