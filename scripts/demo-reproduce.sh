#!/usr/bin/env bash
# The end of `make demo`: a throwaway MLflow tracking server on 127.0.0.1, the training run in the
# image with `envbuild run` (recorded into a new MLflow run), then `envbuild reproduce` of that run
# from its ID: preflight (image, files, data, hardware), the re-run, each metric against its tolerance.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
envbuild=${ENVBUILD:-$here/.venv/bin/envbuild}
mlflow=${MLFLOW:-$here/.venv/bin/mlflow}
store=$(mktemp -d "${TMPDIR:-/tmp}/envbuild-demo-mlflow.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export MLFLOW_TRACKING_URI="http://127.0.0.1:$port" MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false  # the server's job runner: seven processes the demo does not use
"$mlflow" server --host 127.0.0.1 --port "$port" --backend-store-uri "sqlite:///$store/mlflow.db" \
    --artifacts-destination "$store/artifacts" > "$store/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$store"' EXIT
for _ in $(seq 120); do
    curl -fs "$MLFLOW_TRACKING_URI/health" > /dev/null 2>&1 && break
    kill -0 $server 2>/dev/null || { cat "$store/server.log" >&2; exit 5; }
    sleep 0.5
done
echo "MLflow tracking server: $MLFLOW_TRACKING_URI (store $store)"
echo "+ envbuild run images/train"
run_id=$("$envbuild" run images/train --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["run_id"])')
echo "+ envbuild reproduce mlflow:runs:/$run_id"
"$envbuild" reproduce "mlflow:runs:/$run_id"
