//! Output formats of the command line. JSON forms are the engine's JSON
//! unchanged; CSV and table forms are views of it.

use std::io::{self, Write};

use mezon::{Assessment, Pack, Ranking};
use serde_json::Value;

use crate::{AssessFormat, RankFormat};

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn csv_row(cells: &[String]) -> String {
    cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
}

fn errors_text(v: &Value) -> String {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|e| match e["field"].as_str().or(e["indicator"].as_str()) {
            Some(f) => format!("{f}: {}", cell(&e["message"])),
            None => cell(&e["message"]),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn warnings_text(v: &Value) -> String {
    v.as_array().into_iter().flatten().map(cell).collect::<Vec<_>>().join("; ")
}

/// The line under a table's pack line: which rules are provisional, each
/// with its clause (`rules`: name, provisional, clause), then `more`.
fn provisional_line<'a>(rules: impl IntoIterator<Item = (&'a str, bool, Option<&'a str>)>, more: Option<String>) -> String {
    let mut named: Vec<String> = rules.into_iter().filter(|r| r.1).map(|(name, _, clause)| format!("{name} ({})", clause.unwrap_or("no clause given"))).collect();
    named.extend(more);
    if named.is_empty() {
        "provisional rules: none".into()
    } else {
        format!("provisional rules: {}", named.join("; "))
    }
}

/// `id version (digest)`, the first line of a table.
fn pack_line(reference: &Value) -> String {
    format!("{} {} ({})", cell(&reference["id"]), cell(&reference["version"]), cell(&reference["digest"]))
}

/// Writes assessment results one at a time, streaming.
/// A result ready for [`AssessWriter::write`].
pub(crate) enum Prepared {
    Line(String),
    Result(Box<Assessment>),
}

pub(crate) struct AssessWriter {
    format: AssessFormat,
    indicator_ids: Vec<String>,
    first: bool,
    table_rows: Vec<Vec<String>>,
    /// The lines above the table: the pack, then its provisional rules.
    table_head: [String; 2],
    /// The cells every CSV row ends with: the provisional rules (names
    /// only, the clauses are in the JSON formats), the pack id, version
    /// and digest.
    csv_tail: [String; 4],
}

impl AssessWriter {
    pub(crate) fn new(pack: &Pack, format: AssessFormat) -> AssessWriter {
        let m = pack.manifest();
        let g = m.grading.as_ref();
        let rules = [
            ("aggregation", m.aggregation.provisional, m.aggregation.clause.as_deref()),
            ("grading", g.is_some_and(|g| g.provisional), g.and_then(|g| g.clause.as_deref())),
        ];
        let indicators: Vec<&str> = m.indicators.iter().filter(|i| i.provisional).map(|i| i.id.as_str()).collect();
        let more = (!indicators.is_empty()).then(|| format!("indicators {} (their clauses: mezon explain, or --format jsonl)", indicators.join(", ")));
        let table_head = [pack_line(&pack.reference()), provisional_line(rules, more)];
        let mut provisional: Vec<&str> = rules.iter().filter(|r| r.1).map(|r| r.0).collect();
        provisional.extend(&indicators);
        let csv_tail = [provisional.join("; "), pack.id().to_owned(), pack.version().to_owned(), pack.digest().to_owned()];
        AssessWriter { format, indicator_ids: m.indicators.iter().map(|i| i.id.clone()).collect(), first: true, table_rows: Vec::new(), table_head, csv_tail }
    }

    fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = ["record", "service_id", "organization_id", "status", "score", "grade"].map(String::from).to_vec();
        h.extend(self.indicator_ids.iter().cloned());
        h.extend(["errors", "warnings"].map(String::from));
        h
    }

    fn row(&self, a: &Assessment, j: &Value) -> Vec<String> {
        let mut r: Vec<String> = vec![a.position.to_string()];
        r.extend(["service_id", "organization_id", "status"].iter().map(|k| cell(&j[*k])));
        // The published figure as text keeps its two decimals (85.50).
        r.push(a.published_score().unwrap_or_default());
        r.push(cell(&j["grade"]));
        for id in &self.indicator_ids {
            let ind = &j["indicators"][id];
            r.push(if ind.is_null() { String::new() } else if ind["applicable"] == false && ind["points"].is_null() { "n/a".into() } else { cell(&ind["points"]) });
        }
        r.push(errors_text(&j["errors"]));
        r.push(warnings_text(&j["warnings"]));
        r
    }

    /// What the writer needs of a result, made on the thread that assessed
    /// it: the JSON line for the JSON formats, else the result itself.
    pub(crate) fn prepare(format: AssessFormat, a: Assessment) -> Prepared {
        match format {
            AssessFormat::Jsonl | AssessFormat::Json => Prepared::Line(a.to_json_line()),
            _ => Prepared::Result(Box::new(a)),
        }
    }

    pub(crate) fn write(&mut self, out: &mut dyn Write, p: &Prepared) -> io::Result<()> {
        let a = match (self.format, p) {
            (AssessFormat::Jsonl, Prepared::Line(line)) => return writeln!(out, "{line}"),
            (AssessFormat::Json, Prepared::Line(line)) => {
                write!(out, "{}{line}", if self.first { "[\n" } else { ",\n" })?;
                self.first = false;
                return Ok(());
            }
            (_, Prepared::Line(_)) => unreachable!("JSON lines are prepared for the JSON formats only"),
            (_, Prepared::Result(a)) => a,
        };
        match self.format {
            AssessFormat::Jsonl | AssessFormat::Json => unreachable!("results are prepared as lines for the JSON formats"),
            AssessFormat::Csv => {
                let j = a.to_json();
                if self.first {
                    let mut header = self.header();
                    header.extend(["provisional", "pack_id", "pack_version", "pack_digest"].map(String::from));
                    writeln!(out, "{}", csv_row(&header))?;
                }
                let mut row = self.row(a, &j);
                row.extend(self.csv_tail.iter().cloned());
                writeln!(out, "{}", csv_row(&row))?;
            }
            AssessFormat::Table => {
                let j = a.to_json();
                self.table_rows.push(self.row(a, &j));
            }
        }
        self.first = false;
        Ok(())
    }

    pub(crate) fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            AssessFormat::Json => writeln!(out, "{}", if self.first { "[]" } else { "\n]" }),
            AssessFormat::Table => {
                for line in &self.table_head {
                    writeln!(out, "{line}")?;
                }
                let mut rows = vec![self.header()];
                rows.append(&mut self.table_rows);
                write_table(out, &rows)
            }
            _ => Ok(()),
        }
    }
}

