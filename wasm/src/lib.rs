//! WebAssembly bindings of the Mezon engine (see the `mezon` crate docs for
//! the engine, packs and results).
//!
//! One wrapper type, [`Pack`], and one error-mapping helper. Lifetimes follow
//! the engine: a pack is compiled once by [`Pack::from_bundle`] and kept for
//! the life of the page; every `assess` call is one cheap evaluation.
//!
//! Results cross the boundary as the engine's canonical JSON text
//! ([`mezon::to_json_line`]; for `JSON.parse`, in its ASCII form
//! [`mezon::ascii_json`], the same value), so a JS result stringifies to
//! exactly the line `mezon assess --format jsonl` prints; `assessJson`
//! returns that line itself (src/text.rs: how text crosses). Records go the
//! other way as JSON text (`JSON.stringify`), which is also how the CLI
//! reads them, so a number like `99.2` is read from the same decimal text on
//! every platform.
//!
//! Nothing here decides anything: the sandbox limits are the engine's
//! defaults and every result comes from the engine unchanged.

use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::prelude::*;

mod text;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A value as JSON carries it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Labels in the pack's languages. */
export interface Labels { uz?: string; ru?: string; en?: string; [lang: string]: string | undefined }

/** One input field of the pack's schema. */
export interface FieldInfo {
  name: string;
  type: "string" | "int" | "number" | "bool";
  required: boolean;
  min?: number | string | null;
  max?: number | string | null;
  label?: Labels;
  help?: Labels | string | null;
  [key: string]: unknown;
}

/** What a front end needs to describe a pack (`Pack::info` in the engine). */
export interface PackInfo {
  id: string;
  version: string;
  digest: string;
  title: Labels;
  legal_basis?: unknown;
  effective_from?: string | null;
  effective_to?: string | null;
  period?: unknown;
  total_max?: number;
  indicators: { id: string; title: Labels; max: number; provisional: boolean; clause: string }[];
  input: { fields: FieldInfo[]; relations: unknown[]; [key: string]: unknown };
  organization_input?: unknown;
  aggregation?: unknown;
  grades: { id: string; min: number | string; label?: Labels; [key: string]: unknown }[];
}

/** One entry of a result's `errors`. */
export interface ResultError {
  kind: "manifest" | "table" | "parse" | "runtime" | "limit" | "security" | "input" | "io" | "internal";
  field: string | null;
  message: string;
  indicator?: string | null;
  file?: string | null;
  line?: number | null;
  column?: number | null;
  call_chain?: { function: string; file: string | null; line: number | null; column: number | null }[];
}

/** One indicator of a result. */
export interface IndicatorOutcome {
  points: number | null;
  max: number;
  applicable: boolean;
  provisional: boolean;
  clause: string;
  trace: string[];
}

/**
 * One result: the same object as a line of `mezon assess --format jsonl`.
 * The record's keys are echoed as given: in a valid record `service_id` is
 * text or a number, `organization_id` text and `period` a whole number; an
 * invalid record's are whatever it held (an array, an object, text).
 */
export interface Assessment {
  service_id: JsonValue;
  organization_id: JsonValue;
  period: JsonValue;
  status: "assessed" | "not_assessed" | "invalid" | "error";
  score: number | null;
  score_exact: string | null;
  grade: string | null;
  points_total: number | null;
  max_applicable: number | null;
  reason: string | null;
  indicators: Record<string, IndicatorOutcome>;
  errors: ResultError[];
  warnings: string[];
  /** Whether the rule that made the score is provisional, and its clause. */
  aggregation: RuleRef;
  /** Whether the grade bands are provisional, and their clause. */
  grading: RuleRef;
  pack: { id: string; version: string; digest: string };
}

/** Whether a rule is provisional, and the clause it implements. */
export interface RuleRef { provisional: boolean; clause: string | null }

/** The same content as `mezon rank --format json`. */
export interface Ranking {
  pack: { id: string; version: string; digest: string };
  period: number | null;
  /** The rules the ranking applied, each marked when provisional. */
  aggregation: RuleRef;
  organization_score: RuleRef;
  grading: RuleRef;
  ranking: RuleRef;
  organizations: Record<string, unknown>[];
  unassigned: unknown[];
  /** Organisation records that name no organisation (not an object, no id). */
  input_errors: (ResultError & { record: string | null })[];
}

/** A pack bundle, as written by `mezon bundle`. */
export interface PackBundle {
  format: "mezon-pack-bundle/1";
  id: string;
  version: string;
  digest: string;
  files: Record<string, string>;
}

