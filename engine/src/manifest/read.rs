//! `pack.toml` into [`Manifest`]: a hand-written walk over toml's spanned
//! tree.
//!
//! Why not serde: the derived `Deserialize` code is compiled once per struct
//! and per access type, about 130 KB of the WebAssembly module; this walk is
//! a few KB. It reads what `toml::from_str::<Manifest>` reads and gives the
//! same values, error messages and spans: the rules below are serde's (its
//! derive, its primitive visitors, toml's deserializer), and the test at the
//! end compares the two on some 1,600 variants of the real manifest. The
//! derived `Deserialize` stays on the structs as that reference; unused, it
//! costs the module nothing.

use std::ops::Range;

use toml::de::{DeFloat, DeInteger, DeValue};
use toml::{Spanned, Value};

use super::{Aggregation, FieldDef, FieldType, Grade, IndicatorDef, InputSchema, Labels, LegalBasis, Manifest, OrganizationRule, Penalty, Provenance, Ranking, Relation};

/// A reading error: message and byte span, as `toml::de::Error`.
#[derive(Debug)]
pub(crate) struct DeError {
    pub(crate) message: String,
    pub(crate) span: Option<Range<usize>>,
}

type R<T> = Result<T, DeError>;
type Item<'i> = Spanned<DeValue<'i>>;

fn err(message: String, span: &Range<usize>) -> DeError {
    DeError { message, span: Some(span.clone()) }
}

/// An integer as toml hands it to serde: the first of these types it fits.
enum Int {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
}

fn integer(v: &DeInteger<'_>, span: &Range<usize>) -> R<Int> {
    let (s, radix) = (v.as_str(), v.radix());
    if let Ok(v) = i64::from_str_radix(s, radix) {
        Ok(Int::I64(v))
    } else if let Ok(v) = u64::from_str_radix(s, radix) {
        Ok(Int::U64(v))
    } else if let Ok(v) = i128::from_str_radix(s, radix) {
        Ok(Int::I128(v))
    } else if let Ok(v) = u128::from_str_radix(s, radix) {
        Ok(Int::U128(v))
    } else {
        Err(err("integer number overflowed".into(), span))
    }
}

fn float(v: &DeFloat<'_>, span: &Range<usize>) -> R<f64> {
    // Not `str::parse`: the same value without std's tables (see decimal_to_f64).
    match crate::num::decimal_to_f64(v.as_str()) {
        // An overflow to infinity is an error; `inf` written out is not.
        Some(f) if !f.is_infinite() || v.as_str().contains("inf") => Ok(f),
        _ => Err(err("floating-point number overflowed".into(), span)),
    }
}

/// serde's "invalid type: …, expected …" for a value the reader does not
/// take. toml checks numbers before any reader sees them, so an overflowing
/// one gives its overflow error instead.
fn invalid_type(v: &DeValue<'_>, span: &Range<usize>, expected: &str) -> DeError {
    let what = match v {
        DeValue::String(s) => format!("string {:?}", &**s),
        DeValue::Integer(i) => match integer(i, span) {
            Ok(Int::I64(n)) => format!("integer `{n}`"),
            Ok(Int::U64(n)) => format!("integer `{n}`"),
            Ok(Int::I128(n)) => format!("integer `{n}` as i128"),
            Ok(Int::U128(n)) => format!("integer `{n}` as u128"),
            Err(e) => return e,
        },
        DeValue::Float(f) => match float(f, span) {
            // serde shows a finite float with a decimal point (`1e20` as `100000000000000000000.0`).
            Ok(f) if f.is_finite() && !f.to_string().contains('.') => format!("floating point `{f}.0`"),
            Ok(f) => format!("floating point `{f}`"),
            Err(e) => return e,
        },
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        // toml gives a datetime to serde as a one-entry table.
        DeValue::Datetime(_) | DeValue::Table(_) => "map".into(),
        DeValue::Array(_) => "sequence".into(),
    };
    err(format!("invalid type: {what}, expected {expected}"), span)
}

/// serde's list of expected names: "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [a] => a.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

fn string(v: Item<'_>) -> R<String> {
    let span = v.span();
    match v.into_inner() {
        DeValue::String(s) => Ok(s.into_owned()),
        other => Err(invalid_type(&other, &span, "a string")),
    }
}

