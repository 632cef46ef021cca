#!/usr/bin/env bash
# Builds the Mezon WebAssembly module and the self-assessment page's files.
#
#   bash wasm/build.sh
#
# On a fresh machine of the project's kind (Debian bookworm, root, rustup with
# the host target only) it first installs what it needs, each step skipped when
# already present, so a second run with nothing changed takes seconds:
#   - apt: rustc-web, cargo-web, rust-web-src (one pinned version), lld-22
#     (wasm-ld), chromium (browser test);
#   - the wasm-bindgen CLI at the version in Cargo.lock, under .tools/;
#   - wasm-opt (npm `binaryen`), playwright-core, typescript (the package
#     test type-checks the API's types), vite and webpack (the bundler
#     test), from wasm/package-lock.json.
# Then it builds wasm32-unknown-unknown with Debian's rustc-web and
# -Zbuild-std (rustup cannot add the target here), three times: for size (the
# browser module the page loads), for speed in browsers, and for speed in
# Node. It runs wasm-bindgen for the `web` and `nodejs` targets and wasm-opt
# (-Oz, -O4, -O3), writes the pack bundles the page loads, and prints the
# modules' sizes (raw, gzip; brotli as served).
#
# Outputs (all generated, git-ignored):
#   wasm/pkg/        the npm package `mezon-wasm` (package.json and README
#                    from wasm/npm/): the three builds below
#   wasm/pkg/web/    ES module for browsers, built for size (also copied to
#                    wasm/www/pkg/, with .gz and .br copies for static servers)
#   wasm/pkg/web-fast/ the same ES module built for speed, for portals that
#                    score many records in the browser and can afford the
#                    larger download (the page does not use it)
#   wasm/pkg/node/   CommonJS module for Node, built for speed (and with feature
#                    node: text across the boundary in Node's faster ways)
#   wasm/www/packs/  pack bundles written by `mezon bundle`, and index.json
#                    (bundles with .gz and .br copies too)
#
# Environment:
#   MEZON_BIN   native `mezon` binary used to write bundles; when unset, the
#               CLI is built in target-wasm-host/ (test.sh passes its own).
set -euo pipefail

WASM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$WASM_DIR/.." && pwd)"
TOOLS="$ROOT/.tools"
CRATE=mezon_wasm
WASM_TARGET_DIR="$ROOT/target-wasm"

