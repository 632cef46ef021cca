// Shared by the two browser tests (browser.mjs: the page; bundler.mjs: the
// npm package built by Vite and webpack): a static server on 127.0.0.1 under
// the strict Content Security Policy the README quotes, a step runner, and
// Debian's headless Chromium.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

import { chromium } from 'playwright-core';

// Only the page's own files; 'wasm-unsafe-eval' lets it compile its module;
// the favicon is `data:,` (no request for /favicon.ico).
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'";

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.ts': 'text/plain' };

/**
 * Serves the files under `root` (and the test-only `extra` entries by path:
 * text or bytes, typed by the path's extension) on
 * 127.0.0.1, as a production static server with precompressed files does
 * (nginx brotli_static, gzip_static): the .br or .gz copy when the browser
 * takes that encoding. `served` records, per path, the encoding and the
 * bytes on the wire, by the path asked for (a copy's with its prefix).
 * Under each of `copies` (such as '/copy/') the same files are served
 * again, as a second copy of a site on one origin.
 */
export async function staticServer(root, extra = new Map(), copies = []) {
  root = resolve(root);
  for (const c of copies) if (!/^\/[^/]+\/$/.test(c)) throw new Error(`a copy is served under /name/, not ${c}`);
  const served = new Map();
  const server = createServer((req, res) => {
    let asked;
    try {
      asked = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return res.writeHead(400).end('bad path');
    }
    const copy = copies.find((c) => asked.startsWith(c));
    const path = copy ? asked.slice(copy.length - 1) : asked;
    if (extra.has(path)) {
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(extra.get(path));
      return;
    }
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep)) return res.writeHead(403).end();
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      const accepts = String(req.headers['accept-encoding'] ?? '').split(',').map((e) => e.trim().split(';')[0]);
      const encoding = [['br', '.br'], ['gzip', '.gz']].find(([e, ext]) => accepts.includes(e) && existsSync(file + ext));
      const body = readFileSync(encoding ? file + encoding[1] : file);
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', vary: 'accept-encoding',
        'content-security-policy': CSP };
      if (encoding) headers['content-encoding'] = encoding[0];
      served.set(asked, { encoding: encoding?.[0] ?? 'identity', bytes: body.length });
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { base: `http://127.0.0.1:${server.address().port}`, served, close: () => server.close() };
}

/**
 * Runs named steps in turn: each prints ok or FAIL with its error, and a
 * failure does not stop the later steps. `failures` counts them.
 */
export function stepRunner() {
  const runner = {
    failures: 0,
    async step(name, fn) {
      try {
        await fn();
        console.log(`ok    ${name}`);
      } catch (e) {
        runner.failures++;
        console.log(`FAIL  ${name}\n${e.stack ?? e}`);
      }
    },
  };
  return runner;
}

/** Debian's /usr/bin/chromium ($CHROMIUM to override), headless. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // --expose-gc: the browser test's timing collects garbage before each
    // timed run, so no run pays for the one before it.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--js-flags=--expose-gc'],
  });
}

/**
 * A page in a fresh context that may only reach 127.0.0.1 (anything else
 * is aborted and listed in `external`), with console errors, page errors
 * and Content Security Policy violations listed in `consoleErrors`.
 */
export async function guardedPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const external = [];
  const consoleErrors = [];
  await page.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === '127.0.0.1') return route.continue();
    external.push(route.request().url());
    return route.abort();
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  // Chromium logs a blocked load, not every kind of violation: each is
  // reported here too.
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)));
  return { page, context, external, consoleErrors };
}
