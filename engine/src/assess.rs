//! Evaluating one record against a compiled pack.

use std::ops::Range;
use std::sync::Arc;

use rhai::Scope;
use serde_json::{json, Map, Value};

use crate::error::{Error, ErrorKind};
use crate::fast::{self, Text, Val, Vals};
use crate::input::{self, RawRecord, Source};
use crate::json;
use crate::manifest::toml_num;
use crate::num::Num;
use crate::pack::Pack;
use crate::sandbox::{self, Event, Events, Outcome, Record};

/// Options of an evaluation.
#[derive(Debug, Clone)]
pub struct AssessOptions {
    /// Record what each rule did (tables matched, `explain` lines). Off
    /// saves the work when nobody reads the explanation; points and scores
    /// are the same either way.
    pub trace: bool,
}

impl Default for AssessOptions {
    fn default() -> Self {
        AssessOptions { trace: true }
    }
}

/// Outcome of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Scored.
    Assessed,
    /// Valid, but too few indicators applied (insufficient data).
    NotAssessed,
    /// The record failed validation; nothing was evaluated.
    Invalid,
    /// A rule failed on this record (a rule bug or a sandbox limit).
    Error,
}

impl Status {
    /// `assessed`, `not_assessed`, `invalid` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Assessed => "assessed",
            Status::NotAssessed => "not_assessed",
            Status::Invalid => "invalid",
            Status::Error => "error",
        }
    }
}

/// The result of one indicator.
#[derive(Debug, Clone)]
pub struct IndicatorResult {
    /// Exact points; `None` when not applicable or failed.
    pub points: Option<Num>,
    /// Why the indicator does not apply.
    pub not_applicable: Option<String>,
    /// The rule's failure.
    pub error: Option<Error>,
    /// This indicator's part of [`Assessment::events`].
    events: Range<u32>,
}

/// The result of one record: status, exact score, indicators, errors, and
/// the pack that produced it.
#[derive(Clone)]
pub struct Assessment {
    pack: Pack,
    /// 1-based position in the input.
    pub position: usize,
    /// The record's id, or its position (`line 7`) when it has none.
    pub name: String,
    /// Outcome.
    pub status: Status,
    /// Per indicator, in pack order; empty for invalid records.
    pub indicators: Vec<IndicatorResult>,
    /// Exact service score (assessed records only).
    pub score: Option<Num>,
    /// Σ points of applicable indicators.
    pub points_total: Num,
    /// Σ max of applicable indicators.
    pub max_applicable: i64,
    /// Why a valid record was not assessed.
    pub reason: Option<String>,
    /// Validation errors, or the failing rules' errors.
    pub errors: Vec<Error>,
    /// Notes that do not stop the evaluation (unknown fields).
    pub warnings: Vec<String>,
    /// The key fields as given, kept only when they cannot be read back
    /// from `values` (records that failed validation).
    raw: Map<String, Value>,
    /// The record's typed values, in schema order.
    values: Vals,
    /// What the rules did, all indicators in order; rendered into text only
    /// when the trace is read.
    events: Events,
    /// Values that fill the `explain` templates of `events`.
    trace_values: Vals,
}

impl Pack {
    /// Assesses one record given as a JSON object. Never fails: a bad record
    /// comes back with status `invalid` and its errors.
    pub fn assess(&self, record: &Value) -> Assessment {
        let opts = AssessOptions::default();
        match record {
            Value::Object(m) => self.assess_source(1, &"record 1", &Source::Json(m), &opts, false, None),
            _ => {
                let e = Error::new(ErrorKind::Input, "a record must be a JSON object").with_record("record 1");
                self.assess_raw(&RawRecord { given_twice: None, position: 1, locator: "record 1".into(), data: Err(e) }, &opts)
            }
        }
    }

