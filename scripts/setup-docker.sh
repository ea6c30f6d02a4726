#!/usr/bin/env bash
# What building images needs on a Debian machine: a Docker engine that answers (Debian's docker.io,
# started in the background; its /usr/bin/docker is a 20.10 client with BuildKit built in, which
# envbuild builds with, and its containerd brings ctr, which the image-store tests import with),
# mmdebstrap (for `envbuild base` where no registry is reachable) and
# Debian's docker-registry and openssh-server (the tests start their own on 127.0.0.1), and podman
# (its `podman build` builds an exported context in the tests).
# Idempotent; exits non-zero, saying why, if the engine cannot start.
set -euo pipefail

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /usr/bin/docker ] || missing+=(docker.io)                            # the client with BuildKit built in
command -v ctr >/dev/null 2>&1 || missing+=(containerd)                    # containerd's importer, for the image-store tests
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v podman >/dev/null 2>&1 || missing+=(podman)                      # podman build, for envbuild context tests
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)  # a local registry for push tests
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)                        # an sshd for verify --ssh tests
command -v jq >/dev/null 2>&1 || missing+=(jq)                            # the README tour's SBOM example
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-docker: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "setup-docker: starting dockerd" >&2
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "setup-docker: engine ready ($(docker version --format '{{.Server.Version}}'))" >&2
    exit 0
  fi
  sleep 1
done
echo "setup-docker: dockerd did not answer within 60 s; last lines of /var/log/dockerd.log:" >&2
tail -20 /var/log/dockerd.log >&2 || true
exit 1