/**
 * What every thrown error carries besides `message` (the rendered frame:
 * `error[kind]: …`, `--> file:line:col`, the source line and a caret).
 * Lines and columns are 1-based.
 */
export interface MezonError extends Error {
  name: "MezonError";
  kind: ResultError["kind"];
  detail: string;
  file: string | null;
  line: number | null;
  column: number | null;
  field: string | null;
  record: string | null;
  indicator: string | null;
  pack: string | null;
  callChain: { function: string; file: string | null; line: number | null; column: number | null }[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// A parsed pack bundle or its JSON text.
    #[wasm_bindgen(typescript_type = "PackBundle | string")]
    pub type BundleArg;
    /// The object `Pack.info()` returns.
    #[wasm_bindgen(typescript_type = "PackInfo")]
    pub type PackInfoJs;
    /// One input record: a plain object, or its JSON text.
    #[wasm_bindgen(typescript_type = "Record<string, unknown> | string")]
    pub type RecordArg;
    /// A list of input records, or its JSON text.
    #[wasm_bindgen(typescript_type = "Record<string, unknown>[] | string")]
    pub type RecordsArg;
    /// The object `Pack.assess()` returns.
    #[wasm_bindgen(typescript_type = "Assessment")]
    pub type AssessmentJs;
    /// The object `Pack.rank()` returns.
    #[wasm_bindgen(typescript_type = "Ranking")]
    pub type RankingJs;
}

// No panic hook: build.sh compiles with -Cpanic=immediate-abort (size), so a
// panic (a bug) traps at once as `RuntimeError: unreachable`, without a message.

/// A compiled rule pack.
#[wasm_bindgen]
pub struct Pack {
    inner: mezon::Pack,
}

impl Pack {
    /// One record (an object, or JSON text) assessed, as its JSON line. Read
    /// from its text, as `mezon assess` reads a JSON line: a field given
    /// twice in the text is an error there, not the last value winning.
    ///
    /// Every build reads the record straight into the schema's slots
    /// (`assess_json`), not through a parsed value: in the size-built
    /// browser module that is 3 KB more gzip for about a fifth less time per
    /// assess in Chromium (measured in the session of 2026-12-03).
    fn assess_line(&self, record: &JsValue) -> Result<String, JsValue> {
        let text = json_text(record, "the record", "item")?;
        Ok(self.inner.assess_json(&text).map_err(|e| not_json("the record", &e))?.to_json_line())
    }
}

#[wasm_bindgen]
impl Pack {
    /// Compiles a pack bundle (the parsed JSON of `mezon bundle`, or its
    /// text). The digest is verified; a mismatch throws an error of kind
    /// `manifest`.
    #[wasm_bindgen(js_name = fromBundle)]
    pub fn from_bundle(bundle: BundleArg) -> Result<Pack, JsValue> {
        let text = json_text(&bundle, "the bundle", "item")?;
        mezon::Pack::from_bundle(&mezon::Engine::default(), &text).map(|inner| Pack { inner }).map_err(|e| to_js_error(&e))
    }

    /// Pack id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// Pack version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version().to_owned()
    }

    /// Content digest, `sha256:…`.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.inner.digest().to_owned()
    }

    /// Ids, titles, indicators, the input schema and the grades.
    pub fn info(&self) -> Result<PackInfoJs, JsValue> {
        parse_line(&self.inner.info()).map(JsCast::unchecked_into)
    }

    /// Assesses one record (a plain object, or its JSON text). A record with
    /// bad fields does not throw: the result has status `invalid` and its
    /// `errors` name the fields; so does a value that is not an object (a
    /// number, `null`, an array), as a JSON line that is not an object does
    /// in `mezon assess`. It throws (kind `input`) only when the argument
    /// cannot be read as JSON at all: text that is not JSON, a `Map` (it
    /// would read as `{}`), or a field JSON cannot carry (NaN, ±Infinity, a
    /// BigInt, text with a lone surrogate), naming the field.
    pub fn assess(&self, record: RecordArg) -> Result<AssessmentJs, JsValue> {
        parse(self.assess_line(&record)?).map(JsCast::unchecked_into)
    }

    /// Assesses one record (a plain object, or its JSON text) and returns
    /// the result as its canonical JSON line (the exact text `mezon assess
    /// --format jsonl` writes). Throws as `assess` does.
    #[wasm_bindgen(js_name = assessJson)]
    pub fn assess_json(&self, record: RecordArg) -> Result<text::Line, JsValue> {
        self.assess_line(&record).and_then(text::line)
    }

    /// Ranks organisations from service records and (optional) organisation
    /// records, as `mezon rank --format json` does.
    pub fn rank(&self, records: RecordsArg, organizations: Option<RecordsArg>) -> Result<RankingJs, JsValue> {
        let services = list_text(&records, "the service records", "item")?;
        let orgs = match organizations {
            Some(o) if !o.is_undefined() && !o.is_null() => Some(list_text(&o, "the organisation records", "organization")?),
            _ => None,
        };
        let ranking = self.inner.rank_json(&services, orgs.as_deref()).map_err(|e| to_js_error(&e))?;
        parse_line(&ranking.to_json()).map(JsCast::unchecked_into)
    }
}

