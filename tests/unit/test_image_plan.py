"""core/image/plan.py: the tag, the history and the normalised config that make image IDs reproducible."""

import hashlib
import json

from envbuild.core.image.plan import history, image_ref, normalized_config, tag_digest

RAW = {  # what `docker inspect` says of a fresh build: the fields that differ between two builds included
    "Id": "sha256:" + "9" * 64, "Created": "2026-12-02T03:04:05.123456789Z", "Architecture": "amd64", "Os": "linux",
    "Parent": "sha256:" + "8" * 64, "Container": "4f0c", "DockerVersion": "20.10.24",
    "Config": {"Hostname": "4f0c1d2e", "Domainname": "", "Image": "sha256:" + "7" * 64, "User": "app",
               "Env": ["PATH=/opt/venv/bin:/usr/bin"], "Labels": {"dev.envbuild.target": "cpu"}},
    "RootFS": {"Type": "layers", "Layers": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]},
}


def test_the_config_keeps_what_the_image_is_and_drops_where_and_when_it_was_built():
    config = json.loads(normalized_config(RAW, created="1970-01-01T00:00:00Z", history=["base layer 1", "envbuild"]))
    assert config == {
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"User": "app", "Env": ["PATH=/opt/venv/bin:/usr/bin"], "Labels": {"dev.envbuild.target": "cpu"}},
        "rootfs": {"type": "layers", "diff_ids": RAW["RootFS"]["Layers"]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "base layer 1"},
                    {"created": "1970-01-01T00:00:00Z", "created_by": "envbuild"}],
    }


def test_two_builds_of_the_same_inputs_have_one_image_id():
    other = dict(RAW, Created="2026-12-03T00:00:00Z", Container="99aa", Config=dict(RAW["Config"], Hostname="99aa"))
    first = normalized_config(RAW, created="1970-01-01T00:00:00Z", history=[])
    assert first == normalized_config(other, created="1970-01-01T00:00:00Z", history=[])
    assert first == json.dumps(json.loads(first), sort_keys=True, separators=(",", ":")).encode()  # canonical
    changed = dict(RAW, Config=dict(RAW["Config"], User="root"))
    assert hashlib.sha256(first).digest() != hashlib.sha256(
        normalized_config(changed, created="1970-01-01T00:00:00Z", history=[])).digest()


def test_the_tag_is_a_digest_of_every_input():
    base = dict(dockerfile="FROM x\n", embedded={"lock.txt": "a==1\n"}, base="sha256:" + "1" * 64, epoch=0)
    digest = tag_digest(**base)
    assert len(digest) == 64 and digest == tag_digest(**base)
    for key, value in (("dockerfile", "FROM y\n"), ("embedded", {"lock.txt": "a==2\n"}), ("base", "other"), ("epoch", 1)):
        assert tag_digest(**dict(base, **{key: value})) != digest, key
    assert image_ref("team/model", "cpu", digest) == f"team/model:cpu-{digest[:12]}"


def test_history_names_each_base_layer_then_envbuild_s_own():
    assert history("debian:bookworm", 2, "cpu", "/opt/venv from cpu lock") == [
        "base image debian:bookworm layer 1", "base image debian:bookworm layer 2",
        "envbuild cpu: /opt/venv from cpu lock, /etc/envbuild, user app"]
