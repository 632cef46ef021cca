// Where the bytes of a Mezon WebAssembly module go: its function bodies
// grouped by the crate (or crate and module) that defines them, raw and gzip.
// It backs the size figures of the browser module (the target is at
// most 300 KB gzip): which part a trim would have to take out, and what that
// part weighs.
//
//   node wasm/size-map.mjs [MODULE] [--by crate|module] [--top N] [--mention NAME]...
//
// MODULE is cargo's output before wasm-bindgen and wasm-opt, which still has
// its function names; build.sh keeps the size build's at
// target-wasm/web/mezon_wasm.wasm, the default. The published module has no
// names; wasm-opt makes its code about 1% smaller in gzip, in about the same
// proportions.
//
// A group holds the functions a crate defines. Generic code is counted where
// it is defined: a `BTreeMap` of TOML values is in `alloc`. `--mention NAME`
// (a crate, or `crate::module`; several joined by commas: any of them) adds a
// line for every function whose name mentions NAME anywhere, generic
// instantiations over its types included; those lines overlap each other and
// the groups. For example, what reading TOML weighs:
//   node wasm/size-map.mjs --mention toml,toml_parser,toml_datetime,serde_spanned,winnow
//
// Gzip sizes are of each group's bodies compressed together (gzip -9). They
// are within a few per cent of what taking the group out of the whole saves
// (rhai 96,125 bytes alone, 98,899 less for the whole without it).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Cargo's output of the size build, names kept: where build.sh leaves it. */
export const SIZE_BUILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'target-wasm/web/mezon_wasm.wasm');

/**
 * The function bodies of a module with their names: `[{ name, body }]`, and
 * the size of its data section. Throws when the module has no names.
 */
export function functions(bytes) {
  let p = 8;
  const leb = () => {
    let r = 0;
    let shift = 0;
    let x;
    do {
      x = bytes[p++];
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
    } while (x & 0x80);
    return r;
  };
  const name = () => {
    const n = leb();
    p += n;
    return bytes.subarray(p - n, p).toString();
  };
  if (bytes.subarray(0, 4).toString('latin1') !== '\0asm') throw new Error('not a WebAssembly module');
  let imported = 0;
  let data = 0;
  const bodies = [];
  const names = new Map();
  while (p < bytes.length) {
    const id = bytes[p++];
    const end = leb() + p;
    if (id === 2) {
      // Imports: functions among them take the first function indices.
      for (let n = leb(); n > 0; n--) {
        name();
        name();
        const kind = bytes[p++];
        if (kind === 0) imported++, leb();
        else if (kind === 1) p++, bytes[p++] & 1 ? (leb(), leb()) : leb();
        else if (kind === 2) bytes[p++] & 1 ? (leb(), leb()) : leb();
        else if (kind === 3) p += 2;
        else if (kind === 4) p++, leb();
      }
    } else if (id === 10) {
      for (let n = leb(); n > 0; n--) {
        const size = leb();
        bodies.push(bytes.subarray(p, p + size));
        p += size;
      }
    } else if (id === 11) {
      data = end - p;
    } else if (id === 0 && name() === 'name') {
      while (p < end) {
        const sub = bytes[p++];
        const subEnd = leb() + p;
        if (sub === 1) for (let n = leb(); n > 0; n--) names.set(leb(), name());
        p = subEnd;
      }
    }
    p = end;
  }
  if (names.size === 0) {
    throw new Error('the module has no function names: give cargo\'s output (target-wasm/web/mezon_wasm.wasm), not wasm/pkg/\'s');
  }
  return { data, functions: bodies.map((body, i) => ({ name: names.get(imported + i) ?? '', body })) };
}

// A crate root in a Rust symbol (v0 mangling, `_R`): `C`, an optional
// disambiguator `s<base62>_`, then the crate's name as `<length><name>`.
const CRATE = /C(?:s[0-9A-Za-z]*_)?(\d+)_?/y;

/**
 * The group of a function: `crate`, or `crate::module` with `depth` 2.
 * Names that are not Rust symbols (wasm-bindgen's exports and its
 * descriptors) are groups of their own.
 */
