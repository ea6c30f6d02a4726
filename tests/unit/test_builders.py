"""Which builder builds (core/image/builders.py), what BuildKit's progress says, how BuildKit is called
(adapters/engine/builders.py), and the normalisation that makes both builders give one image ID."""

from __future__ import annotations

import json

import pytest

from envbuild.adapters.engine.builders import BuildKit, check_base
from envbuild.core.image.builders import Choice, Offers, ProgressReader, choose, client_major
from envbuild.core.image.plan import EMPTY_LAYER, kept_layers, normalized_config, pinned_base_tag
from envbuild.errors import BuildError, ToolUnavailable, UserError
from tests.support.fake_engine import FakeEngine

BUILDX = Offers(buildx="/usr/libexec/docker", builtin="/usr/bin/docker")
BUILTIN = Offers(builtin="/usr/bin/docker", looked_at=("/usr/local/bin/docker 28.2.2: no buildx plugin",))
NONE = Offers(looked_at=("/usr/local/bin/docker 28.2.2: no buildx plugin",))


def test_buildkit_first_buildx_before_a_client_with_it_built_in_classic_last():
    assert choose(None, BUILDX) == Choice(kind="buildkit", client="/usr/libexec/docker", buildx=True)
    assert choose("auto", BUILTIN) == Choice(kind="buildkit", client="/usr/bin/docker")
    fallback = choose(None, NONE)
    assert fallback.kind == "classic" and "28.2.2: no buildx plugin" in fallback.why
    assert choose("classic", BUILDX).kind == "classic"


def test_a_builder_asked_for_and_not_here_is_an_error_not_a_silent_fallback():
    with pytest.raises(ToolUnavailable, match="no docker client here can run BuildKit.*28.2.2: no buildx plugin"):
        choose("buildkit", NONE)
    with pytest.raises(ToolUnavailable, match="'pool' is a buildx builder, and no docker client here has buildx"):
        choose("pool", BUILTIN)
    with pytest.raises(UserError, match="expected auto, buildkit, classic or the name of a buildx builder"):
        choose("no such/builder", BUILDX)


def test_a_named_builder_reaches_buildx_with_load_and_its_name():
    choice = choose("remote-pool", BUILDX)
    assert choice.label == "buildkit (docker buildx, builder remote-pool)"
    argv = BuildKit(choice, {}).argv("/ctx", iidfile="/t/iid", nocache=True, buildargs={"SOURCE_DATE_EPOCH": "7"},
                                     platform="linux/arm64")
    assert argv == ["/usr/libexec/docker", "buildx", "build", "--load", "--builder", "remote-pool", "--progress", "plain",
                    "--iidfile", "/t/iid", "--no-cache", "--platform", "linux/arm64", "--build-arg",
                    "SOURCE_DATE_EPOCH=7", "/ctx"]
    builtin = BuildKit(choose(None, BUILTIN), {}).argv("/ctx", iidfile="/t/iid", nocache=False, buildargs={},
                                                       platform=None)
    assert builtin == ["/usr/bin/docker", "build", "--progress", "plain", "--iidfile", "/t/iid", "/ctx"]
    assert choose(None, BUILTIN).label == "buildkit (/usr/bin/docker, built in)"


@pytest.mark.parametrize("version,major", [("20.10.24+dfsg1", 20), ("28.2.2", 28), ("v0.12.1", 0), ("", None),
                                           ("Error response", None)])
def test_client_major(version, major):
    assert client_major(version) == major


# A BuildKit 20.10 run, cut down: steps interleaved, one cached, one failing.
LOG = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:4e5954f42ab0de073fea546847ffeb0c977893d18ba8582c55ae85dadbb1cd2a
#1 DONE 0.0s
#7 [internal] load build context
#7 transferring context: 36.19MB 0.4s done
#7 DONE 0.4s
#4 [layer-01 1/1] RUN --mount=type=bind,source=layers/01,target=/tmp/layer python3 -m venv
#4 sha256:46bfc9b766be4ad07fad5aa212ca57db959e630ceba7a3057207595ac6559d95
#5 [metadata 3/3] RUN uv pip check
#4 0.812 \x1b[31mInstalled 1 package\x1b[0m in 3ms
#4 DONE 2.4s
#6 [skeleton 2/2] RUN python3 -m venv --without-pip /opt/venv
#6 CACHED
#5 0.203 boom-marker
#5 ERROR: executor failed running [/bin/sh -c uv pip check]: exit code: 3
------
 > [metadata 3/3] RUN uv pip check:
