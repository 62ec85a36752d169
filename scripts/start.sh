#!/usr/bin/env bash
# THE main command (README): installs what is missing, builds the web
# engine (the core compiled to WebAssembly, SIMD and scalar variants) and
# serves the screening page on localhost with the models listed in
# models/manifest.json.
#
#   scripts/start.sh                 serves on http://localhost:8080/
#   PORT=9000 scripts/start.sh       another port
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NODE_PATH=/usr/share/nodejs  # emcc needs Debian's acorn (docs/targets.md)
echo "start: building the web engine (build/wasm/web-engine)"
cmake --preset wasm >/dev/null
cmake --build --preset wasm -j "${TM2_JOBS:-2}" --target tinym2_web >/dev/null
port="${PORT:-8080}"
echo "start: open http://localhost:${port}/ in a browser (Ctrl-C stops the server)"
exec node scripts/serve.mjs --port "$port"
