// The self-assessment page: a form generated from the pack's input schema,
// scored live by the engine compiled to WebAssembly. Every number shown comes
// from the engine's result; this file only collects input and renders.
import init, { Pack } from './pkg/mezon_wasm.js';

const t0 = performance.now();
const $ = (sel) => document.querySelector(sel);

const UI = {
  en: {
    pack: 'Pack', version: 'Version', digest: 'Digest', score: 'Score', grade: 'Grade', loading: 'Loading…',
    sample: 'Fill in a sample', clear: 'Clear', provisional: 'provisional', na: 'not applicable',
    toFill: (n) => `${n} required field${n === 1 ? '' : 's'} still to fill in.`, ready: 'Scored live as you type.',
    invalid: 'Correct the fields marked in red.', error: 'A rule failed; see below.', of: 'of',
    yes: 'yes', no: 'no', loadFailed: 'This pack could not be loaded; the previous one is still in use.',
    notAssessed: 'Not scored: too few indicators apply (see the reason below).', languages: 'Language',
    onlyInt: (t) => `“${t}” was not entered: whole numbers only (digits 0–9).`,
    onlyNumber: (t) => `“${t}” was not entered: numbers only (digits and one decimal point or comma).`,
    failed: 'The record could not be scored:',
  },
  ru: {
    pack: 'Методика', version: 'Версия', digest: 'Дайджест', score: 'Балл', grade: 'Оценка', loading: 'Загрузка…',
    sample: 'Заполнить примером', clear: 'Очистить', provisional: 'предварительно', na: 'неприменимо',
    toFill: (n) => `Осталось заполнить обязательных полей: ${n}.`, ready: 'Балл пересчитывается при вводе.',
    invalid: 'Исправьте поля, отмеченные красным.', error: 'Ошибка в правиле, см. ниже.', of: 'из',
    yes: 'да', no: 'нет', loadFailed: 'Эту методику не удалось загрузить; используется прежняя.',
    required: 'Обязательное поле.', notInt: 'Введите целое число.', notNumber: 'Введите число.',
    below: (min) => `Не меньше ${min}.`, above: (max) => `Не больше ${max}.`,
    notAssessed: 'Балл не рассчитан: применимо слишком мало показателей (причина ниже).', languages: 'Язык',
    onlyInt: (t) => `«${t}» не введено: только целое число (цифры 0–9).`,
    onlyNumber: (t) => `«${t}» не введено: только число (цифры и одна запятая или точка).`,
    failed: 'Запись не удалось оценить:',
    insufficient: (a, b) => `Недостаточно данных: применимые показатели дают ${a} балл(ов) из необходимых ${b}.`,
  },
  uz: {
    pack: 'Metodika', version: 'Versiya', digest: 'Dayjest', score: 'Ball', grade: 'Baho', loading: 'Yuklanmoqda…',
    sample: "Namuna bilan to'ldirish", clear: 'Tozalash', provisional: 'dastlabki', na: "qo'llanilmaydi",
    toFill: (n) => `To'ldirilishi kerak bo'lgan majburiy maydonlar: ${n}.`, ready: 'Ball kiritish bilan yangilanadi.',
    invalid: "Qizil bilan belgilangan maydonlarni to'g'rilang.", error: 'Qoidada xato, pastga qarang.', of: 'dan',
    yes: 'ha', no: "yo'q", loadFailed: "Bu metodikani yuklab bo'lmadi; avvalgisi ishlatilmoqda.",
    required: "Majburiy maydon.", notInt: 'Butun son kiriting.', notNumber: 'Son kiriting.',
    below: (min) => `Kamida ${min}.`, above: (max) => `Ko'pi bilan ${max}.`,
    notAssessed: "Ball hisoblanmadi: qo'llaniladigan ko'rsatkichlar juda kam (sababi pastda).", languages: 'Til',
    onlyInt: (t) => `“${t}” kiritilmadi: faqat butun son (0–9 raqamlari).`,
    onlyNumber: (t) => `“${t}” kiritilmadi: faqat son (raqamlar va bitta nuqta yoki vergul).`,
    failed: 'Yozuvni baholab boʻlmadi:',
    insufficient: (a, b) => `Maʼlumot yetarli emas: qoʻllaniladigan koʻrsatkichlar ${a} ball beradi, kamida ${b} kerak.`,
  },
};