------
executor failed running [/bin/sh -c uv pip check]: exit code: 3
"""


def test_the_progress_reader_shows_steps_times_output_and_the_failing_step():
    lines: list[str] = []
    reader = ProgressReader(progress=lines.append, plain=True)
    for line in LOG.splitlines():
        reader.feed(line)
    assert lines == ["sent the build context (36.2 MB) in 0.4 s",
                     "[layer-01 1/1]: RUN --mount=type=bind,source=layers/01,target=/tmp/layer python3 -m venv",
                     "[metadata 3/3]: RUN uv pip check", "  | Installed 1 package in 3ms",
                     "  [layer-01 1/1] took 2.4 s", "[skeleton 2/2]: RUN python3 -m venv --without-pip /opt/venv",
                     "  | boom-marker"]
    step, details = reader.failure()
    assert step == "[metadata 3/3] RUN uv pip check"
    assert details == "boom-marker\nexecutor failed running [/bin/sh -c uv pip check]: exit code: 3"


def test_a_context_sent_in_part_is_said_too():
    lines: list[str] = []
    reader = ProgressReader(progress=lines.append)
    for line in ("#7 [internal] load build context", "#7 transferring context: 78.48kB done"):
        reader.feed(line)
    assert lines == ["sent the build context (0.1 MB) in 0.0 s"]


def test_without_plain_a_step_s_output_is_kept_for_its_error_only():
    lines: list[str] = []
    reader = ProgressReader(progress=lines.append)
    for line in LOG.splitlines():
        reader.feed(line)
    assert not any(line.startswith("  |") for line in lines) and "boom-marker" in reader.failure()[1]


RAW = {"Architecture": "amd64", "Os": "linux",
       "Config": {"Env": ["A=1"], "Hostname": "b1d2", "ArgsEscaped": True, "WorkingDir": "/home/app"},
       "RootFS": {"Layers": ["sha256:" + "1" * 64, "sha256:" + "2" * 64, EMPTY_LAYER]}}


def test_buildkit_s_workdir_layer_and_args_escaped_leave_the_classic_builder_s_config():
    history = ["base layer 1", "envbuild: the rest"]
    classic = dict(RAW, Config={"Env": ["A=1"], "WorkingDir": "/home/app"},
                   RootFS={"Layers": RAW["RootFS"]["Layers"][:2]})
    assert normalized_config(RAW, created="2026-11-01T00:00:00Z", history=history) == \
        normalized_config(classic, created="2026-11-01T00:00:00Z", history=history)
    assert kept_layers(RAW, 2) == tuple(RAW["RootFS"]["Layers"][:2])
    assert kept_layers(RAW, 3) == tuple(RAW["RootFS"]["Layers"])  # a layer the plan expects is kept, empty or not
    windows = json.loads(normalized_config(dict(RAW, Os="windows"), created="x", history=history))
    assert windows["config"]["ArgsEscaped"] is True


@pytest.mark.parametrize("ref,tag", [
    ("envbuild/base:bookworm", "envbuild/base:envbuild-pin-"),
    ("registry.local:5000/team/base:v1", "registry.local:5000/team/base:envbuild-pin-"),
    ("python", "python:envbuild-pin-"),
    ("sha256:" + "e" * 64, "envbuild/base:envbuild-pin-"),
])
def test_a_local_base_is_named_by_a_tag_holding_its_whole_id(ref, tag):
    assert pinned_base_tag(ref, "sha256:" + "e" * 64) == tag + "e" * 64


def test_a_build_that_does_not_start_with_the_pinned_base_s_layers_is_refused():
    engine = FakeEngine()
    base = engine.add_image("envbuild/base:bookworm", layers=2)
    built = engine.add_image("built", layers=3)
    with pytest.raises(BuildError, match="does not start with the layers of its pinned base"):
        check_base(engine, base.diff_ids, built.id, "team/model:cpu-0123")
    assert engine.inspect(built.id) is None  # not left behind
    good = engine.add_image("good", layers=1)
    engine.images[good.id] = type(good)(**{**good.__dict__, "diff_ids": base.diff_ids + good.diff_ids})
    check_base(engine, base.diff_ids, good.id, "team/model:cpu-0123")


def test_a_target_s_build_context_is_at_one_path_one_build_at_a_time_and_removed_after(tmp_path):
    import threading
    import time

    from envbuild.adapters.files import stable_folder

    with stable_folder(tmp_path, "team/model cpu") as first:
        (first / "left").write_text("x")
        entered: list[float] = []
        waiter = threading.Thread(target=lambda: _enter(tmp_path, entered))
        waiter.start()
        time.sleep(0.3)
        assert entered == []  # the second build of the target waits for the first
        released = time.monotonic()
    waiter.join(5)
    assert entered and entered[0][0] >= released and entered[0][1] == first and entered[0][2] == []
    assert not first.exists()
    with stable_folder(tmp_path, "team/model cuda") as other:
        assert other != first


def _enter(root, entered):
    import time

    from envbuild.adapters.files import stable_folder

    with stable_folder(root, "team/model cpu") as folder:
        entered.append((time.monotonic(), folder, list(folder.iterdir())))