fn boolean(v: Item<'_>) -> R<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Ok(*b),
        other => Err(invalid_type(other, &v.span(), "a boolean")),
    }
}

/// An `i64` or `u32` (`ty`) field, in `min..=max`.
fn int(v: Item<'_>, ty: &str, min: i64, max: i64) -> R<i64> {
    let span = v.span();
    let what = match v.get_ref() {
        DeValue::Integer(i) => match integer(i, &span)? {
            Int::I64(n) if (min..=max).contains(&n) => return Ok(n),
            Int::I64(n) => n.to_string(),
            Int::U64(n) => n.to_string(),
            // serde's integer visitors take no 128-bit values at all.
            _ => return Err(invalid_type(v.get_ref(), &span, ty)),
        },
        other => return Err(invalid_type(other, &span, ty)),
    };
    Err(err(format!("invalid value: integer `{what}`, expected {ty}"), &span))
}

fn i64_(v: Item<'_>) -> R<i64> {
    int(v, "i64", i64::MIN, i64::MAX)
}

fn u32_(v: Item<'_>) -> R<u32> {
    int(v, "u32", 0, u32::MAX.into()).map(|n| n as u32)
}

fn list<'i, T>(v: Item<'i>, each: fn(Item<'i>) -> R<T>) -> R<Vec<T>> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Array(a) => a.into_iter().map(each).collect(),
        other => Err(invalid_type(&other, &span, "a sequence")),
    }
}

/// What toml's datetime reaches serde as: a table of this one key.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A `toml::Value` field, as its own `Deserialize` reads one.
fn value(v: Item<'_>) -> R<Value> {
    let span = v.span();
    Ok(match v.into_inner() {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => match integer(&i, &span)? {
            Int::I64(n) => Value::Integer(n),
            Int::U64(_) => return Err(err("u64 value was too large".into(), &span)),
            _ => return Err(invalid_type(&DeValue::Integer(i), &span, "any valid TOML value")),
        },
        DeValue::Float(f) => Value::Float(float(&f, &span)?),
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(d) => Value::Datetime(d),
        DeValue::Array(a) => Value::Array(a.into_iter().map(value).collect::<R<_>>()?),
        DeValue::Table(t) => {
            let mut table = toml::Table::new();
            for (i, (k, v)) in t.into_iter().enumerate() {
                // A table whose first key is toml's datetime key is read as a datetime.
                if i == 0 && k.get_ref() == DATETIME_FIELD {
                    let span = v.span();
                    return match v.into_inner() {
                        DeValue::String(s) => s.parse().map(Value::Datetime).map_err(|e| err(e.to_string(), &span)),
                        other => Err(invalid_type(&other, &span, "string containing a datetime")),
                    };
                }
                table.insert(k.into_inner().into_owned(), value(v)?);
            }
            Value::Table(table)
        }
    })
}

fn field_type(v: Item<'_>) -> R<FieldType> {
    const NAMES: &[&str] = &["string", "int", "number", "bool"];
    let span = v.span();
    // A variant is a string, or a table of one key whose value is empty.
    let (name, name_span, value) = match v.into_inner() {
        DeValue::String(s) => (s, span, None),
        DeValue::Table(t) if t.is_empty() => return Err(err("wanted exactly 1 element, found 0 elements".into(), &span)),
        DeValue::Table(t) if t.len() != 1 => return Err(err("wanted exactly 1 element, more than 1 element".into(), &span)),
        DeValue::Table(t) => {
            let (k, v) = t.into_iter().next().expect("one entry");
            let name_span = k.span();
            (k.into_inner(), name_span, Some(v))
        }
        _ => return Err(err("wanted string or table".into(), &span)),
    };
    let ty = match &*name {
        "string" => FieldType::String,
        "int" => FieldType::Int,
        "number" => FieldType::Number,
        "bool" => FieldType::Bool,
        other => return Err(err(format!("unknown variant `{other}`, expected {}", one_of(NAMES)), &name_span)),
    };
    if let Some(v) = value {
        let message = match v.get_ref() {
            DeValue::Array(a) if a.is_empty() => return Ok(ty),
            DeValue::Table(t) if t.is_empty() => return Ok(ty),
            DeValue::Array(_) => "expected empty array".into(),
            DeValue::Table(_) => "expected empty table".into(),
            other => format!("expected table, found {}", other.type_str()),
        };
        return Err(err(message, &v.span()));
    }
    Ok(ty)
}

