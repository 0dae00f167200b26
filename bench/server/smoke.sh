#!/bin/bash
# Smoke test of ferry-loadgen (ctest bench.loadgen_smoke): 20 connections, 2 round trips per room,
# against a real ferry-server on loopback. Checks only that every room was set up and every
# message arrived (the loadgen exits non-zero otherwise); it measures nothing.
#   smoke.sh FERRY_SERVER FERRY_LOADGEN
set -euo pipefail
server_bin=$1
loadgen_bin=$2
log=$(mktemp)
"$server_bin" --bind 127.0.0.1 --port 0 --web-root /nonexistent > "$log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$log"' EXIT
port=""
for _ in $(seq 300); do  # up to 30 s for the listening line on a loaded machine
  port=$(grep -o 'event=listening address=[^ ]* port=[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "ferry-server did not listen"; cat "$log"; exit 1; }
out=$("$loadgen_bin" --port "$port" --conns 20 --rounds 2 --threads 2 --server-pid "$server_pid")
echo "$out"
grep -q '"msgs":40,' <<< "$out"