fn write_table(out: &mut dyn Write, rows: &[Vec<String>]) -> io::Result<()> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    for r in rows {
        let line: Vec<String> = r.iter().enumerate().map(|(i, s)| if i + 1 == r.len() { s.clone() } else { format!("{s:<w$}", w = widths[i]) }).collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

/// Writes a ranking. Every input record is shown in every format: ranked
/// organisations carry their service counts by status (assessed, not
/// assessed, invalid, error) and their organisation-record errors; records
/// without an organisation follow as `unassigned`.
///
/// CSV keeps one header row: an unassigned record is a row with status
/// `unassigned`, no rank or organisation, a count of 1 under its own status
/// and its number, name and errors in `record`, `record_name`, `errors`; an
/// organisation record that names no organisation is a row with status
/// `input_error`, its name and errors; the `provisional` column of each
/// organisation names the provisional rules that ranked it.
/// The table names the provisional rules, with their clauses, under its
/// pack line, and lists unassigned records and input errors in sections
/// below the ranking.
pub(crate) fn write_ranking(out: &mut dyn Write, r: &Ranking, format: RankFormat) -> io::Result<()> {
    let j = r.to_json();
    let rules = ["aggregation", "organization_score", "grading", "ranking"].map(|k| (k, j[k]["provisional"] == true, j[k]["clause"].as_str()));
    let input_errors = || j["input_errors"].as_array().into_iter().flatten();
    let keys = ["rank", "organization_id", "organization_name", "status", "score", "grade", "services_assessed", "services_not_assessed", "services_invalid", "services_error", "penalty_points"];
    let orgs = || j["organizations"].as_array().into_iter().flatten().zip(&r.organizations);
    let rows = || orgs().map(|(o, org)| keys.iter().map(|k| if *k == "score" { org.published_text.clone().unwrap_or_default() } else { cell(&o[*k]) }).collect::<Vec<_>>());
    let unassigned = || j["unassigned"].as_array().into_iter().flatten();
    let errors_of = |o: &Value| o["errors"].as_array().map_or(0, Vec::len);
    match format {
        RankFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&j).expect("JSON")),
        RankFormat::Csv => {
            let mut header = keys.map(String::from).to_vec();
            header.extend(["record", "record_name", "errors", "provisional"].map(String::from));
            writeln!(out, "{}", csv_row(&header))?;
            let provisional = rules.iter().filter(|r| r.1).map(|r| r.0).collect::<Vec<_>>().join("; ");
            for ((o, _), mut row) in orgs().zip(rows()) {
                row.extend([String::new(), String::new(), errors_text(&o["errors"]), provisional.clone()]);
                writeln!(out, "{}", csv_row(&row))?;
            }
            // A row that is not an organisation: its status, a count of 1
            // under the services column `counted` (if any), the rest empty.
            let status_row = |status: &str, counted: Option<String>| -> Vec<String> {
                keys.iter()
                    .map(|k| match *k {
                        "status" => status.to_owned(),
                        "services_assessed" | "services_not_assessed" | "services_invalid" | "services_error" => (if counted.as_deref() == Some(*k) { "1" } else { "0" }).to_owned(),
                        _ => String::new(),
                    })
                    .collect()
            };
            for u in unassigned() {
                let mut row = status_row("unassigned", Some(format!("services_{}", cell(&u["status"]))));
                row.extend([cell(&u["record"]), cell(&u["name"]), errors_text(&u["errors"]), String::new()]);
                writeln!(out, "{}", csv_row(&row))?;
            }
            for e in input_errors() {
                let mut row = status_row("input_error", None);
                row.extend([String::new(), cell(&e["record"]), errors_text(&Value::Array(vec![e.clone()])), String::new()]);
                writeln!(out, "{}", csv_row(&row))?;
            }
            Ok(())
        }
        RankFormat::Table => {
            writeln!(out, "{}, period {}", pack_line(&j["pack"]), cell(&j["period"]))?;
            writeln!(out, "{}", provisional_line(rules, None))?;
            let mut all = vec![["rank", "organization", "name", "status", "score", "grade", "assessed", "not assessed", "invalid", "error", "penalty", "input errors"].map(String::from).to_vec()];
            all.extend(orgs().zip(rows()).map(|((o, _), mut row)| {
                row.push(errors_of(o).to_string());
                row
            }));
            write_table(out, &all)?;
            let n = unassigned().count();
            if n > 0 {
                writeln!(out, "\nunassigned: {n} record(s) without an organisation, not ranked")?;
                let mut all = vec![["record", "name", "status", "errors"].map(String::from).to_vec()];
                all.extend(unassigned().map(|u| vec![cell(&u["record"]), cell(&u["name"]), cell(&u["status"]), errors_text(&u["errors"])]));
                write_table(out, &all)?;
            }
            let n: usize = orgs().map(|(o, _)| errors_of(o)).sum::<usize>() + input_errors().count();
            if n > 0 {
                writeln!(out, "\ninput errors: {n} (no penalty is taken from a bad organisation record; of a service given twice only the first record counts)")?;
                let mut all = vec![["organization", "error"].map(String::from).to_vec()];
                for (o, _) in orgs() {
                    all.extend(o["errors"].as_array().into_iter().flatten().map(|e| vec![cell(&o["organization_id"]), errors_text(&Value::Array(vec![e.clone()]))]));
                }
                // No organisation to list them under: named by their record.
                all.extend(input_errors().map(|e| vec!["-".to_owned(), format!("{}: {}", cell(&e["record"]), errors_text(&Value::Array(vec![e.clone()])))]));
                write_table(out, &all)?;
            }
            Ok(())
        }
    }
}

