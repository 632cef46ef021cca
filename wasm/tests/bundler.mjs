// Bundler test: a portal's front end that takes the npm package `mezon-wasm`
// into its own Vite build, run in headless Chromium.
//
// The package is packed (`npm pack wasm/pkg`) and installed from its tarball
// into an empty project, offline, as package.test.mjs does. The project's
// page imports `mezon-wasm/web` the way the package README shows for
// browsers (`import init, { Pack }`, `await init()`; the bare `mezon-wasm`
// must be the same module), loads the 2016 pack's bundle and scores the
// 600 example records. Vite (wasm/package.json) then:
//   1. builds it for production: the module must be emitted as an asset,
//      unchanged, and the built page, served under the README's Content
//      Security Policy, must give the native CLI's lines byte for byte;
//   2. serves it with its dev server, with the package pre-bundled (Vite's
//      default) and excluded from pre-bundling (`optimizeDeps.exclude`, the
//      usual advice for wasm packages): the page must give the same lines
//      both ways.
//
//   node wasm/tests/bundler.mjs     (after bash wasm/build.sh)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { build, createServer } from 'vite';

import { EXAMPLES, PACK_2016, WASM_DIR, bundleText, csvRecords, lines, loadModule, mezon, scratchDir } from './helpers.mjs';
import { guardedPage, launchChromium, staticServer } from './web.mjs';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// --- the portal project ------------------------------------------------------
const dir = scratchDir();
const [packed] = JSON.parse(run('npm', ['pack', join(WASM_DIR, 'pkg'), '--json', '--pack-destination', dir], dir));
const project = join(dir, 'portal');
mkdirSync(join(project, 'public'), { recursive: true });
writeFileSync(join(project, 'package.json'), '{ "name": "portal", "private": true, "type": "module" }\n');
run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed.filename)], project);

const bundle = bundleText(PACK_2016, dir);
const input = join(EXAMPLES, 'services.csv');
const native = lines(mezon('assess', '--pack', PACK_2016, '--input', input, '--format', 'jsonl'));
const fields = loadModule().Pack.fromBundle(bundle.text).info().input.fields;
writeFileSync(join(project, 'public/records.json'), JSON.stringify(csvRecords(readFileSync(input, 'utf8'), fields)));
writeFileSync(join(project, 'public/bundle.json'), bundle.text);
writeFileSync(join(project, 'index.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>portal</title><link rel="icon" href="data:,"></head>
<body data-state="loading"><pre id="out"></pre><script type="module" src="/main.js"></script></body></html>
`);
// The package README's browser example, over the example data set. A
// bundler resolves the bare name to the same web build (no 'node' condition).
writeFileSync(join(project, 'main.js'), `import init, { Pack } from 'mezon-wasm/web';
import * as bare from 'mezon-wasm';

const out = document.getElementById('out');
async function main() {
  if (bare.Pack !== Pack) throw new Error("'mezon-wasm' and 'mezon-wasm/web' are not the same module here");
  await init();
  const [bundle, records] = await Promise.all(['bundle.json', 'records.json'].map(async (f) => (await fetch(f)).json()));
  const pack = Pack.fromBundle(bundle);
  out.textContent = records.map((r) => JSON.stringify(pack.assess(r))).join('\\n');
  document.body.dataset.state = 'done';
}
main().catch((e) => {
  out.textContent = String(e.stack ?? e);
  document.body.dataset.state = 'failed';
});
`);

// --- the steps -----------------------------------------------------------------
let failures = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok    ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL  ${name}\n${e.stack ?? e}`);
  }
}

/** Opens `url`, waits for the page to score, and returns its lines. */
async function scoredLines(browser, url) {
  const { page, context, external, consoleErrors } = await guardedPage(browser);
  try {
    await page.goto(url);
    await page.locator('body:not([data-state="loading"])').waitFor({ timeout: 60_000 });
    const state = await page.locator('body').getAttribute('data-state');
    const text = await page.locator('#out').textContent();
    assert.equal(state, 'done', `the page failed: ${text}\nconsole: ${consoleErrors.join('\n')}`);
    assert.deepEqual(external, []);
    assert.deepEqual(consoleErrors, []);
    return lines(text);
  } finally {
    await context.close();
  }
}

function sameAsNative(got) {
  assert.equal(got.length, native.length);
  got.forEach((line, i) => assert.equal(line, native[i], `record ${i + 1} differs from mezon assess`));
}

const quiet = { root: project, logLevel: 'error', configFile: false };
const browser = await launchChromium();
try {
  await step('vite build: the module is emitted unchanged, the built page scores as the CLI does', async () => {
    const outDir = join(dir, 'dist');
    await build({ ...quiet, build: { outDir, emptyOutDir: true } });
    const assets = readdirSync(join(outDir, 'assets'));
    const wasm = assets.filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `one .wasm asset expected, got ${assets.join(', ')}`);
    assert.ok(readFileSync(join(outDir, 'assets', wasm[0])).equals(readFileSync(join(WASM_DIR, 'pkg/web/mezon_wasm_bg.wasm'))),
      'the emitted module differs from the package\'s');
    const server = await staticServer(outDir);
    try {
      sameAsNative(await scoredLines(browser, `${server.base}/`));
    } finally {
      server.close();
    }
  });

  // The dev server pre-bundles dependencies into node_modules/.vite/deps;
  // whether the module's URL survives that is what is found out here.
  for (const [name, optimizeDeps] of [['pre-bundled (Vite\'s default)', {}], ['excluded from pre-bundling', { exclude: ['mezon-wasm'] }]]) {
    await step(`vite dev server, mezon-wasm ${name}`, async () => {
      const cacheDir = join(dir, `vite-cache-${Object.keys(optimizeDeps).length}`);
      const dev = await createServer({ ...quiet, optimizeDeps, cacheDir,
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false } });
      await dev.listen();
      try {
        const { port } = dev.httpServer.address();
        sameAsNative(await scoredLines(browser, `http://127.0.0.1:${port}/`));
        // The way named is the way taken: the package is in the optimizer's
        // list exactly when it was not excluded.
        const metadata = join(cacheDir, 'deps/_metadata.json');
        const optimized = existsSync(metadata) ? Object.keys(JSON.parse(readFileSync(metadata, 'utf8')).optimized) : [];
        assert.equal(optimized.some((m) => m.startsWith('mezon-wasm')), !optimizeDeps.exclude, `pre-bundled: ${optimized.join(', ')}`);
      } finally {
        await dev.close();
      }
    });
  }
} finally {
  await browser.close();
}

console.log(`vite ${JSON.parse(readFileSync(join(WASM_DIR, 'node_modules/vite/package.json'), 'utf8')).version}`);
if (failures) {
  console.log(`${failures} step(s) failed`);
  process.exit(1);
}