    /// Assesses one record given as JSON text: the same result as
    /// [`Pack::assess`] of the parsed value, without building the value (the
    /// record is read straight into the schema's slots), except that a key
    /// given twice makes the record invalid (a parsed value keeps only the
    /// last). The error is `serde_json`'s when the text is not JSON.
    pub fn assess_json(&self, text: &str) -> std::result::Result<Assessment, serde_json::Error> {
        // A byte order mark is not part of the record, as in a file.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match self.assess_text(1, &"record 1", text, &AssessOptions::default()) {
            Some(a) => Ok(a),
            None => self.assess_json_via_value(text),
        }
    }

    /// [`Pack::assess_json`] through a parsed value: the same result with
    /// less code (the browser's WebAssembly build, where code is download
    /// size) and about 2 µs more per record.
    pub fn assess_json_via_value(&self, text: &str) -> std::result::Result<Assessment, serde_json::Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Ok(match crate::input::read_record(text)? {
            crate::input::Record { map: Some(m), twice } => {
                self.assess_source(1, &"record 1", &Source::Json(&m), &AssessOptions::default(), false, twice.as_deref())
            }
            // Not an object: the same result whatever it is.
            crate::input::Record { map: None, .. } => self.assess(&Value::Null),
        })
    }

    /// Assesses one record read from an input file.
    pub fn assess_raw(&self, raw: &RawRecord, opts: &AssessOptions) -> Assessment {
        self.assess_with(raw, opts, false)
    }

    /// As [`Pack::assess_raw`], with every rule run in Rhai's interpreter
    /// (no fast path). Only for tests proving both paths give identical results.
    #[doc(hidden)]
    pub fn assess_interpreted(&self, raw: &RawRecord, opts: &AssessOptions) -> Assessment {
        self.assess_with(raw, opts, true)
    }

    fn assess_with(&self, raw: &RawRecord, opts: &AssessOptions, interpreter_only: bool) -> Assessment {
        match &raw.data {
            Ok(m) => self.assess_source(raw.position, &raw.locator, &Source::Json(m), opts, interpreter_only, raw.given_twice.as_deref()),
            Err(e) => {
                let mut a = self.empty(raw.position, raw.locator.clone());
                a.errors.push(e.clone());
                a
            }
        }
    }

    fn empty(&self, position: usize, name: String) -> Assessment {
        Assessment {
            pack: self.clone(),
            position,
            name,
            status: Status::Invalid,
            indicators: Vec::new(),
            score: None,
            points_total: Num::ZERO,
            max_applicable: 0,
            reason: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            raw: Map::new(),
            values: Vals(Vec::new()),
            events: Events::default(),
            trace_values: Vals::default(),
        }
    }

    /// `twice`: a field the record's text gave more than once.
    pub(crate) fn assess_source(
        &self,
        position: usize,
        locator: &dyn std::fmt::Display,
        src: &Source,
        opts: &AssessOptions,
        interpreter_only: bool,
        twice: Option<&str>,
    ) -> Assessment {
        let p = &self.0;
        let schema = &p.manifest.input;
        // The fields as given, in schema order; on the stack for schemas of
        // ordinary size.
        let n = schema.fields.len();
        let mut on_stack = [None; 64];
        let mut on_heap = Vec::new();
        let given = if n <= on_stack.len() {
            &mut on_stack[..n]
        } else {
            on_heap.resize(n, None);
            &mut on_heap[..]
        };
        let warnings = src.place(schema, &p.field_index, given);
        let mut a = self.empty(position, src.name(schema, locator, p.plan.id_slot().map(|i| given[i])));
        a.warnings = warnings;
        let (values, mut errors) = input::validate(schema, &p.plan, given, &a.name);
        if let Some(field) = twice {
            // First: the record as read is not what its author wrote.
            errors.insert(0, input::given_twice(field).with_record(&a.name));
        }
        if !errors.is_empty() || !p.plan.keys_from_values {
            a.raw = src.keys(&p.plan);
        }
        if !errors.is_empty() {
            a.errors = errors;
            return a;
        }
        a.values = values;
        a.indicators.reserve_exact(p.indicators.len());
        if opts.trace {
            a.events.reserve(4 * p.indicators.len());
            a.trace_values.reserve(4 * p.indicators.len());
        }

        // The Rhai scope is built only if some rule has to run in Rhai.
        let mut scope: Option<Scope> = None;
        let mut scratch = fast::Scratch::take();
        for (i, (def, ind)) in p.manifest.indicators.iter().zip(&p.indicators).enumerate() {
            let (mark, vmark) = (a.events.len(), a.trace_values.len());
            let fast = match (&ind.fast, interpreter_only) {
                (Some(rule), false) => {
                    let trace = opts.trace.then_some(fast::Trace { events: &mut a.events, values: &mut a.trace_values });
                    fast::run(rule, &a.values, &p.tables, trace, &mut scratch).and_then(|v| match v {
                        Val::Int(x) => Some(Outcome::Points(Num::int(x))),
                        Val::Num(x) => Some(Outcome::Points(x)),
                        Val::Na(r) => Some(Outcome::NotApplicable(r.to_string())),
                        _ => None, // any other result: let Rhai produce its error
                    })
                }
                _ => None,
            };
            // The usual outcome, points in range from the fast path, taken
            // straight; everything else goes through the checks below.
            let fast = match fast {
                Some(Outcome::Points(x)) if in_range(&x, def.max) => {
                    let events = mark as u32..a.events.len() as u32;
                    a.indicators.push(IndicatorResult { points: Some(x), not_applicable: None, error: None, events });
                    continue;
                }
                other => other,
            };
            let result = match fast {
                Some(outcome) => Ok(Ok(outcome)),
                None => {
                    // Nothing of an abandoned fast attempt is kept.
                    a.events.truncate(mark);
                    a.trace_values.truncate(vmark);
                    let scope = scope.get_or_insert_with(|| {
                        let mut s = Scope::new();
                        let values = a.values.iter().map(Val::to_dynamic).collect();
                        s.push_constant("input", Record { index: p.field_index.clone(), values: Arc::new(values) });
                        s
                    });
                    sandbox::start_trace(opts.trace, p.limits.max_trace_lines);
                    let r = sandbox::eval_rule(&p.rhai, (p.uid, i), scope, &ind.ast);
                    scope.rewind(1);
                    a.events.extend(sandbox::take_trace());
                    r.map(sandbox::outcome)
                }
            };
            let events = mark as u32..a.events.len() as u32;
            let fail = |e: Error| {
                let src = e.file().and_then(|f| p.files.get(f)).unwrap_or(&p.files[&def.script]);
                e.with_source(src).with_indicator(&def.id).with_record(&a.name).with_pack(format!("{} {}", p.manifest.id, p.manifest.version))
            };
            let r = match result {
                Err(e) => Err(fail(sandbox::convert(*e, &def.script, &p.limits))),
                Ok(v) => match v {
                    Err(m) => Err(fail(Error::new(ErrorKind::Runtime, m).with_file(&def.script))),
                    Ok(Outcome::NotApplicable(why)) => Ok((None, Some(why))),
                    Ok(Outcome::Points(x)) if !in_range(&x, def.max) => {
                        Err(fail(Error::new(ErrorKind::Runtime, format!("the rule returned {x} points; points must be between 0 and the maximum {}", def.max)).with_file(&def.script)))
                    }
                    Ok(Outcome::Points(x)) => Ok((Some(x), None)),
                },
            };
            a.indicators.push(match r {
                Ok((points, not_applicable)) => IndicatorResult { points, not_applicable, error: None, events },
                Err(e) => {
                    a.errors.push(e.clone());
                    IndicatorResult { points: None, not_applicable: None, error: Some(e), events }
                }
            });
        }
        scratch.give_back();
        if !a.errors.is_empty() {
            a.status = Status::Error;
            return a;
        }
        for (def, r) in p.manifest.indicators.iter().zip(&a.indicators) {
            if let Some(x) = &r.points {
                a.points_total = a.points_total.add(x);
                a.max_applicable += def.max;
            }
        }
        let agg = &p.manifest.aggregation;
        if a.max_applicable < agg.not_assessed_below {
            a.status = Status::NotAssessed;
            a.reason = Some(format!(
                "insufficient data: the applicable indicators carry {} points, fewer than the {} required",
                a.max_applicable, agg.not_assessed_below
            ));
            return a;
        }
        a.status = Status::Assessed;
        a.score = a.points_total.mul(&Num::int(100)).div(&Num::int(a.max_applicable));
        a
    }
}

