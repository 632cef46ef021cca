// Time per `assess` in Node on the example data set (not a test; it prints).
//   node wasm/tests/timing.mjs
// Native reference, the same records as JSON text in and JSON lines out:
//   cargo run --release -p mezon --example profile_assess -- rules/uz-egov-quality/2016.1 examples/2016/services.csv 20 json
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
const texts = records.map((r) => JSON.stringify(r));
const cases = [
  ['assess (object in, object out)', (i) => pack.assess(records[i])],
  ['assessJson (object in, JSON line out)', (i) => pack.assessJson(records[i])],
  // The same work as the native reference: JSON text in, JSON line out.
  ['assessJson (JSON text in, JSON line out)', (i) => pack.assessJson(texts[i])],
];
// Each case timed in three runs of `rounds` passes, the cases alternated;
// the median run is printed (single runs swing with GC).
const runs = cases.map(() => []);
for (let run = 0; run < 3; run++) {
  cases.forEach(([, fn], c) => {
    t = performance.now();
    for (let k = 0; k < rounds; k++) for (let i = 0; i < records.length; i++) fn(i);
    runs[c].push(((performance.now() - t) * 1000) / (rounds * records.length));
  });
}
cases.forEach(([name], c) => {
  const us = [...runs[c]].sort((a, b) => a - b)[1];
  console.log(`node: ${name}: ${us.toFixed(2)} µs per assess (median of 3 runs of ${rounds * records.length})`);
});
console.log(`node: Pack.fromBundle (compile the 2016 pack): ${compileMs.toFixed(1)} ms`);