/// A struct being read: from a table, key by key in the document's order
/// (an unknown key is an error), or, as serde's derived code also allows,
/// from an array, field by field in declaration order.
struct Fields {
    name: &'static str,
    names: &'static [&'static str],
    span: Range<usize>,
    from_array: bool,
}

impl Fields {
    /// Reads `v` as struct `name`, handing each present field's value (by
    /// index into `names`) to `field` as it comes.
    fn read<'i>(v: Item<'i>, name: &'static str, names: &'static [&'static str], field: &mut dyn FnMut(usize, Item<'i>) -> R<()>) -> R<Fields> {
        let span = v.span();
        let unknown = |key: &str, span: &Range<usize>| err(format!("unknown field `{key}`, expected {}", one_of(names)), span);
        let from_array = match v.into_inner() {
            DeValue::Table(t) => {
                for (k, v) in t {
                    match names.iter().position(|n| *n == k.get_ref().as_ref()) {
                        Some(i) => field(i, v)?,
                        None => return Err(unknown(k.get_ref(), &k.span())),
                    }
                }
                false
            }
            DeValue::Datetime(_) => return Err(unknown(DATETIME_FIELD, &span)),
            DeValue::Array(a) => {
                for (i, v) in a.into_iter().take(names.len()).enumerate() {
                    field(i, v)?;
                }
                true
            }
            other => return Err(invalid_type(&other, &span, &format!("struct {name}"))),
        };
        Ok(Fields { name, names, span, from_array })
    }

    /// A required field's value; the first one missing, in declaration
    /// order, is the error.
    fn need<T>(&self, v: Option<T>, i: usize) -> R<T> {
        v.ok_or_else(|| {
            let message = if self.from_array {
                let n = self.names.len();
                format!("invalid length {i}, expected struct {} with {n} element{}", self.name, if n == 1 { "" } else { "s" })
            } else {
                format!("missing field `{}`", self.names[i])
            };
            err(message, &self.span)
        })
    }
}

fn labels(v: Item<'_>) -> R<Labels> {
    let mut l = Labels::default();
    Fields::read(v, "Labels", &["uz", "ru", "en"], &mut |i, v| {
        match i {
            0 => l.uz = string(v)?,
            1 => l.ru = string(v)?,
            _ => l.en = string(v)?,
        }
        Ok(())
    })?;
    Ok(l)
}

/// The manifest from a parsed document.
pub(crate) fn manifest(v: Item<'_>) -> R<Manifest> {
    let (mut schema_version, mut id, mut version, mut effective_from, mut effective_to, mut period, mut total_max) = (None, None, None, None, None, None, None);
    let (mut title, mut legal_basis, mut input, mut organization_input, mut indicators, mut aggregation) = (None, None, None, None, None, None);
    let (mut organization, mut grades, mut grading, mut ranking) = (None, None, None, None);
    let f = Fields::read(
        v,
        "Manifest",
        &["schema_version", "id", "version", "effective_from", "effective_to", "period", "total_max", "title", "legal_basis", "input", "organization_input", "indicators", "aggregation", "organization", "grades", "grading", "ranking"],
        &mut |i, v| {
            match i {
                0 => schema_version = Some(u32_(v)?),
                1 => id = Some(string(v)?),
                2 => version = Some(string(v)?),
                3 => effective_from = Some(string(v)?),
                4 => effective_to = Some(string(v)?),
                5 => period = Some(string(v)?),
                6 => total_max = Some(i64_(v)?),
                7 => title = Some(labels(v)?),
                8 => legal_basis = Some(legal(v)?),
                9 => input = Some(input_schema(v)?),
                10 => organization_input = Some(input_schema(v)?),
                11 => indicators = Some(list(v, indicator)?),
                12 => aggregation = Some(aggregation_(v)?),
                13 => organization = Some(organization_(v)?),
                14 => grades = Some(list(v, grade)?),
                15 => grading = Some(provenance(v)?),
                _ => ranking = Some(ranking_(v)?),
            }
            Ok(())
        },
    )?;
    Ok(Manifest {
        schema_version: f.need(schema_version, 0)?,
        id: f.need(id, 1)?,
        version: f.need(version, 2)?,
        effective_from: f.need(effective_from, 3)?,
        effective_to,
        period: f.need(period, 5)?,
        total_max: f.need(total_max, 6)?,
        title: f.need(title, 7)?,
        legal_basis: f.need(legal_basis, 8)?,
        input: f.need(input, 9)?,
        organization_input,
        indicators: f.need(indicators, 11)?,
        aggregation: f.need(aggregation, 12)?,
        organization,
        grades: f.need(grades, 14)?,
        grading,
        ranking,
    })
}

