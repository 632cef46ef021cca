// Bundler test: a portal's front end that takes the npm package `mezon-wasm`
// into its own build (Vite, webpack), run in headless Chromium.
//
// The package is packed (`npm pack wasm/pkg`) and installed from its tarball
// into an empty project, offline, as package.test.mjs does. The project's
// page imports `mezon-wasm/web` the way the package README shows for
// browsers (`import init, { Pack }`, `await init()`; the bare `mezon-wasm`
// must be the same module), loads the 2016 pack's bundle and scores the
// 600 example records. With Vite and webpack 5 (wasm/package.json):
//   1. production builds (`vite build`; webpack in production mode, its
//      defaults): the module must be emitted once, unchanged, and the built
//      page, served under the README's Content Security Policy, must fetch
//      it and give the native CLI's lines byte for byte;
//   2. Vite's dev server, with the package pre-bundled (Vite's
//      default) and excluded from pre-bundling (`optimizeDeps.exclude`, the
//      usual advice for wasm packages): the page must give the same lines
//      both ways, its glue fetched from the optimizer's folder or from the
//      package as the way says, and its module from the package.
//
//   node wasm/tests/bundler.mjs     (after bash wasm/build.sh)
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { build, createServer, version as viteVersion } from 'vite';
import webpack from 'webpack';

import { WASM_DIR, lines, portalProject, sameLines, scratchDir } from './helpers.mjs';
import { guardedPage, launchChromium, staticServer, stepRunner } from './web.mjs';

// --- the portal project ------------------------------------------------------
const dir = scratchDir();
const { project, bundle, records, native } = portalProject(dir, { name: 'portal', private: true, type: 'module' });
mkdirSync(join(project, 'public'));
writeFileSync(join(project, 'public/records.json'), records);
writeFileSync(join(project, 'public/bundle.json'), bundle);
const page = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>portal</title><link rel="icon" href="data:,">${script}</head>
<body data-state="loading"><pre id="out"></pre></body></html>
`;
writeFileSync(join(project, 'index.html'), page('<script type="module" src="/main.js"></script>'));
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
const steps = stepRunner();

/**
 * Opens `url`, waits for the page to score, fails unless it gives the native
 * CLI's lines, and returns the paths of the files it fetched.
 */
async function scoredPage(browser, url) {
  const { page, context, external, consoleErrors } = await guardedPage(browser);
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  try {
    await page.goto(url);
    await page.locator('body:not([data-state="loading"])').waitFor({ timeout: 60_000 });
    const state = await page.locator('body').getAttribute('data-state');
    const text = await page.locator('#out').textContent();
    assert.equal(state, 'done', `the page failed: ${text}\nconsole: ${consoleErrors.join('\n')}`);
    assert.deepEqual(external, []);
    assert.deepEqual(consoleErrors, []);
    sameLines(lines(text), native);
    return fetched;
  } finally {
    await context.close();
  }
}

const quiet = { root: project, logLevel: 'error', configFile: false };
const browser = await launchChromium();
try {
  // Each production build: the module emitted once, unchanged (a hashed
  // name), and the built page, served as static files under the Content
  // Security Policy, scoring as the CLI does.
  const packaged = readFileSync(join(WASM_DIR, 'pkg/web/mezon_wasm_bg.wasm'));
  const builds = [
    ['vite build', async (outDir) => {
      await build({ ...quiet, build: { outDir, emptyOutDir: true } });
    }],
    // webpack's own defaults: `new URL(…, import.meta.url)` becomes an
    // asset; the entry is a classic script, so the page is written here.
    ['webpack (production)', async (outDir) => {
      const stats = await new Promise((ok, fail) => webpack({
        mode: 'production', context: project, entry: './main.js', output: { path: outDir, filename: 'main.js', clean: true },
        performance: { hints: false },
      }, (e, st) => (e ? fail(e) : ok(st))));
      // Size hints off (the module is past webpack's 244 KiB hint); any
      // other warning fails.
      assert.ok(!stats.hasErrors() && !stats.hasWarnings(), stats.toString('errors-warnings'));
      cpSync(join(project, 'public'), outDir, { recursive: true });
      writeFileSync(join(outDir, 'index.html'), page('<script src="main.js" defer></script>'));
    }],
  ];
  for (const [name, make] of builds) {
    await steps.step(`${name}: the module is emitted unchanged, the built page scores as the CLI does`, async () => {
      const outDir = join(dir, name.split(' ')[0]);
      await make(outDir);
      const emitted = readdirSync(outDir, { recursive: true }).filter((f) => f.endsWith('.wasm'));
      assert.equal(emitted.length, 1, `one .wasm file expected, got ${emitted.join(', ')}`);
      assert.ok(readFileSync(join(outDir, emitted[0])).equals(packaged),
        'the emitted module differs from the package\'s');
      const server = await staticServer(outDir);
      try {
        const fetched = await scoredPage(browser, `${server.base}/`);
        assert.ok(fetched.includes(`/${emitted[0]}`), `fetched: ${fetched.join(', ')}`);
      } finally {
        server.close();
      }
    });
  }

  // The dev server pre-bundles dependencies (into the cache folder's
  // deps/, here outside the project, so served under /@fs/); the glue's
  // `new URL('mezon_wasm_bg.wasm', import.meta.url)` must still find the
  // package's module. Excluded, the glue is served from the package itself.
  const GLUE = '/node_modules/mezon-wasm/web/mezon_wasm.js';
  const MODULE = '/node_modules/mezon-wasm/web/mezon_wasm_bg.wasm';
  for (const [name, optimizeDeps] of [['pre-bundled (Vite\'s default)', {}], ['excluded from pre-bundling', { exclude: ['mezon-wasm'] }]]) {
    await steps.step(`vite dev server, mezon-wasm ${name}`, async () => {
      const cacheDir = join(dir, `vite-cache-${Object.keys(optimizeDeps).length}`);
      const dev = await createServer({ ...quiet, optimizeDeps, cacheDir,
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null } });
      await dev.listen();
      try {
        const { port } = dev.httpServer.address();
        const fetched = await scoredPage(browser, `http://127.0.0.1:${port}/`);
        // The way named is the way taken, and the module is the package's.
        const preBundled = fetched.some((p) => p.startsWith(`/@fs${cacheDir}/deps/mezon-wasm`));
        assert.equal(preBundled, !optimizeDeps.exclude, `fetched: ${fetched.join(', ')}`);
        assert.equal(fetched.includes(GLUE), !preBundled, `fetched: ${fetched.join(', ')}`);
        assert.ok(fetched.includes(MODULE), `fetched: ${fetched.join(', ')}`);
      } finally {
        await dev.close();
      }
    });
  }
} finally {
  await browser.close();
}

console.log(`vite ${viteVersion}, webpack ${webpack.version}`);
if (steps.failures) {
  console.log(`${steps.failures} bundler step(s) failed; the project is in ${dir}`);
  process.exit(1);
}
rmSync(dir, { recursive: true, force: true });
// Explicitly: a handle Vite left open must not keep the test command waiting.
process.exit(0);
