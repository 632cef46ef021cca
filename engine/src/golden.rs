//! Golden tests: cases stored as data in a pack's `tests/*.toml`, run by
//! `mezon test` and by every binding's test suite.
//!
//! A file may hold `[defaults]` (a full record merged under every case),
//! `[[case]]` (an `input` of overrides, optional `remove = [fields]`, and an
//! `expect` of status, score, score_exact, grade, points per indicator,
//! field errors or a rule error with kind/file/line/column) and
//! `[[ranking]]` (services, organisations and the expected table).

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::num::Num;
use crate::pack::Pack;

/// The outcome of one golden case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The test file.
    pub file: String,
    /// The case name.
    pub name: String,
    /// One readable line per mismatch; empty when the case passed.
    pub failures: Vec<String>,
}

/// All cases of a pack.
#[derive(Debug, Clone, Default)]
pub struct GoldenReport {
    /// Every case, in file order.
    pub cases: Vec<CaseReport>,
}

impl GoldenReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.failures.is_empty()).count()
    }
    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
}

/// A TOML value as the JSON an input file would give.
pub(crate) fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

fn merged(defaults: Option<&toml::Value>, case: &toml::Value, input_key: Option<&str>) -> Value {
    let mut rec: Map<String, Value> = match defaults.map(toml_to_json) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let overrides = match input_key {
        Some(k) => case.get(k),
        None => Some(case),
    };
    if let Some(toml::Value::Table(t)) = overrides {
        for (k, v) in t {
            rec.insert(k.clone(), toml_to_json(v));
        }
    }
    for r in case.get("remove").and_then(|r| r.as_array()).into_iter().flatten() {
        if let Some(k) = r.as_str() {
            rec.remove(k);
        }
    }
    Value::Object(rec)
}

fn expect_num(failures: &mut Vec<String>, what: &str, expected: &str, got: Option<&Num>) {
    match (Num::parse(expected), got) {
        (None, _) => failures.push(format!("{what}: the expected value `{expected}` is not a number")),
        (Some(e), Some(g)) if e == *g => {}
        (Some(e), g) => failures.push(format!("{what}: expected {e}, got {}", g.map_or("nothing".into(), Num::to_string))),
    }
}