fn legal(v: Item<'_>) -> R<LegalBasis> {
    let (mut document, mut date, mut title, mut note) = (None, None, None, None);
    let f = Fields::read(v, "LegalBasis", &["document", "date", "title", "note"], &mut |i, v| {
        match i {
            0 => document = Some(string(v)?),
            1 => date = Some(string(v)?),
            2 => title = Some(labels(v)?),
            _ => note = Some(string(v)?),
        }
        Ok(())
    })?;
    Ok(LegalBasis { document: f.need(document, 0)?, date: f.need(date, 1)?, title, note })
}

fn input_schema(v: Item<'_>) -> R<InputSchema> {
    let (mut id_field, mut group_field, mut period_field, mut fields, mut relations) = (None, None, None, None, Vec::new());
    let f = Fields::read(v, "InputSchema", &["id_field", "group_field", "period_field", "fields", "relations"], &mut |i, v| {
        match i {
            0 => id_field = Some(string(v)?),
            1 => group_field = Some(string(v)?),
            2 => period_field = Some(string(v)?),
            3 => fields = Some(list(v, field_def)?),
            _ => relations = list(v, relation)?,
        }
        Ok(())
    })?;
    Ok(InputSchema { id_field: f.need(id_field, 0)?, group_field, period_field, fields: f.need(fields, 3)?, relations })
}

fn field_def(v: Item<'_>) -> R<FieldDef> {
    let (mut name, mut ty, mut required, mut min, mut max, mut label, mut help) = (None, None, false, None, None, Labels::default(), None);
    let f = Fields::read(v, "FieldDef", &["name", "type", "required", "min", "max", "label", "help"], &mut |i, v| {
        match i {
            0 => name = Some(string(v)?),
            1 => ty = Some(field_type(v)?),
            2 => required = boolean(v)?,
            3 => min = Some(value(v)?),
            4 => max = Some(value(v)?),
            5 => label = labels(v)?,
            _ => help = Some(labels(v)?),
        }
        Ok(())
    })?;
    Ok(FieldDef { name: f.need(name, 0)?, ty: f.need(ty, 1)?, required, min, max, label, help })
}

fn relation(v: Item<'_>) -> R<Relation> {
    let (mut left, mut op, mut right, mut message) = (None, None, None, None);
    let f = Fields::read(v, "Relation", &["left", "op", "right", "message"], &mut |i, v| {
        match i {
            0 => left = Some(string(v)?),
            1 => op = Some(string(v)?),
            2 => right = Some(string(v)?),
            _ => message = Some(labels(v)?),
        }
        Ok(())
    })?;
    Ok(Relation { left: f.need(left, 0)?, op: f.need(op, 1)?, right: f.need(right, 2)?, message })
}

fn indicator(v: Item<'_>) -> R<IndicatorDef> {
    let (mut id, mut title, mut max, mut script, mut provisional, mut clause) = (None, None, None, None, None, None);
    let f = Fields::read(v, "IndicatorDef", &["id", "title", "max", "script", "provisional", "clause"], &mut |i, v| {
        match i {
            0 => id = Some(string(v)?),
            1 => title = Some(labels(v)?),
            2 => max = Some(i64_(v)?),
            3 => script = Some(string(v)?),
            4 => provisional = Some(boolean(v)?),
            _ => clause = Some(string(v)?),
        }
        Ok(())
    })?;
    Ok(IndicatorDef { id: f.need(id, 0)?, title: f.need(title, 1)?, max: f.need(max, 2)?, script: f.need(script, 3)?, provisional: f.need(provisional, 4)?, clause: f.need(clause, 5)? })
}

