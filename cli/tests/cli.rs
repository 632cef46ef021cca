//! The `mezon` command line, run as a process. Contents:
//!
//! 1. assess: formats, input order, exit codes 0 / 2 / 1
//! 2. rank: the bundled example, organisations file, formats
//! 3. check, test, explain, bundle, sample; a missing lib/ module
//! 4. regressions: provenance, input errors and warnings in every format,
//!    mixed periods named, a closed stdout, a service id given twice

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mezon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mezon")).args(args).current_dir(root()).output().expect("mezon runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const PACK: &str = "rules/uz-egov-quality/2016.1";

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mezon-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

// 1. assess ------------------------------------------------------------------

#[test]
fn assess_writes_one_result_per_record_in_input_order_and_exits_2_on_invalid_rows() {
    let o = mezon(&["assess", "--pack", PACK, "--input", "examples/2016/invalid.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let input_rows = std::fs::read_to_string(root().join("examples/2016/invalid.csv")).unwrap().lines().count() - 1;
    assert_eq!(lines.len(), input_rows);
    assert_eq!(lines[0]["status"], "assessed");
    assert_eq!(lines[0]["score"].to_string(), "78.78");
    assert_eq!(lines[1]["status"], "invalid");
    assert_eq!(lines[1]["errors"][0]["field"], "completed_on_time");
    for l in &lines {
        for key in ["service_id", "organization_id", "status", "score", "grade", "indicators", "errors", "pack"] {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
    }
}

#[test]
fn assess_exits_0_on_a_clean_file_and_1_when_it_cannot_proceed() {
    let dir = tmp("clean");
    let f = dir.join("one.jsonl");
    let clean = std::fs::read_to_string(root().join("examples/2016/invalid.csv")).unwrap();
    let csv: String = clean.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("one.csv"), csv).unwrap();
    let o = mezon(&["assess", "--pack", PACK, "--input", dir.join("one.csv").to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let arr: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(arr.as_array().unwrap().len(), 1);

    std::fs::write(&f, "{}\n").unwrap();
    let o = mezon(&["assess", "--pack", "rules/no-such-pack", "--input", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let o = mezon(&["assess", "--pack", PACK, "--input", "examples/2016/nothing.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[io]"));
    let o = mezon(&["assess", "--pack", PACK, "--input", "README.md"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("use a .csv, .json or .jsonl file"));
}

#[test]
fn assess_csv_and_table_formats_show_points_per_indicator() {
    let o = mezon(&["assess", "--pack", PACK, "--input", "examples/2016/invalid.csv", "--format", "csv"]);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "record,service_id,organization_id,status,score,grade,satisfaction,timeliness,optimization,interagency,uptake,maturity,portal_info,availability,complaints,errors,warnings,provisional,pack_id,pack_version,pack_digest"
    );
    assert!(lines.next().unwrap().starts_with("1,SRV-900001,ORG-MJ,assessed,78.78,good,24.975,16,13,4.8,5,4,5,4,2,,,aggregation; grading; satisfaction;"));
    let o = mezon(&["assess", "--pack", PACK, "--input", "examples/2016/invalid.csv", "--format", "table"]);
    // Under the pack line and the provisional rules.
    assert!(stdout(&o).lines().nth(3).unwrap().starts_with("1       SRV-900001  ORG-MJ           assessed  78.78  good"));
}

// 2. rank -----------------------------------------------------------------------

#[test]
fn rank_the_bundled_example() {
    let o = mezon(&["rank", "--pack", "rules/uz-egov-quality", "--input", "examples/2016/services.csv", "--organizations", "examples/2016/organizations.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["pack"]["version"], "2016.1");
    let orgs = j["organizations"].as_array().unwrap();
    assert!(orgs.len() >= 40);
    let services: u64 = orgs.iter().map(|o| o["services_assessed"].as_u64().unwrap() + o["services_not_assessed"].as_u64().unwrap()).sum();
    assert_eq!(services, 600, "every service is counted");
    for key in ["organization_id", "status", "score", "grade", "rank", "services_assessed", "penalties"] {
        assert!(orgs[0].get(key).is_some(), "missing {key}");
    }
    // Ranks are competition ranks over published scores, descending.
    for w in orgs.windows(2) {
        if let (Some(a), Some(b)) = (w[0]["score"].as_f64(), w[1]["score"].as_f64()) {
            assert!(a >= b);
            let (ra, rb) = (w[0]["rank"].as_u64().unwrap(), w[1]["rank"].as_u64().unwrap());
            assert!(if a == b { ra == rb } else { rb > ra });
        }
    }
    let penalised = orgs.iter().filter(|o| o["penalty_points"].as_i64().unwrap() > 0).count();
    assert!(penalised > 0);
    let o = mezon(&["rank", "--pack", PACK, "--input", "examples/2016/services.csv", "--format", "csv"]);
    assert!(stdout(&o).starts_with("rank,organization_id,organization_name,status,score,grade,"));
}

/// Splits one CSV line into fields (quoted fields with "" escapes).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Services: two fine records of ORG-A, one of ORG-B whose rule fails
/// (marks_5 overflows), one without an organisation. Organisations: ORG-A
/// twice, ORG-B with `data_submitted_on_time = maybe`.
fn rank_problem_files() -> (PathBuf, PathBuf) {
    let dir = tmp("rank-problems");
    let example = std::fs::read_to_string(root().join("examples/2016/services.csv")).unwrap();
    let mut lines = example.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let base: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(cols.len(), base.len(), "the first example record has no quoted cells");
    let record = |id: &str, org: &str, set: &[(&str, &str)]| {
        let mut r: Vec<String> = base.iter().map(|c| c.to_string()).collect();
        for (k, v) in [("service_id", id), ("organization_id", org), ("organization_name", "")].iter().chain(set) {
            r[cols.iter().position(|c| c == k).unwrap()] = v.to_string();
        }
        r.join(",")
    };
    let services = [
        header.to_string(),
        record("SRV-A1", "ORG-A", &[]),
        record("SRV-A2", "ORG-A", &[]),
        record("SRV-B1", "ORG-B", &[("marks_5", "9223372036854775807")]),
        record("SRV-NONE", "", &[]),
    ];
    let s = dir.join("services.csv");
    std::fs::write(&s, services.join("\n") + "\n").unwrap();
    let o = dir.join("organizations.csv");
    std::fs::write(&o, "organization_id,period,data_submitted_on_time,data_unreliable\nORG-A,2016,true,false\nORG-A,2016,true,false\nORG-B,2016,maybe,false\n").unwrap();
    (s, o)
}

#[test]
fn rank_table_and_csv_show_every_record_the_json_has() {
    let (s, orgs) = rank_problem_files();
    let run = |format: &str| {
        let o = mezon(&["rank", "--pack", PACK, "--input", s.to_str().unwrap(), "--organizations", orgs.to_str().unwrap(), "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        stdout(&o)
    };
    // What the engine reports.
    let j: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let org = |id: &str| j["organizations"].as_array().unwrap().iter().find(|o| o["organization_id"] == id).unwrap().clone();
    assert_eq!(org("ORG-A")["services_assessed"], 2);
    assert_eq!(org("ORG-B")["services_error"], 1);
    assert_eq!(org("ORG-A")["errors"].as_array().unwrap().len(), 1);
    assert_eq!(org("ORG-B")["errors"][0]["field"], "data_submitted_on_time");
    assert_eq!(j["unassigned"][0]["name"], "SRV-NONE");

    // CSV: one header; every service record is counted on exactly one row.
    let csv = run("csv");
    let rows: Vec<Vec<String>> = csv.lines().map(csv_fields).collect();
    assert_eq!(
        rows[0].join(","),
        "rank,organization_id,organization_name,status,score,grade,services_assessed,services_not_assessed,services_invalid,services_error,penalty_points,record,record_name,errors,provisional"
    );
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{csv}");
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let counted: u64 = rows[1..]
        .iter()
        .map(|r| ["services_assessed", "services_not_assessed", "services_invalid", "services_error"].iter().map(|c| r[col(c)].parse::<u64>().unwrap()).sum::<u64>())
        .sum();
    assert_eq!(counted, 4, "every service record is counted: {csv}");
    let row = |id: &str| rows.iter().find(|r| r[col("organization_id")] == id).unwrap();
    assert_eq!(row("ORG-A")[col("rank")], "1");
    assert_eq!(row("ORG-A")[col("errors")], "a second organisation record for this organisation was ignored");
    assert_eq!(row("ORG-B")[col("services_error")], "1");
    assert!(row("ORG-B")[col("errors")].starts_with("data_submitted_on_time: "), "{csv}");
    let u = rows.iter().find(|r| r[col("status")] == "unassigned").unwrap();
    assert_eq!((u[col("rank")].as_str(), u[col("organization_id")].as_str(), u[col("services_invalid")].as_str()), ("", "", "1"));
    assert_eq!((u[col("record")].as_str(), u[col("record_name")].as_str()), ("4", "SRV-NONE"));
    assert_eq!(u[col("errors")], "organization_id: required field is missing");

    // Table: the error count column, the unassigned records and the
    // organisation-record errors.
    let table = run("table");
    let lines: Vec<&str> = table.lines().collect();
    let words = |l: &str| l.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert!(lines[2].ends_with("assessed  not assessed  invalid  error  penalty  input errors"), "{table}");
    let b = lines.iter().find(|l| l.contains("ORG-B")).unwrap();
    assert_eq!(words(b)[1..], ["not_assessed", "0", "0", "0", "1", "0", "1"].map(String::from), "{table}");
    let a = lines.iter().find(|l| l.contains("ORG-A")).unwrap();
    assert_eq!(words(a).last().unwrap(), "1", "{table}");
    assert!(table.contains("\nunassigned: 1 record(s) without an organisation, not ranked\n"), "{table}");
    assert!(lines.iter().any(|l| words(l)[..] == ["4", "SRV-NONE", "invalid", "organization_id:", "required", "field", "is", "missing"]), "{table}");
    assert!(table.contains("\ninput errors: 2 "), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("ORG-A") && l.ends_with("a second organisation record for this organisation was ignored")), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("ORG-B") && l.contains("data_submitted_on_time: ") && l.contains("maybe")), "{table}");
}

#[test]
fn rank_table_of_the_bundled_example_has_no_extra_sections() {
    let o = mezon(&["rank", "--pack", "rules/uz-egov-quality", "--as-of", "2017-02-01", "--input", "examples/2016/services.csv", "--organizations", "examples/2016/organizations.csv", "--format", "table"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("uz-egov-quality 2016.1 (sha256:"), "{out}");
    assert!(!out.contains("unassigned") && !out.contains("input errors:"), "{out}");
    let total: u64 = out.lines().skip(3).map(|l| l.split_whitespace().rev().skip(2).take(4).map(|n| n.parse::<u64>().unwrap()).sum::<u64>()).sum();
    assert_eq!(total, 600, "every service is counted");
}

// 3. check, test, explain, bundle, sample -------------------------------------------

#[test]
fn check_and_test_pass_on_the_2016_pack() {
    let o = mezon(&["check", PACK]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 problem(s)"));
    let o = mezon(&["test", PACK]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).trim_end().ends_with(" passed, 0 failed"));
}

#[test]
fn test_prints_a_diff_and_fails_when_a_rule_changes() {
    let dir = tmp("changed");
    for (path, mut text) in mezon::read_dir_files(&root().join(PACK)).unwrap() {
        if path == "tables/timeliness.table" {
            text = text.replacen("| 16 ", "| 15 ", 1);
        }
        let p = dir.join(&path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let o = mezon(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL  tests/worked_examples.toml :: "), "{out}");
    assert!(out.contains("points.timeliness: expected 16, got 15"), "{out}");
}

#[test]
fn explain_prints_a_readable_breakdown() {
    let o = mezon(&["explain", "--pack", PACK, "--input", "examples/2016/invalid.csv", "--id", "SRV-900001"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("score  78.78 (exact 3151/40 = 78.775), grade good"), "{out}");
    let line = out.lines().find(|l| l.starts_with("timeliness")).unwrap();
    assert!(line.ends_with(" 16 / 20  [provisional]"), "{line}");
    assert!(out.contains("table timeliness (tables/timeliness.table:"), "{out}");
    assert!(out.contains("completed_on_time = 194"), "{out}");
    let o = mezon(&["explain", "--pack", PACK, "--input", "examples/2016/invalid.csv", "--id", "NOPE"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_bundle_loads_wherever_a_folder_does() {
    let dir = tmp("bundle");
    let b = dir.join("pack.json");
    assert!(mezon(&["bundle", PACK, "-o", b.to_str().unwrap()]).status.success());
    let from_dir = stdout(&mezon(&["assess", "--pack", PACK, "--input", "examples/2016/invalid.csv"]));
    let from_bundle = stdout(&mezon(&["assess", "--pack", b.to_str().unwrap(), "--input", "examples/2016/invalid.csv"]));
    assert_eq!(from_dir, from_bundle);
    assert_eq!(mezon(&["test", b.to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn sample_regenerates_the_bundled_example_byte_for_byte() {
    let dir = tmp("sample");
    assert!(mezon(&["sample", "--services", "600", "--seed", "2016", "--out-dir", dir.to_str().unwrap()]).status.success());
    for f in ["services.csv", "organizations.csv"] {
        assert_eq!(std::fs::read(dir.join(f)).unwrap(), std::fs::read(root().join("examples/2016").join(f)).unwrap(), "{f}");
    }
}

#[test]
fn check_reports_an_import_of_a_module_not_in_lib_and_assess_refuses_the_pack() {
    let dir = tmp("missing-module");
    for (path, mut text) in mezon::read_dir_files(&root().join(PACK)).unwrap() {
        if path == "indicators/timeliness.rhai" {
            text = text.replacen("import \"common\"", "import \"commonx\"", 1);
        }
        let p = dir.join(&path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let o = mezon(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("indicators/timeliness.rhai:11:1: the rule imports module `commonx`, which is not in lib/"), "{}", stdout(&o));
    let o = mezon(&["assess", "--pack", dir.to_str().unwrap(), "--input", "examples/2016/invalid.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--> indicators/timeliness.rhai:11:1"), "{}", String::from_utf8_lossy(&o.stderr));
}

// 4. regressions ----------------------------------------------------------------

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn rank_says_which_of_its_rules_are_provisional_in_every_format() {
    let args = ["rank", "--pack", PACK, "--input", "examples/2016/services.csv", "--organizations", "examples/2016/organizations.csv", "--format"];
    let run = |format: &str| mezon(&[&args[..], &[format]].concat());
    let j = json_of(&run("json"));
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["pack", "period", "aggregation", "organization_score", "grading", "ranking", "organizations", "unassigned", "input_errors"]);
    // As the pack says, and in the shape of an assessment's provenance.
    let pack = mezon::Pack::load(&mezon::Engine::default(), root().join(PACK)).unwrap();
    let assessed = json_of(&mezon(&["assess", "--pack", PACK, "--input", "examples/2016/invalid.csv", "--format", "json"]))[0].clone();
    assert_eq!(j["aggregation"], assessed["aggregation"]);
    assert_eq!(j["grading"], assessed["grading"]);
    let org = pack.manifest().organization.as_ref().unwrap();
    assert_eq!(j["organization_score"], serde_json::json!({ "provisional": true, "clause": org.clause }));
    assert!(j["organization_score"]["clause"].as_str().unwrap().starts_with("Annex (reconstructed): organisation score = arithmetic mean"));
    assert_eq!(j["ranking"], serde_json::json!({ "provisional": true, "clause": null }));

    let table = stdout(&run("table"));
    let line = table.lines().nth(1).unwrap();
    assert!(line.starts_with("provisional rules: aggregation (Annex (reconstructed): score = 100 × Σ points"), "{line}");
    assert!(line.contains("; organization_score (Annex (reconstructed): organisation score = arithmetic mean"), "{line}");
    assert!(line.contains("; grading (Annex (reconstructed): ≥ 86 excellent") && line.ends_with("; ranking (no clause given)"), "{line}");

    let csv = stdout(&run("csv"));
    let rows: Vec<Vec<String>> = csv.lines().map(csv_fields).collect();
    assert_eq!(rows[0].last().unwrap(), "provisional");
    assert!(rows[1..].iter().all(|r| r.last().unwrap() == "aggregation; organization_score; grading; ranking"), "{csv}");
}

#[test]
fn rank_reports_organisation_records_that_name_no_organisation_and_goes_on() {
    let dir = tmp("orgs-without-id");
    let orgs = dir.join("orgs.json");
    std::fs::write(&orgs, r#"[5, null, "x", {"period": 2016}, {"organization_id": "ORG-MJ", "period": 2016, "data_submitted_on_time": false, "data_unreliable": false}]"#).unwrap();
    let run = |format: &str| {
        let o = mezon(&["rank", "--pack", PACK, "--input", "examples/2016/services.csv", "--organizations", orgs.to_str().unwrap(), "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stderr.is_empty(), "reported in the output only: {}", String::from_utf8_lossy(&o.stderr));
        o
    };
    let j = json_of(&run("json"));
    let errors = j["input_errors"].as_array().unwrap();
    let file = orgs.display().to_string();
    for (i, e) in errors.iter().take(3).enumerate() {
        assert_eq!(e["record"], format!("{file} item {}", i + 1));
        assert_eq!(e["message"], "a record must be a JSON object");
    }
    assert_eq!((errors[3]["record"].as_str(), errors[3]["field"].as_str()), (Some(&*format!("{file} item 4")), Some("organization_id")));
    // The good record after them still counts: its penalty is taken.
    let mj = j["organizations"].as_array().unwrap().iter().find(|o| o["organization_id"] == "ORG-MJ").unwrap();
    assert!(mj["penalty_points"].as_i64().unwrap() > 0, "{mj}");

    let table = stdout(&run("table"));
    assert!(table.contains(&format!("\n-             {file} item 1: a record must be a JSON object\n")), "{table}");
    assert!(table.contains(&format!("{file} item 4: organization_id: required field is missing")), "{table}");
    let csv = stdout(&run("csv"));
    let rows: Vec<Vec<String>> = csv.lines().map(csv_fields).collect();
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let bad: Vec<&Vec<String>> = rows.iter().filter(|r| r[col("status")] == "input_error").collect();
    assert_eq!(bad.len(), errors.len(), "{csv}");
    assert_eq!((bad[0][col("record_name")].as_str(), bad[0][col("errors")].as_str()), (&*format!("{file} item 1"), "a record must be a JSON object"));
}

/// `Pack::rank_json`, which the C, Python and WebAssembly bindings call,
/// reports such records as the command line does, named `organization N`.
#[test]
fn rank_json_reports_organisation_records_that_name_no_organisation_and_goes_on() {
    let pack = mezon::Pack::load(&mezon::Engine::default(), root().join(PACK)).unwrap();
    // The README's library example.
    let record = serde_json::json!({
        "service_id": "SRV-1", "organization_id": "ORG-1", "period": 2016,
        "applications_total": 1000, "applications_electronic": 420,
        "completed": 200, "completed_on_time": 194,
        "marks_1": 2, "marks_2": 3, "marks_3": 5, "marks_4": 40, "marks_5": 50,
        "optimized": true, "documents_required": 5, "documents_interagency": 3, "maturity_stage": 3,
        "info_description": true, "info_documents": true, "info_deadline": true,
        "info_cost": true, "info_legal_basis": true, "info_appeal": false,
        "availability_pct": 99.2, "justified_complaints": 1
    });
    let services = serde_json::json!([record]).to_string();
    for orgs in ["[5]", "[null]", "[\"x\"]", "[{\"period\": 2016}]"] {
        let r = pack.rank_json(&services, Some(orgs)).unwrap_or_else(|e| panic!("{orgs}: {e}")).to_json();
        assert_eq!(r["input_errors"][0]["record"], "organization 1", "{orgs}: {r}");
        assert_eq!(r["organizations"][0]["rank"], 1, "{orgs}: {r}");
        let orgs: Vec<serde_json::Value> = serde_json::from_str(orgs).unwrap();
        assert_eq!(pack.rank(std::slice::from_ref(&record), &orgs).unwrap().to_json()["input_errors"], r["input_errors"], "{orgs:?}");
    }
}

#[test]
fn mixed_periods_name_the_records_of_the_minority_period() {
    let dir = tmp("mixed-periods");
    let example = std::fs::read_to_string(root().join("examples/2016/services.csv")).unwrap();
    let one = dir.join("one.csv");
    let lines: Vec<String> = example.lines().enumerate().map(|(i, l)| if i == 3 { l.replacen(",2016,", ",2015,", 1) } else { l.to_string() }).collect();
    std::fs::write(&one, lines.join("\n") + "\n").unwrap();
    let o = mezon(&["rank", "--pack", PACK, "--input", one.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the input mixes periods 2015, 2016; rank one period at a time: 599 records are of period 2016; 1 of period 2015: record 3 (SRV-000003)\n"), "{err}");

    let many = dir.join("many.csv");
    let lines: Vec<String> = example.lines().enumerate().map(|(i, l)| if i > 0 && i % 100 == 0 { l.replacen(",2016,", ",2015,", 1) } else { l.to_string() }).collect();
    std::fs::write(&many, lines.join("\n") + "\n").unwrap();
    let err = String::from_utf8_lossy(&mezon(&["rank", "--pack", PACK, "--input", many.to_str().unwrap()]).stderr).into_owned();
    assert!(
        err.contains("6 of period 2015: record 100 (SRV-000100), record 200 (SRV-000200), record 300 (SRV-000300), record 400 (SRV-000400), record 500 (SRV-000500) and 1 more"),
        "{err}"
    );
}

#[test]
fn assess_table_csv_and_explain_show_the_pack_digest_provisional_rules_and_warnings() {
    let dir = tmp("warnings");
    let f = dir.join("warn.csv");
    let example = std::fs::read_to_string(root().join("examples/2016/invalid.csv")).unwrap();
    let lines: Vec<String> = example.lines().take(3).enumerate().map(|(i, l)| format!("{},{l}", if i == 0 { "service_nam" } else { "x" })).collect();
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let warning = "field `service_nam` is not in the pack's input schema and was not used";
    let digest = mezon::Pack::load(&mezon::Engine::default(), root().join(PACK)).unwrap().digest().to_owned();
    let run = |cmd: &[&str]| stdout(&mezon(&[cmd, &["--pack", PACK, "--input", f.to_str().unwrap()]].concat()));

    let table = run(&["assess", "--format", "table"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], format!("uz-egov-quality 2016.1 ({digest})"));
    assert!(lines[1].starts_with("provisional rules: aggregation (Annex (reconstructed): score = 100") && lines[1].contains("; indicators satisfaction, timeliness,"), "{table}");
    assert!(lines[2].starts_with("record  service_id") && lines[2].ends_with("  warnings"), "{table}");
    assert!(lines[3..].iter().all(|l| l.ends_with(warning)), "{table}");

    let csv = run(&["assess", "--format", "csv"]);
    let rows: Vec<Vec<String>> = csv.lines().map(csv_fields).collect();
    assert_eq!(rows[0][rows[0].len() - 5..], ["warnings", "provisional", "pack_id", "pack_version", "pack_digest"].map(String::from));
    for r in &rows[1..] {
        assert_eq!(r[r.len() - 5], warning);
        assert_eq!(r[r.len() - 3..], ["uz-egov-quality".to_owned(), "2016.1".to_owned(), digest.clone()]);
    }

    let explain = run(&["explain", "--id", "SRV-900001"]);
    assert!(explain.contains(&format!("pack   uz-egov-quality 2016.1 {digest}\n")), "{explain}");
    assert!(explain.contains("\naggregation     [provisional]\n    clause: Annex (reconstructed): score = 100"), "{explain}");
    assert!(explain.contains("\ngrading         [provisional]\n    clause: Annex (reconstructed): ≥ 86 excellent"), "{explain}");
    assert!(explain.contains(&format!("\nwarning: {warning}\n")), "{explain}");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mezon"))
        .args(["assess", "--pack", PACK, "--input", "examples/2016/services.csv", "--threads", "2"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Megabytes of output: far more than a pipe holds, so mezon is still
    // writing when the reader goes (`| head -1`).
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"service_id\":\"SRV-000001\""), "{first}");
    let o = child.wait_with_output().unwrap();
    assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stderr).as_ref()), (Some(0), ""));
}

#[test]
fn assess_warns_on_a_service_id_given_before_and_explain_names_every_record_with_it() {
    // Regression: rank counted only the first record of a service id, but
    // assess said nothing and explain silently took the first. The results
    // stay the record's alone (the same line a binding gives for it); the
    // warning is on stderr.
    let rec: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root().join("test-data/records/worked-example-1.json")).unwrap()).unwrap();
    let with = |id: &str| {
        let mut r = rec.clone();
        r["service_id"] = id.into();
        format!("{r}\n")
    };
    let input = tmp("given-before").join("services.jsonl");
    std::fs::write(&input, [with("SRV-1"), with("SRV-2"), with("SRV-1"), with("SRV-1"), with("SRV-2")].concat()).unwrap();
    for format in ["jsonl", "json", "csv", "table"] {
        let o = mezon(&["assess", "--pack", PACK, "--input", input.to_str().unwrap(), "--format", format]);
        assert!(!stdout(&o).contains("given by"), "{format}");
        assert_eq!(
            String::from_utf8(o.stderr).unwrap(),
            "warning: service_id \"SRV-1\" is given by records 1, 3, 4; `mezon rank` counts only the first\nwarning: service_id \"SRV-2\" is given by records 2, 5; `mezon rank` counts only the first\n",
            "{format}"
        );
    }
    let lines: Vec<serde_json::Value> = stdout(&mezon(&["assess", "--pack", PACK, "--input", input.to_str().unwrap()])).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[3], lines[0]);

    let explain = stdout(&mezon(&["explain", "--pack", PACK, "--input", input.to_str().unwrap(), "--id", "SRV-1"]));
    assert!(explain.contains("\nwarning: service_id \"SRV-1\" is given by records 1, 3, 4; this is the first, record 1\n"), "{explain}");
    let explain = stdout(&mezon(&["explain", "--pack", PACK, "--input", input.to_str().unwrap(), "--id", "SRV-2"]));
    assert!(explain.contains("\nwarning: service_id \"SRV-2\" is given by records 2, 5; this is the first, record 2\n"), "{explain}");
    // An id given once: no warning.
    std::fs::write(&input, [with("SRV-1"), with("SRV-2")].concat()).unwrap();
    let o = mezon(&["assess", "--pack", PACK, "--input", input.to_str().unwrap()]);
    assert_eq!(String::from_utf8(o.stderr).unwrap(), "");
    let explain = stdout(&mezon(&["explain", "--pack", PACK, "--input", input.to_str().unwrap(), "--id", "SRV-2"]));
    assert!(!explain.contains("warning"), "{explain}");
}
