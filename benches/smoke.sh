#!/usr/bin/env bash
# Smoke run of the side-by-side comparison, so it cannot rot: builds
# `compare` (with ZEN) in the default target dir and runs it on 300 records.
# Fails when compare fails, when Mezon rejects or fails a generated record,
# or when the exact native implementation disagrees with Mezon anywhere
# (either means a bug). native-f64 and zen differences are expected and only
# counted. Timings of a smoke run are not figures: see benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(cargo run --quiet --release -p mezon-benches --bin compare -- --records 300 --min-secs 0.2 --trials 1) || {
    status=$?
    printf '%s\n' "${out:-}"
    echo "benches smoke: compare exited with status $status" >&2
    exit 1
}
printf '%s\n' "$out"

if grep -q '^MISMATCH' <<<"$out"; then
    echo "benches smoke: mismatch against Mezon (see above)" >&2
    exit 1
fi
# The exact native row of the check table must read 0 and 0.
if ! grep -Eq '^\| native-exact \| 0 \| 0 \|' <<<"$out"; then
    echo "benches smoke: native-exact is not in exact agreement with Mezon" >&2
    exit 1
fi
for engine in mezon native-exact native-f64 zen; do
    if ! grep -Eq "^\| $engine \| [0-9,]+ \|" <<<"$out"; then
        echo "benches smoke: no timing row for $engine" >&2
        exit 1
    fi
done
echo "benches smoke: ok"
