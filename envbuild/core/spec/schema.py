"""The JSON Schema (draft 2020-12) of envbuild.yaml, for editors (yaml-language-server, VS Code,
PyCharm): completion, hover text and checks as you type. Pure.

Built from the spec reader's own key sets, patterns and platforms, so the two cannot drift apart on
what keys exist; the reader stays the authority (a schema cannot say everything it checks: a
credential in env, a file outside the repository, a target with no requirements at all).
"""

from __future__ import annotations

from typing import Any

from envbuild.core.spec import layers

from envbuild.core.spec import runtime

from envbuild.core.spec import model as spec
from envbuild.core.platforms import PLATFORMS

SCHEMA_ID = "https://envbuild.dev/schema/envbuild.schema.json"


def _string(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _strings(description: str) -> dict[str, Any]:
    return {"description": description,
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def _argv(description: str) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]}, "description": description}


def _index() -> dict[str, Any]:
    url = {"type": "string", "pattern": spec._URL_RE.pattern}
    return {"description": "The package index: a URL, or {url, extra, find-links}. ${VAR}s are expanded where "
                           "something is fetched, never written into a lock.",
            "oneOf": [url, {"type": "object", "additionalProperties": False, "properties": {
                "url": url,
                "extra": {"oneOf": [url, {"type": "array", "items": url}]},
                "find-links": {"type": "array", "items": url}}}]}


