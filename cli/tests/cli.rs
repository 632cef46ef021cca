//! The `mezon` command line, run as a process. Contents:
//!
//! 1. assess: formats, input order, exit codes 0 / 2 / 1
//! 2. rank: the bundled example, organisations file, formats
//! 3. check, test, explain, bundle, sample

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
        "record,service_id,organization_id,status,score,grade,satisfaction,timeliness,optimization,interagency,uptake,maturity,portal_info,availability,complaints,errors"
    );
    assert_eq!(lines.next().unwrap(), "1,SRV-900001,ORG-MJ,assessed,78.78,good,24.975,16,13,4.8,5,4,5,4,2,");
    let o = mezon(&["assess", "--pack", PACK, "--input", "examples/2016/invalid.csv", "--format", "table"]);
    assert!(stdout(&o).lines().nth(1).unwrap().starts_with("1       SRV-900001  ORG-MJ           assessed  78.78  good"));
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