/// What a record of a list is called in errors: `item` for service
/// records, `organization` for organisation records, as the engine and the
/// Python binding name them.
type ItemLabel = &'static str;

/// A lone surrogate cannot be UTF-8: an error (as the CLI's JSON reader
/// gives for one), never a character replaced without a word.
const LONE_SURROGATE: &str = "text with a lone surrogate is not valid Unicode";

/// JSON text of a JS value: a string is taken as JSON text already.
fn json_text(v: &JsValue, what: &str, item: ItemLabel) -> Result<String, JsValue> {
    let unreadable = || input_error(&format!("{what} cannot be converted to JSON"));
    match text::string(v) {
        text::Arg::Text(s) => return Ok(s),
        text::Arg::IllFormed => return Err(input_error(&format!("{what}: {LONE_SURROGATE}"))),
        text::Arg::Other => {}
    }
    // `JSON.stringify` writes a Map as `{}`: every field would be reported
    // missing, for a record that has them all.
    let map = |x: &JsValue| x.is_instance_of::<js_sys::Map>();
    if map(v) {
        return Err(input_error(&format!("{what} is a Map; pass a plain object (Object.fromEntries(map))")));
    }
    if let Some(i) = v.dyn_ref::<Array>().and_then(|list| list.iter().position(|x| map(&x))) {
        return Err(to_js_error(&mezon::Error::new(mezon::ErrorKind::Input, "a Map; pass a plain object (Object.fromEntries(map))").with_record(format!("{item} {}", i + 1))));
    }
    let Ok(s) = JSON::stringify(v) else {
        // It throws on a BigInt: say which field holds one.
        let bigint = |x: &JsValue| x.is_bigint().then(|| "a BigInt is not a number JSON can carry; give it as decimal text".to_owned());
        return Err(field_error(v, item, &bigint).map_or_else(unreadable, |e| to_js_error(&e)));
    };
    let text::Arg::Text(text) = text::string(&s) else { return Err(unreadable()) };
    // JSON.stringify writes NaN and ±Infinity as null, which the engine would
    // read as "missing": a figure computed by dividing by zero would be
    // reported as not filled in. Only text with a null can hide one.
    if text.contains("null") {
        if let Some(e) = field_error(v, item, &non_finite) {
            return Err(to_js_error(&e));
        }
    }
    // JSON.stringify writes a lone surrogate as a `\udXXX` escape: say which
    // field holds it rather than leave serde_json's "unexpected end of hex
    // escape" at a column of text the caller never wrote.
    if text.contains("\\ud") && has_lone_surrogate(&text) {
        let lone = |x: &JsValue| text::ill_formed(x).then(|| LONE_SURROGATE.to_owned());
        let e = field_error(v, item, &lone).unwrap_or_else(|| mezon::Error::new(mezon::ErrorKind::Input, format!("{what}: a field name is {LONE_SURROGATE}")));
        return Err(to_js_error(&e));
    }
    Ok(text)
}

/// Whether `text` (JSON) has an escaped lone surrogate: `\ud800`…`\udfff`
/// not in a high-low pair, and not after an escaped backslash.
fn has_lone_surrogate(text: &str) -> bool {
    let b = text.as_bytes();
    // The UTF-16 unit of a `\uXXXX` escape starting at `i`.
    let unit = |i: usize| b.get(i..i + 6).filter(|e| e.starts_with(b"\\u")).and_then(|e| u16::from_str_radix(std::str::from_utf8(&e[2..]).ok()?, 16).ok());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        // An escape: `\\` is one character, so the next backslash starts anew.
        match unit(i) {
            Some(0xD800..=0xDBFF) if unit(i + 6).is_some_and(|l| (0xDC00..=0xDFFF).contains(&l)) => i += 12,
            Some(0xD800..=0xDFFF) => return true,
            _ => i += 2,
        }
    }
    false
}