/// Points a rule may return: between 0 and the indicator's maximum.
#[inline]
fn in_range(x: &Num, max: i64) -> bool {
    x.signum() >= 0 && *x <= Num::int(max)
}

/// The grade id for an exact score: the first band whose minimum the
/// published (rounded) score reaches.
pub(crate) fn grade_of<'a>(pack: &'a Pack, exact: &Num) -> Option<&'a str> {
    let published = exact.rounded(pack.manifest().aggregation.publish_decimals);
    pack.manifest().grades.iter().find(|g| toml_num(&g.min).is_some_and(|m| published >= m)).map(|g| g.id.as_str())
}

/// One error as it appears in a result's `errors` list.
pub(crate) fn error_entry(e: &Error) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!(e.kind().as_str()));
    m.insert("field".into(), json!(e.field()));
    m.insert("message".into(), json!(e.message()));
    if e.indicator().is_some() || e.line().is_some() {
        m.insert("indicator".into(), json!(e.indicator()));
        m.insert("file".into(), json!(e.file()));
        m.insert("line".into(), json!(e.line()));
        m.insert("column".into(), json!(e.column()));
        m.insert("call_chain".into(), serde_json::to_value(e.call_chain()).expect("frames serialise"));
    }
    Value::Object(m)
}

impl Assessment {
    /// The pack that produced this result.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// The published score: the exact score rounded once, half away from zero.
    pub fn published_score(&self) -> Option<String> {
        self.score.as_ref().map(|s| s.round_text(self.pack.manifest().aggregation.publish_decimals))
    }

