//! Organisation scores, penalties, grades and the competition ranking.
//!
//! The [`Ranker`] takes assessments one at a time and keeps only a running
//! exact sum per organisation, so a ranking of a million services needs no
//! more memory than the list of organisations.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::assess::{error_entry, grade_of, Assessment, Status};
use crate::error::{Error, ErrorKind, Result};
use crate::input::{self, RawRecord};
use crate::num::{ExactSum, Num};
use crate::pack::Pack;

#[derive(Default)]
struct Org {
    name: Option<String>,
    sum: ExactSum,
    assessed: usize,
    not_assessed: usize,
    invalid: usize,
    errors: usize,
    /// Organisation records that passed validation, with their names, in
    /// the order given. Which one applies is decided in `finish`, when the
    /// ranked period is known.
    records: Vec<(String, Map<String, Value>)>,
    record_errors: Vec<Error>,
}

/// How many records of a period the error about mixed periods names.
const NAMED_PER_PERIOD: usize = 5;

/// The records seen of one period: their count and the first few (number
/// and id), so an error about mixed periods can point at them.
#[derive(Default)]
struct PeriodSeen {
    count: usize,
    first: Vec<(usize, Option<String>)>,
}

/// Accumulates assessments and organisation records into a ranking.
pub struct Ranker {
    pack: Pack,
    orgs: BTreeMap<String, Org>,
    periods: BTreeMap<i64, PeriodSeen>,
    unassigned: Vec<Value>,
    /// Organisation records that cannot be hung on an organisation (not
    /// an object, no id), each naming its record.
    input_errors: Vec<Error>,
    /// Service id → the position of the record that gave it first.
    services: std::collections::HashMap<String, usize>,
}

/// One organisation in a ranking.
#[derive(Debug, Clone)]
pub struct OrgResult {
    /// Organisation id.
    pub organization_id: String,
    /// Exact score after penalties and clamping; `None` when not assessed.
    pub score: Option<Num>,
    /// Published score.
    pub published: Option<Num>,
    /// Published score as text with all its decimals (`85.50`).
    pub published_text: Option<String>,
    /// Competition rank.
    pub rank: Option<usize>,
    json: Map<String, Value>,
}

/// What a ranking keeps of one service's assessment. Small, and made where
/// the assessment was made (see [`Pack::assess_stream_map`]), so a large run
/// hands one of these to the ranker instead of the whole result.
#[derive(Debug, Clone)]
pub struct RankEntry {
    position: usize,
    service_id: Option<crate::fast::Text>,
    status: Status,
    organization_id: Option<crate::fast::Text>,
    organization_name: Option<crate::fast::Text>,
    period: Option<i64>,
    score: Option<Num>,
    /// The entry listed for a record without an organisation.
    unassigned: Option<Value>,
}

impl RankEntry {
    /// The part of `a` a ranking uses.
    pub fn of(a: &Assessment) -> RankEntry {
        let organization_id = a.pack().manifest().input.group_field.as_deref().and_then(|f| a.key_text(f));
        let unassigned = organization_id.is_none().then(|| {
            json!({ "record": a.position, "name": a.name, "status": a.status.as_str(), "errors": a.errors.iter().map(error_entry).collect::<Vec<_>>() })
        });
        RankEntry {
            position: a.position,
            service_id: a.key_text(&a.pack().manifest().input.id_field),
            status: a.status,
            organization_id,
            organization_name: a.key_text("organization_name"),
            period: a.period(),
            score: a.score.clone(),
            unassigned,
        }
    }
}

