#!/usr/bin/env bash
# Builds Ferry and runs it: ferry-server on http://localhost:8080 serving the web client.
# Extra arguments go to ferry-server (see `build/native/server/ferry-server --help`), e.g.
#   scripts/run.sh --port 9000
#   scripts/run.sh --self-signed      # https for phones on the LAN (secure context)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/build.sh

server=build/native/server/ferry-server
if [ ! -x "$server" ]; then
  echo "[run] ferry-server is not part of this build yet; the core and its tests are built."
  exit 0
fi
exec "$server" "$@"