/// The readable breakdown of one record (`mezon explain`).
pub(crate) fn explain(out: &mut dyn Write, a: &Assessment) -> io::Result<()> {
    let j = a.to_json();
    let pack = a.pack();
    let m = pack.manifest();
    writeln!(out, "{} ({})", a.name, cell(&j["organization_id"]))?;
    writeln!(out, "pack   {} {} {}", pack.id(), pack.version(), pack.digest())?;
    match a.status {
        mezon::Status::Assessed => {
            let exact = a.score.as_ref().expect("assessed has a score");
            writeln!(
                out,
                "score  {} (exact {} = {}), grade {}",
                a.published_score().unwrap_or_default(),
                exact.fraction_text(),
                exact,
                a.grade().unwrap_or("-")
            )?;
            writeln!(out, "       100 × {} points / {} applicable maximum, rounded once, half away from zero", a.points_total, a.max_applicable)?;
        }
        s => writeln!(out, "status {}{}", s.as_str(), a.reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())?,
    }
    for key in ["aggregation", "grading"] {
        let prov = if j[key]["provisional"] == true { "  [provisional]" } else { "" };
        writeln!(out, "{key:<14}{prov}\n    clause: {}", j[key]["clause"].as_str().unwrap_or("none given"))?;
    }
    for w in &a.warnings {
        writeln!(out, "warning: {w}")?;
    }
    for e in &a.errors {
        writeln!(out, "\n{e}")?;
    }
    writeln!(out)?;
    for (i, def) in m.indicators.iter().enumerate() {
        let Some(r) = a.indicators.get(i) else { continue };
        let points = match (&r.points, &r.not_applicable) {
            (Some(p), _) => format!("{} / {}", p, def.max),
            (_, Some(_)) => format!("n/a / {}", def.max),
            _ => format!("error / {}", def.max),
        };
        let prov = if def.provisional { "  [provisional]" } else { "" };
        writeln!(out, "{:<14} {:>16}{prov}", def.id, points)?;
        writeln!(out, "    clause: {}", def.clause)?;
        for line in a.trace(i) {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}
