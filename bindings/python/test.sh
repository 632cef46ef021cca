#!/usr/bin/env bash
# Tests of the Python binding: `pip install ./bindings/python` into a venv
# under .tools/ (maturin comes from PyPI as the build backend), then pytest
# against the native `mezon` command line.
#
#   bash bindings/python/test.sh
#
# Builds the CLI into $CARGO_TARGET_DIR, by default the workspace's target/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${MEZON_VENV:-$root/.tools/venv}"

echo "== build the native CLI (parity reference)"
cargo build --release --manifest-path "$root/Cargo.toml" -p mezon-cli

if [ ! -x "$venv/bin/python" ]; then
    echo "== create $venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null
        python3 -m venv "$venv"
    fi
fi
py="$venv/bin/python"

echo "== pip install ./bindings/python"
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet pytest
"$py" -m pip install --force-reinstall --no-deps "$here"

echo "== pytest"
status=0
(cd "$here" && MEZON_CLI="$target/release/mezon" "$py" -m pytest -q "$here/tests") || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests" >&2
    exit 1
fi
exit "$status"