/// A finished ranking.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// Organisations: ranked ones by rank then id, then the not assessed by id.
    pub organizations: Vec<OrgResult>,
    pack: Value,
    period: Option<i64>,
    /// Whether each rule the ranking applied is provisional, and its clause.
    rules: [(&'static str, Value); 4],
    unassigned: Vec<Value>,
    input_errors: Vec<Value>,
}

impl Ranker {
    /// A ranker for `pack`.
    pub fn new(pack: &Pack) -> Ranker {
        Ranker { pack: pack.clone(), orgs: BTreeMap::new(), periods: BTreeMap::new(), unassigned: Vec::new(), input_errors: Vec::new(), services: Default::default() }
    }

    /// Counts one service result towards its organisation.
    pub fn add(&mut self, a: &Assessment) {
        self.add_entry(RankEntry::of(a));
    }

    /// Counts one service result, as kept by [`RankEntry::of`].
    pub fn add_entry(&mut self, e: RankEntry) {
        let (Some(org_id), None) = (&e.organization_id, &e.unassigned) else {
            // Without an organisation the record cannot be ranked, but it
            // must still show up.
            self.unassigned.extend(e.unassigned);
            return;
        };
        if let (Some(p), true) = (e.period, e.status != Status::Invalid) {
            let seen = self.periods.entry(p).or_default();
            seen.count += 1;
            // Entries come in input order: the first few are the earliest.
            if seen.first.len() < NAMED_PER_PERIOD {
                seen.first.push((e.position, e.service_id.as_ref().map(|id| id.to_string())));
            }
        }
        let org = match self.orgs.get_mut(&**org_id) {
            Some(org) => org,
            None => self.orgs.entry(org_id.to_string()).or_default(),
        };
        if org.name.is_none() {
            org.name = e.organization_name.map(|n| n.to_string());
        }
        // A service given twice would count twice in its organisation's
        // mean: the first record counts, a later one is invalid and named.
        if let Some(id) = &e.service_id {
            let first = *self.services.entry(id.to_string()).or_insert(e.position);
            if first != e.position {
                org.invalid += 1;
                let message = format!("service `{}` is given twice (records {first} and {}); only the first is counted", &**id, e.position);
                let id_field = &self.pack.manifest().input.id_field;
                // Named by its id, which is the record's name when it has one.
                org.record_errors.push(Error::new(ErrorKind::Input, message).with_record(&**id).with_field(id_field.clone()));
                return;
            }
        }
        match (e.status, &e.score) {
            (Status::Assessed, Some(s)) => {
                org.sum.add(s);
                org.assessed += 1;
            }
            (Status::NotAssessed, _) => org.not_assessed += 1,
            (Status::Error, _) => org.errors += 1,
            _ => org.invalid += 1,
        }
    }

    /// Adds an organisation-level record (penalty fields). A bad record is
    /// reported on its organisation and no penalty is taken from it; one
    /// that names no organisation (not an object, no id) is reported in the
    /// ranking's `input_errors`, named by `raw.locator`. Fails only when
    /// the pack declares no organisation records.
    pub fn add_organization(&mut self, raw: &RawRecord) -> Result<()> {
        let Some(schema) = self.pack.manifest().organization_input.clone() else {
            return Err(Error::new(ErrorKind::Input, "this pack declares no organisation records"));
        };
        let rec = match &raw.data {
            Ok(r) => r,
            Err(e) => {
                // One unreadable record must not cost the whole ranking.
                self.input_errors.push(if e.record().is_some() { e.clone() } else { e.clone().with_record(&raw.locator) });
                return Ok(());
            }
        };
        let name = input::record_name(&schema, &raw.locator, Some(rec));
        let mut errors = input::validate_map(&schema, rec, &name);
        if let Some(field) = &raw.given_twice {
            errors.insert(0, input::given_twice(field).with_record(&name));
        }
        // Blank text names no organisation, as it is missing in validation.
        let Some(Value::String(id)) = rec.get(&schema.id_field).filter(|id| id.as_str().is_none_or(|s| !s.trim().is_empty())) else {
            if errors.is_empty() {
                errors.push(Error::new(ErrorKind::Input, "organisation record without an id").with_record(&name).with_field(schema.id_field.clone()));
            }
            self.input_errors.extend(errors);
            return Ok(());
        };
        let org = self.orgs.entry(id.clone()).or_default();
        if errors.is_empty() {
            org.records.push((name, rec.clone()));
        } else {
            org.record_errors.extend(errors);
        }
        Ok(())
    }

    /// The field of an organisation record that holds its period: the one
    /// its schema names, else the services' period field when the
    /// organisation schema declares it too.
    fn org_period_field(&self) -> Option<String> {
        let m = self.pack.manifest();
        let schema = m.organization_input.as_ref()?;
        schema.period_field.clone().or_else(|| m.input.period_field.clone().filter(|p| schema.fields.iter().any(|f| f.name == *p)))
    }

    /// The error for services of several periods: it names the records of
    /// every period but the one most records have, where a stray record is
    /// to be found.
    fn mixed_periods(&self) -> Error {
        let listed = self.periods.keys().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let (&main, seen) = self.periods.iter().max_by_key(|(_, s)| s.count).expect("several periods");
        let others: Vec<String> = self
            .periods
            .iter()
            .filter(|(p, _)| **p != main)
            .map(|(p, s)| {
                let named: Vec<String> = s.first.iter().map(|(n, id)| id.as_ref().map_or(format!("record {n}"), |id| format!("record {n} ({id})"))).collect();
                let more = if s.count > named.len() { format!(" and {} more", s.count - named.len()) } else { String::new() };
                format!("{} of period {p}: {}{more}", s.count, named.join(", "))
            })
            .collect();
        let records = if seen.count == 1 { "record is" } else { "records are" };
        Error::new(ErrorKind::Input, format!("the input mixes periods {listed}; rank one period at a time: {} {records} of period {main}; {}", seen.count, others.join("; ")))
    }

    /// Computes scores, penalties, grades and ranks. Fails when the
    /// services span more than one period (rank one period at a time).
    pub fn finish(self) -> Result<Ranking> {
        if self.periods.len() > 1 {
            return Err(self.mixed_periods());
        }
        let period = self.periods.keys().next().copied();
        let period_field = self.org_period_field();
        let m = self.pack.manifest();
        let decimals = m.aggregation.publish_decimals;
        let rule = m.organization.as_ref();
        let mut out = Vec::new();
        // Exact organisation sums of many services are big fractions; their
        // totals are worked out on all cores (the same numbers either way).
        let sums: Vec<&ExactSum> = self.orgs.values().map(|o| &o.sum).collect();
        // One thread where threads cannot be started (WebAssembly).
        let cores = if cfg!(target_family = "wasm") { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
        let threads = cores.clamp(1, sums.len().max(1));
        let mut totals: Vec<Num> = if threads == 1 {
            sums.iter().map(|x| x.total()).collect()
        } else {
            let per = sums.len().div_ceil(threads);
            std::thread::scope(|s| {
                let parts: Vec<_> = sums.chunks(per).map(|part| s.spawn(move || part.iter().map(|x| x.total()).collect::<Vec<_>>())).collect();
                parts.into_iter().flat_map(|h| h.join().expect("summing does not panic")).collect::<Vec<_>>()
            })
        };
        totals.reverse();
        for (id, mut org) in self.orgs {
            let total = totals.pop().expect("one total per organisation");
            // A record for another period says nothing about this one: its
            // penalties must not lower this period's score. Without a ranked
            // period (no valid service) there is nothing to compare with.
            let mut record = None;
            for (name, rec) in org.records {
                // Read as validation reads it: `"2015"` and `2015.0` are 2015.
                let given = period_field.as_ref().and_then(|f| Some((f, input::whole(rec.get(f)?)?)));
                if let (Some((field, p)), Some(ranked)) = (given, period) {
                    if p != ranked {
                        let e = Error::new(ErrorKind::Input, format!("period {p} is not the ranked period {ranked}; no penalty was taken from this record"));
                        org.record_errors.push(e.with_record(&name).with_field(field));
                        continue;
                    }
                }
                if record.is_some() {
                    org.record_errors.push(Error::new(ErrorKind::Input, "a second organisation record for this organisation was ignored").with_record(&name));
                } else {
                    record = Some(rec);
                }
            }
            let mut penalties = Vec::new();
            let mut penalty_total = 0i64;
            if let (Some(rule), Some(rec)) = (rule, &record) {
                for p in &rule.penalties {
                    if rec.get(&p.field).and_then(Value::as_bool) == Some(p.when) {
                        penalty_total += p.points;
                        penalties.push(json!({ "id": p.id, "points": p.points, "clause": p.clause, "provisional": p.provisional }));
                    }
                }
            }
            let (score, mean) = if org.assessed > 0 {
                let mean = total.div(&Num::int(org.assessed as i64)).expect("count > 0");
                let clamp = |x: Num| rule.map_or(x.clone(), |r| x.max(Num::int(r.clamp_min)).min(Num::int(r.clamp_max)));
                (Some(clamp(mean.sub(&Num::int(penalty_total)))), Some(mean))
            } else {
                (None, None)
            };
            let published = score.as_ref().map(|s| s.rounded(decimals));
            let published_text = score.as_ref().map(|s| s.round_text(decimals));
            let mut o = Map::new();
            o.insert("rank".into(), Value::Null);
            o.insert("organization_id".into(), json!(id));
            o.insert("organization_name".into(), json!(org.name));
            o.insert("status".into(), json!(if score.is_some() { "assessed" } else { "not_assessed" }));
            o.insert("score".into(), score.as_ref().map_or(Value::Null, |s| s.to_json(decimals)));
            o.insert("score_exact".into(), score.as_ref().map_or(Value::Null, |s| json!(s.fraction_text())));
            o.insert("grade".into(), json!(score.as_ref().and_then(|s| grade_of(&self.pack, s))));
            o.insert("mean_exact".into(), mean.as_ref().map_or(Value::Null, |s| json!(s.fraction_text())));
            o.insert("services_assessed".into(), json!(org.assessed));
            o.insert("services_not_assessed".into(), json!(org.not_assessed));
            o.insert("services_invalid".into(), json!(org.invalid));
            o.insert("services_error".into(), json!(org.errors));
            o.insert("penalty_points".into(), json!(penalty_total));
            o.insert("penalties".into(), Value::Array(penalties));
            o.insert("organization_record".into(), json!(record.is_some()));
            o.insert("errors".into(), Value::Array(org.record_errors.iter().map(named).collect()));
            out.push(OrgResult { organization_id: id, score, published, published_text, rank: None, json: o });
        }
        // Published score descending, ties listed by id; then the not assessed.
        out.sort_by(|a, b| match (&a.published, &b.published) {
            (Some(x), Some(y)) => y.cmp(x).then_with(|| a.organization_id.cmp(&b.organization_id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.organization_id.cmp(&b.organization_id),
        });
        for i in 0..out.len() {
            if out[i].published.is_none() {
                break;
            }
            // Competition ranking: equal published scores share the rank of
            // the first of them (1, 2, 2, 4).
            let rank = if i > 0 && out[i - 1].published == out[i].published { out[i - 1].rank } else { Some(i + 1) };
            out[i].rank = rank;
            out[i].json.insert("rank".into(), json!(rank));
        }
        let input_errors = self.input_errors.iter().map(named).collect();
        Ok(Ranking { organizations: out, pack: self.pack.reference(), period, rules: rules_of(m), unassigned: self.unassigned, input_errors })
    }
}

/// `{provisional, clause}` of each rule a ranking applies, in the shape of
/// an assessment's `aggregation` and `grading`: the services' score, the
/// organisation score (mean, penalties, clamp), the grade bands, the order;
/// keyed as in a ranking's JSON, in its order.
fn rules_of(m: &crate::manifest::Manifest) -> [(&'static str, Value); 4] {
    // The score's aggregation and the grade bands as every result of
    // `assess` states them; then the ranking's own two rules.
    let rule = |provisional: bool, clause: Option<&String>| json!({ "provisional": provisional, "clause": clause });
    let (org, ranking) = (m.organization.as_ref(), m.ranking.as_ref());
    [
        ("aggregation", crate::assess::aggregation_ref(m)),
        ("organization_score", rule(org.is_some_and(|r| r.provisional), org.and_then(|r| r.clause.as_ref()))),
        ("grading", crate::assess::grading_ref(m)),
        ("ranking", rule(ranking.is_some_and(|r| r.provisional), ranking.and_then(|r| r.clause.as_ref()))),
    ]
}

/// An error as listed in a ranking. Each names the record it is about: an
/// organisation's errors come from several records (its own and its
/// services').
fn named(e: &Error) -> Value {
    let mut v = error_entry(e);
    v["record"] = json!(e.record());
    v
}

impl OrgResult {
    /// The organisation as JSON.
    pub fn to_json(&self) -> Value {
        Value::Object(self.json.clone())
    }
}

impl Ranking {
    /// `{"pack", "period", "aggregation", "organization_score", "grading",
    /// "ranking", "organizations", "unassigned", "input_errors"}`: the four
    /// rules applied are each `{"provisional", "clause"}`; `input_errors`
    /// lists organisation records that name no organisation.
    pub fn to_json(&self) -> Value {
        let mut j = Map::new();
        j.insert("pack".into(), self.pack.clone());
        j.insert("period".into(), json!(self.period));
        for (key, rule) in &self.rules {
            j.insert((*key).into(), rule.clone());
        }
        j.insert("organizations".into(), self.organizations.iter().map(OrgResult::to_json).collect());
        j.insert("unassigned".into(), json!(self.unassigned));
        j.insert("input_errors".into(), json!(self.input_errors));
        Value::Object(j)
    }
}

impl Pack {
    /// Ranks organisations from service records and optional organisation
    /// records (JSON objects). Every service record is assessed first.
    pub fn rank(&self, services: &[Value], organizations: &[Value]) -> Result<Ranking> {
        let mut r = Ranker::new(self);
        for (i, s) in services.iter().enumerate() {
            let data = s.as_object().cloned().ok_or_else(|| Error::new(ErrorKind::Input, "a record must be a JSON object"));
            let raw = RawRecord { given_twice: None, position: i + 1, locator: format!("item {}", i + 1), data };
            r.add(&self.assess_raw(&raw, &crate::AssessOptions { trace: false }));
        }
        for (i, o) in organizations.iter().enumerate() {
            // Worded as the JSON readers word it, so rank and rank_json agree.
            let data = o.as_object().cloned().ok_or_else(|| Error::new(ErrorKind::Input, "a record must be a JSON object"));
            r.add_organization(&RawRecord { given_twice: None, position: i + 1, locator: format!("organization {}", i + 1), data })?;
        }
        r.finish()
    }

    /// [`Pack::rank`] on JSON text: arrays of service and organisation
    /// records. Read from the text, a record that gives a field twice is
    /// invalid, as in `mezon rank` (a parsed value keeps only the last).
    pub fn rank_json(&self, services: &str, organizations: Option<&str>) -> Result<Ranking> {
        let rows = |text: &str, what: &str| {
            input::json_array_rows(text).map_err(|e| {
                let named = Error::new(e.kind(), format!("{what}: {}", e.message()));
                match (e.line(), e.column()) {
                    (Some(l), Some(c)) => named.at(l, c),
                    _ => named,
                }
            })
        };
        let mut r = Ranker::new(self);
        for row in rows(services, "the service records")? {
            r.add(&self.assess_raw(&row.parse(), &crate::AssessOptions { trace: false }));
        }
        for (i, row) in organizations.map(|o| rows(o, "the organisation records")).transpose()?.into_iter().flatten().enumerate() {
            r.add_organization(&row.parse_as(format!("organization {}", i + 1)))?;
        }
        r.finish()
    }
}
