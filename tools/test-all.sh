#!/usr/bin/env bash
# The project's test command (README, `.ci/run`): every layer, each step
# installing what it needs on a fresh machine and reusing it afterwards.
# Runs every step even when one fails, then reports and exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()

step() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED ($((SECONDS - start)) s)"
    fi
}

packs() {
    find rules test-data/packs -mindepth 2 -maxdepth 2 -type d | sort
}

pack_checks() {
    local mezon=target/release/mezon ok=0
    for p in $(packs); do
        "$mezon" test "$p" | tail -n 1 || ok=1
    done
    "$mezon" check rules/uz-egov-quality/2016.1 || ok=1
    # The README's main command on the bundled example must run clean.
    "$mezon" rank --pack rules/uz-egov-quality --as-of 2017-02-01 --input examples/2016/services.csv \
        --organizations examples/2016/organizations.csv --format table > /dev/null || ok=1
    return $ok
}

step "cargo test (engine, cli, doctests)" cargo test --locked
step "clippy" cargo clippy --locked --all-targets -p mezon -p mezon-cli -- -D warnings
# The engine as the browser's size build has it (wasm/build.sh); its results
# are checked there, by the Node parity tests against the native CLI.
step "clippy (engine without the fast path)" cargo clippy --locked -p mezon --lib --no-default-features -- -D warnings
step "release build of the command line" cargo build --locked --release -p mezon-cli
step "rule packs: golden tests, checks, main command" pack_checks
step "C binding" bash bindings/c/test.sh
step "Python binding" bash bindings/python/test.sh
step "WebAssembly: Node parity and browser" bash wasm/test.sh
step "benchmark comparison smoke run" bash benches/smoke.sh

echo
if [ "$failed" -gt 0 ]; then
    echo "failed steps: ${failures[*]}"
fi
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