log() { printf '==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- 1. Debian packages ----------------------------------------------------
apt_ok() {
    local v
    for p in rustc-web cargo-web rust-web-src lld-22 chromium; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
    done
    # The three Rust packages must be one version (std sources match rustc).
    v="$(dpkg-query -W -f='${Version}' rustc-web)"
    [ "$(dpkg-query -W -f='${Version}' cargo-web)" = "$v" ] && [ "$(dpkg-query -W -f='${Version}' rust-web-src)" = "$v" ]
}
if apt_ok; then
    log "apt packages present (rustc-web $(dpkg-query -W -f='${Version}' rustc-web))"
else
    log "installing apt packages"
    as_root apt-get update -q
    # Take apt's candidate for rustc-web and pin the other two to it: a
    # security update replaces the version suffix.
    RV="$(apt-cache policy rustc-web | awk '/Candidate:/ {print $2}')"
    [ -n "$RV" ] && [ "$RV" != "(none)" ] || { echo "rustc-web is not available from apt" >&2; exit 1; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "rustc-web=$RV" "cargo-web=$RV" "rust-web-src=$RV" lld-22 chromium
fi

# --- 2. wasm-bindgen CLI, the version Cargo.lock holds ----------------------
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$WB_VERSION" ] || { echo "wasm-bindgen is not in Cargo.lock" >&2; exit 1; }
WASM_BINDGEN="$TOOLS/bin/wasm-bindgen"
if [ -x "$WASM_BINDGEN" ] && [ "$("$WASM_BINDGEN" --version | awk '{print $2}')" = "$WB_VERSION" ]; then
    log "wasm-bindgen $WB_VERSION present"
else
    log "installing wasm-bindgen-cli $WB_VERSION into .tools/ (a few minutes)"
    # Not --locked: one of its locked dependencies is not in the index.
    # The host toolchain (rustup) builds it; RUSTC_BOOTSTRAP stays unset.
    env -u RUSTC_BOOTSTRAP -u RUSTC -u CARGO_TARGET_DIR \
        cargo install wasm-bindgen-cli --version "=$WB_VERSION" --root "$TOOLS" --target-dir "$TOOLS/build"
fi

# --- 3. npm tools: wasm-opt, playwright-core, typescript, vite, webpack -----
if [ -x "$WASM_DIR/node_modules/.bin/wasm-opt" ] && [ -d "$WASM_DIR/node_modules/playwright-core" ] \
    && [ -d "$WASM_DIR/node_modules/typescript" ] && [ -d "$WASM_DIR/node_modules/vite" ] \
    && [ -d "$WASM_DIR/node_modules/webpack" ] \
    && [ "$WASM_DIR/node_modules/.package-lock.json" -nt "$WASM_DIR/package-lock.json" ]; then
    log "npm tools present"
else
    log "installing npm tools"
    (cd "$WASM_DIR" && npm ci --no-audit --no-fund)
fi
WASM_OPT="$WASM_DIR/node_modules/.bin/wasm-opt"

# --- 4. the modules ----------------------------------------------------------
# Three builds of the same code. For browsers, optimised for size (it is
# downloaded; the page uses it), without the engine's fast path. For
# browsers again, optimised for speed (fast path, -O3 and SIMD: about a sixth
# of the time per assess in Chromium, 186 KiB gzip more), for a portal that
# scores many records on the page. For Node, optimised for speed (it is not
# downloaded: -O3, SIMD and feature `node`, Node's faster text conversions,
# together about twice as fast in Node).
# Same sources, same results: the Node tests run against all three modules,
# and the browser test runs the page on the small one and compares the fast
# one with it.
build_module() { # NAME OPT_LEVEL TARGET_DIR EXTRA_RUSTFLAGS [extra cargo args]
    local name="$1" opt="$2" dir="$3" flags="$4"
    shift 4
    log "building $CRATE for wasm32-unknown-unknown: $name (opt-level $opt, $(basename "$dir")/)"
    (
        # Only this build: Debian's rustc, -Z through RUSTC_BOOTSTRAP, wasm-ld
        # from lld-22, and the profile given through the environment so the
        # workspace's release profile stays as it is for native builds.
        export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
        export CARGO_TARGET_DIR="$dir"
        export CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" CARGO_PROFILE_RELEASE_LTO=true \
            CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort \
            CARGO_PROFILE_RELEASE_DEBUG=false
        # No file:line strings in panics, and panics trap at once without
        # formatting a message (-70 KB raw; a panic is a bug and was already
        # an abort). Applies to std too (-Zbuild-std).
        export RUSTFLAGS="-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort $flags"
        # Not `strip = true`: wasm-bindgen needs the target-features section;
        # wasm-opt drops the names afterwards.
        cd "$ROOT"
        /usr/bin/cargo build --release --target wasm32-unknown-unknown \
            -Zbuild-std=std,panic_abort "$@" -p mezon-wasm
    )
    # Two builds share a target directory (same flags, so the dependencies
    # compile once; the crate itself, whose features differ, recompiles on
    # each run, a few seconds) and cargo writes both to one path: keep each
    # in a folder of its own, under the file name wasm-bindgen names its
    # outputs after.
    mkdir -p "$dir/$name"
    cp "$dir/wasm32-unknown-unknown/release/$CRATE.wasm" "$dir/$name/$CRATE.wasm"
}
# optimize_for_size: std's smaller sorts and number formatting/parsing, same
# results (-50 KB raw). --no-default-features: without the engine's fast
# path every rule runs in Rhai, the definition (same results; the page scores
# one record per change, well under a millisecond either way; -27 KB gzip).
build_module web z "$WASM_TARGET_DIR" "" -Zbuild-std-features=optimize_for_size --no-default-features
# The speed builds also use WebAssembly SIMD (every browser of the last years
# and every Node the package supports, 20 and later, have it). In the Node
# build the line is widened to UTF-16 sixteen bytes at a time (src/text.rs);
# browsers decode UTF-8 faster than that, so the fast browser build keeps
# the size build's text path.
build_module node 3 "$WASM_TARGET_DIR-node" "-Ctarget-feature=+simd128" --features node
build_module web-fast 3 "$WASM_TARGET_DIR-node" "-Ctarget-feature=+simd128"
RAW_WEB="$WASM_TARGET_DIR/web/$CRATE.wasm"
RAW_WEB_FAST="$WASM_TARGET_DIR-node/web-fast/$CRATE.wasm"
RAW_NODE="$WASM_TARGET_DIR-node/node/$CRATE.wasm"
BUILDS=(web web-fast node)
# Had cargo skipped one of the two builds sharing a directory, both copies
# would hold the other's module: stop rather than ship it twice.
if cmp -s "$RAW_NODE" "$RAW_WEB_FAST"; then
    echo "the node and web-fast modules are identical: one of the two builds did not run" >&2
    exit 1
fi

# --- 5. bindings and wasm-opt, skipped when the modules did not change ---------
PKG="$WASM_DIR/pkg"
STAMP="$PKG/.built-from"
WANT="$(sha256sum "$RAW_WEB" "$RAW_WEB_FAST" "$RAW_NODE" "$WASM_BINDGEN" "$WASM_OPT" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-64)"
built() { for t in "${BUILDS[@]}"; do [ -f "$PKG/$t/${CRATE}_bg.wasm" ] || return 1; done; }
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && built; then
    log "bindings up to date"
else
    log "wasm-bindgen (web, nodejs) and wasm-opt (-Oz --converge for web, -O4 for web-fast, -O3 for Node)"
    rm -rf "$PKG"
    mkdir -p "$PKG"
    "$WASM_BINDGEN" --target web --out-dir "$PKG/web" "$RAW_WEB"
    "$WASM_BINDGEN" --target web --out-dir "$PKG/web-fast" "$RAW_WEB_FAST"
    "$WASM_BINDGEN" --target nodejs --out-dir "$PKG/node" "$RAW_NODE"
    # The features rustc enables by default for wasm32; wasm-opt must accept
    # them and must not add any others (the speed builds add SIMD, above).
    FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
        --enable-mutable-globals --enable-reference-types --enable-multivalue)
    optimize() { # BUILD wasm-opt flags...
        local m="$PKG/$1/${CRATE}_bg"
        shift
        "$WASM_OPT" "$@" --strip-debug --strip-producers "${FEATURES[@]}" -o "$m.opt.wasm" "$m.wasm"
        mv "$m.opt.wasm" "$m.wasm"
    }
    # --converge: -Oz again until nothing changes (-2 KB gzip, +25 s).
    optimize web -Oz --converge
    # -O4 rather than -O3: about 8% less time per assess in Chromium, +3 KB
    # gzip, +50 s here.
    optimize web-fast -O4 --enable-simd
    optimize node -O3 --enable-simd
    echo "$WANT" > "$STAMP"
fi
# Marks pkg/web and pkg/web-fast as ES module packages, so Node can import
# them too (the Node tests run against all three builds), and names their
# entry and types for resolvers that read no `exports` (TypeScript's `node10`).
for d in web web-fast; do
    printf '{ "type": "module", "main": "mezon_wasm.js", "types": "mezon_wasm.d.ts" }\n' > "$PKG/$d/package.json"
done
# pkg/ is also the npm package `mezon-wasm` (npm/: its package.json, which
# gives Node the Node build, browsers and bundlers the web build, and
# `mezon-wasm/web-fast` to those who ask for it, and its
# README), at the workspace's version: `npm pack wasm/pkg` makes the tarball.
VERSION="$(awk '/^\[workspace.package\]/ { p = 1 } p && /^version = / { gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.toml")"
[ -n "$VERSION" ] || { echo "no [workspace.package] version in Cargo.toml" >&2; exit 1; }
sed "s/@VERSION@/$VERSION/" "$WASM_DIR/npm/package.json" > "$PKG/package.json"
cp "$WASM_DIR/npm/README.md" "$PKG/README.md"
rm -rf "$WASM_DIR/www/pkg"
mkdir -p "$WASM_DIR/www/pkg"
cp "$PKG/web/$CRATE.js" "$PKG/web/$CRATE.d.ts" "$PKG/web/${CRATE}_bg.wasm" "$WASM_DIR/www/pkg/"

