// Parity on generated records: the wasm module and the native CLI give the
// same bytes for records no golden case or example holds. The records are
// JSON text, so they reach both sides exactly as written: numbers past 2^53
// or 17 digits, exponents, -0, duplicate keys, values of the wrong type,
// nulls, missing and unknown fields, long and non-ASCII text. These are where
// a 32-bit target could part from a 64-bit one (number parsing, sizes,
// overflow). Every build reads a record straight into the schema's slots, as
// the CLI reads JSON Lines, and falls back to a parsed value for text that is
// not one object; in each, a key given twice makes the record invalid, as it
// does in the CLI.
//
// Seeded: the same records on every run; a failure names the record and
// prints its text.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { PACK_2016, bundleText, lines, loadModules, mezon, scratchDir } from './helpers.mjs';

const RECORDS = 600;
// MEZON_SEED=N explores other records; the test command uses the default.
const SEED = Number(process.env.MEZON_SEED ?? 20161020);

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recordTexts(info) {
  const { fields, relations } = info.input;
  const rnd = generator(SEED);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const odd = ['null', '"12"', '""', 'true', '[]', '{}', '[1,2]', '{"a":1}', '-0', '1e3', '1.5', '-1', '0'];
  const bigNumbers = ['9007199254740993', '12345678901234567890', '-9223372036854775808', '9223372036854775808',
    '1e21', '1e400', '-1e-400', '123456789.123456789012', '0.30000000000000004', '99.99999999999999999', '5e-324', '1E2', '100.0'];
  const texts = ['"SRV-1"', '"СРВ «тест» → ✓"', '"emoji 😀 𝄞"', '"quote \\" back \\\\ tab \\t nl \\n"', '"\\u0000\\u001f"',
    JSON.stringify('x'.repeat(300)), '"ORG-Ў"', '" "', '"1"'];
  // A value the schema takes, as a JS value.
  const good = (f) => {
    const lo = f.min ?? 0;
    const hi = f.max ?? lo + 2000;
    switch (f.type) {
      case 'int': return int(lo, hi);
      case 'number': {
        const x = lo + rnd() * (hi - lo);
        return rnd() < 0.5 ? Number(x.toFixed(int(0, 4))) : x;
      }
      case 'bool': return rnd() < 0.5;
      default: return rnd() < 0.5 ? `S-${int(0, 99999)}` : JSON.parse(pick(texts));
    }
  };
  const out = [];
  for (let i = 0; i < RECORDS; i++) {
    // A third of the records are clean (every field, in range, relations
    // kept, so most are assessed); the rest get damaged at a random rate.
    const damage = rnd() < 0.33 ? 0 : rnd() * 0.25;
    const values = Object.fromEntries(fields.map((f) => [f.name, good(f)]));
    for (const r of relations) {
      if (r.op === '<=' && !(values[r.left] <= values[r.right])) values[r.left] = values[r.right];
    }
    const members = [];
    for (const f of fields) {
      if (rnd() < damage / 3) continue; // missing
      let text = JSON.stringify(values[f.name]);
      const r = rnd();
      if (r < damage) text = pick(odd);
      else if (r < damage * 1.5) text = pick(bigNumbers);
      else if (r < damage * 1.8) text = pick(texts);
      else if (r < damage * 2 && f.type === 'int') text = String(pick([(f.min ?? 0) - 1, (f.max ?? 0) + 1, 2 ** 31, -(2 ** 31) - 1]));
      members.push(`${JSON.stringify(f.name)}:${text}`);
      if (rnd() < damage / 5) members.push(`${JSON.stringify(f.name)}:${pick(odd)}`); // given twice: the record is invalid, naming the field
    }
    if (rnd() < 0.1) members.push(`"unknown_${int(0, 3)}":${pick(odd)}`);
    if (rnd() < 0.05) members.push(`"\\u0070eriod":${pick(['2016', 'null', '"2016"'])}`); // an escaped key
    if (rnd() < 0.3) members.sort(() => rnd() - 0.5);
    out.push(`{${members.join(rnd() < 0.1 ? ' , ' : ',')}}`);
  }
  return out;
}

const modules = await loadModules();

for (const [target, { Pack }] of Object.entries(modules)) describe(`the ${target} module`, () => {
  test(`generated records (${RECORDS}, seed ${SEED}): wasm lines equal the native CLI's`, () => {
    const dir = scratchDir();
    const pack = Pack.fromBundle(bundleText(PACK_2016, dir).text);
    const texts = recordTexts(pack.info());
    const input = join(dir, 'generated.jsonl');
    writeFileSync(input, texts.join('\n') + '\n');
    const native = lines(mezon('assess', '--pack', PACK_2016, '--input', input, '--format', 'jsonl'));
    assert.equal(native.length, texts.length, 'every record has a line');
    const statuses = new Set();
    let thrown = 0;
    texts.forEach((text, i) => {
      let line;
      try {
        line = pack.assessJson(text);
      } catch (e) {
        // Text that serde_json does not take (here a number out of range)
        // throws, as in the C and Python bindings; the CLI writes the record's
        // line with the same reason instead, at the file's line (here the
        // record's own text is line 1).
        const want = JSON.parse(native[i]);
        assert.equal(e.kind, 'input', `record ${i + 1}: ${e.message}`);
        assert.equal(want.status, 'invalid', `record ${i + 1}: ${text}`);
        assert.match(want.errors[0].message, new RegExp(` at line ${i + 1} column \\d+$`));
        const reason = want.errors[0].message.replace(/ at line \d+ column/, ' at line 1 column');
        assert.ok(e.detail.endsWith(reason), `record ${i + 1}: ${e.detail} / ${reason}`);
        thrown++;
        return;
      }
      assert.equal(line, native[i], `record ${i + 1}: ${text}`);
      statuses.add(JSON.parse(line).status);
    });
    // The generator reaches valid, invalid and unreadable records.
    assert.ok(statuses.has('assessed') && statuses.has('invalid') && thrown > 0, `${[...statuses].join(', ')}; ${thrown} thrown`);

    // Objects: what JSON.parse makes of the same texts (big numbers become
    // the nearest double) against the CLI on JSON.stringify of those objects.
    // Same fields and values as the line; not always the same text once
    // stringified again, since JS writes an echoed number such as
    // -9.223372036854776e+18 its own way (-9223372036854776000).
    const objects = texts.map((t) => JSON.parse(t));
    const normalised = join(dir, 'normalised.jsonl');
    writeFileSync(normalised, objects.map((o) => JSON.stringify(o)).join('\n') + '\n');
    const nativeObjects = lines(mezon('assess', '--pack', PACK_2016, '--input', normalised, '--format', 'jsonl'));
    assert.equal(nativeObjects.length, objects.length, 'every object has a line');
    let nonFinite = 0;
    objects.forEach((o, i) => {
      // 1e400 parses to Infinity, which JSON.stringify would write as null
      // ("missing"): the binding throws naming the field instead.
      const bad = Object.entries(o).find(([, v]) => typeof v === 'number' && !Number.isFinite(v));
      if (bad) {
        assert.throws(() => pack.assess(o), (e) => e.kind === 'input' && e.field === bad[0], `record ${i + 1}`);
        nonFinite++;
        return;
      }
      const want = JSON.parse(nativeObjects[i]);
      const got = pack.assess(o);
      assert.deepStrictEqual(got, want, `record ${i + 1} as an object: ${JSON.stringify(o)}`);
      assert.deepEqual(Object.keys(got), Object.keys(want), `record ${i + 1}: key order`);
    });
    assert.ok(nonFinite > 0, 'the generator reaches numbers past the double range');
  });
});
