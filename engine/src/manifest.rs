//! `pack.toml`: the declared shape of a rule pack.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::num::Num;

mod read;

/// The `schema_version` this engine reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Text in Uzbek, Russian and English.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Uzbek.
    #[serde(default)]
    pub uz: String,
    /// Russian.
    #[serde(default)]
    pub ru: String,
    /// English.
    #[serde(default)]
    pub en: String,
}

/// A parsed `pack.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Version of this manifest format; must be [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Pack id, e.g. `uz-egov-quality`.
    pub id: String,
    /// Pack version, e.g. `2016.1`.
    pub version: String,
    /// First day the pack is in force, `YYYY-MM-DD` (inclusive).
    pub effective_from: String,
    /// Day the pack stops being in force, `YYYY-MM-DD` (exclusive).
    #[serde(default)]
    pub effective_to: Option<String>,
    /// The assessment period, e.g. `year`.
    pub period: String,
    /// Declared sum of the indicator maxima.
    pub total_max: i64,
    /// Titles.
    pub title: Labels,
    /// The legal act the pack implements.
    pub legal_basis: LegalBasis,
    /// The record schema.
    pub input: InputSchema,
    /// The organisation-level record schema.
    #[serde(default)]
    pub organization_input: Option<InputSchema>,
    /// The indicators, in order.
    pub indicators: Vec<IndicatorDef>,
    /// How indicator points make a service score.
    pub aggregation: Aggregation,
    /// How service scores make an organisation score.
    #[serde(default)]
    pub organization: Option<OrganizationRule>,
    /// Grade bands, highest first.
    pub grades: Vec<Grade>,
    /// Where the grade bands come from.
    #[serde(default)]
    pub grading: Option<Provenance>,
    /// How organisations are ranked.
    #[serde(default)]
    pub ranking: Option<Ranking>,
}

/// The legal act behind a pack.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// The act, e.g. `Resolution of the Cabinet of Ministers No. 353`.
    pub document: String,
    /// Its date.
    pub date: String,
    /// Its title.
    #[serde(default)]
    pub title: Option<Labels>,
    /// What is and is not available of it.
    #[serde(default)]
    pub note: Option<String>,
}

/// Fields and relations of one kind of record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InputSchema {
    /// The field naming a record (`service_id`).
    pub id_field: String,
    /// The field grouping records into organisations.
    #[serde(default)]
    pub group_field: Option<String>,
    /// The period field.
    #[serde(default)]
    pub period_field: Option<String>,
    /// The fields.
    pub fields: Vec<FieldDef>,
    /// Relations between fields.
    #[serde(default)]
    pub relations: Vec<Relation>,
}

/// Type of an input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// Whole number (Rhai integer in rules).
    Int,
    /// Exact decimal (exact rational in rules).
    Number,
    /// `true` / `false`.
    Bool,
}

/// One input field.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Field name.
    pub name: String,
    /// Field type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether a record must have it.
    #[serde(default)]
    pub required: bool,
    /// Smallest allowed value (numbers).
    #[serde(default)]
    pub min: Option<toml::Value>,
    /// Largest allowed value (numbers).
    #[serde(default)]
    pub max: Option<toml::Value>,
    /// Form label.
    #[serde(default)]
    pub label: Labels,
    /// Form help text.
    #[serde(default)]
    pub help: Option<Labels>,
}

/// `left op right` between two fields of a record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Left field.
    pub left: String,
    /// `<=`, `<`, `>=`, `>`, `==`.
    pub op: String,
    /// Right field.
    pub right: String,
    /// What a broken relation means.
    #[serde(default)]
    pub message: Option<Labels>,
}

/// One indicator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    /// Indicator id.
    pub id: String,
    /// Title.
    pub title: Labels,
    /// Maximum points.
    pub max: i64,
    /// Rule file, relative to the pack folder.
    pub script: String,
    /// Whether the rule is a reconstruction rather than the official text.
    pub provisional: bool,
    /// The clause it implements.
    pub clause: String,
}

/// Service score aggregation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregation {
    /// A service whose applicable maximum is below this is not assessed.
    pub not_assessed_below: i64,
    /// Decimals of a published figure.
    pub publish_decimals: u32,
    /// The one rounding; only `half_away_from_zero` is defined.
    pub rounding: String,
    /// Decimals of shown indicator points.
    pub points_decimals: u32,
    /// Source clause.
    #[serde(default)]
    pub clause: Option<String>,
    /// Whether the aggregation is a reconstruction.
    #[serde(default)]
    pub provisional: bool,
}

/// Where a declared rule comes from.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Source clause.
    #[serde(default)]
    pub clause: Option<String>,
    /// Whether it is a reconstruction.
    #[serde(default)]
    pub provisional: bool,
}

/// Organisation score rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRule {
    /// Only `mean` (of assessed services' exact scores) is defined.
    pub score: String,
    /// Lower clamp.
    pub clamp_min: i64,
    /// Upper clamp.
    pub clamp_max: i64,
    /// Source clause.
    #[serde(default)]
    pub clause: Option<String>,
    /// Whether it is a reconstruction.
    #[serde(default)]
    pub provisional: bool,
    /// Penalties from the organisation record.
    #[serde(default)]
    pub penalties: Vec<Penalty>,
}

/// A penalty: `points` off when the organisation field equals `when`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    /// Penalty id.
    pub id: String,
    /// Organisation field tested.
    pub field: String,
    /// Value that triggers the penalty.
    pub when: bool,
    /// Points taken off.
    pub points: i64,
    /// Source clause.
    pub clause: String,
    /// Whether it is a reconstruction.
    #[serde(default)]
    pub provisional: bool,
    /// Title.
    #[serde(default)]
    pub title: Option<Labels>,
}