fn aggregation_(v: Item<'_>) -> R<Aggregation> {
    let (mut not_assessed_below, mut publish_decimals, mut rounding, mut points_decimals, mut clause, mut provisional) = (None, None, None, None, None, false);
    let f = Fields::read(v, "Aggregation", &["not_assessed_below", "publish_decimals", "rounding", "points_decimals", "clause", "provisional"], &mut |i, v| {
        match i {
            0 => not_assessed_below = Some(i64_(v)?),
            1 => publish_decimals = Some(u32_(v)?),
            2 => rounding = Some(string(v)?),
            3 => points_decimals = Some(u32_(v)?),
            4 => clause = Some(string(v)?),
            _ => provisional = boolean(v)?,
        }
        Ok(())
    })?;
    Ok(Aggregation { not_assessed_below: f.need(not_assessed_below, 0)?, publish_decimals: f.need(publish_decimals, 1)?, rounding: f.need(rounding, 2)?, points_decimals: f.need(points_decimals, 3)?, clause, provisional })
}

fn provenance(v: Item<'_>) -> R<Provenance> {
    let mut p = Provenance::default();
    Fields::read(v, "Provenance", &["clause", "provisional"], &mut |i, v| {
        match i {
            0 => p.clause = Some(string(v)?),
            _ => p.provisional = boolean(v)?,
        }
        Ok(())
    })?;
    Ok(p)
}

fn organization_(v: Item<'_>) -> R<OrganizationRule> {
    let (mut score, mut clamp_min, mut clamp_max, mut clause, mut provisional, mut penalties) = (None, None, None, None, false, Vec::new());
    let f = Fields::read(v, "OrganizationRule", &["score", "clamp_min", "clamp_max", "clause", "provisional", "penalties"], &mut |i, v| {
        match i {
            0 => score = Some(string(v)?),
            1 => clamp_min = Some(i64_(v)?),
            2 => clamp_max = Some(i64_(v)?),
            3 => clause = Some(string(v)?),
            4 => provisional = boolean(v)?,
            _ => penalties = list(v, penalty)?,
        }
        Ok(())
    })?;
    Ok(OrganizationRule { score: f.need(score, 0)?, clamp_min: f.need(clamp_min, 1)?, clamp_max: f.need(clamp_max, 2)?, clause, provisional, penalties })
}

fn penalty(v: Item<'_>) -> R<Penalty> {
    let (mut id, mut field, mut when, mut points, mut clause, mut provisional, mut title) = (None, None, None, None, None, false, None);
    let f = Fields::read(v, "Penalty", &["id", "field", "when", "points", "clause", "provisional", "title"], &mut |i, v| {
        match i {
            0 => id = Some(string(v)?),
            1 => field = Some(string(v)?),
            2 => when = Some(boolean(v)?),
            3 => points = Some(i64_(v)?),
            4 => clause = Some(string(v)?),
            5 => provisional = boolean(v)?,
            _ => title = Some(labels(v)?),
        }
        Ok(())
    })?;
    Ok(Penalty { id: f.need(id, 0)?, field: f.need(field, 1)?, when: f.need(when, 2)?, points: f.need(points, 3)?, clause: f.need(clause, 4)?, provisional, title })
}

fn grade(v: Item<'_>) -> R<Grade> {
    let (mut id, mut min, mut label) = (None, None, Labels::default());
    let f = Fields::read(v, "Grade", &["id", "min", "label"], &mut |i, v| {
        match i {
            0 => id = Some(string(v)?),
            1 => min = Some(value(v)?),
            _ => label = labels(v)?,
        }
        Ok(())
    })?;
    Ok(Grade { id: f.need(id, 0)?, min: f.need(min, 1)?, label })
}