// Sample records per pack id: the methodology's first worked example.
const SAMPLES = {
  'uz-egov-quality': {
    service_id: 'SRV-900001', organization_id: 'ORG-1', period: 2016,
    applications_total: 1000, applications_electronic: 420, completed: 200, completed_on_time: 194,
    marks_1: 2, marks_2: 3, marks_3: 5, marks_4: 40, marks_5: 50, optimized: true,
    documents_required: 5, documents_interagency: 3, maturity_stage: 3,
    info_description: true, info_documents: true, info_deadline: true, info_cost: true,
    info_legal_basis: true, info_appeal: false, availability_pct: '99.2', justified_complaints: 1,
  },
};

// The chosen language, and what was typed for each pack (a reload or a
// visit elsewhere must not lose an officer's figures), are remembered where
// storage is allowed (a sandboxed frame throws on any use of localStorage).
const stored = {
  get(key = 'mezon.lang') { try { return localStorage.getItem(key); } catch { return null; } },
  set(v, key = 'mezon.lang') { try { if (v === null) localStorage.removeItem(key); else localStorage.setItem(key, v); } catch { /* not remembered */ } },
};
const draftKey = () => `mezon.draft.${state.info.id}`;

const state = {
  lang: UI[stored.get()] ? stored.get() : 'en',
  pack: null,
  info: null,
  /** The bundle file of the loaded pack (what the select shows). */
  file: null,
  /** Fields the officer has edited: only their errors are shown. */
  touched: new Set(),
  /** The field being typed in: its errors wait for a pause or for leaving it. */
  editing: null,
  result: null,
  /** The status line: a UI key (and its argument), then an error's text. */
  status: { key: 'loading' },
};
/** A field's errors show this long after the last keystroke, so that typing
 * 2016 does not flash "2 is below the minimum 2000" on the way. */
const ERROR_DELAY_MS = 700;
let editTimer = null;
/** Text refused while typing or pasting, per field: said beside the field
 * (never dropped unsaid) until the field's next accepted change. */
const refused = new Map();
/** Timings for the page's own diagnostics and the browser test. */
const timing = (window.mezonTiming = { wasmReadyMs: null, packReadyMs: null, firstResultMs: null, firstScoreMs: null, lastAssessMs: null });

const label = (labels, fallback = '') => {
  if (!labels) return fallback;
  if (typeof labels === 'string') return labels;
  return labels[state.lang] || labels.en || Object.values(labels)[0] || fallback;
};
const ui = (key) => UI[state.lang]?.[key] ?? UI.en[key];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children);
  return e;
}

// ---- the form ---------------------------------------------------------------

function buildForm() {
  const box = $('#fields');
  box.replaceChildren();
  for (const f of state.info.input.fields) {
    const id = `f-${f.name}`;
    const described = `help-${f.name} err-${f.name}`;
    let input;
    if (f.type === 'bool') {
      // Yes, no, or not answered yet: a checkbox would answer "no" for the
      // officer, and a required answer must be given, not assumed.
      input = el('select', { id, name: f.name },
        el('option', { value: '', text: '—' }), el('option', { value: 'true', 'data-t': 'yes' }), el('option', { value: 'false', 'data-t': 'no' }));
    } else if (f.type === 'int' || f.type === 'number') {
      // Text with a numeric keyboard: the value is kept as typed (a `number`
      // field goes to the engine as exact decimal text), and characters that
      // cannot be part of a value in range are refused while typing.
      input = el('input', {
        id, name: f.name, type: 'text', inputmode: f.type === 'int' ? 'numeric' : 'decimal',
        'data-min': f.min ?? undefined, 'data-max': f.max ?? undefined,
        placeholder: rangeText(f),
      });
      input.addEventListener('beforeinput', (ev) => refuseBadChars(ev, f));
    } else {
      input = el('input', { id, name: f.name, type: 'text' });
    }
    input.dataset.type = f.type;
    input.setAttribute('aria-describedby', described);
    if (f.required) input.setAttribute('aria-required', 'true');
    if (f.type !== 'bool') input.addEventListener('input', () => typed(f.name));
    input.addEventListener('change', () => committed(f.name));
    const row = el('div', { class: 'field', 'data-field': f.name },
      el('label', { for: id }, el('span', { class: 'label-text' }), f.required ? el('span', { class: 'req', text: ' *', 'aria-hidden': 'true' }) : ''),
      input,
      el('div', { class: 'help', id: `help-${f.name}` }),
      el('div', { class: 'field-error', id: `err-${f.name}`, 'aria-live': 'polite' }));
    box.append(row);
  }
  relabel();
}

