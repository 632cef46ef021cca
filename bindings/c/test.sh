#!/usr/bin/env bash
# Tests of the C binding: the checked-in header is fresh, then a C program
# compiled with gcc against include/mezon.h runs the 2016 pack's golden cases
# byte for byte against the native `mezon assess` output, the error paths,
# several threads on one pack and a hostile pack, linked statically and
# dynamically, and once more under valgrind (no leaks, no invalid accesses).
#
#   bash bindings/c/test.sh
#
# Builds into $CARGO_TARGET_DIR, by default the workspace's target/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pack="$root/rules/uz-egov-quality/2016.1"
hostile="$root/test-data/packs/hostile/1.0"

if ! command -v valgrind >/dev/null; then
    echo "installing valgrind"
    (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
fi
command -v gcc >/dev/null || { (apt-get update -qq && apt-get install -y -qq gcc libc6-dev) >/dev/null; }

echo "== build"
cargo build --release --manifest-path "$root/Cargo.toml" -p mezon-c -p mezon-cli
mezon="$target/release/mezon"

echo "== Rust tests of mezon-c (header freshness, panic guard, threads)"
cargo test --release --manifest-path "$root/Cargo.toml" -p mezon-c

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== native reference output"
"$mezon" test "$pack" --export-inputs "$work/cases.jsonl" >/dev/null
# Exit 2 means some records are invalid or failed, which golden cases include.
"$mezon" assess --pack "$pack" --input "$work/cases.jsonl" --format jsonl >"$work/expected.jsonl" || [ $? -eq 2 ]
"$mezon" rank --pack "$pack" --input "$work/cases.jsonl" --format json >"$work/rank-native.json" || [ $? -eq 2 ]
"$mezon" bundle "$pack" -o "$work/bundle.json" >/dev/null
cp -r "$pack" "$work/broken"
sed -i 's/\[0\.95, 0\.98)/[0.95; 0.98)/' "$work/broken/tables/timeliness.table"
grep -q '\[0.95; 0.98)' "$work/broken/tables/timeliness.table"

echo "== compile"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -I "$here/include")
gcc "${cflags[@]}" "$here/tests/golden.c" "$target/release/libmezon_c.a" -lpthread -ldl -lm -o "$work/golden-static"
gcc "${cflags[@]}" "$here/tests/golden.c" -L "$target/release" -Wl,-rpath,"$target/release" -lmezon_c -lpthread -o "$work/golden-shared"
# The header is also valid C++.
g++ -std=c++11 -Wall -Werror -fsyntax-only -x c++ -I "$here/include" - <<<'#include "mezon.h"
int main() { return mezon_version() == nullptr; }'

export RUST_BACKTRACE=0  # the panic-guard test prints the caught panic; keep it short
args=("$pack" "$work/cases.jsonl" "$work/expected.jsonl" "$work/bundle.json" "$work/broken" "$hostile" "$work/rank-c.json")
compare_rank() {
    python3 - "$work/rank-native.json" "$work/rank-c.json" <<'PY'
import json, sys
native, c = (json.load(open(p)) for p in sys.argv[1:])
if native != c:
    sys.exit("rank: C result differs from `mezon rank --format json`")
print("rank: same content as native")
PY
}

echo "== C tests, static library"
"$work/golden-static" "${args[@]}"
compare_rank
echo "== C tests, shared library"
"$work/golden-shared" "${args[@]}"
echo "== C tests under valgrind"
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --error-exitcode=1 "$work/golden-shared" "${args[@]}"
echo "valgrind: no leaks, no invalid accesses"