/// NaN or ±Infinity, said as an error message.
fn non_finite(x: &JsValue) -> Option<String> {
    let n = x.as_f64().filter(|n| !n.is_finite())?;
    let shown = if n.is_nan() { "NaN" } else if n > 0.0 { "Infinity" } else { "-Infinity" };
    Some(format!("{shown} is not a number JSON can carry"))
}

/// The first field, of a record or of the records of a list, whose value
/// `bad` has a message for, as the error that names it (and its record).
/// (`bad` is a `dyn`: one copy of this in the module for its three uses.)
fn field_error(v: &JsValue, item: ItemLabel, bad: &dyn Fn(&JsValue) -> Option<String>) -> Option<mezon::Error> {
    let in_record = |rec: &JsValue| {
        let obj = rec.dyn_ref::<js_sys::Object>()?;
        js_sys::Object::entries(obj).iter().find_map(|entry| {
            let entry: Array = entry.unchecked_into();
            let message = bad(&entry.get(1))?;
            Some(mezon::Error::new(mezon::ErrorKind::Input, message).with_field(entry.get(0).as_string().unwrap_or_default()))
        })
    };
    if !Array::is_array(v) {
        return in_record(v);
    }
    let list: &Array = v.unchecked_ref();
    list.iter().enumerate().find_map(|(i, rec)| Some(in_record(&rec)?.with_record(format!("{item} {}", i + 1))))
}

/// JSON text of a list of records (an array, or its JSON text).
fn list_text(v: &JsValue, what: &str, item: ItemLabel) -> Result<String, JsValue> {
    if !Array::is_array(v) && !v.is_string() {
        return Err(input_error(&format!("{what} must be an array")));
    }
    json_text(v, what, item)
}

fn parse_line(v: &serde_json::Value) -> Result<JsValue, JsValue> {
    parse(mezon::to_json_line(v))
}

/// A JS value from JSON text. The text crosses as ASCII (`\uXXXX` escapes):
/// JS engines decode ASCII several times faster than other UTF-8 (a result
/// line with a few `≈` took 3.5 µs to decode in Node instead of 0.4 µs).
fn parse(text: String) -> Result<JsValue, JsValue> {
    JSON::parse(&mezon::ascii_json(text))
}

fn not_json(what: &str, e: &serde_json::Error) -> JsValue {
    input_error(&format!("{what} is not valid JSON: {e}"))
}

fn input_error(message: &str) -> JsValue {
    to_js_error(&mezon::Error::new(mezon::ErrorKind::Input, message))
}

/// The one error mapping: a JS `Error` whose message is the rendered frame,
/// carrying the structured fields.
fn to_js_error(e: &mezon::Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("MezonError");
    let opt_str = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from_str);
    let opt_num = |n: Option<u32>| n.map_or(JsValue::NULL, JsValue::from);
    let chain = e.to_json().get("callChain").map_or(Ok(Array::new().into()), parse_line).unwrap_or_else(|_| Array::new().into());
    let fields: [(&str, JsValue); 10] = [
        ("kind", JsValue::from_str(e.kind().as_str())),
        ("detail", JsValue::from_str(e.message())),
        ("file", opt_str(e.file())),
        ("line", opt_num(e.line())),
        ("column", opt_num(e.column())),
        ("field", opt_str(e.field())),
        ("record", opt_str(e.record())),
        ("indicator", opt_str(e.indicator())),
        ("pack", opt_str(e.pack())),
        ("callChain", chain),
    ];
    for (k, v) in fields {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&err, &JsValue::from_str(k), &v);
    }
    err.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lone_surrogate_escapes_are_found() {
        let lone = [r#""a\ud800b""#, r#""\udc00""#, r#""end\udbff""#, r#""\\\ud800""#, r#"{"k":"\u0041\ud800"}"#, r#""\ud800\ud800""#];
        // A pair, and an escaped backslash before `ud800`, are not.
        let fine = [r#""\ud83d\ude00""#, r#""\\ud800""#, r#""\u0041""#, r#""plain""#];
        for text in lone {
            assert!(super::has_lone_surrogate(text), "{text}");
        }
        for text in fine {
            assert!(!super::has_lone_surrogate(text), "{text}");
        }
    }
}
