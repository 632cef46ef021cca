// Parity: the wasm module gives byte-identical results to the native CLI,
// in its three builds (pkg/node, pkg/web and pkg/web-fast, see loadModules).
//
//   1. every golden case of the 2016 pack (inputs from `mezon test --export-inputs`)
//   2. the bundled example data set (examples/2016/services.csv), and invalid.csv
//   3. rank: deep-equal to `mezon rank --format json`
//   4. info(): what the page builds its form from
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import { EXAMPLES, PACK_2016, bundleText, csvRecords, lines, loadModules, mezon, scratchDir } from './helpers.mjs';

const modules = await loadModules();

for (const [target, { Pack }] of Object.entries(modules)) describe(`the ${target} module`, () => {
  let dir, bundle, pack;

  before(() => {
    dir = scratchDir();
    bundle = bundleText(PACK_2016, dir);
    pack = Pack.fromBundle(JSON.parse(bundle.text));
  });

  /** Each wasm result, stringified, must equal the native line for the same record. */
  function assertSameLines(records, nativeText, label) {
    const native = lines(nativeText);
    assert.equal(records.length, native.length, `${label}: record count`);
    records.forEach((rec, i) => {
      const result = pack.assess(rec);
      assert.equal(JSON.stringify(result), native[i], `${label}: record ${i + 1} (object)`);
      assert.equal(pack.assessJson(rec), native[i], `${label}: record ${i + 1} (assessJson)`);
    });
  }

  describe('assess parity with the native CLI', () => {
    test('every golden case of uz-egov-quality 2016.1', () => {
      const cases = join(dir, 'cases.jsonl');
      mezon('test', PACK_2016, '--export-inputs', cases);
      const text = readFileSync(cases, 'utf8');
      const records = lines(text).map((l) => JSON.parse(l));
      assert.ok(records.length >= 100, `expected the golden inputs, got ${records.length}`);
      // Native from the pack folder and from the bundle: the same lines.
      const fromDir = mezon('assess', '--pack', PACK_2016, '--input', cases, '--format', 'jsonl');
      const fromBundle = mezon('assess', '--pack', bundle.path, '--input', cases, '--format', 'jsonl');
      assert.equal(fromBundle, fromDir);
      assertSameLines(records, fromDir, 'golden');
    });

    test('the example data set examples/2016/services.csv', () => {
      const fields = pack.info().input.fields;
      const input = join(EXAMPLES, 'services.csv');
      const records = csvRecords(readFileSync(input, 'utf8'), fields);
      assert.equal(records.length, 600);
      assertSameLines(records, mezon('assess', '--pack', PACK_2016, '--input', input, '--format', 'jsonl'), 'services.csv');
    });

    test('invalid records examples/2016/invalid.csv', () => {
      const fields = pack.info().input.fields;
      const input = join(EXAMPLES, 'invalid.csv');
      const records = csvRecords(readFileSync(input, 'utf8'), fields);
      assertSameLines(records, mezon('assess', '--pack', PACK_2016, '--input', input, '--format', 'jsonl'), 'invalid.csv');
      const statuses = records.map((r) => pack.assess(r).status);
      assert.ok(statuses.includes('invalid'));
    });

    test('non-ASCII text (Cyrillic, arrows, emoji) is the same in objects and in lines', () => {
      // Objects are JSON.parse'd from the line; stringified again they must
      // give the line byte for byte, surrogate pairs included.
      for (const id of ['СРВ-1 «тест» → ✓', 'emoji 😀 and 𝄞', 'quote " back \\ tab \t']) {
        const rec = { service_id: id, organization_id: 'ORG-Ў', period: 2016, completed: 10, completed_on_time: 9 };
        const line = pack.assessJson(rec);
        assert.ok(line.includes(JSON.stringify(id)), line);
        assert.equal(JSON.stringify(pack.assess(rec)), line);
      }
    });

    test('the spec worked example scores 78.78, good; JS numbers keep their text', () => {
      const r = pack.assess({
        service_id: 'SRV-1', organization_id: 'ORG-1', period: 2016,
        applications_total: 1000, applications_electronic: 420, completed: 200, completed_on_time: 194,
        marks_1: 2, marks_2: 3, marks_3: 5, marks_4: 40, marks_5: 50, optimized: true,
        documents_required: 5, documents_interagency: 3, maturity_stage: 3,
        info_description: true, info_documents: true, info_deadline: true, info_cost: true,
        info_legal_basis: true, info_appeal: false, availability_pct: 99.2, justified_complaints: 1,
      });
      assert.equal(r.status, 'assessed');
      assert.equal(r.score, 78.78);
      assert.equal(r.score_exact, '3151/40');
      assert.equal(r.grade, 'good');
      assert.equal(r.pack.digest, pack.digest);
    });

    test('a field error names the field', () => {
      const r = pack.assess({ service_id: 'X', organization_id: 'O', period: 2016, completed: 200, completed_on_time: 300 });
      assert.equal(r.status, 'invalid');
      assert.ok(r.errors.some((e) => e.kind === 'input' && e.field === 'completed_on_time'), JSON.stringify(r.errors));
    });
  });

  test('rank parity with `mezon rank --format json`', () => {
    const info = pack.info();
    const services = join(EXAMPLES, 'services.csv');
    const orgs = join(EXAMPLES, 'organizations.csv');
    const native = JSON.parse(mezon('rank', '--pack', PACK_2016, '--input', services, '--organizations', orgs, '--format', 'json'));
    const ranking = pack.rank(
      csvRecords(readFileSync(services, 'utf8'), info.input.fields),
      csvRecords(readFileSync(orgs, 'utf8'), info.organization_input.fields),
    );
    assert.deepStrictEqual(ranking, native);
    assert.ok(ranking.organizations.length > 10);
  });

  test('info() describes the pack', () => {
    const info = pack.info();
    assert.equal(info.id, 'uz-egov-quality');
    assert.equal(info.version, '2016.1');
    assert.equal(info.digest, JSON.parse(bundle.text).digest);
    assert.equal(pack.id, info.id);
    assert.equal(pack.version, info.version);
    assert.ok(info.indicators.length > 5);
    for (const ind of info.indicators) {
      assert.equal(typeof ind.max, 'number');
      assert.equal(typeof ind.provisional, 'boolean');
      assert.ok(ind.title.en && ind.title.uz && ind.title.ru);
    }
    assert.ok(info.input.fields.find((f) => f.name === 'availability_pct'));
  });
});