    /// The grade of the published score.
    pub fn grade(&self) -> Option<&str> {
        self.score.as_ref().and_then(|s| grade_of(&self.pack, s))
    }

    /// A key field of the record as given (id, group, period,
    /// `organization_name`).
    fn key(&self, field: &str) -> Option<KeyRef<'_>> {
        if let Some(v) = self.raw.get(field) {
            return Some(KeyRef::Given(v));
        }
        let p = &self.pack.0;
        let i = p.plan.keys.iter().find(|(k, _)| k == field)?.1?;
        self.values.get(i).filter(|v| !matches!(v, Val::Unit)).map(KeyRef::Typed)
    }

    /// A text key field, shared rather than copied when it was typed.
    pub(crate) fn key_text(&self, field: &str) -> Option<Text> {
        match self.key(field)? {
            KeyRef::Given(v) => v.as_str().map(Text::from),
            KeyRef::Typed(Val::Str(s)) => Some(s.clone()),
            KeyRef::Typed(_) => None,
        }
    }

    /// A text key field of the record as given (`organization_id`).
    pub fn field_text(&self, field: &str) -> Option<&str> {
        match self.key(field)? {
            KeyRef::Given(v) => v.as_str(),
            KeyRef::Typed(Val::Str(s)) => Some(s),
            KeyRef::Typed(_) => None,
        }
    }

    /// The organisation the record belongs to.
    pub fn organization_id(&self) -> Option<&str> {
        self.pack.manifest().input.group_field.as_deref().and_then(|f| self.field_text(f))
    }

    /// The period of the record.
    pub fn period(&self) -> Option<i64> {
        match self.key(self.pack.manifest().input.period_field.as_deref()?)? {
            // As validation reads a whole number: `"2016"`, `2016.0` too.
            KeyRef::Given(v) => crate::input::whole(v),
            KeyRef::Typed(Val::Int(i)) => Some(*i),
            KeyRef::Typed(_) => None,
        }
    }

    /// The readable trace of indicator `i`: values read, tables matched,
    /// the rule's own `explain` lines, and the outcome.
    pub fn trace(&self, i: usize) -> Vec<String> {
        let mut out = Lines::default();
        self.write_trace(i, &mut out);
        out.lines
    }

    /// Writes the trace of indicator `i`, line by line, to `out`.
    fn write_trace(&self, i: usize, out: &mut impl TraceOut) {
        let p = &self.pack.0;
        let def = &p.manifest.indicators[i];
        let r = &self.indicators[i];
        let slots = &p.indicators[i].read_slots;
        if !slots.is_empty() {
            out.start();
            for (n, &k) in slots.iter().enumerate() {
                out.raw().push_str(if n == 0 { "read " } else { ", " });
                out.constant(&p.manifest.input.fields[k].name, &p.field_names_json[k]);
                out.raw().push_str(" = ");
                match &self.values[k] {
                    Val::Unit => out.raw().push_str("(missing)"),
                    v => v.write_to(out),
                }
            }
            out.end();
        }
        for ev in &self.events[r.events.start as usize..r.events.end as usize] {
            out.start();
            match ev {
                Event::Note(s) => out.text(s),
                Event::Explain { template, start, len } => {
                    let t = &p.indicators[i].fast.as_ref().expect("explain events come from fast rules").templates[*template as usize];
                    t.render(out, &self.trace_values[*start as usize..(*start + *len) as usize]);
                }
                Event::Table { table, inputs, row } => table_line(out, &p.tables[*table], inputs, *row),
                Event::Table1 { table, row, input } => table_line(out, &p.tables[*table as usize], std::slice::from_ref(input), *row as usize),
            }
            out.end();
        }
        match (&r.points, &r.not_applicable, &r.error) {
            (Some(x), ..) => {
                out.start();
                let line = out.raw();
                line.push_str("points = ");
                x.push_to(line);
                line.push_str(" of ");
                crate::num::push_int(line, def.max);
            }
            (_, Some(why), _) => {
                out.start();
                out.raw().push_str("not applicable: ");
                out.text(why);
            }
            (_, _, Some(e)) => {
                out.start();
                let line = out.raw();
                line.push_str("error[");
                line.push_str(e.kind().as_str());
                line.push_str("]: ");
                out.text(e.message());
            }
            _ => return,
        }
        out.end();
    }

    /// The result as JSON, the same object on every platform and for the
    /// same record whichever API produced it: `service_id`, `organization_id`, `period`, `status`, `score` (the
    /// published figure), `score_exact`, `grade`, `points_total`,
    /// `max_applicable`, `reason`, `indicators`, `errors`, `warnings`,
    /// `aggregation` and `grading` (whether the rules that made the score
    /// and the grade are provisional, and their clauses), `pack`.
    pub fn to_json(&self) -> Value {
        // The same keys, order and values as `to_json_line` writes (the tests
        // compare the two on every golden case, the example data and the
        // hostile pack). Built directly, not read back from the line: that
        // would round some long decimals to a neighbouring double.
        let a = self;
        let m = a.pack.manifest();
        let agg = &m.aggregation;
        let valid = matches!(a.status, Status::Assessed | Status::NotAssessed);
        let key = |f: Option<&String>| match f.and_then(|f| a.key(f)) {
            Some(KeyRef::Given(v)) => v.clone(),
            Some(KeyRef::Typed(Val::Str(t))) => Value::from(&**t),
            Some(KeyRef::Typed(Val::Int(i))) => Value::from(*i),
            Some(KeyRef::Typed(Val::Bool(b))) => Value::from(*b),
            _ => Value::Null,
        };
        let num = |x: Option<&Num>, places: u32| x.map_or(Value::Null, |x| x.to_json(places));
        let mut indicators = Map::new();
        for (i, r) in a.indicators.iter().enumerate() {
            let def = &m.indicators[i];
            let entry = json!({
                "points": num(r.points.as_ref(), agg.points_decimals),
                "max": def.max,
                // A failed rule is not "not applicable": its error is in
                // `errors` and the record's status is `error`.
                "applicable": r.not_applicable.is_none(),
                "provisional": def.provisional,
                "clause": def.clause,
                "trace": a.trace(i),
            });
            indicators.insert(def.id.clone(), entry);
        }
        json!({
            "service_id": key(Some(&m.input.id_field)),
            "organization_id": key(m.input.group_field.as_ref()),
            "period": key(m.input.period_field.as_ref()),
            "status": a.status.as_str(),
            "score": num(a.score.as_ref(), agg.publish_decimals),
            "score_exact": a.score.as_ref().map(Num::fraction_text),
            "grade": a.grade(),
            "points_total": num(valid.then_some(&a.points_total), agg.points_decimals),
            "max_applicable": valid.then_some(a.max_applicable),
            "reason": a.reason,
            "indicators": indicators,
            "errors": a.errors.iter().map(error_entry).collect::<Vec<_>>(),
            "warnings": a.warnings,
            "aggregation": aggregation_ref(m),
            "grading": grading_ref(m),
            "pack": a.pack.reference(),
        })
    }

    /// The result as one line of JSON: the same bytes as
    /// `to_json_line(&self.to_json())`. Written straight from the result,
    /// without a value tree (the hot path of every JSON output: `mezon
    /// assess`, the bindings' `assess_json`, the browser); trace lines are
    /// rendered into one buffer and escaped as they are copied.
    pub fn to_json_line(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        let a = self;
        let m = a.pack.manifest();
        let agg = &m.aggregation;
        let valid = matches!(a.status, Status::Assessed | Status::NotAssessed);
        let key = |out: &mut String, f: Option<&String>| match f.and_then(|f| a.key(f)) {
            Some(KeyRef::Given(v)) => json::value(out, v),
            Some(KeyRef::Typed(Val::Str(t))) => json::str(out, t),
            Some(KeyRef::Typed(Val::Int(i))) => json::int(out, *i),
            Some(KeyRef::Typed(Val::Bool(b))) => json::bool(out, *b),
            _ => out.push_str("null"),
        };
        let num = |out: &mut String, x: Option<&Num>, places: u32| match x {
            Some(x) => json::value(out, &x.to_json(places)),
            None => out.push_str("null"),
        };
        out.push_str("{\"service_id\":");
        key(out, Some(&m.input.id_field));
        out.push_str(",\"organization_id\":");
        key(out, m.input.group_field.as_ref());
        out.push_str(",\"period\":");
        key(out, m.input.period_field.as_ref());
        out.push_str(",\"status\":");
        json::str(out, a.status.as_str());
        out.push_str(",\"score\":");
        num(out, a.score.as_ref(), agg.publish_decimals);
        out.push_str(",\"score_exact\":");
        json::opt_str(out, a.score.as_ref().map(Num::fraction_text).as_deref());
        out.push_str(",\"grade\":");
        json::opt_str(out, a.grade());
        out.push_str(",\"points_total\":");
        num(out, valid.then_some(&a.points_total), agg.points_decimals);
        out.push_str(",\"max_applicable\":");
        match valid {
            true => json::int(out, a.max_applicable),
            false => out.push_str("null"),
        }
        out.push_str(",\"reason\":");
        json::opt_str(out, a.reason.as_deref());
        out.push_str(",\"indicators\":{");
        for (i, r) in a.indicators.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let [head, max, tail] = &a.pack.0.indicators[i].json_parts;
            out.push_str(head);
            num(out, r.points.as_ref(), agg.points_decimals);
            out.push_str(max);
            json::bool(out, r.not_applicable.is_none());
            out.push_str(tail);
            a.write_trace(i, &mut JsonLines { out, first: true });
            out.push_str("]}");
        }
        out.push_str("},\"errors\":[");
        for (k, e) in a.errors.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            json::value(out, &error_entry(e));
        }
        out.push_str("],\"warnings\":[");
        for (k, w) in a.warnings.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            json::str(out, w);
        }
        out.push_str(&a.pack.0.json_pack);
    }
}