/** A keystroke: scored at once; the field's errors shown after a pause. */
function typed(name) {
  refused.delete(name);
  state.touched.add(name);
  state.editing = name;
  clearTimeout(editTimer);
  editTimer = setTimeout(() => { state.editing = null; if (state.result) render(state.result); }, ERROR_DELAY_MS);
  evaluate();
}

/** The field left, or a choice made: its errors shown now. */
function committed(name) {
  state.touched.add(name);
  if (state.editing === name) { state.editing = null; clearTimeout(editTimer); }
  evaluate();
}

function rangeText(f) {
  if (f.min != null && f.max != null) return `${f.min} … ${f.max}`;
  if (f.min != null) return `≥ ${f.min}`;
  if (f.max != null) return `≤ ${f.max}`;
  return '';
}

/**
 * Refuses typed or pasted text that would make the field's value something
 * no valid value starts with (a letter in a number, a second decimal
 * separator), and says so beside the field: the officer's value is never
 * changed silently. Pasted text first loses digit-group spaces ("1 000" is
 * 1000) and has full-width and Arabic-Indic digits read as 0–9.
 */
function refuseBadChars(ev, f) {
  if (!ev.data || !ev.inputType.startsWith('insert')) return;
  const input = ev.target;
  let data = ev.data;
  if (ev.inputType === 'insertFromPaste' || ev.inputType === 'insertReplacementText') {
    data = data.trim().replace(/[\s\u00a0\u202f]/g, '')
      .replace(/[\uff10-\uff19\u0660-\u0669\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) & 0xf)); // each block starts at …0
  }
  const value = input.value.slice(0, input.selectionStart) + data + input.value.slice(input.selectionEnd);
  const sign = f.min == null || Number(f.min) < 0 ? '-?' : '';
  const ok = new RegExp(f.type === 'int' ? `^${sign}\\d*$` : `^${sign}\\d*([.,]\\d*)?$`).test(value);
  if (!ok) {
    ev.preventDefault();
    refused.set(f.name, ev.data.trim().slice(0, 40) || ev.data);
    if (state.result) render(state.result);
  } else if (data !== ev.data) {
    ev.preventDefault();
    input.setRangeText(data, input.selectionStart, input.selectionEnd, 'end');
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

function relabel() {
  document.documentElement.lang = state.lang;
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  for (const n of document.querySelectorAll('[data-t]')) n.textContent = ui(n.dataset.t);
  $('.langs').setAttribute('aria-label', ui('languages'));
  showStatus();
  if (!state.info) return;
  $('#pack-title').textContent = label(state.info.title, state.info.id);
  document.title = `Mezon · ${label(state.info.title, state.info.id)}`;
  for (const f of state.info.input.fields) {
    const row = document.querySelector(`.field[data-field="${f.name}"]`);
    row.querySelector('.label-text').textContent = label(f.label, f.name);
    row.querySelector('.help').textContent = label(f.help);
  }
  $('#sample').hidden = !SAMPLES[state.info.id];
  if (state.result) render(state.result);
}

/** The record as the engine reads it: ints as numbers, `number` fields as decimal text, bools as booleans, empty = absent. */
function collect() {
  const rec = {};
  for (const f of state.info.input.fields) {
    const text = document.getElementById(`f-${f.name}`).value.trim();
    if (text === '') continue;
    if (f.type === 'bool') { rec[f.name] = text === 'true'; continue; }
    if (f.type === 'int') rec[f.name] = /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
    else if (f.type === 'number') rec[f.name] = text.replace(',', '.');
    else rec[f.name] = text;
  }
  return rec;
}

function fill(rec) {
  refused.clear();
  for (const f of state.info.input.fields) {
    const input = document.getElementById(`f-${f.name}`);
    const v = rec[f.name];
    input.value = v === undefined || v === null ? '' : String(v);
    if (v !== undefined) state.touched.add(f.name);
  }
  evaluate();
}

// ---- evaluation and rendering -------------------------------------------------

function evaluate() {
  saveDraft();
  const a = performance.now();
  let result;
  try {
    result = state.pack.assess(collect());
  } catch (e) {
    // The engine refused the record as a whole (it throws only for input it
    // cannot read at all): no result is shown rather than the last one.
    console.warn(e);
    state.result = null;
    clearResult();
    state.status = { key: 'failed', detail: `${e.kind ?? 'error'}: ${e.detail ?? e.message}`, fatal: true };
    showStatus();
    return;
  }
  const b = performance.now();
  timing.lastAssessMs = b - a;
  if (timing.firstResultMs === null) timing.firstResultMs = b;
  if (timing.firstScoreMs === null && result.score !== null) timing.firstScoreMs = b;
  state.result = result;
  if (state.status.key === 'failed') state.status = { key: 'ready' };
  render(result);
}

/** The form's text per field, kept for this pack (empty fields left out). */
function saveDraft() {
  const draft = {};
  for (const f of state.info.input.fields) {
    const v = document.getElementById(`f-${f.name}`).value;
    if (v !== '') draft[f.name] = v;
  }
  stored.set(Object.keys(draft).length ? JSON.stringify(draft) : null, draftKey());
}

function restoredDraft() {
  try { return JSON.parse(stored.get(draftKey()) ?? 'null'); } catch { return null; }
}

function clearResult() {
  for (const id of ['#score', '#grade', '#mini-score', '#mini-grade']) $(id).textContent = '—';
  $('#grade').dataset.grade = '';
  $('#reason').textContent = '';
  $('#general-errors').replaceChildren();
  $('#indicators').replaceChildren();
}

function render(r) {
  $('#score').textContent = $('#mini-score').textContent = r.score === null ? '—' : String(r.score);
  const grade = state.info.grades.find((g) => g.id === r.grade);
  $('#grade').textContent = $('#mini-grade').textContent = grade ? label(grade.label, grade.id) : '—';
  $('#grade').dataset.grade = r.grade ?? '';
  // The score's aggregation and the grade bands are rules too: marked when
  // provisional, their clause on hover.
  for (const [badge, rule] of [['#score-badge', r.aggregation], ['#grade-badge', r.grading]]) {
    $(badge).hidden = !rule?.provisional;
    $(badge).title = rule?.clause ?? '';
  }
  $('#reason').textContent = localReason(r.reason);

  // Field errors beside their fields; required-but-untouched ones only counted.
  const byField = new Map();
  const general = [];
  for (const e of r.errors) {
    if (e.field) (byField.get(e.field) ?? byField.set(e.field, []).get(e.field)).push(e);
    else general.push(e);
  }
  let missing = 0;
  let shownFields = 0;
  for (const f of state.info.input.fields) {
    const errs = byField.get(f.name) ?? [];
    const shown = state.touched.has(f.name) && state.editing !== f.name ? errs.map((e) => localMessage(e, f)) : [];
    missing += errs.length && !state.touched.has(f.name) ? 1 : 0;
    shownFields += shown.length ? 1 : 0;
    if (refused.has(f.name)) shown.unshift(ui(f.type === 'int' ? 'onlyInt' : 'onlyNumber')(refused.get(f.name)));
    const row = document.querySelector(`.field[data-field="${f.name}"]`);
    row.classList.toggle('invalid', shown.length > 0);
    row.querySelector('.field-error').textContent = shown.join('; ');
    document.getElementById(`f-${f.name}`).setAttribute('aria-invalid', String(shown.length > 0));
  }
  $('#general-errors').replaceChildren(...general.map((e) =>
    el('li', { text: `${e.kind}${e.indicator ? ` (${e.indicator})` : ''}: ${e.message}${e.file ? ` at ${e.file}:${e.line}:${e.column}` : ''}` })));
  if (!state.status.keep) {
    state.status = r.status === 'error' ? { key: 'error' } : shownFields ? { key: 'invalid' }
      : missing ? { key: 'toFill', arg: missing } : r.status === 'not_assessed' ? { key: 'notAssessed' } : { key: 'ready' };
  }
  showStatus();

  const list = state.info.indicators.map((ind) => {
    const o = r.indicators[ind.id];
    const pts = o?.points ?? null;
    const pct = pts === null ? 0 : Math.max(0, Math.min(100, (100 * pts) / ind.max));
    const na = o && !o.applicable && !r.errors.some((e) => e.indicator === ind.id);
    const shownPts = na ? ui('na') : `${pts === null ? '—' : String(pts)} ${ui('of')} ${ind.max}`;
    return el('li', { class: o && !o.applicable ? 'na' : '', 'data-indicator': ind.id },
      el('div', { class: 'ind-head' },
        el('span', {}, el('span', { id: `title-${ind.id}`, text: label(ind.title, ind.id) }),
          ind.provisional ? el('span', { class: 'badge', title: ind.clause, text: ui('provisional') }) : ''),
        el('span', { class: 'points', text: shownPts })),
      el('div', { class: 'bar', role: 'meter', 'aria-labelledby': `title-${ind.id}`, 'aria-valuemin': 0, 'aria-valuemax': ind.max, 'aria-valuenow': pts ?? 0 },
        Object.assign(el('span'), { style: `width:${pct}%` })),
      el('ul', { class: 'trace' }, ...(o?.trace ?? []).map((line) => el('li', { text: line }))));
  });
  $('#indicators').replaceChildren(...list);
  $('#timing').textContent = timing.lastAssessMs === null ? '' : `assess: ${timing.lastAssessMs.toFixed(2)} ms`;
}

/**
 * A field's error in the page's language. The engine decides that the value
 * is wrong and words it in English; in Russian and Uzbek the page words the
 * common cases (a relation's message from the pack, missing, not a number,
 * out of range) from the field's schema, and shows the engine's text
 * otherwise.
 */
function localMessage(e, f) {
  if (state.lang === 'en') return e.message;
  for (const rel of state.info.input.relations ?? []) {
    if (rel.left === e.field && rel.message?.en && e.message.endsWith(rel.message.en)) return label(rel.message);
  }
  const text = document.getElementById(`f-${f.name}`).value.trim();
  if (text === '') return ui('required');
  if (f.type !== 'int' && f.type !== 'number') return e.message;
  if (!(f.type === 'int' ? /^-?\d+$/ : /^-?\d+([.,]\d+)?$/).test(text)) return ui(f.type === 'int' ? 'notInt' : 'notNumber');
  const x = Number(text.replace(',', '.'));
  if (f.min != null && x < Number(f.min)) return ui('below')(f.min);
  if (f.max != null && x > Number(f.max)) return ui('above')(f.max);
  return e.message;
}

/** The engine's reason for not scoring, worded in the page's language when
 * it is the common one (too few points apply); otherwise as it came. */
function localReason(reason) {
  const m = /^insufficient data: the applicable indicators carry (\S+) points, fewer than the (\S+) required$/.exec(reason ?? '');
  return m && UI[state.lang].insufficient ? UI[state.lang].insufficient(m[1], m[2]) : reason ?? '';
}

/** The status line, in the page's language (an error's own text as it came). */
function showStatus() {
  const { key, arg, detail, fatal } = state.status;
  const head = !key ? '' : arg === undefined ? ui(key) : ui(key)(arg);
  const line = $('#status-line');
  line.textContent = [head, detail].filter(Boolean).join(' ');
  line.classList.toggle('fatal', Boolean(fatal));
}

// ---- loading ------------------------------------------------------------------

// A file of the page's own, as text; an HTTP error is an error, not text.
async function fetchText(path) {
  const res = await fetch(new URL(path, import.meta.url));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${res.statusText}`);
  return res.text();
}

const fetchBundle = (file) => fetchText(`packs/${file}`);

let loads = 0;

// `text`: the bundle when it was fetched already. The pack in use is
// replaced only once the new one has compiled: a bundle that fails (a wrong
// digest, a broken rule) leaves the page as it was.
async function loadPack(file, text) {
  const load = ++loads;
  let next;
  let info;
  try {
    text ??= await fetchBundle(file);
    next = Pack.fromBundle(text);
    info = next.info();
  } catch (e) {
    next?.free();
    if (load !== loads) return; // a later choice is loading: this one is moot
    throw e;
  }
  if (load !== loads) { next.free(); return; } // a later choice won
  // Values typed for fields the new pack also has are kept.
  const kept = state.info ? Object.fromEntries(state.info.input.fields.map((f) => [f.name, document.getElementById(`f-${f.name}`).value])) : {};
  const keptTouched = new Set(state.touched);
  state.pack?.free();
  state.pack = next;
  state.info = info;
  state.file = file;
  timing.packReadyMs ??= performance.now();
  $('#pack-version').textContent = `${info.id} ${info.version}`;
  $('#pack-digest').textContent = info.digest;
  state.touched.clear();
  state.editing = null;
  state.result = null;
  state.status = { key: 'loading' };
  buildForm();
  for (const f of info.input.fields) {
    if (!kept[f.name]) continue;
    document.getElementById(`f-${f.name}`).value = kept[f.name];
    if (keptTouched.has(f.name)) state.touched.add(f.name);
  }
  const draft = restoredDraft();
  if (new URLSearchParams(location.search).has('sample') && SAMPLES[info.id] && load === 1) fill(SAMPLES[info.id]);
  else if (draft && Object.keys(kept).every((k) => !kept[k])) fill(draft); // what was typed before a reload
  else evaluate();
}

/** A pack chosen in the select; if it fails, the one in use stays. */
async function choosePack(select) {
  try {
    await loadPack(select.value);
  } catch (e) {
    select.value = state.file;
    console.warn(e);
    state.status = { key: 'loadFailed', detail: `${e.kind ?? 'error'}: ${e.detail ?? e.message}`, fatal: true, keep: true };
    showStatus();
    // The message stays until the officer edits the form again.
    $('#form').addEventListener('input', () => { state.status = { key: 'ready' }; evaluate(); }, { once: true });
  }
}

async function main() {
  // The module, the pack list and the first pack's bundle load at the same
  // time: none of them needs another.
  const wasmReady = init({ module_or_path: new URL('pkg/mezon_wasm_bg.wasm', import.meta.url) })
    .then(() => { timing.wasmReadyMs = performance.now(); });
  wasmReady.catch(() => {}); // reported where it is awaited, below
  const index = JSON.parse(await fetchText('packs/index.json'));
  // A failed early fetch is retried (and reported) by loadPack.
  const firstBundle = index.packs.length ? fetchBundle(index.packs[0].file).catch(() => undefined) : undefined;
  const select = $('#pack-select');
  select.replaceChildren(...index.packs.map((p) => el('option', { value: p.file, text: `${p.id} ${p.version}` })));
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => { state.lang = b.dataset.lang; stored.set(state.lang); relabel(); });
  }
  relabel();
  await wasmReady;
  await loadPack(select.value, select.value === index.packs[0]?.file ? await firstBundle : undefined);
  // Only now: these need the module and a loaded pack.
  select.addEventListener('change', () => choosePack(select));
  $('#sample').addEventListener('click', () => fill(SAMPLES[state.info.id]));
  $('#clear').addEventListener('click', () => { state.touched.clear(); fill({}); state.touched.clear(); evaluate(); });
  document.body.dataset.ready = 'true';
  // Offline after this visit (sw.js); a page where workers are not allowed
  // (a sandboxed frame, a file: URL) simply goes without.
  navigator.serviceWorker?.register('sw.js').catch(() => {});
  console.info(`mezon: ready in ${(performance.now() - t0).toFixed(1)} ms after the script started`);
}

function showFatal(e) {
  const where = e.file ? ` (${e.file}:${e.line}:${e.column})` : '';
  state.status = { detail: `${e.kind ?? 'error'}: ${e.detail ?? e.message}${where}`, fatal: true, keep: true };
  showStatus();
  document.body.dataset.ready = 'error';
  console.error(e);
}

main().catch(showFatal);
