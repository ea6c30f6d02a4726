"""reproduce's preflight, before any compute: the image the run trained in (here, pulled by its
registry digest, or rebuilt from the recorded commit with the same ID required), the data against what
the run recorded (DVC), this machine's hardware against the recorded fingerprint. Each answers a
core/lineage/reproduction.Check; the files check is verify's (services/reproducing.py wires it)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.core.layout import Labels
from envbuild.core.lineage.reproduction import Check, Recorded

if TYPE_CHECKING:
    from envbuild.core.spec.reproduce import ReproduceRules

Rebuild = Callable[[Path, str], str]  # (image directory, target) → the image ID built


def find_image(recorded: Recorded, *, image: str | None, repo: Path | None, rebuild: Rebuild,
               progress: Callable[[str], None]) -> tuple[str | None, Check, bool]:
    """(what to run, the check, whether it is the recorded image itself). ``image``: the one --image
    names instead; ``repo``: where the recorded commit is, to rebuild a gone image (default: here)."""
    from envbuild.adapters.engine import training

    wanted = str(recorded.image.get("image_id") or "")
    if image:
        found = training.image_id(image)
        if found is None:
            return None, Check(name="image", ok=False, detail=f"{image}: no such image here"), False
        said = f"{image} ({found[:19]}), given with --image"
        if found != wanted:
            said += f"; the run trained in {wanted[:19] or 'an unrecorded image'}"
            recorded_project = recorded.image.get("project")
            project = training.image_label(found, Labels.PROJECT)
            if recorded_project and project != recorded_project:  # other code: a regression test, not a re-run
                said += f"; its project is {project or 'none'}, the run's was {recorded_project}"
        return found, Check(name="image", ok=True, detail=said), found == wanted
    if not wanted:
        return None, Check(name="image", ok=False, detail="the run recorded no image ID: not trained in an image"), False
    if training.image_id(wanted) == wanted:
        return wanted, Check(name="image", ok=True, detail=f"{recorded.image.get('ref') or wanted} ({wanted[:19]}), here"), True
    for digest in recorded.image.get("repo_digests") or ():
        progress(f"pulling {digest}")
        if training.pull(str(digest)) == wanted:
            return wanted, Check(name="image", ok=True, detail=f"{digest}: pulled, the recorded ID {wanted[:19]}"), True
    definition = recorded.definition or {}
    if not (definition.get("commit") and definition.get("target") and definition.get("path") is not None):
        return None, Check(name="image", ok=False, detail=f"{wanted[:19]} is gone (not here, not pullable) and the run "
                           "recorded no image definition to rebuild it from"), False
    return _rebuilt(recorded, definition, repo or Path.cwd(), rebuild, progress)


def _rebuilt(recorded: Recorded, definition: Mapping[str, str], repo: Path, rebuild: Rebuild,
             progress: Callable[[str], None]) -> tuple[str | None, Check, bool]:
    """The image gone: rebuilt from the recorded commit in a worktree of ``repo``, and it must come
    back with the same ID (envbuild's builds are bit-reproducible); another ID is not the run's image."""
    from envbuild.adapters import git

    wanted, commit = str(recorded.image.get("image_id")), str(definition["commit"])
    progress(f"{wanted[:19]} is gone: rebuilding {definition['path'] or '.'} --target {definition['target']} at {commit[:12]}")
    with tempfile.TemporaryDirectory(prefix="envbuild-rebuild-") as tmp:
        tree = Path(tmp) / "tree"
        if not git.worktree(repo, commit, tree):
            return None, Check(name="image", ok=False, detail=f"{wanted[:19]} is gone, and commit {commit[:12]} is not "
                               f"in the repository at {repo} to rebuild it from (pass --repo DIR)"), False
        try:
            built = rebuild(tree / definition["path"], definition["target"])
        finally:
            git.remove_worktree(repo, tree)
    if built != wanted:
        return None, Check(name="image", ok=False, detail=f"rebuilt from {commit[:12]} as {built[:19]}, not the recorded "
                           f"{wanted[:19]}: not the image the run trained in"), False
    return built, Check(name="image", ok=True, detail=f"{wanted[:19]} was gone: rebuilt from {commit[:12]} with the "
                        "same ID"), True


def check_data(recorded: Recorded, data: Path | None, *, environ: Mapping[str, str]) -> Check:
    if not recorded.data:
        return Check(name="data", ok=None, detail="the run recorded no data versions")
    if data is None:
        return Check(name="data", ok=False, detail=f"the run trained on {len(recorded.data)} DVC outputs: pass --data "
                     "DIR (the DVC workspace) to check and mount them")
    from envbuild.adapters import dvc
    from envbuild.core.lineage.data import compare_outputs, status_findings
    from envbuild.errors import ToolUnavailable

    root = dvc.workspace_root(data)
    current = dvc.lock_outputs(None, root)
    try:
        findings = status_findings(dvc.status(root, environ=environ), str(root))
    except ToolUnavailable as exc:
        return Check(name="data", ok=False, detail=exc.message)
    findings += compare_outputs(recorded.data, current[1] if current else [], expected_label=recorded.label,
                                actual_label=current[0] if current else f"{root} (no dvc.lock)")
    if findings:
        return Check(name="data", ok=False, detail="; ".join(f"{f.name}: {f.detail or f.kind}" for f in findings[:3]))
    return Check(name="data", ok=True, detail=f"{len(recorded.data)} outputs as recorded ({root})")


def check_hardware(recorded: Recorded, rules: "ReproduceRules") -> Check:
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.adapters.places import Place, take_snapshot
    from envbuild.core.lineage.hardware import differences, fingerprint, host

    if not recorded.hardware:
        return Check(name="hardware", ok=None, detail="the run recorded no hardware fingerprint")
    # This machine's facts only: the local probe reads envbuild's own environment, whose packages say
    # nothing of the image's CUDA runtime or torch build (the environment check holds those to the lock).
    here = host(fingerprint(take_snapshot(Place(kind="local")), cuda_data().get("gpu_compute_capability")))
    found = differences(host(recorded.hardware), here)
    if found:
        required = " (the spec requires the same hardware)" if rules.same_hardware else ""
        return Check(name="hardware", ok=False, detail=f"{'; '.join(found)}{required}")
    return Check(name="hardware", ok=True, detail=", ".join(f"{k}: {v}" for k, v in sorted(here.items())
                                                            if k in ("machine", "cpu_model", "cores")))