# Precompressed copies beside the page's files (FILE.gz, FILE.br), for static
# servers that send them as they are; the browser test's server does.
precompress() {
    for f in "$@"; do gzip -9 -n -k -f "$f"; done
    node "$WASM_DIR/compress.mjs" "$@"
}
precompress "$WASM_DIR/www/pkg/$CRATE.js" "$WASM_DIR/www/pkg/${CRATE}_bg.wasm"

# --- 6. pack bundles for the page ------------------------------------------
if [ -z "${MEZON_BIN:-}" ]; then
    log "building the native CLI (target-wasm-host/) to write bundles"
    (cd "$ROOT" && env -u RUSTC_BOOTSTRAP CARGO_TARGET_DIR="$ROOT/target-wasm-host" cargo build --release -q -p mezon-cli)
    MEZON_BIN="$ROOT/target-wasm-host/release/mezon"
fi
PACKS="$WASM_DIR/www/packs"
rm -rf "$PACKS"
mkdir -p "$PACKS"
entries=()
for manifest in "$ROOT"/rules/*/*/pack.toml; do
    dir="$(dirname "$manifest")"
    version="$(basename "$dir")"
    id="$(basename "$(dirname "$dir")")"
    file="$id-$version.json"
    "$MEZON_BIN" bundle "$dir" -o "$PACKS/$file" >/dev/null
    entries+=("{\"id\":\"$id\",\"version\":\"$version\",\"file\":\"$file\"}")
done
(IFS=,; printf '{"packs":[%s]}\n' "${entries[*]}") > "$PACKS/index.json"
precompress "$PACKS"/*.json
log "bundles: $(cd "$PACKS" && ls *.json | grep -v index.json | tr '\n' ' ')"

# --- 7. sizes ----------------------------------------------------------------
for target in "${BUILDS[@]}"; do
    file="$PKG/$target/${CRATE}_bg.wasm"
    raw=$(wc -c < "$file")
    # The browser module's .gz copy is written above; the others have none.
    if [ "$target" = web ]; then gz=$(wc -c < "$WASM_DIR/www/pkg/${CRATE}_bg.wasm.gz"); else gz=$(gzip -9 -c "$file" | wc -c); fi
    case "$target" in web) what=browser ;; web-fast) what="fast browser" ;; node) what=Node ;; esac
    awk -v w="$what" -v t="$target" -v r="$raw" -v g="$gz" 'BEGIN { printf "%s module (pkg/%s/mezon_wasm_bg.wasm): %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB)\n", w, t, r, r/1024, g, g/1024 }'
done
br=$(wc -c < "$WASM_DIR/www/pkg/${CRATE}_bg.wasm.br")
echo "browser module as the page serves it (www/pkg/${CRATE}_bg.wasm.br): $br bytes brotli"