fn str_of(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The input record of every `[[case]]` in the pack's tests, in file order,
/// as `(file, case name, record)`: the shared test data that the bindings'
/// parity tests feed through every path.
pub fn golden_inputs(pack: &Pack) -> Result<Vec<(String, String, Value)>> {
    let mut out = Vec::new();
    for (file, text) in pack.files().range("tests/".to_owned()..).take_while(|(k, _)| k.starts_with("tests/")) {
        if !file.ends_with(".toml") {
            continue;
        }
        let doc: toml::Value = toml::from_str(text).map_err(|e| Error::new(ErrorKind::Manifest, format!("golden test file: {}", e.message())).with_file(file))?;
        for case in doc.get("case").and_then(|c| c.as_array()).into_iter().flatten() {
            let name = case.get("name").map(str_of).unwrap_or_else(|| "(unnamed)".into());
            out.push((file.clone(), name, merged(doc.get("defaults"), case, Some("input"))));
        }
    }
    Ok(out)
}

/// Runs every golden case of the pack.
pub fn run_golden(pack: &Pack) -> Result<GoldenReport> {
    let mut report = GoldenReport::default();
    for (file, text) in pack.files().range("tests/".to_owned()..).take_while(|(k, _)| k.starts_with("tests/")) {
        if !file.ends_with(".toml") {
            continue;
        }
        let doc: toml::Value = toml::from_str(text).map_err(|e| Error::new(ErrorKind::Manifest, format!("golden test file: {}", e.message())).with_file(file))?;
        let defaults = doc.get("defaults");
        for case in doc.get("case").and_then(|c| c.as_array()).into_iter().flatten() {
            let name = case.get("name").map(str_of).unwrap_or_else(|| "(unnamed)".into());
            let record = merged(defaults, case, Some("input"));
            let a = pack.assess(&record);
            let mut failures = Vec::new();
            let expect = case.get("expect").cloned().unwrap_or(toml::Value::Table(Default::default()));
            if let Some(s) = expect.get("status") {
                let s = str_of(s);
                if s != a.status.as_str() {
                    let why: Vec<String> = a.errors.iter().map(|e| format!("{}: {}", e.field().or(e.indicator()).unwrap_or("-"), e.message())).chain(a.reason.clone()).collect();
                    failures.push(format!("status: expected {s}, got {} {}", a.status.as_str(), why.join("; ")));
                }
            }
            if let Some(s) = expect.get("score") {
                let got = a.published_score();
                if got.as_deref() != Some(str_of(s).as_str()) {
                    failures.push(format!("score: expected {}, got {}", str_of(s), got.unwrap_or_else(|| "none".into())));
                }
            }
            if let Some(s) = expect.get("score_exact") {
                expect_num(&mut failures, "score_exact", &str_of(s), a.score.as_ref());
            }
            if let Some(g) = expect.get("grade") {
                if a.grade() != Some(str_of(g).as_str()) {
                    failures.push(format!("grade: expected {}, got {}", str_of(g), a.grade().unwrap_or("none")));
                }
            }
            if let Some(toml::Value::Table(points)) = expect.get("points") {
                for (id, want) in points {
                    let Some(i) = pack.manifest().indicators.iter().position(|d| d.id == *id) else {
                        failures.push(format!("points.{id}: the pack has no such indicator"));
                        continue;
                    };
                    let Some(r) = a.indicators.get(i) else {
                        failures.push(format!("points.{id}: not evaluated (status {})", a.status.as_str()));
                        continue;
                    };
                    let want = str_of(want);
                    let before = failures.len();
                    if want == "na" {
                        if r.not_applicable.is_none() {
                            failures.push(format!("points.{id}: expected not applicable, got {}", r.points.as_ref().map_or("an error".into(), Num::to_string)));
                        }
                    } else {
                        expect_num(&mut failures, &format!("points.{id}"), &want, r.points.as_ref());
                    }
                    if failures.len() > before {
                        failures.push(format!("  trace of {id}: {}", a.trace(i).join(" | ")));
                    }
                }
            }
            for e in expect.get("errors").and_then(|e| e.as_array()).into_iter().flatten() {
                let field = e.get("field").map(str_of);
                let contains = e.get("contains").map(str_of);
                let hit = a.errors.iter().any(|x| (field.is_none() || x.field() == field.as_deref()) && contains.as_ref().is_none_or(|c| x.message().contains(c.as_str())));
                if !hit {
                    failures.push(format!(
                        "errors: expected an error on field {} {}, got [{}]",
                        field.as_deref().unwrap_or("-"),
                        contains.map(|c| format!("containing `{c}`")).unwrap_or_default(),
                        a.errors.iter().map(|x| format!("{}: {}", x.field().unwrap_or("-"), x.message())).collect::<Vec<_>>().join("; ")
                    ));
                }
            }
            if let Some(want) = expect.get("error") {
                match a.errors.first() {
                    None => failures.push("error: expected a rule error, got none".into()),
                    Some(got) => {
                        let checks = [
                            ("kind", Some(got.kind().as_str().to_owned())),
                            ("indicator", got.indicator().map(str::to_owned)),
                            ("file", got.file().map(str::to_owned)),
                            ("line", got.line().map(|l| l.to_string())),
                            ("column", got.column().map(|c| c.to_string())),
                        ];
                        for (k, g) in checks {
                            if let Some(w) = want.get(k) {
                                if Some(str_of(w)) != g {
                                    failures.push(format!("error.{k}: expected {}, got {}", str_of(w), g.unwrap_or_else(|| "none".into())));
                                }
                            }
                        }
                        if let Some(c) = want.get("contains") {
                            if !got.message().contains(&str_of(c)) {
                                failures.push(format!("error message: expected it to contain `{}`, got `{}`", str_of(c), got.message()));
                            }
                        }
                    }
                }
            }
            report.cases.push(CaseReport { file: file.clone(), name, failures });
        }
        for case in doc.get("ranking").and_then(|c| c.as_array()).into_iter().flatten() {
            let name = case.get("name").map(str_of).unwrap_or_else(|| "(unnamed ranking)".into());
            let services: Vec<Value> = case.get("services").and_then(|s| s.as_array()).into_iter().flatten().map(|s| merged(defaults, s, None)).collect();
            let orgs: Vec<Value> = case.get("organizations").and_then(|s| s.as_array()).into_iter().flatten().map(toml_to_json).collect();
            let mut failures = Vec::new();
            match pack.rank(&services, &orgs) {
                Err(e) => failures.push(format!("ranking failed: {}", e.message())),
                Ok(r) => {
                    let j = r.to_json();
                    let got = j["organizations"].as_array().cloned().unwrap_or_default();
                    for want in case.get("expect").and_then(|s| s.as_array()).into_iter().flatten() {
                        let id = want.get("organization_id").map(str_of).unwrap_or_default();
                        let Some(o) = got.iter().find(|o| o["organization_id"] == id.as_str()) else {
                            failures.push(format!("{id}: not in the ranking"));
                            continue;
                        };
                        let shown = |v: &Value| match v {
                            Value::String(s) => s.clone(),
                            Value::Null => "none".into(),
                            other => other.to_string(),
                        };
                        for (k, key) in [("status", "status"), ("rank", "rank"), ("grade", "grade"), ("penalties", "penalty_points")] {
                            if let Some(w) = want.get(k) {
                                if str_of(w) != shown(&o[key]) {
                                    failures.push(format!("{id}.{k}: expected {}, got {}", str_of(w), shown(&o[key])));
                                }
                            }
                        }
                        if let Some(w) = want.get("score") {
                            let got_score = r.organizations.iter().find(|x| x.organization_id == id).and_then(|x| x.score.as_ref()).map(|s| s.round_text(pack.manifest().aggregation.publish_decimals));
                            if got_score.as_deref() != Some(str_of(w).as_str()) {
                                failures.push(format!("{id}.score: expected {}, got {}", str_of(w), got_score.unwrap_or_else(|| "none".into())));
                            }
                        }
                    }
                }
            }
            report.cases.push(CaseReport { file: file.clone(), name, failures });
        }
    }
    Ok(report)
}
