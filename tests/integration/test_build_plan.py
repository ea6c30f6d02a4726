"""build() on a fake engine: what goes into the build context, when a build is skipped, how the
image is tagged and pushed. Hermetic: the local index, no Docker engine (tests/support/fake_engine.py);
that the context builds into a working image is test_build.py's job, on a real engine."""

from __future__ import annotations

import re

import pytest

from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.lock import read_lock
from envbuild.errors import CheckFailed
from envbuild.services import images
from tests.conftest import hermetic_env, run_cli
from tests.support.fake_engine import FakeEngine

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_installer")]


@pytest.fixture
def image(make_image, index):
    directory = make_image(f"name: team/model\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: envbuild/base:bookworm\n"
                           f"index: {index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                           {"requirements.in": "alpha\nepsilon\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    return directory


def build(image, engine, tmp_path, **kw):
    return images.build(image, "cpu", engine=engine, wheels=Wheelhouse(tmp_path / "cache" / "wheels", hermetic_env()),
                        environ=hermetic_env(), manifests=False, **kw)


def test_the_context_holds_the_rendered_dockerfile_the_lock_and_exactly_the_locked_wheels(image, tmp_path):
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm", layers=2)
    outcome = build(image, engine, tmp_path)
    [context] = engine.builds
    lock_text = (image / "locks" / "cpu.txt").read_text()
    lock = read_lock(lock_text, "cpu.txt")
    rendered = images.render(image, "cpu", engine=engine, wheels=Wheelhouse(tmp_path / "cache" / "wheels", hermetic_env()),
                             environ=hermetic_env(), output=None, templates=None, progress=lambda _line: None)
    assert context.files["Dockerfile"] == rendered
    # The base pinned by its ID, named by a tag envbuild points at that ID (BuildKit cannot read FROM sha256:)
    base_id = engine.tags["envbuild/base:bookworm"]
    assert f"FROM envbuild/base:envbuild-pin-{base_id[7:]} AS installer" in rendered
    assert engine.tags[f"envbuild/base:envbuild-pin-{base_id[7:]}"] == base_id
    assert context.files["envbuild/lock.txt"] == lock_text
    # Small packages: one layer of them, in its own folder with its own install list.
    wheels = {name: digest for name, digest in context.files.items() if name.endswith(".whl")}
    assert {re.match(r"layers/01/([a-z]+)-", name)[1] for name in wheels if name.startswith("layers/")} \
        == {p.name for p in lock.packages}
    assert all(digest in {h for p in lock.packages for h in p.hashes}
               for name, digest in wheels.items() if name.startswith("layers/"))
    install = context.files["layers/01/install.txt"].splitlines()
    assert sorted(line.split("==")[0] for line in install) == sorted(p.name for p in lock.packages)
    assert "installer/uv.whl" in context.files
    assert context.buildargs == {"SOURCE_DATE_EPOCH": "1777593600"}  # exclude-newer 2026-05-01
    assert outcome.built and re.fullmatch(r"team/model:cpu-[0-9a-f]{12}", outcome.ref)
    assert engine.tags[outcome.ref] == outcome.image_id
    assert engine.inspect(outcome.image_id).labels["dev.envbuild.lock.sha256"]  # labels from the Dockerfile


def test_the_same_inputs_are_not_built_twice_and_new_inputs_get_a_new_tag(image, tmp_path):
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm")
    first = build(image, engine, tmp_path)
    again = build(image, engine, tmp_path)
    assert (again.built, again.ref, again.image_id, len(engine.builds)) == (False, first.ref, first.image_id, 1)
    forced = build(image, engine, tmp_path, no_cache=True)
    assert forced.built and forced.ref == first.ref and engine.builds[-1].nocache
    (image / "requirements.in").write_text("alpha\n")
    with pytest.raises(CheckFailed, match="is stale"):
        build(image, engine, tmp_path)
    assert run_cli("lock", str(image)).returncode == 0
    changed = build(image, engine, tmp_path)
    assert changed.built and changed.ref != first.ref


def test_push_goes_to_the_engine_with_the_tag(image, tmp_path):
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm")
    outcome = build(image, engine, tmp_path, push=True)
    assert engine.pushed == [outcome.ref] and outcome.repo_digest.startswith("sha256:")


def test_a_base_the_engine_does_not_have_and_cannot_pull_is_exit_5(image, tmp_path):
    from envbuild.errors import ToolUnavailable

    with pytest.raises(ToolUnavailable, match="base image envbuild/base:bookworm is not here and cannot be pulled"):
        build(image, FakeEngine(), tmp_path)


def test_without_exclude_newer_the_created_date_is_the_last_commit_s_never_1970(make_image, index, tmp_path):
    import subprocess

    directory = make_image(f"name: team/model\npython: \"3.11\"\nbase: envbuild/base:bookworm\nindex: {index.url}\n"
                           "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": "alpha\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm")
    outside = build(directory, engine, tmp_path)  # no git: the lock file's time
    lock_time = int((directory / "locks" / "cpu.txt").stat().st_mtime)
    created = engine.inspect(outside.image_id).labels["org.opencontainers.image.created"]
    assert created != "1970-01-01T00:00:00Z" and f"ARG SOURCE_DATE_EPOCH={lock_time}" in engine.builds[-1].files["Dockerfile"]
    env = {"GIT_COMMITTER_DATE": "2026-03-04T05:06:07Z", "GIT_AUTHOR_DATE": "2026-03-04T05:06:07Z",
           "PATH": "/usr/bin:/bin"}
    for argv in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", *argv], cwd=directory, check=True, env=env)
    committed = build(directory, engine, tmp_path)
    assert engine.inspect(committed.image_id).labels["org.opencontainers.image.created"] == "2026-03-04T05:06:07Z"
    assert build(directory, engine, tmp_path).ref == committed.ref  # stable while nothing is committed


def test_an_arm64_target_beside_amd64_locks_renders_and_builds_only_where_it_can_run(make_image, index, tmp_path):
    from envbuild.core.lock import read_lock
    from envbuild.errors import ToolUnavailable

    directory = make_image(f"name: team/model\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: envbuild/base:bookworm\n"
                           f"index: {index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n"
                           "  arm:\n    platform: linux/arm64\n", {"requirements.in": "alpha\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    assert read_lock((directory / "locks" / "arm.txt").read_text(), "arm.txt").platform == "linux/arm64"
    assert read_lock((directory / "locks" / "cpu.txt").read_text(), "cpu.txt").platform == "linux/amd64"
    native = FakeEngine()
    native.add_image("envbuild/base:bookworm")
    with pytest.raises(ToolUnavailable, match="linux/arm64, which this engine can neither build natively nor emulate"):
        images.build(directory, "arm", engine=native, wheels=Wheelhouse(tmp_path / "w", hermetic_env()),
                     environ=hermetic_env(), manifests=False)
    emulating = FakeEngine(emulated=("linux/arm64",))
    emulating.add_image("envbuild/base:bookworm")
    outcome = images.build(directory, "arm", engine=emulating, wheels=Wheelhouse(tmp_path / "w", hermetic_env()),
                           environ=hermetic_env(), manifests=False)
    [context] = emulating.builds
    assert context.platform == "linux/arm64" and 'dev.envbuild.platform="linux/arm64"' in context.files["Dockerfile"]
    assert outcome.built
    build(directory, emulating, tmp_path)  # the amd64 target: no platform asked of the engine
    assert emulating.builds[-1].platform is None


def test_the_image_carries_its_sbom_and_the_provenance_names_the_image_and_every_file_read(image, tmp_path):
    import json

    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm", layers=2)
    outcome = build(image, engine, tmp_path, provenance=True)
    [context] = engine.builds
    assert context.files["envbuild/sbom.cdx.json"] == outcome.sbom  # embedded at /etc/envbuild/sbom.cdx.json
    assert "/tmp/envbuild/sbom.cdx.json /staging/etc/envbuild/" in context.files["Dockerfile"]
    lock = read_lock((image / "locks" / "cpu.txt").read_text(), "cpu.txt")
    purls = {c["purl"] for c in json.loads(outcome.sbom)["components"] if c["type"] == "library"}
    assert purls == {f"pkg:pypi/{p.name}@{p.version}" for p in lock.packages}
    statement = json.loads(outcome.provenance)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"] == [{"name": outcome.ref, "digest": {"sha256": outcome.image_id.split(":", 1)[1]}}]
    read = {d["digest"].get("sha256") for d in statement["predicate"]["buildDefinition"]["resolvedDependencies"]}
    wheels = {digest.split(":", 1)[1] for name, digest in context.files.items() if name.endswith(".whl")}
    assert wheels <= read  # every wheel in the context, the in-image installer's too
    assert engine.tags["envbuild/base:bookworm"].split(":", 1)[1] in read
    parameters = statement["predicate"]["buildDefinition"]["internalParameters"]
    assert parameters["tagDigest"] == outcome.digest and parameters["inputsDigest"] == lock.inputs_digest
    again = build(image, engine, tmp_path, provenance=True, sbom=True)  # up to date: the same documents
    assert not again.built and again.sbom == outcome.sbom
    assert json.loads(again.provenance)["subject"] == statement["subject"]
    assert json.loads(again.provenance)["predicate"]["buildDefinition"] == statement["predicate"]["buildDefinition"]


class FakeBuildKit:
    """A BuildKit builder as far as the service can tell: the fake engine builds what it is handed."""

    kind, label = "buildkit", "buildkit (fake)"

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def build(self, context_dir, **kw):
        return self.engine.build(context_dir, **kw)


def test_a_buildkit_builder_is_handed_the_buildkit_dockerfile_under_the_same_tag(image, tmp_path):
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm", layers=2)
    classic = build(image, engine, tmp_path)
    buildkit = build(image, engine, tmp_path, no_cache=True, builder=lambda: FakeBuildKit(engine))
    portable_context, buildkit_context = engine.builds
    wheels = Wheelhouse(tmp_path / "cache" / "wheels", hermetic_env())
    expected = images.render(image, "cpu", engine=engine, wheels=wheels, environ=hermetic_env(), output=None,
                             templates=None, progress=lambda _line: None, buildkit=True)
    assert buildkit_context.files["Dockerfile"] == expected != portable_context.files["Dockerfile"]
    assert "RUN --mount=type=bind,source=layers/01,target=/tmp/layer" in expected
    assert buildkit.ref == classic.ref  # the tag digest does not depend on the builder
    assert (classic.builder, buildkit.builder) == ("classic", "buildkit (fake)")
    assert buildkit_context.files.keys() == portable_context.files.keys()  # the same context, one Dockerfile apart


def test_a_build_whose_lower_layers_are_not_the_pinned_base_s_is_refused(image, tmp_path):
    from envbuild.errors import BuildError

    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm", layers=2)

    class Elsewhere(FakeBuildKit):  # resolves the base's name to another image, as a moved tag would
        def build(self, context_dir, **kw):
            built = self.engine.build(context_dir, **kw)
            info = self.engine.images[built]
            self.engine.images[built] = type(info)(**{**info.__dict__, "diff_ids": ("sha256:" + "9" * 64,)})
            return built

    with pytest.raises(BuildError, match="does not start with the layers of its pinned base"):
        build(image, engine, tmp_path, builder=lambda: Elsewhere(engine))