export function group(name, depth = 1) {
  if (name.startsWith('__wbindgen_describe')) return '(wasm-bindgen descriptors)';
  if (!name.startsWith('_R')) return '(not Rust symbols)';
  // The first crate root is the innermost path's: where it is defined.
  for (let i = name.indexOf('C', 2); i !== -1; i = name.indexOf('C', i + 1)) {
    CRATE.lastIndex = i;
    const m = CRATE.exec(name);
    if (!m) continue;
    const start = CRATE.lastIndex;
    const crate = name.slice(start, start + Number(m[1]));
    if (depth < 2) return crate;
    // The next identifier, past an optional disambiguator.
    const rest = name.slice(start + Number(m[1]));
    const next = /^(?:s[0-9A-Za-z]*_)?(\d+)_?/.exec(rest);
    return next ? `${crate}::${rest.slice(next[0].length, next[0].length + Number(next[1]))}` : crate;
  }
  return '(not Rust symbols)';
}

/**
 * Whether a function's name mentions `what` (`crate` or `crate::module`)
 * in its path or its type arguments. Not in the crate a generic function
 * was instantiated in, which v0 mangling appends to every such name.
 */
export function mentions(name, what) {
  const path = what.split('::').map((part) => `${part.length}${part}`).join('');
  let own = name.replace(/\.llvm\.\d+$/, '');
  for (const m of own.matchAll(/C(?:s[0-9A-Za-z]*_)?(\d+)_?/g)) {
    if (m.index + m[0].length + Number(m[1]) === own.length) {
      own = own.slice(0, m.index);
      break;
    }
  }
  // Lengths prefix every name, so `5mezon` cannot match inside `10mezon_wasm`.
  return own.startsWith('_R') && new RegExp(`C(?:s[0-9A-Za-z]*_)?${path}`).test(own);
}

/** `{ bytes, gzip, count }` of a list of functions. */
export function weigh(list) {
  const body = Buffer.concat(list.map((f) => f.body));
  return { bytes: body.length, gzip: list.length ? gzipSync(body, { level: 9 }).length : 0, count: list.length };
}

/** The groups of a module, largest first: `[[name, { bytes, gzip, count }]]`. */
export function sizeMap(list, depth = 1) {
  const groups = new Map();
  for (const f of list) {
    const key = group(f.name, depth);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  return [...groups].map(([name, members]) => [name, weigh(members)]).sort((a, b) => b[1].bytes - a[1].bytes);
}

function main(args) {
  let file = SIZE_BUILD;
  let depth = 1;
  let top = 25;
  const mention = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--by' && ['crate', 'module'].includes(args[i + 1])) depth = args[++i] === 'module' ? 2 : 1;
    else if (a === '--top' && /^\d+$/.test(args[i + 1] ?? '')) top = Number(args[++i]);
    else if (a === '--mention' && args[i + 1]) mention.push(args[++i]);
    else if (!a.startsWith('--')) file = a;
    else throw new Error(`unknown or incomplete option ${a}: see the comment at the top of wasm/size-map.mjs`);
  }
  const { data, functions: list } = functions(readFileSync(file));
  // wasm-bindgen takes its descriptor functions out of the module it writes.
  const kept = list.filter((f) => group(f.name) !== '(wasm-bindgen descriptors)');
  const all = weigh(kept);
  const row = (label, w) => console.log(`${label.padEnd(36)} ${String(w.bytes).padStart(9)} ${String(w.gzip).padStart(8)} ${String(w.count).padStart(6)}`);
  console.log(`${file}: ${kept.length} functions after wasm-bindgen, data section ${data} bytes`);
  console.log(`${'group'.padEnd(36)} ${'bytes'.padStart(9)} ${'gzip -9'.padStart(8)} ${'funcs'.padStart(6)}`);
  row('(all code)', all);
  for (const [name, w] of sizeMap(kept, depth).slice(0, top)) row(name, w);
  for (const what of mention) {
    const any = what.split(',');
    row(`mentions ${what}`, weigh(kept.filter((f) => any.some((w) => mentions(f.name, w)))));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`size-map: ${e.message}`);
    process.exit(1);
  }
}
