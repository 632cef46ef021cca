#!/usr/bin/env bash
# The WebAssembly test step:
#   1. the native CLI (release, default target dir; the parity tests compare with it)
#   2. build.sh (installs what is missing, builds the module and the page's files)
#   3. native unit tests of the binding's helpers
#   4. Node tests: parity with the native CLI, sandbox limits, errors, the npm
#      package installed from its tarball (and its TypeScript types), the
#      size map (size-map.mjs)
#   5. browser test: the page in headless Chromium
#   6. bundler test: the npm package in a portal project built by Vite
#      (production build and dev server) and webpack, in headless Chromium
# Exits non-zero on any failure.
set -euo pipefail
WASM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$WASM_DIR/.." && pwd)"

(cd "$ROOT" && env -u RUSTC_BOOTSTRAP cargo build --release -q -p mezon-cli)
export MEZON_BIN="$ROOT/target/release/mezon"

bash "$WASM_DIR/build.sh"

echo "==> cargo test -p mezon-wasm (native unit tests of the binding's helpers)" >&2
(cd "$ROOT" && env -u RUSTC_BOOTSTRAP cargo test --locked -q -p mezon-wasm --lib)

echo "==> node --test wasm/tests/" >&2
node --test "$WASM_DIR/tests/"

echo "==> browser test" >&2
node "$WASM_DIR/tests/browser.mjs"

echo "==> bundler test (Vite, webpack)" >&2
node "$WASM_DIR/tests/bundler.mjs"