/// A key field: as given, or typed and valid.
enum KeyRef<'a> {
    Given(&'a Value),
    Typed(&'a Val),
}

/// The constant parts of an indicator's entry in a JSON result line (see
/// `write_json`), made once per pack: `"ID":{"points":`,
/// `,"max":MAX,"applicable":` and `,"provisional":P,"clause":"CLAUSE","trace":[`.
pub(crate) fn indicator_json_parts(def: &crate::manifest::IndicatorDef) -> [Box<str>; 3] {
    let mut head = String::new();
    json::str(&mut head, &def.id);
    head.push_str(":{\"points\":");
    let mut tail = format!(",\"provisional\":{},\"clause\":", def.provisional);
    json::str(&mut tail, &def.clause);
    tail.push_str(",\"trace\":[");
    [head.into(), format!(",\"max\":{},\"applicable\":", def.max).into(), tail.into()]
}

/// Whether the score's aggregation is provisional, and its clause.
pub(crate) fn aggregation_ref(m: &crate::manifest::Manifest) -> Value {
    json!({ "provisional": m.aggregation.provisional, "clause": m.aggregation.clause })
}

/// Whether the grade bands are provisional, and their clause.
pub(crate) fn grading_ref(m: &crate::manifest::Manifest) -> Value {
    let g = m.grading.as_ref();
    json!({ "provisional": g.is_some_and(|g| g.provisional), "clause": g.and_then(|g| g.clause.as_ref()) })
}

/// The end of every JSON result line of a pack, after the warnings:
/// `],"aggregation":{…},"grading":{…},"pack":REFERENCE}`.
pub(crate) fn json_end(m: &crate::manifest::Manifest, reference: &Value) -> Box<str> {
    let (agg, grading, pack) = (aggregation_ref(m), grading_ref(m), reference);
    let line = crate::to_json_line;
    format!("],\"aggregation\":{},\"grading\":{},\"pack\":{}}}", line(&agg), line(&grading), line(pack)).into_boxed_str()
}

fn table_line(out: &mut impl TraceOut, t: &crate::table::Table, inputs: &[Num], row: usize) {
    let row = &t.rows[row];
    out.constant(&row.trace_head, &row.trace_head_json);
    for (k, (c, v)) in t.inputs.iter().zip(inputs).enumerate() {
        let line = out.raw();
        if k > 0 {
            line.push_str(", ");
        }
        // Column names are identifiers (the table grammar's `name`).
        line.push_str(c);
        line.push_str(" = ");
        v.push_to(line);
    }
    out.constant(&row.trace_tail, &row.trace_tail_json);
}

/// Where trace lines are written: as text ([`Assessment::trace`]) or
/// straight into a JSON list of strings ([`Assessment::to_json_line`]).
/// Constant text comes with its JSON form, escaped once per pack, so per
/// record only text taken from values and messages is escaped.
pub(crate) trait TraceOut {
    /// Begins a line.
    fn start(&mut self);
    /// The line so far, for text that needs no JSON escaping (numbers,
    /// fixed words, identifiers).
    fn raw(&mut self) -> &mut String;
    /// Constant text, given as it reads and escaped for JSON.
    fn constant(&mut self, text: &str, json: &str);
    /// Any other text.
    fn text(&mut self, s: &str);
    /// Ends the line begun by `start`.
    fn end(&mut self);
}

/// Trace lines as text.
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    line: String,
}

impl TraceOut for Lines {
    fn start(&mut self) {
        self.line.clear();
    }
    fn raw(&mut self) -> &mut String {
        &mut self.line
    }
    fn constant(&mut self, text: &str, _: &str) {
        self.line.push_str(text);
    }
    fn text(&mut self, s: &str) {
        self.line.push_str(s);
    }
    fn end(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
    }
}

/// Trace lines as the items of a JSON list, written into the result line.
struct JsonLines<'a> {
    out: &'a mut String,
    first: bool,
}

impl TraceOut for JsonLines<'_> {
    fn start(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.out.push(',');
        }
        self.out.push('"');
    }
    fn raw(&mut self) -> &mut String {
        self.out
    }
    fn constant(&mut self, _: &str, json: &str) {
        self.out.push_str(json);
    }
    fn text(&mut self, s: &str) {
        json::escaped(self.out, s);
    }
    fn end(&mut self) {
        self.out.push('"');
    }
}
