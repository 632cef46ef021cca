// Shared by the Node tests and the browser test: paths resolved from this
// file, the native CLI, the wasm module, a schema-typed CSV reader.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const WASM_DIR = resolve(HERE, '..');
export const ROOT = resolve(WASM_DIR, '..');
export const PACK_2016 = join(ROOT, 'rules/uz-egov-quality/2016.1');
export const HOSTILE = join(ROOT, 'test-data/packs/hostile/1.0');
export const EXAMPLES = join(ROOT, 'examples/2016');

/** The wasm module built for Node by build.sh. */
export function loadModule() {
  const path = join(WASM_DIR, 'pkg/node/mezon_wasm.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run bash wasm/build.sh first`);
  return createRequire(import.meta.url)(path);
}

/** The browser builds in wasm/pkg: built for size (the page's), and for speed. */
export const BROWSER_BUILDS = ['web', 'web-fast'];

/**
 * The three builds of the module, loaded in this process: `node` (pkg/node,
 * built for speed), `web` (pkg/web, built for size: the one the page loads)
 * and `web-fast` (pkg/web-fast, the browser module built for speed). They
 * are the same sources built three ways (optimisation level, std's
 * size-optimised number formatting and parsing, the Node build's text
 * conversions, SIMD), so the Node tests prove each of them.
 */
export async function loadModules() {
  const modules = { node: loadModule() };
  const bytes = [readFileSync(join(WASM_DIR, 'pkg/node/mezon_wasm_bg.wasm'))];
  for (const build of BROWSER_BUILDS) {
    const js = join(WASM_DIR, `pkg/${build}/mezon_wasm.js`);
    if (!existsSync(js)) throw new Error(`${js} is missing: run bash wasm/build.sh first`);
    modules[build] = await import(pathToFileURL(js).href);
    bytes.push(readFileSync(join(WASM_DIR, `pkg/${build}/mezon_wasm_bg.wasm`)));
    modules[build].initSync({ module: bytes.at(-1) });
  }
  // Three different modules, or the tests would prove one build three times
  // (the two browser builds share their glue; only the module tells them apart).
  if (new Set(bytes.map((b) => createHash('sha256').update(b).digest('hex'))).size !== bytes.length) {
    throw new Error('two of wasm/pkg/{node,web,web-fast} hold the same module: run bash wasm/build.sh again');
  }
  return modules;
}

/**
 * The native `mezon` binary: $MEZON_BIN, else target/release/mezon (built
 * with `cargo build --release -p mezon-cli` when missing).
 */
export function mezonBin() {
  if (process.env.MEZON_BIN) return process.env.MEZON_BIN;
  const bin = join(ROOT, 'target/release/mezon');
  if (!existsSync(bin)) cargoBuild(['-p', 'mezon-cli'], 'the native CLI');
  return bin;
}

/**
 * `cargo build --locked --release -q ARGS` in the workspace, without
 * RUSTC_BOOTSTRAP (the WebAssembly build's), which would make cargo rebuild
 * the native release build from scratch.
 */
function cargoBuild(args, what) {
  const env = { ...process.env, RUSTC_BOOTSTRAP: undefined };
  const r = spawnSync('cargo', ['build', '--locked', '--release', '-q', ...args], { cwd: ROOT, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`cannot build ${what}: ${r.error ?? `exit ${r.status}`}`);
}

/** Runs the native CLI; exit codes 0 and 2 (some records invalid) both carry full output. */
export function mezon(...args) {
  const r = spawnSync(mezonBin(), args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 2) {
    throw new Error(`mezon ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  }
  return r.stdout;
}

/**
 * Native time per assess, in µs, of the example data set as JSON text in and
 * JSON lines out (the `profile_assess` example, built on first use; `passes`
 * passes over the records): the reference the WebAssembly timings are
 * compared with.
 */
export function nativeUsPerAssess(passes) {
  const targetDir = resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target');
  const exe = join(targetDir, 'release/examples', process.platform === 'win32' ? 'profile_assess.exe' : 'profile_assess');
  if (!nativeBuilt) {
    cargoBuild(['-p', 'mezon', '--example', 'profile_assess'], 'the native reference (profile_assess)');
    nativeBuilt = true;
  }
  const r = spawnSync(exe, [PACK_2016, join(EXAMPLES, 'services.csv'), String(passes), 'json'], { encoding: 'utf8' });
  const m = /([0-9.]+) µs each/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`${exe} failed: ${r.error ?? r.stderr}`);
  return Number(m[1]);
}
let nativeBuilt = false;

/** The median of timing runs (the upper one of an even count). */
export function median(xs) {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

export function scratchDir() {
  return mkdtempSync(join(tmpdir(), 'mezon-wasm-test-'));
}

/** Writes a pack's bundle with the native CLI and returns its text. */
export function bundleText(packDir, dir = scratchDir()) {
  const out = join(dir, 'bundle.json');
  mezon('bundle', packDir, '-o', out);
  return { path: out, text: readFileSync(out, 'utf8') };
}

/** Splits CSV text into rows of cells (RFC 4180 quoting). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

/**
 * CSV records typed the way the CLI types them from the schema: `int` and
 * `bool` parsed, `number` kept as its decimal text, an empty cell absent.
 */
export function csvRecords(text, fields) {
  const types = new Map(fields.map((f) => [f.name, f.type]));
  const [header, ...rows] = parseCsv(text);
  const names = header.map((h) => h.trim());
  return rows.map((cells) => {
    const rec = {};
    names.forEach((name, i) => {
      const cell = (cells[i] ?? '').trim();
      if (cell === '') return;
      const ty = types.get(name);
      if (ty === 'int' && /^[+-]?\d+$/.test(cell) && Number.isSafeInteger(Number(cell))) rec[name] = Number(cell);
      else if (ty === 'bool' && (cell === 'true' || cell === 'false')) rec[name] = cell === 'true';
      else rec[name] = cell;
    });
    return rec;
  });
}

/** Non-empty lines of a JSON Lines text. */
export function lines(text) {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Runs a command in `cwd`; a non-zero exit throws with its output. */
export function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The npm package as a portal project gets it: packed (`npm pack wasm/pkg`)
 * into `dir` and installed offline from the tarball into `dir`/portal (no
 * other dependency, so no network), whose package.json is `packageJson`.
 * Also gives what the tests score with it: the 2016 pack's bundle text, the
 * example records as JSON text (typed as the CLI types the CSV) and the
 * native CLI's JSON lines for them (a list).
 */
export function portalProject(dir, packageJson) {
  // --json: the tarball's name and file list, as npm would publish them.
  const [packed] = JSON.parse(run('npm', ['pack', join(WASM_DIR, 'pkg'), '--json', '--pack-destination', dir], dir));
  const tarball = join(dir, packed.filename);
  const project = join(dir, 'portal');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(packageJson)}\n`);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project);
  const bundle = bundleText(PACK_2016, dir).text;
  const input = join(EXAMPLES, 'services.csv');
  const fields = loadModule().Pack.fromBundle(bundle).info().input.fields;
  return {
    project, tarball, files: packed.files.map((f) => f.path).sort(), bundle,
    records: JSON.stringify(csvRecords(readFileSync(input, 'utf8'), fields)),
    native: lines(mezon('assess', '--pack', PACK_2016, '--input', input, '--format', 'jsonl')),
  };
}

/** Fails unless `got` are the lines `want` (the native CLI's), in order. */
export function sameLines(got, want) {
  if (got.length !== want.length) throw new Error(`${got.length} lines, the CLI gives ${want.length}`);
  got.forEach((line, i) => {
    if (line !== want[i]) throw new Error(`record ${i + 1} differs from mezon assess:\n  got  ${line}\n  want ${want[i]}`);
  });
}
