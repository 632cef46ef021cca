// Browser test: the self-assessment page in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core), served from wasm/www on
// 127.0.0.1 by a small static server in this process (web.mjs).
//
//   1. page load to first score (?sample pre-fills the worked example)
//   2. fill the spec's worked example by hand: 78.78, grade good; no score
//      while a required yes/no is unanswered
//   3. switch the labels to Russian and Uzbek
//   4. an invalid value: the field's error is shown beside the field, in
//      the page's language
//   5. characters that cannot form a value are refused while typing, and
//      a value's error waits for a pause (typing 2016 flashes nothing)
//   6. a pack that fails to load leaves the page working on the one in use
//   7. the hostile pack in the page's context: a limit error, no hang
//   8. time per assess in Chromium over the example data set (after a
//      warm-up, the median of five runs, each beside the native reference),
//      for the page's module and for the fast browser build (pkg/web-fast,
//      served under /test-only/), which first gives the same lines
//   9. after one visit, the page reloads offline and still scores; back
//      online, a bundle the pack list no longer names is dropped
//  10. two copies of the page on one origin (/ and /copy/) share the
//      worker's cache: each drops only its own folder's retired bundles
// Screenshots go to wasm/test-output/. No request may leave 127.0.0.1. The
// server sends build.sh's precompressed copies (.br, .gz) as a production
// static server would, under the strict Content Security Policy the README
// quotes (a violation is a console error, which fails a step).
//
//   node wasm/tests/browser.mjs     (after bash wasm/build.sh)
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EXAMPLES, HOSTILE, WASM_DIR, bundleText, csvRecords, median, nativeUsPerAssess } from './helpers.mjs';
import { guardedPage, launchChromium, staticServer, stepRunner } from './web.mjs';

const WWW = join(WASM_DIR, 'www');
const OUT = join(WASM_DIR, 'test-output');
mkdirSync(OUT, { recursive: true });

// Test-only files served beside the page (not part of wasm/www).
const bundle2016 = JSON.parse(readFileSync(join(WWW, 'packs', 'uz-egov-quality-2016.1.json'), 'utf8'));
const badDigest = JSON.stringify({ ...bundle2016, digest: `sha256:${'0'.repeat(64)}` });
const extra = new Map([['/test-only/hostile.json', bundleText(HOSTILE).text], ['/packs/test-only-bad-digest.json', badDigest]]);
for (const file of ['mezon_wasm.js', 'mezon_wasm_bg.wasm']) {
  extra.set(`/test-only/web-fast/${file}`, readFileSync(join(WASM_DIR, 'pkg/web-fast', file)));
}

// The page again under /copy/: the service worker's cache is per origin.
const server = await staticServer(WWW, extra, ['/copy/']);
const { base: BASE, served } = server;
const browser = await launchChromium();

const WORKED_EXAMPLE = {
  service_id: 'SRV-T1', organization_id: 'ORG-T1', period: '2016',
  marks_1: '2', marks_2: '3', marks_3: '5', marks_4: '40', marks_5: '50',
  completed: '200', completed_on_time: '194', optimized: true,
  documents_required: '5', documents_interagency: '3',
  applications_total: '1000', applications_electronic: '420', maturity_stage: '3',
  info_description: true, info_documents: true, info_deadline: true, info_cost: true, info_legal_basis: true, info_appeal: false,
  availability_pct: '99.2', justified_complaints: '1',
};

const figures = {};
const steps = stepRunner();
const step = steps.step;

// Service workers blocked: requests they make would pass the routes
// guardedPage sets (the service worker steps let the page's own run).
function newPage(serviceWorkers = 'block') {
  return guardedPage(browser, { viewport: { width: 1280, height: 1400 }, serviceWorkers });
}

/** The paths the page's service worker keeps in its cache. */
const cachedPaths = (page) => page.evaluate(async () => (await (await caches.open('mezon-page')).keys()).map((r) => new URL(r.url).pathname));

const fieldError = (page, name) => page.locator(`.field[data-field="${name}"] .field-error`);

