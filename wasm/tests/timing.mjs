// Time per `assess` in Node on the example data set (not a test; it prints).
//   node wasm/tests/timing.mjs
// Native reference: time target/release/mezon assess --threads 1 over the same CSV
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EXAMPLES, PACK_2016, bundleText, csvRecords, loadModule } from './helpers.mjs';

const { Pack } = loadModule();
let t = performance.now();
const pack = Pack.fromBundle(bundleText(PACK_2016).text);
const compileMs = performance.now() - t;
const records = csvRecords(readFileSync(join(EXAMPLES, 'services.csv'), 'utf8'), pack.info().input.fields);
for (const r of records) pack.assess(r); // warm-up
const rounds = 5;
for (const [name, fn] of [['assess (object in, object out)', (r) => pack.assess(r)], ['assessJson (object in, JSON line out)', (r) => pack.assessJson(r)]]) {
  t = performance.now();
  for (let i = 0; i < rounds; i++) for (const r of records) fn(r);
  const us = ((performance.now() - t) * 1000) / (rounds * records.length);
  console.log(`node: ${name}: ${us.toFixed(2)} µs per assess over ${rounds * records.length}`);
}
console.log(`node: Pack.fromBundle (compile the 2016 pack): ${compileMs.toFixed(1)} ms`);