fn ranking_(v: Item<'_>) -> R<Ranking> {
    let (mut order, mut ties, mut tie_break, mut clause, mut provisional) = (None, None, None, None, false);
    let f = Fields::read(v, "Ranking", &["order", "ties", "tie_break", "clause", "provisional"], &mut |i, v| {
        match i {
            0 => order = Some(string(v)?),
            1 => ties = Some(string(v)?),
            2 => tie_break = Some(string(v)?),
            3 => clause = Some(string(v)?),
            _ => provisional = boolean(v)?,
        }
        Ok(())
    })?;
    Ok(Ranking { order: f.need(order, 0)?, ties: f.need(ties, 1)?, tie_break: f.need(tie_break, 2)?, clause, provisional })
}

#[cfg(test)]
mod tests {
    use toml::de::{DeTable, DeValue};
    use toml::Spanned;

    use crate::manifest::Manifest;

    type Outcome = Result<String, (String, Option<std::ops::Range<usize>>)>;

    fn ours(text: &str) -> Outcome {
        let root = DeTable::parse(text).map_err(|e| (e.message().to_owned(), e.span()))?;
        super::manifest(Spanned::new(root.span(), DeValue::Table(root.into_inner()))).map(|m| format!("{m:?}")).map_err(|e| (e.message, e.span))
    }

    /// The reference: serde's derived `Deserialize` through toml's own deserializer.
    fn toml_crate(text: &str) -> Outcome {
        toml::from_str::<Manifest>(text).map(|m| format!("{m:?}")).map_err(|e| (e.message().to_owned(), e.span()))
    }

    /// Variants of the real manifest: each line dropped; each key's value
    /// swapped for other types, sizes, datetimes, arrays for structs, enum
    /// tables; unknown keys.
    #[test]
    fn values_messages_and_spans_are_those_of_toml_from_str() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/uz-egov-quality/2016.1/pack.toml");
        let base = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = base.lines().collect();
        let mut variants = vec![base.clone()];
        let swaps = [
            "1", "-1", "4294967296", "5000000000", "18446744073709551615", "99999999999999999999", "-99999999999999999999",
            "340282366920938463463374607431768211455", "340282366920938463463374607431768211456", "1.5", "2e20", "1e400", "inf", "nan",
            "true", "\"x\"", "\"int\"", "[]", "[1, \"a\"]", "[\"a\", \"b\", \"c\", \"d\"]", "[\"a\", 1, true, 1, \"c\", true, {}]", "[{}]", "{}",
            "{ int = {} }", "{ int = [] }", "{ int = [1] }", "{ int = 1 }", "{ int = { a = 1 } }", "{ a = 1, b = 2 }", "{ zz = 1 }",
            "{ a = 1, b = [2, 1e400] }", "{ \"$__toml_private_datetime\" = \"2016-01-01\" }", "{ \"$__toml_private_datetime\" = \"x\" }",
            "{ \"$__toml_private_datetime\" = 1 }", "2016-01-01", "2016-01-01T00:00:00Z", "12:00:00",
        ];
        let (mut header, mut seen) = ("", std::collections::BTreeSet::new());
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with('[') {
                header = line;
            }
            // Each line once per kind of table: the manifest repeats them.
            if !seen.insert((header, line.split_once(" = ").map_or(*line, |(k, _)| k))) {
                continue;
            }
            let mut dropped = lines.clone();
            dropped.remove(i);
            variants.push(dropped.join("\n"));
            if let Some((k, _)) = line.split_once(" = ") {
                for s in swaps {
                    let mut v = lines.clone();
                    let new = format!("{k} = {s}");
                    v[i] = &new;
                    variants.push(v.join("\n"));
                }
                let mut v = lines.clone();
                let extra = format!("{line}\nunknown_key = 1");
                v[i] = &extra;
                variants.push(v.join("\n"));
            }
        }
        variants.push("x = ".into());
        variants.push(String::new());
        let mut failures = 0;
        for v in &variants {
            let (a, b) = (ours(v), toml_crate(v));
            if a != b {
                failures += 1;
                eprintln!("differs:\n{v}\nours: {a:?}\ntoml: {b:?}\n");
            }
        }
        assert!(variants.len() > 2000, "{}", variants.len());
        assert_eq!(failures, 0, "of {} variants", variants.len());
    }
}