/// A grade band: published score ≥ `min`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// Grade id.
    pub id: String,
    /// Lowest published score of the band.
    pub min: toml::Value,
    /// Label.
    #[serde(default)]
    pub label: Labels,
}

/// Ranking rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ranking {
    /// Only `score_desc` is defined.
    pub order: String,
    /// Only `competition` (1, 2, 2, 4) is defined.
    pub ties: String,
    /// Listing order within a tie; only `organization_id` is defined.
    pub tie_break: String,
    /// Source clause.
    #[serde(default)]
    pub clause: Option<String>,
    /// Whether it is a reconstruction.
    #[serde(default)]
    pub provisional: bool,
}

/// A TOML number (integer or decimal) read exactly.
pub(crate) fn toml_num(v: &toml::Value) -> Option<Num> {
    match v {
        toml::Value::Integer(i) => Some(Num::int(*i)),
        toml::Value::Float(f) => Num::from_f64_text(*f),
        toml::Value::String(s) => Num::parse(s),
        _ => None,
    }
}

fn bad(msg: String) -> Error {
    Error::new(ErrorKind::Manifest, msg).with_file("pack.toml")
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`. Dates are compared
/// as text (`in_force`), so a day that does not exist, such as 2021-02-30,
/// would still pick a version: it is refused.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return false;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().expect("digits");
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

impl Manifest {
    /// Parses and validates `pack.toml`; errors carry line and column.
    pub fn parse(text: &str) -> Result<Manifest> {
        let m = toml::de::DeTable::parse(text)
            .map_err(|e| read::DeError { message: e.message().to_owned(), span: e.span() })
            .and_then(|root| read::manifest(toml::Spanned::new(root.span(), toml::de::DeValue::Table(root.into_inner()))))
            .map_err(|e| {
            let mut err = bad(e.message);
            if let Some(span) = e.span {
                let before = &text[..span.start];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                err = err.with_position(line as u32, col as u32, None).with_source(text);
            }
            err
        })?;
        m.validate()?;
        Ok(m)
    }

    fn validate(&self) -> Result<()> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(bad(format!("schema_version {} is not supported (this engine reads {SCHEMA_VERSION})", self.schema_version)));
        }
        for (what, d) in [("effective_from", Some(&self.effective_from)), ("effective_to", self.effective_to.as_ref())] {
            if let Some(d) = d {
                if !is_date(d) {
                    return Err(bad(format!("{what} `{d}` is not a YYYY-MM-DD date")));
                }
            }
        }
        if self.aggregation.rounding != "half_away_from_zero" {
            return Err(bad(format!("rounding `{}` is not defined; use half_away_from_zero", self.aggregation.rounding)));
        }
        let mut seen = BTreeMap::new();
        for ind in &self.indicators {
            if seen.insert(ind.id.as_str(), ()).is_some() {
                return Err(bad(format!("indicator `{}` is declared twice", ind.id)));
            }
            if ind.max <= 0 {
                return Err(bad(format!("indicator `{}` has max {}; it must be positive", ind.id, ind.max)));
            }
        }
        for schema in std::iter::once(&self.input).chain(self.organization_input.as_ref()) {
            let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
            for f in &schema.fields {
                for (what, v) in [("min", &f.min), ("max", &f.max)] {
                    if let Some(v) = v {
                        if toml_num(v).is_none() {
                            return Err(bad(format!("field `{}`: {what} is not a number", f.name)));
                        }
                    }
                }
            }
            for key in [Some(&schema.id_field), schema.group_field.as_ref(), schema.period_field.as_ref()].into_iter().flatten() {
                if !names.contains(&key.as_str()) {
                    return Err(bad(format!("`{key}` is named as a key field but not declared in the input fields")));
                }
            }
            for r in &schema.relations {
                for side in [&r.left, &r.right] {
                    if !names.contains(&side.as_str()) {
                        return Err(bad(format!("relation `{} {} {}` names undeclared field `{side}`", r.left, r.op, r.right)));
                    }
                }
                if !["<=", "<", ">=", ">", "=="].contains(&r.op.as_str()) {
                    return Err(bad(format!("relation operator `{}` is not one of <=, <, >=, >, ==", r.op)));
                }
            }
        }
        if let Some(org) = &self.organization {
            if org.score != "mean" {
                return Err(bad(format!("organization score `{}` is not defined; use mean", org.score)));
            }
            let fields = self.organization_input.as_ref().map(|s| s.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>()).unwrap_or_default();
            for p in &org.penalties {
                if !fields.contains(&p.field.as_str()) {
                    return Err(bad(format!("penalty `{}` reads `{}`, which organization_input does not declare", p.id, p.field)));
                }
            }
        }
        if let Some(r) = &self.ranking {
            if r.order != "score_desc" || r.ties != "competition" || r.tie_break != "organization_id" {
                return Err(bad("ranking: only order = score_desc, ties = competition, tie_break = organization_id are defined".into()));
            }
        }
        for g in &self.grades {
            if toml_num(&g.min).is_none() {
                return Err(bad(format!("grade `{}`: min is not a number", g.id)));
            }
        }
        if self.grades.windows(2).any(|w| toml_num(&w[0].min) <= toml_num(&w[1].min)) {
            return Err(bad("grades must be listed highest first".into()));
        }
        Ok(())
    }

    /// Whether the pack is in force on `date` (`YYYY-MM-DD`).
    pub fn in_force(&self, date: &str) -> bool {
        self.effective_from.as_str() <= date && self.effective_to.as_deref().is_none_or(|to| date < to)
    }
}