try {
  await step('page load to first score (?sample)', async () => {
    const { page, context, external, consoleErrors } = await newPage();
    const wall0 = Date.now();
    await page.goto(`${BASE}/?sample`);
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 30_000 });
    const wallMs = Date.now() - wall0;
    const t = await page.evaluate(() => window.mezonTiming);
    figures.loadToFirstScoreMs = t.firstScoreMs;
    figures.loadToFirstScoreWallMs = wallMs;
    figures.wasmReadyMs = t.wasmReadyMs;
    figures.packReadyMs = t.packReadyMs;
    // The page ran from the precompressed copies: they decode to the module
    // and the bundle in a real browser.
    const wasm = served.get('/pkg/mezon_wasm_bg.wasm');
    figures.moduleEncoding = wasm.encoding;
    figures.moduleBytesOnWire = wasm.bytes;
    assert.notEqual(wasm.encoding, 'identity', 'the module was not sent precompressed');
    assert.notEqual(served.get('/packs/uz-egov-quality-2016.1.json').encoding, 'identity');
    assert.ok(t.firstScoreMs > 0);
    assert.deepEqual(external, []);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  const { page, external, consoleErrors } = await newPage();

  await step('the worked example, filled in by hand, shows 78.78 and good', async () => {
    await page.goto(`${BASE}/`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#score').textContent(), '—');
    // Pack reference shown.
    assert.match(await page.locator('#pack-version').textContent(), /uz-egov-quality 2016\.1/);
    assert.equal(await page.locator('#pack-digest').textContent(), bundle2016.digest);
    // Labelled for assistive technology: help and error text, required.
    assert.equal(await page.locator('#f-period').getAttribute('aria-describedby'), 'help-period err-period');
    assert.equal(await page.locator('#f-period').getAttribute('aria-required'), 'true');
    const entries = Object.entries(WORKED_EXAMPLE);
    for (const [name, v] of entries.filter(([, v]) => typeof v !== 'boolean')) await page.locator(`#f-${name}`).fill(v);
    // The yes/no questions are unanswered, not "no": no score yet.
    assert.equal(await page.locator('#score').textContent(), '—');
    assert.match(await page.locator('#status-line').textContent(), /^7 required fields still to fill in/);
    for (const [name, v] of entries.filter(([, v]) => typeof v === 'boolean')) await page.locator(`#f-${name}`).selectOption(String(v));
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('#score').textContent(), '78.78');
    assert.equal(await page.locator('#grade').getAttribute('data-grade'), 'good');
    assert.equal(await page.locator('#grade').textContent(), 'good');
    // One bar per indicator, each with its trace; the provisional badge shown.
    assert.equal(await page.locator('#indicators > li').count(), 9);
    assert.match(await page.locator('[data-indicator="timeliness"] .points').textContent(), /^16 of 20$/);
    assert.ok((await page.locator('[data-indicator="timeliness"] .trace li').count()) >= 2);
    assert.ok((await page.locator('[data-indicator="satisfaction"] .badge').count()) === 1);
    // The aggregation and the grade bands are provisional too.
    assert.ok(await page.locator('#score-badge').isVisible());
    assert.match(await page.locator('#grade-badge').getAttribute('title'), /^Annex \(reconstructed\): ≥ 86 excellent/);
    assert.equal(await page.locator('.field-error:not(:empty)').count(), 0);
    await page.screenshot({ path: join(OUT, 'worked-example.png'), fullPage: true });
  });

  await step('labels switch to Russian and Uzbek', async () => {
    await page.click('button[data-lang="ru"]');
    assert.equal(await page.locator('.field[data-field="completed"] .label-text').textContent(), 'Исполнено электронных заявлений');
    assert.equal(await page.locator('#grade').textContent(), 'хорошо');
    await page.click('button[data-lang="uz"]');
    assert.equal(await page.locator('#grade').textContent(), 'yaxshi');
    await page.click('button[data-lang="en"]');
    assert.equal(await page.locator('#grade').textContent(), 'good');
  });

  await step('an invalid value shows the error beside its field', async () => {
    await page.locator('#f-completed_on_time').fill('300');
    const err = fieldError(page, 'completed_on_time');
    await err.filter({ hasText: /cannot exceed/ }).waitFor({ timeout: 5_000 });
    assert.match(await err.textContent(), /completed_on_time = 300 must be <= completed = 200/);
    assert.equal(await page.locator('.field[data-field="completed_on_time"]').getAttribute('class'), 'field invalid');
    assert.equal(await page.locator('#score').textContent(), '—');
    assert.equal(await fieldError(page, 'completed').textContent(), '');
    await page.screenshot({ path: join(OUT, 'invalid-field.png'), fullPage: true });
    // In Russian, the pack's own wording of the relation.
    await page.click('button[data-lang="ru"]');
    assert.equal(await err.textContent(), 'исполненных в срок не может быть больше исполненных');
    assert.equal(await page.locator('#status-line').textContent(), 'Исправьте поля, отмеченные красным.');
    await page.click('button[data-lang="en"]');
    await page.locator('#f-completed_on_time').fill('194');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
  });

  await step('ranges are enforced while typing', async () => {
    const stage = page.locator('#f-maturity_stage');
    await stage.fill('');
    await stage.pressSequentially('x');
    // Refused, and said beside the field: never dropped unsaid.
    assert.equal(await stage.inputValue(), '');
    assert.match(await fieldError(page, 'maturity_stage').textContent(), /^“x” was not entered: whole numbers only/);
    await stage.pressSequentially('-.5');
    assert.equal(await stage.inputValue(), '5', 'letters, sign and point refused in an int field with min 0');
    await fieldError(page, 'maturity_stage').filter({ hasText: /above the maximum 4/ }).waitFor({ timeout: 5_000 });
    await stage.fill('3');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    assert.equal(await fieldError(page, 'maturity_stage').textContent(), '');
    // Typed key by key, 2016 passes through 2, 20 and 201 (below the
    // minimum 2000) without an error shown; 1999 shows one after a pause.
    const period = page.locator('#f-period');
    await period.fill('');
    const seen = [];
    for (const ch of '2016') {
      await period.press(ch);
      seen.push(await fieldError(page, 'period').textContent());
    }
    assert.deepEqual(seen, ['', '', '', '']);
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    await period.fill('1999');
    await fieldError(page, 'period').filter({ hasText: 'below the minimum 2000' }).waitFor({ timeout: 5_000 });
    await period.fill('2016');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    // A paste that is no whole number leaves the value as it was, and says
    // so; digit-group spaces and full-width digits are read.
    const paste = (name, data) => page.evaluate(([name, data]) => {
      const input = document.getElementById(`f-${name}`);
      input.select();
      input.dispatchEvent(new InputEvent('beforeinput', { inputType: 'insertFromPaste', data, cancelable: true, bubbles: true }));
      return input.value;
    }, [name, data]);
    assert.equal(await paste('applications_total', '2,500'), '1000');
    assert.match(await fieldError(page, 'applications_total').textContent(), /^“2,500” was not entered/);
    assert.equal(await paste('applications_total', '1 000'), '1000');
    assert.equal(await fieldError(page, 'applications_total').textContent(), '');
    assert.equal(await paste('applications_total', '１０００'), '1000');
    assert.equal(await paste('availability_pct', '99,2.5'), '99.2');
    assert.match(await fieldError(page, 'availability_pct').textContent(), /numbers only/);
    await page.locator('#f-availability_pct').fill('99.2');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    assert.equal(await fieldError(page, 'availability_pct').textContent(), '');
    // The bars are labelled by the indicator's title alone.
    assert.equal(await page.locator('#title-satisfaction').textContent(), 'Applicant satisfaction');
  });

  await step('too few indicators apply: not scored, said in the page language', async () => {
    const values = { marks_1: '0', marks_2: '0', marks_3: '0', marks_4: '4', marks_5: '5', completed: '0', completed_on_time: '0', applications_electronic: '0', justified_complaints: '0' };
    for (const [name, v] of Object.entries(values)) await page.locator(`#f-${name}`).fill(v);
    await page.locator('#score', { hasText: '—' }).waitFor({ timeout: 5_000 });
    assert.match(await page.locator('#status-line').textContent(), /^Not scored: too few indicators apply/);
    assert.match(await page.locator('#reason').textContent(), /^insufficient data: the applicable indicators carry 45 points/);
    await page.click('button[data-lang="ru"]');
    assert.match(await page.locator('#reason').textContent(), /^Недостаточно данных: применимые показатели дают 45 балл/);
    assert.match(await page.locator('#status-line').textContent(), /^Балл не рассчитан/);
    await page.click('button[data-lang="en"]');
    await page.click('#sample');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
  });

  await step('a narrow screen keeps the score in sight while typing', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    assert.ok(await page.locator('#mini').isVisible());
    assert.match(await page.locator('#mini').textContent(), /78\.78.*good/);
    await page.screenshot({ path: join(OUT, 'narrow.png') });
    await page.setViewportSize({ width: 1280, height: 1400 });
    assert.ok(!(await page.locator('#mini').isVisible()));
  });

  await step('a pack that fails to load leaves the one in use working', async () => {
    // The page's pack list with a bundle whose digest does not match.
    const index = JSON.parse(readFileSync(join(WWW, 'packs', 'index.json'), 'utf8'));
    index.packs.push({ ...index.packs[0], version: 'bad-digest', file: 'test-only-bad-digest.json' });
    await page.route('**/packs/index.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(index) }));
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    // What was typed survived the reload.
    assert.equal(await page.locator('#f-completed_on_time').inputValue(), '194');
    assert.equal(await page.locator('#score').textContent(), '78.78');
    await page.click('#sample');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    const select = page.locator('#pack-select');
    await select.selectOption('test-only-bad-digest.json');
    const status = page.locator('#status-line');
    await status.filter({ hasText: /could not be loaded.*manifest/ }).waitFor({ timeout: 5_000 });
    assert.equal(await select.inputValue(), index.packs[0].file);
    assert.equal(await page.locator('#pack-digest').textContent(), bundle2016.digest);
    // Still scoring with the pack in use.
    await page.locator('#f-completed_on_time').fill('300');
    await fieldError(page, 'completed_on_time').filter({ hasText: /cannot exceed/ }).waitFor({ timeout: 5_000 });
    await page.locator('#f-completed_on_time').fill('194');
    await page.locator('#score', { hasText: '78.78' }).waitFor({ timeout: 5_000 });
    await page.unroute('**/packs/index.json');
  });

  await step('the hostile pack in the page: a limit error, quickly; the page goes on', async () => {
    const r = await page.evaluate(async () => {
      const m = await import('/pkg/mezon_wasm.js');
      const pack = m.Pack.fromBundle(await (await fetch('/test-only/hostile.json')).text());
      const t0 = performance.now();
      const loop = pack.assess({ id: 'x', mode: 'loop' });
      const ms = performance.now() - t0;
      const ok = pack.assess({ id: 'y', mode: 'ok' });
      return { kinds: loop.errors.map((e) => e.kind), ms, ok: ok.indicators.attack.points };
    });
    assert.ok(r.kinds.includes('limit'), String(r.kinds));
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
    assert.equal(r.ok, 42);
    figures.hostileLoopMsChromium = r.ms;
    assert.equal(await page.locator('#score').textContent(), '78.78');
  });

  await step('time per assess in Chromium (example data set), both browser builds', async () => {
    // Each pack is compiled once and kept for the timed runs below: the
    // page's module (built for size) and the fast browser build. The
    // schema types the CSV records here as the CLI types them.
    const fieldsText = await page.evaluate(async () => {
      const bundle = await (await fetch('/packs/uz-egov-quality-2016.1.json')).text();
      const small = await import('/pkg/mezon_wasm.js');
      const fast = await import('/test-only/web-fast/mezon_wasm.js');
      await fast.default();
      globalThis.timingPacks = { small: small.Pack.fromBundle(bundle), fast: fast.Pack.fromBundle(bundle) };
      return JSON.stringify(globalThis.timingPacks.small.info().input.fields);
    });
    const records = csvRecords(readFileSync(join(EXAMPLES, 'services.csv'), 'utf8'), JSON.parse(fieldsText));
    const differing = await page.evaluate((records) => {
      const { small, fast } = globalThis.timingPacks;
      // Object in, object out (what the page does); and JSON text in, JSON
      // line out: the same work as the native reference
      // (`profile_assess … json`, see wasm/tests/timing.mjs).
      const texts = records.map((rec) => JSON.stringify(rec));
      // The two builds are the same sources: the same line for every record.
      const differing = texts.filter((t) => small.assessJson(t) !== fast.assessJson(t)).length;
      // Warm-up long enough for V8 to move the hot functions from its
      // baseline compiler to its optimising one: a page that scores as its
      // officer types runs the optimised code, as the native reference runs
      // after its own warm-up.
      for (let i = 0; i < 20; i++) {
        for (const pack of [small, fast]) {
          for (const rec of records) pack.assess(rec);
          for (const t of texts) pack.assessJson(t);
        }
      }
      const rounds = 20;
      // Each timed run starts with no garbage left from the one before (the
      // object path makes much more than the text path): what a run
      // collects is its own.
      const time = (fn) => {
        globalThis.gc();
        const t0 = performance.now();
        for (let i = 0; i < rounds; i++) for (let k = 0; k < records.length; k++) fn(k);
        return ((performance.now() - t0) * 1000) / (rounds * records.length);
      };
      const timePack = (pack) => ({
        usPerAssess: time((k) => pack.assess(records[k])),
        usPerAssessText: time((k) => pack.assessJson(texts[k])),
      });
      // The builds take turns going first, so an effect of order (a
      // collection the other left behind) does not fall on one of them.
      let turn = 0;
      globalThis.timeRun = () => {
        const r = { n: rounds * records.length };
        for (const b of turn++ % 2 ? ['fast', 'small'] : ['small', 'fast']) r[b] = timePack(globalThis.timingPacks[b]);
        return r;
      };
      return differing;
    }, records);
    assert.equal(differing, 0, 'the fast browser build gave different lines');
    // Five runs, each followed by the same work natively (a figure, not a
    // pass mark, so a native reference that cannot be built or run is
    // reported, not failed); medians, as a busy machine slows single runs.
    const runs = [];
    const native = [];
    for (let run = 0; run < 5; run++) {
      runs.push(await page.evaluate(() => globalThis.timeRun()));
      if (figures.nativeReferenceError) continue;
      try {
        native.push(nativeUsPerAssess(20));
      } catch (e) {
        figures.nativeReferenceError = String(e.message ?? e);
      }
    }
    const medianOf = (build, way) => median(runs.map((r) => r[build][way]));
    figures.chromiumUsPerAssess = medianOf('small', 'usPerAssess');
    figures.chromiumUsPerAssessJsonText = medianOf('small', 'usPerAssessText');
    figures.chromiumFastUsPerAssess = medianOf('fast', 'usPerAssess');
    figures.chromiumFastUsPerAssessJsonText = medianOf('fast', 'usPerAssessText');
    // Assessments timed for each build and each way (object, JSON text).
    figures.chromiumAssessCount = runs.length * runs[0].n;
    figures.nativeUsPerAssessJsonText = native.length === runs.length ? median(native) : null;
    if (figures.nativeUsPerAssessJsonText) {
      figures.chromiumJsonTextTimesNative = figures.chromiumUsPerAssessJsonText / figures.nativeUsPerAssessJsonText;
      figures.chromiumFastJsonTextTimesNative = figures.chromiumFastUsPerAssessJsonText / figures.nativeUsPerAssessJsonText;
    }
  });

  await step('after one visit the page reloads and scores offline', async () => {
    const { page, context, consoleErrors } = await newPage('allow');
    await page.goto(`${BASE}/`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    await page.click('#sample');
    await page.locator('#f-justified_complaints').fill('2');
    const score = await page.locator('#score').textContent();
    assert.notEqual(score, '78.78');
    await page.evaluate(() => navigator.serviceWorker.ready);
    await context.setOffline(true);
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    // The form as it was typed (the draft, not the sample), scored by the
    // module from the worker's copy.
    assert.equal(await page.locator('#f-justified_complaints').inputValue(), '2');
    assert.equal(await page.locator('#score').textContent(), score);
    await page.locator('#f-completed_on_time').fill('300');
    await fieldError(page, 'completed_on_time').filter({ hasText: /cannot exceed/ }).waitFor({ timeout: 5_000 });
    // Back online, a bundle the pack list no longer names (one kept from an
    // earlier list) is dropped when the list is fetched again; the listed
    // one stays.
    await context.setOffline(false);
    await page.evaluate(async () => (await caches.open('mezon-page')).put('packs/retired-pack-1.0.json', new Response('{}')));
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    const kept = () => cachedPaths(page);
    for (let i = 0; i < 50 && (await kept()).includes('/packs/retired-pack-1.0.json'); i++) await page.waitForTimeout(100);
    const paths = await kept();
    assert.ok(!paths.includes('/packs/retired-pack-1.0.json'), `still kept: ${paths}`);
    assert.ok(paths.includes('/packs/uz-egov-quality-2016.1.json'), `the listed bundle is gone: ${paths}`);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  await step('two copies of the page on one origin: each drops only its own retired bundles', async () => {
    const { page, context, consoleErrors } = await newPage('allow');
    const kept = () => cachedPaths(page);
    // Kept in this order: the worker deletes in the cache's order, so a
    // bundle that must stay is put before the one that must go (a put moves
    // an entry to the end); a wrong prune would reach it first.
    const put = (...paths) => page.evaluate(async (ps) => {
      const cache = await caches.open('mezon-page');
      for (const p of ps) await cache.put(p, new Response('{}'));
    }, paths);
    const ready = () => page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    // Loads the page under `scope`, waits until its own worker is active
    // (the copy's first view is controlled by the root's worker, whose scope
    // covers /copy/ too), reloads it under that worker, then waits until
    // `gone` has been dropped.
    const reloadUntilDropped = async (scope, gone) => {
      await page.goto(`${BASE}${scope}`);
      await ready();
      await page.waitForFunction(async (s) => {
        const registration = await navigator.serviceWorker.getRegistration(s); // the root's, until the copy's exists
        return registration?.scope === new URL(s, location.href).href && registration.active?.state === 'activated';
      }, scope, { timeout: 30_000 });
      // Chromium may still hand the first reload after activation to the
      // root's worker, or the copy's may claim a page half loaded (its pack
      // list already fetched by the root's): reload until the copy's own
      // controls the page, then once more, so that it fetches the list.
      const controller = () => page.evaluate(() => new URL(navigator.serviceWorker.controller?.scriptURL ?? 'http://x/none').pathname);
      for (const deadline = Date.now() + 30_000; (await controller()) !== `${scope}sw.js` && Date.now() < deadline;) {
        await page.reload();
        await ready();
      }
      assert.equal(await controller(), `${scope}sw.js`);
      await page.reload();
      await ready();
      assert.equal(await controller(), `${scope}sw.js`);
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && (await kept()).includes(gone);) await page.waitForTimeout(100);
      const paths = await kept();
      assert.ok(!paths.includes(gone), `${scope}: still kept: ${paths}`);
      return paths;
    };
    // The root's list drops the root's retired bundle, not the copy's.
    await page.goto(`${BASE}/`);
    await ready();
    await put('/copy/packs/retired-pack-1.0.json', '/packs/retired-pack-1.0.json');
    let paths = await reloadUntilDropped('/', '/packs/retired-pack-1.0.json');
    assert.ok(paths.includes('/copy/packs/retired-pack-1.0.json'), `the root's list dropped the copy's bundle: ${paths}`);
    // The copy's list drops the copy's, not the root's.
    await put('/packs/retired-pack-2.0.json', '/copy/packs/retired-pack-1.0.json');
    paths = await reloadUntilDropped('/copy/', '/copy/packs/retired-pack-1.0.json');
    for (const p of ['/packs/retired-pack-2.0.json', '/packs/uz-egov-quality-2016.1.json', '/copy/packs/uz-egov-quality-2016.1.json']) {
      assert.ok(paths.includes(p), `${p} is gone: ${paths}`);
    }
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  await step('no request left 127.0.0.1; no console errors', async () => {
    assert.deepEqual(external, []);
    assert.deepEqual(consoleErrors, []);
  });
} finally {
  await browser.close();
  server.close();
}

console.log(`figures ${JSON.stringify(figures)}`);
console.log(`screenshots in ${OUT}`);
if (steps.failures) {
  console.log(`${steps.failures} browser step(s) failed`);
  process.exit(1);
}
