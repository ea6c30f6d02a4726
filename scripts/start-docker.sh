#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's docker.io if no dockerd exists, start it in
# the background, wait for it. Idempotent; exits non-zero (and says why) if the engine cannot start.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker: installing docker.io from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "start-docker: starting dockerd" >&2
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "start-docker: engine ready ($(docker version --format '{{.Server.Version}}'))" >&2
    exit 0
  fi
  sleep 1
done
echo "start-docker: dockerd did not answer within 60 s; last lines of /var/log/dockerd.log:" >&2
tail -20 /var/log/dockerd.log >&2 || true
exit 1
