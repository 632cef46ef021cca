// Errors and the sandbox in the three builds of the module (see loadModules):
//   1. a hostile rule ends with a limit error, quickly, and the module goes on
//   2. a bundle whose files do not match its digest throws kind "manifest"
//   3. a rule that does not compile throws with file, line and column
//   4. bad arguments throw kind "input"
//   5. NaN and ±Infinity (which JSON.stringify writes as null) throw naming the field
//   6. values JSON.stringify mangles or refuses: a Map, a BigInt, a lone surrogate
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { HOSTILE, PACK_2016, bundleText, loadModules } from './helpers.mjs';

const modules = await loadModules();

/** The engine's digest: sha256 over files in path order, each `path NUL len NUL content`. */
function digest(files) {
  const h = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    const body = Buffer.from(files[path], 'utf8');
    h.update(Buffer.from(path, 'utf8')).update('\0').update(String(body.length)).update('\0').update(body);
  }
  return `sha256:${h.digest('hex')}`;
}

function throws(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

for (const [target, { Pack }] of Object.entries(modules)) describe(`the ${target} module`, () => {
  test('a looping rule ends with a limit error and does not hang', () => {
    const pack = Pack.fromBundle(bundleText(HOSTILE).text);
    const t0 = performance.now();
    const r = pack.assess({ id: 'x', mode: 'loop' });
    const ms = performance.now() - t0;
    assert.equal(r.status, 'error');
    const e = r.errors.find((x) => x.kind === 'limit');
    assert.ok(e, JSON.stringify(r.errors));
    assert.equal(e.file, 'indicators/attack.rhai');
    assert.ok(e.line > 0 && e.column > 0);
    assert.ok(ms < 10_000, `took ${ms} ms`);
    for (const mode of ['recurse', 'string', 'array']) {
      const kinds = pack.assess({ id: mode, mode }).errors.map((x) => x.kind);
      assert.ok(kinds.includes('limit'), `${mode}: ${kinds}`);
    }
    // The module goes on.
    const ok = pack.assess({ id: 'y', mode: 'ok' });
    assert.equal(ok.status, 'assessed');
    assert.equal(ok.indicators.attack.points, 42);
  });

  test('a bundle whose digest does not match throws kind manifest', () => {
    const bundle = JSON.parse(bundleText(PACK_2016).text);
    const first = Object.keys(bundle.files).find((p) => p.endsWith('.rhai'));
    bundle.files[first] += '\n// edited';
    const e = throws(() => Pack.fromBundle(bundle));
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'MezonError');
    assert.equal(e.kind, 'manifest');
    assert.match(e.message, /digest mismatch/);
    assert.match(e.detail, /digest mismatch/);
    // The string form of the bundle is accepted too, and checked the same way.
    assert.equal(throws(() => Pack.fromBundle(JSON.stringify(bundle))).kind, 'manifest');
  });

  test('a rule that does not compile throws with file, line and column', () => {
    const bundle = JSON.parse(bundleText(HOSTILE).text);
    bundle.files['indicators/attack.rhai'] = '// broken\nlet x = ;\n42\n';
    bundle.digest = digest(bundle.files);
    const e = throws(() => Pack.fromBundle(bundle));
    assert.ok(e instanceof Error);
    assert.equal(e.kind, 'parse');
    assert.equal(e.file, 'indicators/attack.rhai');
    assert.equal(e.line, 2);
    assert.equal(typeof e.column, 'number');
    assert.match(e.message, /--> indicators\/attack\.rhai:2:/);
    assert.ok(Array.isArray(e.callChain));
  });

  test('bad arguments throw kind input', () => {
    const pack = Pack.fromBundle(bundleText(HOSTILE).text);
    assert.equal(throws(() => pack.rank({ not: 'an array' })).kind, 'input');
    assert.equal(throws(() => Pack.fromBundle('{not json')).kind, 'manifest');
    // A record that is not an object is a result with its error, as natively.
    assert.equal(pack.assess([1, 2]).status, 'invalid');
  });

  test('NaN and Infinity throw naming the field, not read as missing', () => {
    const pack = Pack.fromBundle(bundleText(PACK_2016).text);
    const rec = { service_id: 'S1', organization_id: 'O1', period: 2016, availability_pct: NaN };
    let e = throws(() => pack.assess(rec));
    assert.equal(e.kind, 'input');
    assert.equal(e.field, 'availability_pct');
    assert.match(e.detail, /^NaN /);
    e = throws(() => pack.assessJson({ ...rec, availability_pct: 99, marks_1: -Infinity }));
    assert.equal(e.field, 'marks_1');
    assert.match(e.detail, /^-Infinity /);
    // In a list, the record is named by its place.
    e = throws(() => pack.rank([{ ...rec, availability_pct: 99 }, { ...rec, availability_pct: 99, completed: Infinity }]));
    assert.equal(e.record, 'item 2');
    assert.equal(e.field, 'completed');
    // A null that is really null is the engine's business, as before.
    const r = pack.assess({ ...rec, availability_pct: null });
    assert.equal(r.status, 'invalid');
    assert.ok(r.errors.some((x) => x.field === 'availability_pct'), JSON.stringify(r.errors));
  });

  test('a Map, a BigInt and a lone surrogate: an error naming it', () => {
    const pack = Pack.fromBundle(bundleText(PACK_2016).text);
    const rec = { service_id: 'S1', organization_id: 'O1', period: 2016 };
    // JSON.stringify writes a Map as {}: every field would read as missing.
    let e = throws(() => pack.assess(new Map(Object.entries(rec))));
    assert.equal(e.kind, 'input');
    assert.match(e.detail, /Map/);
    // JSON.stringify throws on a BigInt: the error names the field.
    e = throws(() => pack.assess({ ...rec, marks_1: 5n }));
    assert.equal(e.kind, 'input');
    assert.equal(e.field, 'marks_1');
    e = throws(() => pack.rank([rec, { ...rec, marks_2: 1n }]));
    assert.equal(e.record, 'item 2');
    assert.equal(e.field, 'marks_2');
    // A lone surrogate cannot be UTF-8: an error naming the field (object)
    // or the text, as the CLI's JSON reader refuses one; a pair, or an
    // escaped backslash before `ud800`, is text like any other.
    for (const name of ['a\ud800b', 'x\udc00', '\ud800\ud800', 'end\udbff']) {
      e = throws(() => pack.assess({ ...rec, service_id: name }));
      assert.equal(e.kind, 'input');
      assert.equal(e.field, 'service_id');
      assert.match(e.detail, /lone surrogate/);
      e = throws(() => pack.assessJson(`{"service_id":"${name}","organization_id":"O1","period":2016}`));
      assert.equal(e.kind, 'input');
      assert.match(e.detail, /^the record: text with a lone surrogate/);
    }
    e = throws(() => pack.rank([rec, rec, { ...rec, service_name: 'x\ud800' }]));
    assert.equal(e.record, 'item 3');
    assert.equal(e.field, 'service_name');
    e = throws(() => pack.rank([rec], [{ organization_id: 'O1' }, new Map()]));
    assert.equal(e.record, 'organization 2');
    assert.match(e.detail, /Map/);
    const paired = pack.assessJson({ ...rec, service_id: '😀 \\ud800' });
    assert.equal(paired, pack.assessJson('{"service_id":"\\ud83d\\ude00 \\\\ud800","organization_id":"O1","period":2016}'));
    assert.match(paired, /"service_id":"😀 \\\\ud800"/);
    // Not an object: an invalid result, as a JSON line that is not an object.
    for (const v of [5, null, true]) assert.equal(pack.assess(v).status, 'invalid', String(v));
  });
});