def _layers() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "description": "How the venv is split into image layers.",
            "properties": {
                "max": {"type": "integer", "minimum": layers.MAX_RANGE[0], "maximum": layers.MAX_RANGE[1],
                        "description": f"Layers above the base ({layers.DEFAULT_MAX})."},
                "threshold": {"description": "A package whose locked file is at least this big gets its own layer "
                                             f"({layers.DEFAULT_THRESHOLD // layers.MB}MB).",
                              "oneOf": [{"type": "integer", "exclusiveMinimum": 0},
                                        {"type": "string", "pattern": layers.SIZE_PATTERN}]},
                "groups": {"type": "object", "description": "Named layers of packages (patterns like 'nvidia-*').",
                           "propertyNames": {"pattern": layers._GROUP_NAME.pattern,
                                             "not": {"enum": sorted(layers._RESERVED)}},
                           "additionalProperties": {"oneOf": [{"type": "string"}, {
                               "type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}]}}}}


def _runtime() -> dict[str, Any]:
    scalar = {"type": ["string", "number"]}
    return {
        "entrypoint": _argv("The image's ENTRYPOINT, exec form (a list)."),
        "cmd": _argv("The image's CMD, exec form (a list)."),
        "workdir": _string("The working directory, an absolute path.", pattern="^/"),
        "env": {"type": "object", "description": "ENV of the image (never a credential).",
                "propertyNames": {"pattern": runtime._ENV_NAME.pattern}, "additionalProperties": scalar},
        "user": {"description": "The user the image runs as (a name or a uid; not root unless said).",
                 "oneOf": [{"type": "string", "pattern": runtime._USER.pattern}, {"type": "integer", "minimum": 0}]},
        "labels": {"type": "object", "description": "Image labels (not envbuild's own namespace).",
                   "propertyNames": {"pattern": runtime._LABEL.pattern}, "additionalProperties": scalar},
        "files": {"type": "array", "description": "Files copied into the image.", "items": {
            "type": "object", "required": ["src", "dst"], "additionalProperties": False,
            "properties": {"src": _string("A path relative to envbuild.yaml."),
                           "dst": _string("An absolute path in the image.", pattern="^/")}}},
        "determinism": {"description": "true: the variables that make runs repeatable (PYTHONHASHSEED, "
                                       "CUBLAS_WORKSPACE_CONFIG, ...); a mapping sets values, null drops one.",
                        "oneOf": [{"type": "boolean"}, {"type": "object",
                                                        "propertyNames": {"pattern": runtime._ENV_NAME.pattern},
                                                        "additionalProperties": {"type": ["string", "number",
                                                                                          "null"]}}]},
    }


def _reproduce() -> dict[str, Any]:
    from envbuild.core.spec.tolerances import BETTER, DIRECTIONS

    number = {"type": "number", "minimum": 0}
    tolerance = {"type": "object", "additionalProperties": False, "properties": {
        "abs": number, "rel": number, "resolution": number, "required": {"type": "boolean"},
        "direction": {"enum": list(DIRECTIONS)}, "better": {"enum": list(BETTER)}}}
    return {"type": "object", "additionalProperties": False,
            "description": "How a recorded training run is re-run and judged (envbuild reproduce).",
            "properties": {
                "metrics": {"type": "object", "description": "Per metric: abs and/or rel, direction, better, "
                            "resolution, required.", "additionalProperties": tolerance},
                "same-hardware": {"type": "boolean", "description": "A re-run on other hardware is inconclusive."},
                "metrics-file": _string("Where training code that does not log to MLflow writes its metrics "
                                        "(JSON), in the image.", pattern="^/"),
                "modes": {"type": "object", "description": "Shorter runs: arguments appended (or, with replace, "
                          "instead of the recorded ones).", "additionalProperties": {
                              "type": "object", "required": ["args"], "additionalProperties": False,
                              "properties": {"args": {"type": "array", "items": {"type": ["string", "number"]}},
                                             "replace": {"type": "boolean"}}}},
                "seed": {"type": "object", "description": "How --calibrate varies the seed: {env: NAME} or "
                         "{arg: --seed}.", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                         "properties": {"env": {"type": "string", "minLength": 1},
                                        "arg": {"type": "string", "minLength": 1}}}}}


def _shared() -> dict[str, Any]:
    """Keys a target may set as the top level does."""
    return {
        "base": _string("The base image (an image reference, pinned by digest at build).", pattern=r"^\S+$"),
        "requirements": _strings("requirements files and pyproject.toml[extras] to lock."),
        "index": _index(),
        "conda": _string("A conda environment file.", pattern=r"\.ya?ml$"),
        "project": _string("The project's directory, relative to envbuild.yaml: built into a wheel in the image.",
                           pattern="^[^/]"),
        "platform": {"enum": list(PLATFORMS), "description": "The platform to lock and build for."},
        "layers": _layers(),
        "reproduce": _reproduce(),
        "base-packages": {"enum": list(spec.BASE_PACKAGES), "description": "inherit: the venv sees the base image's "
                          "own Python packages (an NGC or pytorch/pytorch base's torch), and the lock takes them as "
                          "given; ignore (default): it does not."},
        **_runtime(),
    }


def spec_schema() -> dict[str, Any]:
    target_keys = {
        **{k: v for k, v in _shared().items() if k in spec._TARGET_KEYS},
        "cuda": {"type": ["string", "number"], "pattern": spec._CUDA_RE.pattern,
                 "description": "The CUDA version of a GPU target, e.g. \"12.8\"."},
        "system-packages": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9+.:=~-]*$"},
                            "description": "Debian/Ubuntu packages installed into the image."},
    }
    top_keys = {
        **{k: v for k, v in _shared().items() if k in spec._TOP_KEYS},
        "version": {"const": spec.SPEC_VERSION, "description": "The spec format version."},
        "name": _string("The image name, e.g. team/model or registry:5000/team/model.", pattern=spec._NAME_RE.pattern),
        "python": {"type": ["string", "number"], "pattern": spec._PYTHON_RE.pattern,
                   "description": "The Python version, quoted: \"3.11\" (YAML reads 3.10 as 3.1)."},
        "exclude-newer": _string("Lock as of this date (2026-11-01 or 2026-11-01T12:00:00Z).",
                                 pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$"),
        "source": _string("The source repository's URL (an image label; no credentials).", pattern=r"^\S+$",
                          **{"not": {"pattern": r"^[^/]*//[^/]*@"}}),
        "templates": _string("A directory of Dockerfile templates overriding the shipped ones."),
        "targets": {"type": "object", "minProperties": 1, "description": "The targets: cpu, cuda, ...",
                    "propertyNames": {"pattern": spec._TARGET_RE.pattern},
                    "additionalProperties": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/target"}]}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "envbuild.yaml",
        "description": "An envbuild image definition: what to lock, and how to build and run it.",
        "type": "object",
        "required": ["name", "python", "targets"],
        "additionalProperties": False,
        "properties": top_keys,
        "$defs": {"target": {"type": "object", "additionalProperties": False, "properties": target_keys}},
    }
