// The npm package `mezon-wasm` (wasm/pkg, package.json from wasm/npm/) as a
// portal project gets it: packed with `npm pack`, installed from the tarball
// into an empty project, then loaded the ways its README says, each in a
// fresh Node process. Every way must score the example data set exactly as
// the native CLI does.
//
//   1. the tarball holds the three builds, their types and the README, nothing else
//   2. require('mezon-wasm') and import 'mezon-wasm' in Node: the Node build
//   3. import 'mezon-wasm/web' and 'mezon-wasm/web-fast' with initSync: the
//      browser builds (for size, for speed)
//   4. the "default" condition (browsers and bundlers) resolves to the web build
//   5. the TypeScript types: a portal's code using the API type-checks with
//      `tsc --strict`, for Node and for a bundler, and a misuse is an error
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import { BROWSER_BUILDS, WASM_DIR, lines, portalProject, run, sameLines, scratchDir } from './helpers.mjs';

const PKG = join(WASM_DIR, 'pkg');

describe('the npm package mezon-wasm', () => {
  let project, tarball, files, native;

  before(() => {
    let bundle, records;
    ({ project, tarball, files, bundle, records, native } = portalProject(scratchDir(), { name: 'portal', private: true }));
    writeFileSync(join(project, 'records.json'), records);
    writeFileSync(join(project, 'bundle.json'), bundle);
  });

  test('the tarball holds the three builds, their types and the README', () => {
    const version = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version;
    assert.match(version, /^\d+\.\d+\.\d+/);
    assert.match(tarball, new RegExp(`mezon-wasm-${version.replace(/\./g, '\\.')}\\.tgz$`));
    assert.deepEqual(files, [
      'README.md',
      'node/mezon_wasm.d.ts', 'node/mezon_wasm.js', 'node/mezon_wasm_bg.wasm',
      'package.json',
      'web-fast/mezon_wasm.d.ts', 'web-fast/mezon_wasm.js', 'web-fast/mezon_wasm_bg.wasm', 'web-fast/package.json',
      'web/mezon_wasm.d.ts', 'web/mezon_wasm.js', 'web/mezon_wasm_bg.wasm', 'web/package.json',
    ]);
  });

  // Each script loads the package one way, assesses the 600 example records
  // and prints which build answered (the web builds' glue exports
  // `initSync`, the Node one does not; a web build is named by the folder
  // its glue was resolved from), then their JSON lines.
  const printOut = `
      console.log(typeof m.initSync !== 'function' ? 'node' : webFolder ?? 'a web build');
      console.log(JSON.parse(readFileSync('records.json', 'utf8')).map(assessed).join('\\n'));`;
  const scripts = [
    ['require (CommonJS)', 'node', 'main.cjs', `
      const m = require('mezon-wasm');
      const webFolder = null;
      const { readFileSync } = require('fs');
      const pack = m.Pack.fromBundle(readFileSync('bundle.json', 'utf8'));
      const assessed = (r) => pack.assessJson(r);`],
    ['import (ES module)', 'node', 'main.mjs', `
      import * as m from 'mezon-wasm';
      import { readFileSync } from 'node:fs';
      const webFolder = null;
      const pack = m.Pack.fromBundle(readFileSync('bundle.json', 'utf8'));
      const assessed = (r) => JSON.stringify(pack.assess(r));`],
    ...BROWSER_BUILDS.map((build) => [`import mezon-wasm/${build} with initSync`, build, `${build}.mjs`, `
      import * as m from 'mezon-wasm/${build}';
      import { readFileSync } from 'node:fs';
      import { createRequire } from 'node:module';
      import { basename, dirname } from 'node:path';
      import { fileURLToPath } from 'node:url';
      const webFolder = basename(dirname(fileURLToPath(import.meta.resolve('mezon-wasm/${build}'))));
      m.initSync({ module: readFileSync(createRequire(import.meta.url).resolve('mezon-wasm/${build}/mezon_wasm_bg.wasm')) });
      const pack = m.Pack.fromBundle(readFileSync('bundle.json', 'utf8'));
      const assessed = (r) => pack.assessJson(r);`]),
  ];

  for (const [name, expectedBuild, file, source] of scripts) {
    test(`${name}: the ${expectedBuild} build, byte-identical to the native CLI`, () => {
      writeFileSync(join(project, file), source + printOut);
      const [build, ...out] = lines(run('node', [file], project));
      assert.equal(build, expectedBuild);
      sameLines(out, native);
    });
  }

  test('browsers and bundlers (no "node" condition) get the web build and its types', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/mezon-wasm/package.json'), 'utf8'));
    const root = manifest.exports['.'];
    assert.deepEqual(Object.keys(root), ['node', 'default']); // the order decides: node first
    assert.equal(root.default.default, './web/mezon_wasm.js');
    assert.equal(root.default.types, './web/mezon_wasm.d.ts');
    const glue = readFileSync(join(project, 'node_modules/mezon-wasm', root.default.default), 'utf8');
    // The web glue finds its module next to itself, the way bundlers follow.
    assert.match(glue, /new URL\('mezon_wasm_bg\.wasm', import\.meta\.url\)/);
    assert.match(readFileSync(join(project, 'node_modules/mezon-wasm', root.default.types), 'utf8'), /export default function __wbg_init/);
  });

  // Code a portal would write against the types (not run: the scripts above
  // run the same calls). `Symbol.dispose` in the class needs esnext.disposable.
  const USE = `
    export function use(pack: Pack, record: Record<string, unknown>, bundle: PackBundle): string[] {
      const again: Pack = Pack.fromBundle(bundle);
      const info: PackInfo = again.info();
      const names: string[] = info.input.fields.map((f: FieldInfo) => f.name + ':' + f.type);
      const a: Assessment = pack.assess(record);
      const points: (number | null)[] = Object.values(a.indicators).map((i: IndicatorOutcome) => i.points);
      const firstError: string | null = a.errors.length ? a.errors[0].field : null;
      const ranking: Ranking = pack.rank([record], null);
      const line: string = pack.assessJson(JSON.stringify(record));
      try { Pack.fromBundle('{}'); } catch (e) { const err = e as MezonError; names.push(err.kind, String(err.line)); }
      return [...names, String(points.length), String(firstError), String(ranking.period), line, a.aggregation.clause ?? '', pack.digest];
    }`;
  const TYPES = 'Pack, type Assessment, type FieldInfo, type IndicatorOutcome, type MezonError, type PackBundle, type PackInfo, type Ranking';
  const tsc = (args) => spawnSync(process.execPath, [join(WASM_DIR, 'node_modules/typescript/bin/tsc'), ...args], { cwd: project, encoding: 'utf8' });
  const flags = (module, resolution, lib) => ['--noEmit', '--strict', '--module', module, '--moduleResolution', resolution, '--target', 'es2022', '--lib', lib];
  const nodeFlags = flags('nodenext', 'nodenext', 'es2022,esnext.disposable');
  // The web build's own entry points, imported from `from`.
  const webUse = (from) => `import init, { initSync, ${TYPES} } from '${from}';
      export async function start(bytes: Uint8Array): Promise<void> { await init(); initSync({ module: bytes }); }\n${USE}`;

  test('the types: Node and bundler code type-checks with tsc --strict', () => {
    // mezon-wasm/web and mezon-wasm/web-fast also under Node's resolution
    // (code also built under Node), and under the older `node10`, which
    // reads typesVersions, not exports.
    for (const [file, source, args] of [
      ['node.mts', `import { ${TYPES} } from 'mezon-wasm';\n${USE}`, nodeFlags],
      ['web.ts', webUse('mezon-wasm'), flags('esnext', 'bundler', 'es2022,dom,esnext.disposable')],
      ...BROWSER_BUILDS.flatMap((build) => [
        [`${build}-iso.mts`, webUse(`mezon-wasm/${build}`), flags('nodenext', 'nodenext', 'es2022,dom,esnext.disposable')],
        [`${build}-old.ts`, webUse(`mezon-wasm/${build}`), flags('commonjs', 'node10', 'es2022,dom,esnext.disposable')],
      ]),
    ]) {
      writeFileSync(join(project, file), source);
      const r = tsc([...args, file]);
      assert.equal(r.status, 0, `tsc ${file}:\n${r.stdout}${r.stderr}`);
    }
  });

  test('the types: a misuse is a type error (the types are read, not any)', () => {
    writeFileSync(join(project, 'misuse.mts'), `import { Pack } from 'mezon-wasm';
      export function wrong(pack: Pack): string { return pack.assess({}).score; }`);
    const r = tsc([...nodeFlags, 'misuse.mts']);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /misuse\.mts.*TS2322: Type 'number \| null' is not assignable to type 'string'/);
  });
});
