// The size map (wasm/size-map.mjs) behind the browser module's size figures:
// it reads cargo's module, names each function's crate right, and its groups
// add up to the whole.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SIZE_BUILD, functions, group, mentions, sizeMap, weigh } from '../size-map.mjs';
import { ROOT, WASM_DIR } from './helpers.mjs';

const RAW_WEB_FAST = join(ROOT, 'target-wasm-node/web-fast/mezon_wasm.wasm');

/** Cargo's output of one build (the size build unless told), with its names. */
function rawModule(path = SIZE_BUILD) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run bash wasm/build.sh first`);
  return functions(readFileSync(path));
}

// Names as they are in the module (v0 mangling).
const BTREE_OF_TOML = '_RNvMs10_NtNtNtCs9tL6qYFlRo6_5alloc11collections5btree4nodeINtB6_16BalancingContextINtNtCsiG2umF8HbWy_13serde_spanned7spanned7SpannedINtNtBc_6borrow3CoweEEIB1j_NtNtNtNtCsksntVDS46q1_4toml2de6parser7devalue7DeValueEE15bulk_steal_leftB2F_';
const BTREE_IN_MEZON = '_RNvMs10_NtNtNtCs9tL6qYFlRo6_5alloc11collections5btree4nodeINtB6_16BalancingContextNtNtBc_6string6StringB1i_E15bulk_steal_leftCs92ZMzg0oy9O_5mezon';
const EXTERNREF = '_RNvNtCs7wxnYjxbsgu_12wasm_bindgen9externref32___wbindgen_externref_statics_end';

test('a function is grouped by the crate and module that define it', () => {
  assert.equal(group(BTREE_OF_TOML), 'alloc');
  assert.equal(group(BTREE_OF_TOML, 2), 'alloc::collections');
  assert.equal(group(EXTERNREF), 'wasm_bindgen');
  assert.equal(group(EXTERNREF, 2), 'wasm_bindgen::externref');
  assert.equal(group('__wbindgen_describe_pack_info_866fbe2b10ae680c'), '(wasm-bindgen descriptors)');
  assert.equal(group('pack_info_866fbe2b10ae680c'), '(not Rust symbols)');
});

test('mentions: the crates of the path and type arguments, not the crate that instantiated it', () => {
  assert.ok(mentions(BTREE_OF_TOML, 'toml'));
  assert.ok(mentions(BTREE_OF_TOML, 'serde_spanned'));
  assert.ok(!mentions(BTREE_OF_TOML, 'mezon'));
  // A BTreeMap<String, String> instantiated in mezon is alloc's alone.
  assert.ok(!mentions(BTREE_IN_MEZON, 'mezon'));
  assert.ok(mentions(EXTERNREF, 'wasm_bindgen::externref'));
  assert.ok(!mentions(EXTERNREF, 'wasm_bindgen::convert'));
  // Lengths prefix names: `mezon` is not found inside `mezon_wasm`.
  assert.ok(!mentions('_RNvCs1_10mezon_wasm4main', 'mezon'));
});

test('the groups of the size build add up to its code, and every group is a crate it links', () => {
  const { data, functions: list } = rawModule();
  assert.ok(list.length > 1000, `${list.length} functions`);
  assert.ok(data > 0);
  const all = weigh(list);
  const groups = sizeMap(list);
  assert.equal(groups.reduce((s, [, w]) => s + w.bytes, 0), all.bytes);
  assert.equal(groups.reduce((s, [, w]) => s + w.count, 0), list.length);
  // Every group is a crate of Cargo.lock or of std (`__rustc`: the
  // allocator's shims), or one of the two
  // groups of names that are not Rust symbols: a misread name would show.
  const locked = new Set([...readFileSync(join(ROOT, 'Cargo.lock'), 'utf8').matchAll(/^name = "([^"]+)"$/gm)].map((m) => m[1].replaceAll('-', '_')));
  const std = ['core', 'alloc', 'std', 'compiler_builtins', 'dlmalloc', 'hashbrown', 'panic_abort', 'rustc_demangle', 'adler2', 'miniz_oxide', 'addr2line', 'gimli', 'object', 'memchr', 'cfg_if', 'unwind', 'std_detect', '__rustc'];
  const unknown = groups.map(([name]) => name).filter((n) => !locked.has(n) && !std.includes(n) && !n.startsWith('('));
  assert.deepEqual(unknown, []);
  // The engine and Rhai are its two largest parts.
  assert.deepEqual(groups.slice(0, 2).map(([name]) => name).sort(), ['mezon', 'rhai']);
  // By module, the engine's parts are named.
  const modules = new Set(sizeMap(list, 2).map(([name]) => name));
  for (const m of ['mezon::pack', 'mezon::manifest', 'mezon::sandbox', 'rhai::parser']) assert.ok(modules.has(m), m);
});

test('the size build leaves out the engine\'s fast path; the fast browser build keeps it', () => {
  // The fast path's compiler and linked tree (mezon::fast's Compiler and
  // Link); its value types stay, the record reader uses them.
  const compiled = (list) => list.filter((f) => group(f.name, 2) === 'mezon::fast' && /\d(Compiler|Link)/.test(f.name)).length;
  assert.equal(compiled(rawModule().functions), 0, 'wasm/build.sh builds pkg/web with --no-default-features');
  assert.ok(compiled(rawModule(RAW_WEB_FAST).functions) > 0, `${RAW_WEB_FAST}: no fast path, so the check above proves nothing`);
});

test('a module without names (wasm-bindgen\'s output) is refused with the file to give instead', () => {
  const published = join(WASM_DIR, 'pkg/web/mezon_wasm_bg.wasm');
  assert.throws(() => functions(readFileSync(published)), /no function names: give cargo's output/);
  assert.throws(() => functions(Buffer.from('not wasm')), /not a WebAssembly module/);
});
