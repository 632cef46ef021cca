//! Integration tests of the engine. Contents:
//!
//! 1. golden cases of every pack under rules/ and test-data/packs/ (data beside the rules)
//! 2. the sandbox: hostile rules end their own record, the batch goes on; `eval` refused
//! 3. errors: rendered frames (snapshot), JSON form, positions of parse, table and manifest errors
//! 4. packs: digest, bundles, in-memory loading, version selection by date;
//!    an import of a module not in lib/ refused at load
//! 5. input: CSV / JSON / JSON Lines, validation naming record and field, nothing dropped;
//!    a JSON Lines error at the file's line; a CSV cell not UTF-8 named by its column
//! 6. exact arithmetic: both worked examples; integer division cannot truncate a score
//! 7. ranking: penalties, ties, organisations without assessed services
//! 8. the fast path gives exactly what Rhai's interpreter gives
//! 9. review fixes: blank JSON text is missing; table domains hold at run time;
//!    real calendar dates; a decimal literal's hint; whole-number fields

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mezon::{AssessOptions, Engine, ErrorKind, InputFormat, Pack, Ranker, Status};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn pack2016() -> Pack {
    Pack::load(&Engine::default(), root().join("rules/uz-egov-quality/2016.1")).expect("2016 pack loads")
}

fn hostile() -> Pack {
    Pack::load(&Engine::default(), root().join("test-data/packs/hostile/1.0")).expect("fixture loads")
}

/// The spec's worked example (shared by every layer's tests).
fn worked_example() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("test-data/records/worked-example-1.json")).unwrap()).unwrap()
}

fn with(mut v: Value, changes: Value) -> Value {
    for (k, x) in changes.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn all_packs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for base in ["rules", "test-data/packs"] {
        for id in std::fs::read_dir(root().join(base)).unwrap() {
            for v in std::fs::read_dir(id.unwrap().path()).unwrap() {
                let v = v.unwrap().path();
                if v.join("pack.toml").is_file() {
                    out.push(v);
                }
            }
        }
    }
    out.sort();
    out
}

// 1. Golden cases ---------------------------------------------------------

#[test]
fn every_golden_case_of_every_pack_passes() {
    let packs = all_packs();
    assert!(packs.len() >= 4, "{packs:?}");
    let mut total = 0;
    for dir in packs {
        let pack = Pack::load(&Engine::default(), &dir).unwrap();
        let report = mezon::run_golden(&pack).unwrap();
        let failed: Vec<_> = report.cases.iter().filter(|c| !c.failures.is_empty()).collect();
        assert!(failed.is_empty(), "{}: {failed:#?}", dir.display());
        total += report.cases.len();
    }
    assert!(total > 130, "only {total} golden cases");
}

#[test]
fn the_2016_pack_passes_its_static_checks() {
    let findings = mezon::check(&pack2016());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_wrong_golden_expectation_fails_with_a_readable_diff() {
    let mut files = pack2016().files().clone();
    let t = files.get_mut("tests/worked_examples.toml").unwrap();
    *t = t.replacen("timeliness = \"16\"", "timeliness = \"12\"", 1);
    let pack = Pack::from_files(&Engine::default(), files).unwrap();
    let report = mezon::run_golden(&pack).unwrap();
    assert_eq!(report.failed(), 1);
    let failure = &report.cases.iter().find(|c| !c.failures.is_empty()).unwrap().failures;
    assert_eq!(failure[0], "points.timeliness: expected 12, got 16");
    assert!(failure[1].contains("table timeliness (tables/timeliness.table:"), "{failure:?}");
}

// 2. Sandbox ----------------------------------------------------------------

#[test]
fn hostile_rules_end_their_own_record_and_the_batch_goes_on() {
    let pack = hostile();
    let modes = ["loop", "ok", "recurse", "ok", "string", "array", "import", "library", "ok"];
    let results: Vec<_> = modes.iter().map(|m| pack.assess(&json!({ "id": m, "mode": m }))).collect();
    for (m, a) in modes.iter().zip(&results) {
        if *m == "ok" {
            assert_eq!(a.status, Status::Assessed);
            assert_eq!(a.published_score().as_deref(), Some("42.00"));
        } else {
            assert_eq!(a.status, Status::Error, "{m}");
            let e = &a.errors[0];
            assert_eq!(e.indicator(), Some("attack"));
            assert!(e.file().is_some() && e.line().is_some(), "{m}: {e}");
        }
    }
    let kinds: Vec<_> = results.iter().filter(|a| a.status == Status::Error).map(|a| a.errors[0].kind()).collect();
    use ErrorKind::*;
    assert_eq!(kinds, [Limit, Limit, Limit, Limit, Security, Runtime]);
}

#[test]
fn eval_is_refused_when_the_pack_is_compiled() {
    let mut files = hostile().files().clone();
    files.insert("indicators/attack.rhai".into(), "// eval attempt\nlet x = 1;\neval(\"x + 1\")\n".into());
    let e = Pack::from_files(&Engine::default(), files).expect_err("eval must not compile");
    assert_eq!(e.kind(), ErrorKind::Security);
    assert_eq!((e.file(), e.line(), e.column()), (Some("indicators/attack.rhai"), Some(3), Some(1)));
}

#[test]
fn rules_reach_no_clock_file_or_randomness() {
    for src in ["timestamp()", "open_file(\"/etc/passwd\")", "rand()", "sleep(1)"] {
        let mut files = hostile().files().clone();
        files.insert("indicators/attack.rhai".into(), format!("// probe\n{src}\n"));
        let pack = Pack::from_files(&Engine::default(), files).unwrap();
        let a = pack.assess(&json!({ "id": "p", "mode": "ok" }));
        assert_eq!(a.status, Status::Error, "{src}");
        assert!(a.errors[0].message().contains("Function not found"), "{src}: {}", a.errors[0]);
    }
}

#[test]
fn print_goes_to_the_trace_not_to_stdout() {
    let mut files = hostile().files().clone();
    files.insert("indicators/attack.rhai".into(), "// print probe\nprint(\"hello\");\n1\n".into());
    let a = Pack::from_files(&Engine::default(), files).unwrap().assess(&json!({ "id": "p", "mode": "ok" }));
    assert_eq!(a.trace(0), ["hello", "points = 1 of 100"]);
}

// 3. Errors -----------------------------------------------------------------

#[test]
fn a_limit_error_renders_a_frame_with_the_source_line_and_caret() {
    let a = hostile().assess(&json!({ "id": "r1", "mode": "import" }));
    let expected = "\
error[security]: import of `../../../../etc/passwd` is not allowed: rules may import only modules of the pack's lib/ by name, e.g. `import \"common\"`
  = record: r1
  --> indicators/attack.rhai:22:12
   |
22 |     import \"../../../../etc/passwd\" as p;
   |            ^
  = pack: hostile-fixture 1.0";
    assert_eq!(a.errors[0].to_string(), expected);
}

#[test]
fn the_call_chain_is_kept_through_library_functions() {
    let a = hostile().assess(&json!({ "id": "r1", "mode": "library" }));
    let e = &a.errors[0];
    assert_eq!((e.file(), e.line(), e.column()), (Some("lib/common.rhai"), Some(4), Some(18)));
    let chain: Vec<_> = e.call_chain().iter().map(|f| (f.function.as_str(), f.file.as_deref(), f.line)).collect();
    assert_eq!(chain[0], ("deep", Some("indicators/attack.rhai"), Some(26)));
    assert_eq!(chain[1], ("deep", Some("lib/common.rhai"), Some(6)));
    let j = e.to_json();
    assert_eq!(j["type"], "runtime");
    assert_eq!(j["callChain"][0]["function"], "deep");
    assert_eq!(j["file"], "lib/common.rhai");
}

#[test]
fn a_rule_syntax_error_points_at_line_and_column() {
    let mut files = pack2016().files().clone();
    let s = files.get_mut("indicators/timeliness.rhai").unwrap();
    let line = s.lines().position(|l| l.contains("table(")).unwrap() + 1;
    *s = s.replacen("table(", "table((", 1);
    let e = Pack::from_files(&Engine::default(), files).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Parse);
    assert_eq!(e.file(), Some("indicators/timeliness.rhai"));
    assert_eq!(e.line(), Some(line as u32));
    assert_eq!(e.pack(), Some("uz-egov-quality 2016.1"));
    assert!(e.to_string().contains(&format!("--> indicators/timeliness.rhai:{line}:")), "{e}");
}

#[test]
fn a_table_syntax_error_points_at_file_line_and_column() {
    let mut files = pack2016().files().clone();
    let t = files.get_mut("tables/timeliness.table").unwrap();
    let line = t.lines().position(|l| l.contains("[0.95, 0.98)")).unwrap() + 1;
    let col = t.lines().nth(line - 1).unwrap().find("[0.95, 0.98)").unwrap() + 6; // 1-based column of the `;`
    *t = t.replace("[0.95, 0.98)", "[0.95; 0.98)");
    let e = Pack::from_files(&Engine::default(), files).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Table);
    assert_eq!((e.file(), e.line(), e.column()), (Some("tables/timeliness.table"), Some(line as u32), Some(col as u32)));
}

#[test]
fn a_manifest_error_points_into_pack_toml() {
    let mut files = pack2016().files().clone();
    let m = files.get_mut("pack.toml").unwrap();
    let line = m.lines().position(|l| l.starts_with("total_max")).unwrap() + 1;
    *m = m.replacen("total_max = 100", "total_max = \"a hundred\"", 1);
    let e = Pack::from_files(&Engine::default(), files).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Manifest);
    assert_eq!((e.file(), e.line(), e.column()), (Some("pack.toml"), Some(line as u32), Some(13)));
}

#[test]
fn check_reports_problems_with_file_and_line() {
    let mut files = pack2016().files().clone();
    let m = files.get_mut("pack.toml").unwrap();
    *m = m.replacen("total_max = 100", "total_max = 99", 1);
    let s = files.get_mut("indicators/optimization.rhai").unwrap();
    *s = format!("{s}\nlet unused = input.optimised;\n");
    let t = files.get_mut("tables/availability.table").unwrap();
    *t = t.replacen("[99.0, 99.5)", "[99.0, 99.4)", 1);
    // Refused for assessing: its scores would be out of another total, and
    // some availability figures would match no row.
    let e = Pack::from_files(&Engine::default(), files.clone()).err().unwrap();
    assert_eq!((e.kind(), e.file()), (ErrorKind::Manifest, Some("pack.toml")));
    assert!(e.message().contains("add up to 100, but total_max is 99") && e.message().contains("and 1 more"), "{e}");
    // `check` compiles it all the same and lists every problem.
    let pack = Pack::from_files(&Engine::for_checking(), files).unwrap();
    let f: Vec<String> = mezon::check(&pack).iter().map(ToString::to_string).collect();
    assert_eq!(f.len(), 3, "{f:#?}");
    assert!(f[0].starts_with("pack.toml:") && f[0].contains("add up to 100, but total_max is 99"), "{f:?}");
    assert!(f[1].starts_with("tables/availability.table:") && f[1].contains("gap"), "{f:?}");
    assert!(f[2].starts_with("indicators/optimization.rhai:") && f[2].contains("`input.optimised`"), "{f:?}");
}

#[test]
fn a_table_with_an_overlap_is_refused_where_the_row_is() {
    let mut files = pack2016().files().clone();
    let t = files.get_mut("tables/timeliness.table").unwrap();
    *t = t.replacen("[0.95, 0.98)", "[0.95, 0.985)", 1);
    let e = Pack::from_files(&Engine::default(), files).err().unwrap();
    assert_eq!((e.kind(), e.file(), e.line()), (ErrorKind::Table, Some("tables/timeliness.table"), Some(10)));
    assert!(e.message().contains("overlaps"), "{e}");
}

#[test]
fn results_say_whether_aggregation_and_grading_are_provisional() {
    let pack = pack2016();
    let j = pack.assess(&worked_example()).to_json();
    let m = pack.manifest();
    assert_eq!(j["aggregation"]["provisional"], json!(m.aggregation.provisional));
    assert_eq!(j["aggregation"]["clause"], json!(m.aggregation.clause));
    assert_eq!(j["grading"]["provisional"], json!(true));
    assert!(j["grading"]["clause"].as_str().unwrap().contains("excellent"));
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys[keys.len() - 3..], ["aggregation", "grading", "pack"]);
    // The line writer agrees.
    assert_eq!(serde_json::from_str::<serde_json::Value>(&pack.assess(&worked_example()).to_json_line()).unwrap(), j);
}

#[test]
fn a_failed_indicator_is_not_reported_as_not_applicable() {
    let a = hostile().assess(&json!({ "id": "x", "mode": "divzero" }));
    assert_eq!(a.status, Status::Error);
    let ind = &a.to_json()["indicators"]["attack"];
    assert_eq!((ind["applicable"].clone(), ind["points"].clone()), (json!(true), json!(null)));
    let na = hostile().assess(&json!({ "id": "y", "mode": "ok" }));
    assert_eq!(na.to_json()["indicators"]["attack"]["applicable"], json!(true));
}

#[test]
fn rank_from_text_sees_a_field_given_twice() {
    let pack = pack2016();
    let rec = mezon::to_json_line(&worked_example());
    let other = rec.replace("SRV-", "SRV-X");
    assert_ne!(other, rec);
    let twice = format!("{},\"completed\":100}}", other.trim_end_matches('}'));
    let r = pack.rank_json(&format!("[{rec},{twice}]"), None).unwrap().to_json();
    // Counted in its organisation, as invalid; nothing unassigned.
    let org = &r["organizations"][0];
    assert_eq!((org["services_assessed"].clone(), org["services_invalid"].clone()), (json!(1), json!(1)), "{r}");
    assert_eq!(r["unassigned"], json!([]), "{r}");
    let bad = pack.rank_json("[{", None).err().unwrap();
    assert!(bad.message().starts_with("the service records: not valid JSON"), "{bad}");
}

// 4. Packs --------------------------------------------------------------------

#[test]
fn every_result_carries_the_pack_id_version_and_digest() {
    let pack = pack2016();
    let j = pack.assess(&worked_example()).to_json();
    assert_eq!(j["pack"], json!({ "id": "uz-egov-quality", "version": "2016.1", "digest": pack.digest() }));
    assert_eq!(pack.digest(), mezon::digest(pack.files()));
}

#[test]
fn a_bundle_round_trips_and_a_tampered_one_is_refused() {
    let pack = pack2016();
    let bundle = pack.to_bundle();
    let again = Pack::from_bundle(&Engine::default(), &bundle).unwrap();
    assert_eq!(again.digest(), pack.digest());
    assert_eq!(mezon::to_json_line(&again.assess(&worked_example()).to_json()), mezon::to_json_line(&pack.assess(&worked_example()).to_json()));
    let tampered = bundle.replacen("20     |", "19     |", 1);
    assert_ne!(tampered, bundle);
    let e = Pack::from_bundle(&Engine::default(), &tampered).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Manifest);
    assert!(e.message().contains("digest mismatch"), "{e}");
    // Its id and version labels must name the pack its files are.
    let mut v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    v["version"] = json!("2017.1");
    let e = Pack::from_bundle(&Engine::default(), &v.to_string()).err().unwrap();
    assert!(e.message().contains("`version` is \"2017.1\" but pack.toml says \"2016.1\""), "{e}");
    // Paths are relative and inside the pack, as `mezon bundle` writes them.
    for path in ["../evil.rhai", "/etc/x", "lib/./x.rhai", "lib//x.rhai", "lib\\x.rhai", ""] {
        let mut v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        v["files"][path] = json!("42");
        let files: BTreeMap<String, String> = serde_json::from_value(v["files"].clone()).unwrap();
        v["digest"] = json!(mezon::digest(&files));
        let e = Pack::from_bundle(&Engine::default(), &v.to_string()).err().unwrap();
        assert!(e.message().contains("is not a relative path inside the pack"), "{path}: {e}");
    }
}

#[test]
fn editor_leftovers_beside_a_rule_are_not_the_pack() {
    let dir = std::env::temp_dir().join(format!("mezon-leftovers-{}", std::process::id()));
    let src = root().join("rules/uz-egov-quality/2016.1");
    for (path, text) in mezon::read_dir_files(&src).unwrap() {
        let to = dir.join(&path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, text).unwrap();
    }
    for junk in ["indicators/timeliness.rhai~", "indicators/.timeliness.rhai.swp", "indicators/#timeliness.rhai#", "tables/uptake.table.orig", "pack.toml.bak"] {
        std::fs::write(dir.join(junk), "junk").unwrap();
    }
    let digest = Pack::load(&Engine::default(), &dir).unwrap().digest().to_owned();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(digest, pack2016().digest());
}

#[test]
fn any_edit_changes_the_digest() {
    let pack = pack2016();
    let mut files: BTreeMap<String, String> = pack.files().clone();
    files.get_mut("tests/worked_examples.toml").unwrap().push('\n');
    assert_ne!(Pack::from_files(&Engine::default(), files).unwrap().digest(), pack.digest());
}

#[test]
fn the_version_in_force_on_a_date_is_picked() {
    let dir = root().join("test-data/packs/versioned");
    let e = Engine::default();
    let v = |d: &str| Pack::load_as_of(&e, &dir, d).map(|p| p.version().to_owned());
    assert_eq!(v("2019-01-01").unwrap(), "2019.1");
    assert_eq!(v("2020-12-31").unwrap(), "2019.1");
    assert_eq!(v("2021-01-01").unwrap(), "2021.1");
    assert_eq!(v("2040-06-30").unwrap(), "2021.1");
    assert!(v("2018-12-31").unwrap_err().message().contains("no version is in force"));
    assert!(v("2019/01/01").is_err());
    // A version folder picks that version; it must be in force on the date.
    assert_eq!(Pack::load_as_of(&e, dir.join("2019.1"), "2019-05-01").unwrap().version(), "2019.1");
    assert!(Pack::load_as_of(&e, dir.join("2019.1"), "2022-05-01").is_err());
    // Without a date an id folder with several versions is ambiguous.
    assert!(Pack::load(&e, &dir).unwrap_err().message().contains("2019.1, 2021.1"));
    // A new version supersedes the old one from its effective_from, the old
    // one left as it is (no effective_to: its digest stays); two versions
    // taking effect on the same day are an error, not a silent pick; a
    // folder must be named by its version.
    let tmp = std::env::temp_dir().join(format!("mezon-overlap-{}", std::process::id()));
    let copy = |edit: &dyn Fn(&str, String) -> String| {
        let _ = std::fs::remove_dir_all(&tmp);
        for v in ["2019.1", "2021.1"] {
            for (path, text) in mezon::read_dir_files(&dir.join(v)).unwrap() {
                let text = if path == "pack.toml" { edit(v, text) } else { text };
                let p = tmp.join(v).join(&path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
        }
    };
    copy(&|_, text| text.replace("effective_to = \"2021-01-01\"\n", ""));
    let v = |d: &str| Pack::load_as_of(&e, &tmp, d).map(|p| p.version().to_owned());
    assert_eq!(v("2020-12-31").unwrap(), "2019.1");
    assert_eq!(v("2021-06-01").unwrap(), "2021.1");
    // A superseded version does not come back when its successor ends.
    copy(&|v, text| {
        let text = text.replace("effective_to = \"2021-01-01\"\n", "");
        if v == "2021.1" { text.replace("effective_from = \"2021-01-01\"", "effective_from = \"2021-01-01\"\neffective_to = \"2022-01-01\"") } else { text }
    });
    assert_eq!(v("2021-06-01").unwrap(), "2021.1");
    assert!(v("2022-06-01").unwrap_err().message().contains("no version is in force on 2022-06-01"));
    copy(&|_, text| text.replace("effective_from = \"2021-01-01\"", "effective_from = \"2019-01-01\""));
    let err = v("2020-06-01").unwrap_err();
    assert!(err.message().contains("versions 2019.1, 2021.1 all take effect on 2019-01-01"), "{err}");
    copy(&|v, text| if v == "2021.1" { text.replace("version = \"2021.1\"", "version = \"2019.1\"") } else { text });
    let err = v("2021-06-01").unwrap_err();
    assert!(err.message().contains("holds version \"2019.1\": a version folder is named by its version"), "{err}");
    std::fs::remove_dir_all(tmp).unwrap();
}

#[test]
fn a_rule_importing_a_module_not_in_lib_is_refused_at_load() {
    // Regression: `mezon check` found nothing and every record failed with
    // "Module not found".
    let mut files = pack2016().files().clone();
    let s = files.get_mut("indicators/timeliness.rhai").unwrap();
    *s = s.replacen("import \"common\"", "import \"commonx\"", 1);
    let (line, column) = position_of(s, "import \"commonx\"");
    let e = Pack::from_files(&Engine::default(), files.clone()).err().unwrap();
    assert_eq!((e.kind(), e.file(), e.line(), e.column()), (ErrorKind::Parse, Some("indicators/timeliness.rhai"), Some(line), Some(column)));
    assert_eq!(e.message(), "the rule imports module `commonx`, which is not in lib/ (no lib/commonx.rhai in the pack)");
    let pack = Pack::from_files(&Engine::for_checking(), files).unwrap();
    let f: Vec<String> = mezon::check(&pack).iter().map(ToString::to_string).collect();
    assert_eq!(f, [format!("indicators/timeliness.rhai:{line}:{column}: the rule imports module `commonx`, which is not in lib/ (no lib/commonx.rhai in the pack)")]);
}

/// 1-based line and column (in characters) of the first `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).unwrap();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (text[..at].matches('\n').count() as u32 + 1, text[line_start..at].chars().count() as u32 + 1)
}

#[test]
fn a_rule_calling_a_table_not_in_tables_is_refused_at_load() {
    // Before, only `mezon check` found it (by scanning the text) and every
    // record failed with "no table named". In an indicator or in lib/.
    for (file, from, to) in [
        ("indicators/timeliness.rhai", "table(\"timeliness\", share)", "table(\"timelines\", share)"),
        ("lib/common.rhai", "fn share(", "fn unused() { table(\"timelines\", 1) }\nfn share("),
    ] {
        let mut files = pack2016().files().clone();
        let s = files.get_mut(file).unwrap();
        assert!(s.contains(from), "{file}");
        *s = s.replacen(from, to, 1);
        let (line, column) = position_of(s, "table(\"timelines\"");
        let e = Pack::from_files(&Engine::default(), files.clone()).err().unwrap();
        assert_eq!((e.kind(), e.file(), e.line(), e.column()), (ErrorKind::Parse, Some(file), Some(line), Some(column)), "{e}");
        assert_eq!(e.message(), "the rule calls table `timelines`, which is not in tables/");
        let pack = Pack::from_files(&Engine::for_checking(), files).unwrap();
        let f: Vec<String> = mezon::check(&pack).iter().map(ToString::to_string).collect();
        assert_eq!(f, [format!("{file}:{line}:{column}: the rule calls table `timelines`, which is not in tables/")]);
    }
    // A rule's own `table` function, or a call of another arity, is not
    // the pack's tables: such a pack loads and scores as before.
    for (from, to) in [
        ("table(\"timeliness\", share)", "fn table(n, v) { 20 }\ntable(\"renamed\", share)"),
        ("table(\"timeliness\", share)", "fn table(n) { 0 }\ntable(\"timeliness\", share) + table(\"other\") * 0"),
    ] {
        let mut files = pack2016().files().clone();
        let s = files.get_mut("indicators/timeliness.rhai").unwrap();
        *s = s.replacen(from, to, 1);
        let pack = Pack::from_files(&Engine::default(), files).unwrap_or_else(|e| panic!("{to}: {e}"));
        assert_eq!(pack.assess(&worked_example()).indicators[1].points.as_ref().map(ToString::to_string).as_deref(), Some(if to.contains("20") { "20" } else { "16" }), "{to}");
    }
}

// 5. Input ------------------------------------------------------------------

fn read(text: &str, format: InputFormat, pack: &Pack) -> Vec<mezon::Assessment> {
    let records = mezon::read(std::io::Cursor::new(text.to_owned()), format, &pack.manifest().input).unwrap();
    records.map(|r| pack.assess_raw(&r, &AssessOptions::default())).collect()
}

#[test]
fn csv_json_and_jsonl_give_the_same_results() {
    let pack = pack2016();
    let rec = worked_example();
    let fields: Vec<&str> = pack.manifest().input.fields.iter().map(|f| f.name.as_str()).collect();
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let csv = format!("{}\n{}\n", fields.join(","), fields.iter().map(|f| rec.get(*f).map(cell).unwrap_or_default()).collect::<Vec<_>>().join(","));
    let jsonl = format!("{rec}\n");
    let json_arr = format!("[{rec}]");
    let outs: Vec<String> = [(csv.as_str(), InputFormat::Csv), (jsonl.as_str(), InputFormat::Jsonl), (json_arr.as_str(), InputFormat::Json)]
        .iter()
        .map(|(t, f)| mezon::to_json_line(&read(t, *f, &pack)[0].to_json()))
        .collect();
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[1], outs[2]);
    assert!(outs[0].contains("\"score\":78.78"), "{}", outs[0]);
}

#[test]
fn long_values_are_refused_quickly_and_quoted_short() {
    let pack = pack2016();
    let ok = worked_example();
    let digits = format!("{}.5", "9".repeat(200_000));
    let too_long = |n: usize| format!("expected a number of at most 100 characters, got text \"{}…\" ({n} characters)", "9".repeat(60));
    // A number as text: at most 100 characters (a 100-character one is read).
    for (value, expect) in [
        (json!(digits), too_long(200_002)),
        (json!(format!("0.{}", "1".repeat(98))), String::new()),
        (json!(format!(" {} ", "9".repeat(101))), too_long(101)),
        (json!("x".repeat(300)), format!("expected a number, got text \"{}…\" (300 characters)", "x".repeat(60))),
    ] {
        let a = pack.assess(&with(ok.clone(), json!({ "availability_pct": value })));
        let msgs: Vec<&str> = a.errors.iter().map(|e| e.message()).collect();
        if expect.is_empty() {
            assert_eq!(a.status, Status::Assessed, "{msgs:?}");
        } else {
            assert_eq!(msgs, [expect.as_str()]);
            assert_eq!(a.errors[0].field(), Some("availability_pct"));
        }
    }
    // Long text in an error is cut at 60 characters, with its length.
    let a = pack.assess(&with(ok.clone(), json!({ "marks_1": "ж".repeat(70) })));
    assert_eq!(a.errors[0].message(), format!("expected a whole number, got text \"{}…\" (70 characters)", "ж".repeat(60)));
    // The same through a CSV cell.
    let csv = format!("service_id,availability_pct,marks_1\nS1,{digits},{}\n", "7".repeat(61));
    let r = read(&csv, InputFormat::Csv, &pack);
    let msgs: Vec<&str> = r[0].errors.iter().filter(|e| e.field() != Some("period") && e.message() != "required field is missing").map(|e| e.message()).collect();
    assert_eq!(
        msgs,
        [
            format!("expected a whole number, got text \"{}…\" (61 characters), which is too large (beyond ±9223372036854775807)", "7".repeat(60)).as_str(),
            too_long(200_002).as_str(),
        ]
    );
}

#[test]
fn invalid_records_name_the_record_and_field_and_nothing_is_dropped() {
    let pack = pack2016();
    let ok = worked_example();
    let lines = [
        with(ok.clone(), json!({ "service_id": "A", "completed_on_time": 201 })),
        with(ok.clone(), json!({ "service_id": "B", "applications_electronic": 1001 })),
        with(ok.clone(), json!({ "service_id": "C", "documents_interagency": 6 })),
        with(ok.clone(), json!({ "service_id": "D", "maturity_stage": 5 })),
        with(ok.clone(), json!({ "service_id": "E", "marks_1": "two" })),
        with(ok.clone(), json!({ "service_id": "F", "availability_pct": -0.5 })),
        with(ok.clone(), json!({ "service_id": "G" })),
        {
            let mut v = ok.clone();
            v.as_object_mut().unwrap().remove("period");
            v["service_id"] = json!("H");
            v
        },
        {
            let mut v = ok.clone();
            v.as_object_mut().unwrap().remove("service_id");
            v
        },
    ];
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str("{not json\n");
    let results = read(&text, InputFormat::Jsonl, &pack);
    assert_eq!(results.len(), 10, "every record appears");
    let got: Vec<(Status, String, Option<String>)> =
        results.iter().map(|a| (a.status, a.name.clone(), a.errors.first().and_then(|e| e.field().map(str::to_owned)))).collect();
    let inv = Status::Invalid;
    let f = |s: &str| Some(s.to_owned());
    assert_eq!(
        got,
        [
            (inv, "A".into(), f("completed_on_time")),
            (inv, "B".into(), f("applications_electronic")),
            (inv, "C".into(), f("documents_interagency")),
            (inv, "D".into(), f("maturity_stage")),
            (inv, "E".into(), f("marks_1")),
            (inv, "F".into(), f("availability_pct")),
            (Status::Assessed, "G".into(), None),
            (inv, "H".into(), f("period")),
            (inv, "line 9".into(), f("service_id")),
            (inv, "line 10".into(), None),
        ]
    );
    assert_eq!(results[0].errors[0].record(), Some("A"));
    assert_eq!(results[0].errors[0].message(), "completed_on_time = 201 must be <= completed = 200: on-time completions cannot exceed completions");
    assert!(results[4].errors[0].message().contains("expected a whole number, got text \"two\""));
    assert!(results[9].errors[0].message().starts_with("not valid JSON"));
    let j = results[0].to_json();
    assert_eq!(j["status"], "invalid");
    assert_eq!(j["errors"][0]["field"], "completed_on_time");
    assert_eq!(j["score"], Value::Null);
}

#[test]
fn unknown_fields_are_reported_as_warnings() {
    let a = pack2016().assess(&with(worked_example(), json!({ "colour": "blue" })));
    assert_eq!(a.status, Status::Assessed);
    assert_eq!(a.warnings, ["field `colour` is not in the pack's input schema and was not used"]);
}

#[test]
fn a_json_lines_syntax_error_names_the_files_line_not_the_records() {
    // Regression: serde_json counted within the line, so every bad line was
    // "at line 1"; a blank line skipped must not shift the count either.
    let pack = pack2016();
    let rec = worked_example();
    let text = format!("{rec}\n\n{{\"service_id\":\"SRV-2\",\"organization_id\" 5}}\n{rec}\n");
    let results = read(&text, InputFormat::Jsonl, &pack);
    assert_eq!(results.len(), 3);
    assert_eq!(results[1].status, Status::Invalid);
    assert_eq!(results[1].errors[0].message(), "not valid JSON: expected `:` at line 3 column 41");
    assert_eq!(results[1].errors[0].record(), Some("line 3"));
    assert_eq!(results[2].status, Status::Assessed);
}

#[test]
fn a_csv_cell_that_is_not_utf8_names_its_column_and_keeps_the_records_id() {
    // Regression: a Windows-1251 byte made the whole row a csv crate error
    // ("field: 1, byte: 365", 0-based, no column name, no id).
    let pack = pack2016();
    let rec = worked_example();
    let fields: Vec<&str> = pack.manifest().input.fields.iter().map(|f| f.name.as_str()).collect();
    let row = |changes: &[(&str, &[u8])]| -> Vec<u8> {
        let cells: Vec<Vec<u8>> = fields
            .iter()
            .map(|f| match changes.iter().find(|(c, _)| c == f) {
                Some((_, v)) => v.to_vec(),
                None => rec.get(*f).map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).unwrap_or_default().into_bytes(),
            })
            .collect();
        let mut out = cells.join(&b","[..]);
        out.push(b'\n');
        out
    };
    let mut text = format!("{}\n", fields.join(",")).into_bytes();
    text.extend(row(&[("service_id", b"SRV-1"), ("service_name", b"\xd3\xf1\xeb\xf3\xe3\xe0")]));
    text.extend(row(&[("service_id", b"SRV-\xc9"), ("organization_id", b"ORG-\xe9")]));
    text.extend(row(&[("service_id", b"SRV-3")]));
    let opts = AssessOptions::default();
    let rows: Vec<_> = mezon::read_rows(std::io::Cursor::new(text), InputFormat::Csv, &pack.manifest().input).unwrap().collect();
    let results: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let direct = pack.assess_row(&row, &opts);
            let parsed = pack.assess_raw(&row.parse(), &opts);
            assert_eq!(direct.to_json_line(), parsed.to_json_line());
            direct
        })
        .collect();
    assert_eq!(results.len(), 3);
    let j = results[0].to_json();
    assert_eq!((j["status"].as_str(), j["service_id"].as_str(), j["organization_id"].as_str()), (Some("invalid"), Some("SRV-1"), Some("ORG-1")));
    assert_eq!(results[0].errors.len(), 1);
    assert_eq!(results[0].errors[0].field(), Some("service_name"));
    assert_eq!(results[0].errors[0].record(), Some("SRV-1"));
    assert_eq!(results[0].errors[0].message(), "the file is not UTF-8; save it as UTF-8 (CSV UTF-8)");
    // An id that is not UTF-8 is no id: the record goes by its line.
    assert_eq!(results[1].errors.iter().map(|e| e.field().unwrap()).collect::<Vec<_>>(), ["service_id", "organization_id"]);
    assert_eq!(results[1].errors[0].record(), Some("line 3"));
    assert_eq!(results[1].to_json()["service_id"], Value::Null);
    assert_eq!(results[2].status, Status::Assessed);
}

// 6. Exact arithmetic -----------------------------------------------------------

#[test]
fn the_worked_examples_are_exact() {
    let pack = pack2016();
    let a = pack.assess(&worked_example());
    assert_eq!(a.score.as_ref().unwrap().fraction_text(), "3151/40"); // 78.775
    assert_eq!(a.published_score().as_deref(), Some("78.78"));
    assert_eq!(a.grade(), Some("good"));
    let second = json!({
        "service_id": "SRV-2", "organization_id": "ORG-1", "period": 2016,
        "marks_1": 59, "marks_2": 3, "marks_3": 133, "marks_4": 176, "marks_5": 169,
        "completed": 4305, "completed_on_time": 2047, "optimized": true,
        "documents_required": 3, "documents_interagency": 1,
        "applications_total": 15210, "applications_electronic": 4563, "maturity_stage": 1,
        "info_description": true, "info_documents": true, "info_deadline": false,
        "info_cost": true, "info_legal_basis": false, "info_appeal": true,
        "availability_pct": 100.0, "justified_complaints": 0
    });
    let b = pack.assess(&second);
    assert_eq!(b.score.as_ref().unwrap().fraction_text(), "441/8"); // 55.125
    assert_eq!(b.published_score().as_deref(), Some("55.13"));
    let j = b.to_json();
    assert_eq!(j["indicators"]["satisfaction"]["points"].to_string(), "20.4583333333"); // 491/24 shown to 10 decimals
    assert_eq!(j["indicators"]["interagency"]["points"].to_string(), "2.6666666667");
    assert_eq!(j["score"].to_string(), "55.13");
}

#[test]
fn integer_division_in_a_rule_is_exact() {
    let mut files = hostile().files().clone();
    files.insert("indicators/attack.rhai".into(), "// exact division\nlet share = 194 / 200;\nexplain(`share = ${share}`);\nshare * 100\n".into());
    let a = Pack::from_files(&Engine::default(), files).unwrap().assess(&json!({ "id": "d", "mode": "ok" }));
    assert_eq!(a.indicators[0].points.as_ref().unwrap().fraction_text(), "97");
    assert_eq!(a.trace(0)[0], "share = 0.97");
}

#[test]
fn number_functions_take_integers_and_exact_numbers_alike() {
    let rule = |text: &str| {
        let mut files = hostile().files().clone();
        files.insert("indicators/attack.rhai".into(), text.into());
        Pack::from_files(&Engine::default(), files).unwrap().assess(&json!({ "id": "m", "mode": "ok" }))
    };
    let a = rule(
        "let share = num(\"0.4\");\n\
         explain(`${max(0, share)} ${min(0, share)} ${min(share, 1)} ${max(num(2), 3)} ${min(2, 3)}`);\n\
         explain(`${type_of(max(0, share))} ${type_of(min(0, share))} ${type_of(max(num(2), 3))} ${type_of(min(2, 3))}`);\n\
         explain(`${round(7, 2)} ${type_of(round(7, 2))} ${fraction(3)} ${is_integer(4)} ${round(num(\"2.345\"), 2)}`);\n\
         max(0, share - 1) + min(1, share)\n",
    );
    assert_eq!(a.indicators[0].points.as_ref().unwrap().fraction_text(), "2/5", "{:?}", a.errors);
    assert_eq!(a.trace(0), ["0.4 0 0.4 3 2", "Num Num Num i64", "7 i64 3 true 2.35", "points = 0.4 of 100"]);
    // Rounding an integer checks its places as rounding an exact number does.
    let a = rule("round(7, -1)\n");
    assert_eq!((a.errors[0].kind(), a.errors[0].message()), (ErrorKind::Runtime, "round: places must be 0 or more"));
    let a = rule("round(7, 5000)\n");
    assert_eq!(a.errors[0].kind(), ErrorKind::Limit);
    assert!(a.errors[0].message().contains("past the exact number limit"), "{:?}", a.errors);
}

// 7. Ranking -------------------------------------------------------------------

#[test]
fn ranking_streams_assessments_and_applies_penalties() {
    let pack = pack2016();
    let mut r = Ranker::new(&pack);
    let a = worked_example(); // 78.775
    for (i, org) in ["ORG-A", "ORG-B", "ORG-B", "ORG-C"].iter().enumerate() {
        r.add(&pack.assess(&with(a.clone(), json!({ "service_id": format!("S{i}"), "organization_id": org }))));
    }
    r.add(&pack.assess(&with(a.clone(), json!({ "service_id": "S9", "organization_id": "ORG-D", "completed_on_time": 999 }))));
    let org = |id: &str, late: bool, unreliable: bool| mezon::RawRecord {
        given_twice: None, position: 1,
        locator: "line 2".into(),
        data: Ok(json!({ "organization_id": id, "period": 2016, "data_submitted_on_time": !late, "data_unreliable": unreliable }).as_object().unwrap().clone()),
    };
    r.add_organization(&org("ORG-C", true, false)).unwrap();
    r.add_organization(&org("ORG-E", false, true)).unwrap();
    let ranking = r.finish().unwrap().to_json();
    let rows: Vec<(Value, &str, Value, Value)> = ranking["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["rank"].clone(), o["organization_id"].as_str().unwrap(), o["score"].clone(), o["penalty_points"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!(1), "ORG-A", json!(78.78), json!(0)),
            (json!(1), "ORG-B", json!(78.78), json!(0)),
            (json!(3), "ORG-C", json!(73.78), json!(5)),
            (Value::Null, "ORG-D", Value::Null, json!(0)),
            (Value::Null, "ORG-E", Value::Null, json!(10)),
        ]
    );
    assert_eq!(ranking["organizations"][3]["services_invalid"], 1);
    assert_eq!(ranking["organizations"][3]["status"], "not_assessed");
}

// 8. Fast path ---------------------------------------------------------------

fn assert_same_on_both_paths(pack: &Pack, records: Vec<mezon::RawRecord>) -> usize {
    for trace in [true, false] {
        let opts = AssessOptions { trace };
        for r in &records {
            let a = pack.assess_raw(r, &opts);
            let fast = mezon::to_json_line(&a.to_json());
            // The direct writer gives the bytes of the value tree.
            let line = a.to_json_line();
            assert_eq!(line, fast, "record {}", r.locator);
            // Its trace lists (escaped as they are written) read as the text trace.
            let json: serde_json::Value = serde_json::from_str(&line).unwrap();
            for (i, def) in pack.manifest().indicators.iter().enumerate().take(a.indicators.len()) {
                let listed: Vec<&str> = json["indicators"][&def.id]["trace"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
                assert_eq!(listed, a.trace(i), "record {}, {}", r.locator, def.id);
            }
            let rhai = mezon::to_json_line(&pack.assess_interpreted(r, &opts).to_json());
            assert_eq!(fast, rhai, "record {}", r.locator);
        }
    }
    records.len()
}

#[test]
fn every_2016_rule_runs_on_the_fast_path() {
    assert_eq!(
        pack2016().fast_path_indicators(),
        ["satisfaction", "timeliness", "optimization", "interagency", "uptake", "maturity", "portal_info", "availability", "complaints"]
    );
}

#[test]
fn the_fast_path_equals_the_interpreter_on_golden_cases_and_example_data() {
    let pack = pack2016();
    let golden: Vec<_> = mezon::golden_inputs(&pack)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, (_, name, v))| mezon::RawRecord { given_twice: None, position: i + 1, locator: name, data: Ok(v.as_object().unwrap().clone()) })
        .collect();
    let mut n = assert_same_on_both_paths(&pack, golden);
    for f in ["examples/2016/services.csv", "examples/2016/invalid.csv"] {
        let records: Vec<_> = mezon::read_file(&root().join(f), &pack.manifest().input).unwrap().collect();
        n += assert_same_on_both_paths(&pack, records);
    }
    let hostile = hostile();
    let modes = ["ok", "loop", "recurse", "string", "array", "import", "library", "overmax", "text", "divzero", "undeclared", "table"];
    let records = modes.iter().enumerate().map(|(i, m)| mezon::RawRecord { given_twice: None, position: i + 1, locator: m.to_string(), data: Ok(json!({ "id": m, "mode": m }).as_object().unwrap().clone()) }).collect();
    n += assert_same_on_both_paths(&hostile, records);
    assert!(n > 700);
}

#[test]
fn rules_outside_the_fast_subset_still_run_in_rhai() {
    let mut files = hostile().files().clone();
    files.insert("indicators/attack.rhai".into(), "// a loop: interpreter only\nlet s = 0;\nwhile s < 3 { s += 1; }\ns\n".into());
    let pack = Pack::from_files(&Engine::default(), files).unwrap();
    assert!(pack.fast_path_indicators().is_empty());
    assert_eq!(pack.assess(&json!({ "id": "w", "mode": "ok" })).published_score().as_deref(), Some("3.00"));
}

#[test]
fn the_fast_path_shortcuts_give_what_rhai_gives() {
    // Loops over literal lists are unrolled on the fast path when that
    // cannot change anything; integer conditions and sums are worked in
    // place. Each case here is compared with Rhai.
    let mut files = hostile().files().clone();
    files.insert("lib/util.rhai".into(), "// helpers\nfn share(part, whole) {\n    part / whole\n}\nfn twice(x) {\n    let y = x * 2;\n    y\n}\n".into());
    files.insert(
        "indicators/attack.rhai".into(),
        r#"// Loops over lists, unrolled or not; lib functions, inlined or not.
import "util" as u;
let m = input.mode;
let r = 0;
let pairs = [["first", input.mode], ["second", "neg"]];
for p in pairs {
    explain(`${p[0]} = ${p[1]}`);
    if p[1] == "neg" { r -= 1; }
    r += 2
}
for p in [["x", 1], ["y", 2]] { r += p[1]; }
let again = [[1, 2]];
for p in again { r += p[0]; }
r += again[0][1];
for p in [[1], [2, 3]] { if m == "range" { r += p[1]; } }
for p in [[5, 6]] { r += p[-1]; }
for p in [1, 2] { if m == "whole" { return p * 4; } }
for w in [["a", 1]] { if m == "list" { explain(`${w}`); } }
// Integer comparisons as conditions, one side not an integer at run time.
let t = m;
if t == 0 { r += 100; }
if r > 1000 { r += 1; } else { r += 1; }
// Integer sums of products, worked in one step; an overflow is Rhai's error.
let big = 4611686018427387904;
let s = 1 * r + 2 * r - 3 * r + r;
if m == "sum" { return 1 * big + 2 * big - 3; }
r += s - r;
// Inlined (arguments read in place) and called (a computed argument, a
// function with a variable of its own); a division by zero is Rhai's error.
let h = u::share(r, 4) + u::share(r + 4, 8) + u::twice(r) - 2 * r;
if m == "zero" { return u::share(r, 0); }
r += h * 0;
if m == "tail" { for p in [1, 2] { p + 0 } } else { r }
"#
        .into(),
    );
    let pack = Pack::from_files(&Engine::default(), files).unwrap();
    assert_eq!(pack.fast_path_indicators(), ["attack"]);
    let modes = ["ok", "neg", "range", "whole", "list", "tail", "sum", "zero"];
    let records =
        modes.iter().enumerate().map(|(i, m)| mezon::RawRecord { given_twice: None, position: i + 1, locator: m.to_string(), data: Ok(json!({ "id": m, "mode": m }).as_object().unwrap().clone()) }).collect();
    assert_same_on_both_paths(&pack, records);
    let ok = pack.assess(&json!({ "id": "ok", "mode": "ok" }));
    assert_eq!(ok.indicators[0].points.as_ref().unwrap().fraction_text(), "16");
    assert_eq!(pack.assess(&json!({ "id": "t", "mode": "tail" })).status, Status::Error);
    let overflow = pack.assess(&json!({ "id": "s", "mode": "sum" }));
    assert_eq!(overflow.status, Status::Error);
    assert!(overflow.errors[0].to_string().contains("overflow"), "{}", overflow.errors[0]);
    let zero = pack.assess(&json!({ "id": "z", "mode": "zero" }));
    assert!(zero.errors[0].to_string().contains("zero"), "{}", zero.errors[0]);
}

#[test]
fn a_threaded_stream_gives_the_sequential_results_in_input_order() {
    let pack = pack2016();
    let path = root().join("examples/2016/services.csv");
    let sequential: Vec<String> =
        mezon::read_file(&path, &pack.manifest().input).unwrap().map(|r| mezon::to_json_line(&pack.assess_raw(&r, &AssessOptions::default()).to_json())).collect();
    for threads in [1, 2, 3] {
        let mut out = Vec::new();
        let rows = mezon::read_file_rows(&path, &pack.manifest().input).unwrap();
        pack.assess_stream(rows, &AssessOptions::default(), threads, |a| {
            out.push(mezon::to_json_line(&a.to_json()));
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(out, sequential, "{threads} threads");
    }
    // A failing sink stops the run and its error comes back.
    let rows = mezon::read_file_rows(&path, &pack.manifest().input).unwrap();
    let mut seen = 0;
    let r = pack.assess_stream(rows, &AssessOptions::default(), 2, |_| {
        seen += 1;
        if seen == 300 { Err("stop") } else { Ok(()) }
    });
    assert_eq!((r, seen), (Err("stop"), 300));
}

/// JSON records that test the direct reader against `serde_json`'s map:
/// duplicate keys (known and unknown), nulls, unknown fields, escaped and
/// non-ASCII keys, odd ids, other JSON types, broken and trailing text.
fn tricky_json_records() -> Vec<String> {
    let base = r#""service_id": "S-1", "organization_id": "ORG-1", "period": 2016, "completed": 200, "completed_on_time": 194"#;
    let mut texts: Vec<String> = [
        format!("{{{base}}}"),
        format!("  {{{base}, \"completed\": 10}}  "),
        format!("{{{base}, \"completed\": null}}"),
        format!("{{{base}, \"zzz\": 1, \"yyy\": [1, {{\"a\": 2}}], \"zzz\": \"again\"}}"),
        format!("{{\"completed_on_time\": 194, {base}}}").replacen("\"completed_on_time\": 194, \"service_id\"", "\"service_id\"", 0),
        format!("{{{base}, \"compl\\u0065ted\": 150, \"\\u00fcber\": true, \"ключ\": \"знач\"}}"),
        format!("{{{}, \"service_id\": null}}", base),
        format!("{{{}, \"service_id\": 17.50}}", base),
        format!("{{{}, \"service_id\": \"   \"}}", base),
        "{\"organization_id\": \"ORG-1\", \"period\": 2016}".into(),
        "{}".into(),
        "{\"service_id\": \"a\", \"service_id\": \"b\", \"service_id\": null}".into(),
        format!("{{{base}, \"period\": \"2016\", \"availability_pct\": \"99.2\", \"optimized\": 1}}"),
        format!("{{{base}, \"availability_pct\": 1e400}}"),
        format!("{{{base}, \"organization_name\": \"Имя «x»\", \"organization_name\": \"Второе\"}}"),
        // Keys given twice: a schema field, a null and a value, an unknown
        // key, two keys twice (the first repeated is named), escapes.
        format!("{{{base}, \"period\": 2017}}"),
        format!("{{{base}, \"completed\": null, \"completed\": 3}}"),
        format!("{{{base}, \"extra\": 1, \"extra\": 1}}"),
        format!("{{{base}, \"marks_1\": 1, \"extra\": 1, \"extra\": 2, \"marks_1\": 2}}"),
        format!("{{{base}, \"p\\u0065riod\": 2016}}"),
        format!("{{{base}, \"period\": 2017, \"$serde_json::private::Number\": \"1\"}}"),
        "{\"service_id\": \"S\", \"service_id\": \"S\"} trailing".into(),
        "[1, 2]".into(),
        "17".into(),
        "\"text\"".into(),
        "null".into(),
        "{\"$serde_json::private::Number\": \"1\"}".into(),
        "{\"service_id\": \"S\", \"$serde_json::private::Number\": \"abc\"}".into(),
        "{\"service_id\": \"S\"} trailing".into(),
        "{\"service_id\": \"S\",}".into(),
        "{\"service_id\": \"S\"".into(),
        "".into(),
        "   ".into(),
    ]
    .into_iter()
    .collect();
    // Many unknown keys, some given again before and after the reader
    // switches from a list to a map of them (past 16).
    let many = |n: usize, distinct: usize| (0..n).map(|i| format!("\"x{}\": {i}", i % distinct)).collect::<Vec<_>>().join(", ");
    texts.push(format!("{{{base}, {}}}", many(12, 6)));
    texts.push(format!("{{{}, {base}, {}}}", many(40, 30), many(20, 25)));
    // Every record of the example data and the worked example, as JSON text.
    let pack = pack2016();
    for r in mezon::read_file(&root().join("examples/2016/services.csv"), &pack.manifest().input).unwrap() {
        texts.push(Value::Object(r.data.unwrap()).to_string());
    }
    texts.push(worked_example().to_string());
    texts
}

#[test]
fn a_json_record_read_straight_into_slots_gives_what_its_parsed_value_gives() {
    for pack in [pack2016(), hostile()] {
        for text in tricky_json_records() {
            let direct = pack.assess_json(&text).map(|a| a.to_json_line()).map_err(|e| e.to_string());
            // A key given twice is seen only in the text (a `Value` keeps the
            // last), so the general reader of text is the reference.
            let parsed = serde_json::from_str::<Value>(&text).map(|_| assessed_as_read(&pack, &text)).map_err(|e| e.to_string());
            assert_eq!(direct, parsed, "{text}");
        }
    }
    // And a JSON Lines file through the batch path, against `parse`.
    let pack = pack2016();
    let path = std::env::temp_dir().join(format!("mezon-tricky-{}.jsonl", std::process::id()));
    let lines: Vec<String> = tricky_json_records().into_iter().filter(|t| !t.trim().is_empty()).map(|t| t.replace('\n', " ")).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let opts = AssessOptions { trace: true };
    let rows: Vec<mezon::Row> = mezon::read_file_rows(&path, &pack.manifest().input).unwrap().collect();
    assert_eq!(rows.len(), lines.len());
    for row in rows {
        assert_eq!(pack.assess_row(&row, &opts).to_json_line(), pack.assess_raw(&row.parse(), &opts).to_json_line());
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_value_tree_holds_what_the_line_says() {
    // `to_json` is built beside `to_json_line`, not read back from it:
    // reading the line back would round long decimals to a neighbouring
    // double, and fail on values nested deeper than serde_json reads.
    let mut files = hostile().files().clone();
    let manifest = files["pack.toml"].replace("total_max = 100", "total_max = 1000000000000000000").replace("max = 100\n", "max = 1000000000000000000\n");
    files.insert("pack.toml".into(), manifest);
    files.insert("indicators/attack.rhai".into(), "// A long decimal.\n12345678912345679 / 100000000\n".into());
    let pack = Pack::from_files(&Engine::default(), files).unwrap();
    let mut deep = json!(1);
    for _ in 0..130 {
        deep = json!([deep]);
    }
    for id in [json!("plain"), json!(123456789.12345679), deep] {
        let a = pack.assess(&json!({ "id": id, "mode": "ok" }));
        let line = a.to_json_line();
        assert_eq!(mezon::to_json_line(&a.to_json()), line);
        assert!(a.status != Status::Assessed || line.contains("\"points\":123456789.12345679"), "{line}");
    }
}

#[test]
fn a_borrowed_row_gives_what_its_parsed_record_gives() {
    // `assess_row` takes CSV cells straight to values; short rows, bad
    // cells and JSON Lines go through `parse`. Both must equal `assess_raw`.
    let pack = pack2016();
    let opts = AssessOptions { trace: true };
    let jsonl = std::env::temp_dir().join(format!("mezon-rows-{}.jsonl", std::process::id()));
    std::fs::write(&jsonl, "{\"service_id\": \"a\", \"period\": 2016}\nnot json\n[1]\n").unwrap();
    let mut seen = 0;
    for path in [root().join("examples/2016/services.csv"), root().join("examples/2016/invalid.csv"), jsonl.clone()] {
        let rows: Vec<mezon::Row> = mezon::read_file_rows(&path, &pack.manifest().input).unwrap().collect();
        for row in rows {
            let by_row = pack.assess_row(&row, &opts).to_json_line();
            assert_eq!(by_row, pack.assess_raw(&row.parse(), &opts).to_json_line(), "{}", path.display());
            seen += 1;
        }
    }
    std::fs::remove_file(&jsonl).unwrap();
    assert!(seen > 600, "{seen}");
}

#[test]
fn trace_text_from_values_and_rules_is_escaped_in_json_results() {
    // Constant trace text is escaped once per pack, text from the record and
    // from messages per result: quotes, backslashes, control characters and
    // non-ASCII text must come out of the JSON line as the text trace reads.
    let mut files = hostile().files().clone();
    files.insert(
        "indicators/attack.rhai".into(),
        "// Escaping in traces.\nexplain(`quote \" back \\\\ tab \t → ${input.mode} ${input.id}`);\nexplain(input.mode);\nif input.mode == \"na\" { return na(`no \"${input.id}\"`); }\n3\n".into(),
    );
    let pack = Pack::from_files(&Engine::default(), files).unwrap();
    assert_eq!(pack.fast_path_indicators(), ["attack"], "the templates under test are the fast path's");
    for (id, mode) in [("a\"b", "x\\y\nz"), ("ctl\u{1}\u{1f}", "«ёж»\u{2028}"), ("plain", "na"), ("t\tab", "\"")] {
        let a = pack.assess(&json!({ "id": id, "mode": mode }));
        let line = a.to_json_line();
        let parsed: Value = serde_json::from_str(&line).unwrap();
        let listed: Vec<String> = parsed["indicators"]["attack"]["trace"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
        assert_eq!(listed, a.trace(0), "{line}");
        assert!(listed.iter().any(|l| l.contains(mode)), "{listed:?}");
        // Escaped as serde_json escapes: the list re-serialised is in the line.
        assert!(line.contains(&serde_json::to_string(&listed).unwrap()), "{line}");
    }
}

#[test]
fn the_fast_path_equals_the_interpreter_on_every_construct_it_takes() {
    let mut files = hostile().files().clone();
    files.insert("lib/util.rhai".into(), "// helpers for the coverage rule\nfn twice(a) {\n    a * 2\n}\n".into());
    files.insert(
        "indicators/attack.rhai".into(),
        r#"// Fast-path coverage: the constructs the fast path takes, each compared with Rhai.
import "util" as u;
let m = input.mode;
let x = 7;
let y = 3;
let r = 0;
if m == "and" && x > y || !(y > x) { r += 1; }
if m != "and" || x % y == 1 { r = r + 2; }
let x = -x;
let items = [1, 2, [3, 4], "five", true];
for it in [10, 20, 30] {
    if it == 20 { r += it / 10; }
}
let q = (x * y - 4) / 5;
explain(`q = ${q}, r = ${r}, first = ${items[0]}, nested = ${items[2][1]}, text = ${items[3]}, flag = ${items[4]}`);
if m == "na" { return na(`mode ${m} does not apply`); }
if m == "early" { for i in [1, 2] { if i == 2 { return 9; } } }
if m == "overflow" { let big = 9223372036854775807; return big + 1; }
if m == "negative" { return q; }
if m == "index" { return items[7]; }
if m == "ratio" { return 1 / 3 + num("2/3") - 1 / 3 * 2 + 2 / 3; }
let v = if m == "expr" { 4 } else { 5 };
{
    let inner = u::twice(v);
    r += inner;
}
r + v + num("0.5") * 2 + q * 0 - (x + 7)
"#
        .into(),
    );
    let pack = Pack::from_files(&Engine::default(), files).unwrap();
    assert_eq!(pack.fast_path_indicators(), ["attack"], "the coverage rule must compile for the fast path");
    let modes = ["and", "or", "na", "early", "overflow", "negative", "index", "ratio", "expr", "zzz"];
    let records =
        modes.iter().enumerate().map(|(i, m)| mezon::RawRecord { given_twice: None, position: i + 1, locator: m.to_string(), data: Ok(json!({ "id": m, "mode": m }).as_object().unwrap().clone()) }).collect();
    assert_same_on_both_paths(&pack, records);
    let a = pack.assess(&json!({ "id": "e", "mode": "early" }));
    assert_eq!(a.indicators[0].points.as_ref().unwrap().fraction_text(), "9");
    let o = pack.assess(&json!({ "id": "o", "mode": "overflow" }));
    assert_eq!((o.status, o.errors[0].line()), (Status::Error, Some(18)), "{}", o.errors[0]);
}

// 9. Input: periods, keys given twice, byte order marks, empty files --------

/// One JSON record's text assessed the general way (serde_json's `Value`
/// and the check of keys given twice), as a JSON Lines file is read.
fn assessed_as_read(pack: &Pack, text: &str) -> String {
    let mut rows = mezon::read_rows(std::io::Cursor::new(text.replace('\n', " ")), InputFormat::Jsonl, &pack.manifest().input).unwrap();
    let raw = rows.next().expect("one record").parse();
    assert!(rows.next().is_none());
    let a = pack.assess_raw(&raw, &AssessOptions::default());
    // Without a key given twice, exactly what the parsed value gives.
    if raw.data.is_ok() && raw.given_twice.is_none() {
        assert_eq!(a.to_json_line(), pack.assess(&serde_json::from_str::<Value>(text).unwrap()).to_json_line(), "{text}");
    }
    a.to_json_line()
}

#[test]
fn an_organisation_record_of_another_period_takes_no_penalty() {
    let pack = pack2016();
    let org_as = |n: usize, id: &str, period: Value| mezon::RawRecord {
        given_twice: None, position: n,
        locator: format!("line {}", n + 1),
        data: Ok(json!({ "organization_id": id, "period": period, "data_submitted_on_time": false, "data_unreliable": true }).as_object().unwrap().clone()),
    };
    let org = |n: usize, id: &str, period: i64| org_as(n, id, json!(period));
    let rank = |orgs: &[mezon::RawRecord]| {
        let mut r = Ranker::new(&pack);
        for (i, o) in ["ORG-A", "ORG-B", "ORG-C"].iter().enumerate() {
            r.add(&pack.assess(&with(worked_example(), json!({ "service_id": format!("S{i}"), "organization_id": o }))));
        }
        for o in orgs {
            r.add_organization(o).unwrap();
        }
        let ranking = r.finish().unwrap().to_json();
        ranking["organizations"].as_array().unwrap().iter().map(|o| (o["organization_id"].as_str().unwrap().to_owned(), o.clone())).collect::<BTreeMap<_, _>>()
    };
    // ORG-A: only a 2017 record; ORG-B: a 2017 record, then the 2016 one
    // (which applies); ORG-C: the 2016 record twice.
    let orgs = rank(&[org(1, "ORG-A", 2017), org(2, "ORG-B", 2017), org(3, "ORG-B", 2016), org(4, "ORG-C", 2016), org(5, "ORG-C", 2016)]);
    let a = &orgs["ORG-A"];
    assert_eq!((&a["score"], &a["penalty_points"], &a["organization_record"]), (&json!(78.78), &json!(0), &json!(false)));
    assert_eq!(a["errors"], json!([{ "kind": "input", "field": "period", "message": "period 2017 is not the ranked period 2016; no penalty was taken from this record", "record": "ORG-A" }]));
    let b = &orgs["ORG-B"];
    assert_eq!((&b["score"], &b["penalty_points"], &b["organization_record"]), (&json!(63.78), &json!(15), &json!(true)));
    assert_eq!(b["errors"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["errors"][0]["field"], "period");
    let c = &orgs["ORG-C"];
    assert_eq!((&c["penalty_points"], &c["errors"][0]["message"]), (&json!(15), &json!("a second organisation record for this organisation was ignored")));
    // The period read as validation reads it: text and 2017.0 are 2017 too.
    for period in [json!("2017"), json!(2017.0), json!(" 2017 ")] {
        let a = &rank(&[org_as(1, "ORG-A", period.clone())])["ORG-A"];
        assert_eq!((&a["penalty_points"], &a["errors"][0]["field"]), (&json!(0), &json!("period")), "{period}");
    }
    // A blank id names no organisation: the record is an input error, not
    // an organisation called "  ".
    let mut r = Ranker::new(&pack);
    r.add(&pack.assess(&worked_example()));
    r.add_organization(&org(1, "  ", 2016)).unwrap();
    let j = r.finish().unwrap().to_json();
    assert_eq!(j["organizations"].as_array().unwrap().len(), 1, "{j}");
    assert_eq!((&j["input_errors"][0]["field"], &j["input_errors"][0]["message"]), (&json!("organization_id"), &json!("required field is missing")), "{j}");
    // The error names the record (its id) and the field.
    let mut r = Ranker::new(&pack);
    r.add(&pack.assess(&worked_example()));
    r.add_organization(&org(1, "ORG-X", 2017)).unwrap();
    let ranking = r.finish().unwrap();
    let x = ranking.organizations.iter().find(|o| o.organization_id == "ORG-X").unwrap().to_json();
    assert_eq!(x["errors"][0]["field"], "period");
    // Without a service of any period there is nothing to compare with.
    let mut r = Ranker::new(&pack);
    r.add_organization(&org(1, "ORG-A", 2017)).unwrap();
    let ranking = r.finish().unwrap().to_json();
    assert_eq!((&ranking["organizations"][0]["penalty_points"], &ranking["organizations"][0]["errors"]), (&json!(15), &json!([])));
}

#[test]
fn a_field_given_twice_is_an_error_in_every_format() {
    let pack = pack2016();
    let schema = &pack.manifest().input;
    let rec = worked_example();
    let dup = format!("{}, \"period\": 2017}}", rec.to_string().trim_end_matches('}'));
    let check = |a: &mezon::Assessment, what: &str| {
        assert_eq!(a.status, Status::Invalid, "{what}");
        assert_eq!((a.errors[0].field(), a.errors[0].message()), (Some("period"), "given twice; a record must give each field once"), "{what}");
        assert!(a.errors[0].record().is_some(), "{what}");
        // Read as far as it goes: the result still names the service.
        assert_eq!(a.to_json()["service_id"], rec["service_id"], "{what}");
        assert_eq!(a.to_json()["organization_id"], rec["organization_id"], "{what}");
    };
    // JSON Lines and JSON arrays: the general reader, the direct one, and
    // the one-record entry point; the record after it is unaffected.
    let jsonl = format!("{dup}\n{rec}\n");
    let json_arr = format!("[{dup}, {rec}]");
    for (text, format) in [(jsonl.as_str(), InputFormat::Jsonl), (json_arr.as_str(), InputFormat::Json)] {
        let read = read(text, format, &pack);
        assert_eq!(read.len(), 2);
        check(&read[0], text);
        assert_eq!(read[1].status, Status::Assessed);
        let rows: Vec<mezon::Row> = mezon::read_rows(std::io::Cursor::new(text.to_owned()), format, schema).unwrap().collect();
        assert_eq!(pack.assess_row(&rows[0], &AssessOptions::default()).to_json_line(), read[0].to_json_line());
    }
    check(&pack.assess_json(&dup).unwrap(), "assess_json");
    assert_eq!(pack.assess_json(&dup).unwrap().to_json_line(), read(&jsonl, InputFormat::Jsonl, &pack)[0].to_json_line());
    // A value cannot hold a key twice: `assess` on one is as before.
    assert_eq!(pack.assess(&serde_json::from_str::<Value>(&dup).unwrap()).status, Status::Assessed);
    // CSV: a column named twice refuses the file, naming the column.
    let fields: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    let cells: Vec<String> = fields.iter().map(|f| match &rec[*f] { Value::String(s) => s.clone(), v => v.to_string() }).collect();
    let csv = format!("{},period\n{},2017\n", fields.join(","), cells.join(","));
    let e = mezon::read_rows(std::io::Cursor::new(csv), InputFormat::Csv, schema).err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::Input);
    assert!(e.message().contains("`period` twice"), "{e}");
    // Unnamed columns (trailing commas) are no field's: still read.
    let csv = format!("{},,\n{},,\n", fields.join(","), cells.join(","));
    assert_eq!(read(&csv, InputFormat::Csv, &pack)[0].status, Status::Assessed);
    // Organisation records too: an error, and no penalty.
    let org_schema = pack.manifest().organization_input.clone().unwrap();
    let orgs = "{\"organization_id\": \"ORG-1\", \"period\": 2016, \"data_submitted_on_time\": true, \"data_unreliable\": false, \"data_unreliable\": true}\n";
    let raw = mezon::read(std::io::Cursor::new(orgs), InputFormat::Jsonl, &org_schema).unwrap().next().unwrap();
    let mut r = Ranker::new(&pack);
    r.add_organization(&raw).unwrap();
    let ranking = r.finish().unwrap().to_json();
    let org = &ranking["organizations"][0];
    assert_eq!((&org["organization_id"], &org["penalty_points"]), (&json!("ORG-1"), &json!(0)), "{ranking}");
    assert_eq!(org["errors"][0]["field"], json!("data_unreliable"), "{ranking}");
}

#[test]
fn a_byte_order_mark_before_json_is_skipped() {
    let pack = pack2016();
    let rec = worked_example();
    for (text, format) in [(format!("\u{feff}{rec}\n{rec}\n"), InputFormat::Jsonl), (format!("\u{feff}[{rec}]"), InputFormat::Json), (format!("\u{feff}\n{rec}\n"), InputFormat::Jsonl)] {
        let read = read(&text, format, &pack);
        assert!(!read.is_empty() && read.iter().all(|a| a.status == Status::Assessed), "{text:?}: {:?}", read.iter().map(|a| &a.errors).collect::<Vec<_>>());
        let rows: Vec<mezon::Row> = mezon::read_rows(std::io::Cursor::new(text.clone()), format, &pack.manifest().input).unwrap().collect();
        assert_eq!(pack.assess_row(&rows[0], &AssessOptions::default()).to_json_line(), read[0].to_json_line());
    }
    // One record's text given to the bindings' entry points, too.
    let with_bom = format!("\u{feff}{rec}");
    assert_eq!(pack.assess_json(&with_bom).unwrap().status, Status::Assessed);
    assert_eq!(pack.assess_json_via_value(&with_bom).unwrap().status, Status::Assessed);
    // Only at the start: elsewhere it is not JSON.
    let read = read(&format!("{rec}\n\u{feff}{rec}\n"), InputFormat::Jsonl, &pack);
    assert_eq!(read[1].status, Status::Invalid);
}

#[test]
fn an_empty_csv_file_is_an_error() {
    let pack = pack2016();
    for text in ["", "\n", "\r\n\r\n"] {
        let e = mezon::read_rows(std::io::Cursor::new(text), InputFormat::Csv, &pack.manifest().input).err().expect("refused");
        assert_eq!((e.kind(), e.message()), (ErrorKind::Input, "the CSV file has no header row"), "{text:?}");
    }
    // A header and no rows is an input with no records.
    let fields: Vec<&str> = pack.manifest().input.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(read(&format!("{}\n", fields.join(",")), InputFormat::Csv, &pack).is_empty());
}

#[test]
fn a_service_given_twice_counts_once_in_its_organisations_score() {
    let pack = pack2016();
    let rec = worked_example();
    let mut other = rec.clone();
    other["completed_on_time"] = json!(150);
    let once = pack.rank(std::slice::from_ref(&rec), &[]).unwrap().to_json();
    let r = pack.rank(&[rec, other], &[]).unwrap().to_json();
    let org = &r["organizations"][0];
    assert_eq!(org["score"], once["organizations"][0]["score"], "{r}");
    assert_eq!((org["services_assessed"].clone(), org["services_invalid"].clone()), (json!(1), json!(1)), "{r}");
    let e = &org["errors"][0];
    assert_eq!((e["field"].clone(), e["record"].clone()), (json!("service_id"), json!("SRV-1")), "{r}");
    assert!(e["message"].as_str().unwrap().contains("given twice (records 1 and 2)"), "{r}");
}

// 9. Review fixes -------------------------------------------------------------
// Every assessment here is also compared with Rhai's interpreter.

mod review_fixes {
    use super::{pack2016, root, with, worked_example};
    use mezon::{AssessOptions, Engine, ErrorKind, InputFormat, Pack, RawRecord, Status};
    use serde_json::{json, Value};

    /// Every record of `text` assessed, each as its JSON line; the fast path
    /// and Rhai's interpreter must agree on each, and a JSON Lines row read
    /// straight into the schema's slots must give what its parsed record gives.
    fn assessed(pack: &Pack, text: &str, format: InputFormat) -> Vec<String> {
        let opts = AssessOptions::default();
        let rows: Vec<_> = mezon::read_rows(std::io::Cursor::new(text.to_owned()), format, &pack.manifest().input).unwrap().collect();
        rows.into_iter()
            .map(|row| {
                let direct = pack.assess_row(&row, &opts).to_json_line();
                let raw = row.parse();
                let line = pack.assess_raw(&raw, &opts).to_json_line();
                assert_eq!(direct, line);
                assert_eq!(line, pack.assess_interpreted(&raw, &opts).to_json_line());
                line
            })
            .collect()
    }

    /// The fields of the 2016 schema as a CSV header and one row of `rec`.
    fn csv_of(pack: &Pack, recs: &[Value]) -> String {
        let fields: Vec<&str> = pack.manifest().input.fields.iter().map(|f| f.name.as_str()).collect();
        let cell = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut out = format!("{}\n", fields.join(","));
        for rec in recs {
            out.push_str(&fields.iter().map(|f| rec.get(*f).map(cell).unwrap_or_default()).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }

    /// The hostile fixture with `rule` as its indicator and an optional text
    /// field `note`.
    fn fixture_with(rule: &str) -> Pack {
        let base = Pack::load(&Engine::default(), root().join("test-data/packs/hostile/1.0")).expect("fixture loads");
        let mut files = base.files().clone();
        let toml = files["pack.toml"].replacen("[[indicators]]", "[[input.fields]]\nname = \"note\"\ntype = \"string\"\n\n[[indicators]]", 1);
        files.insert("pack.toml".into(), toml);
        files.insert("indicators/attack.rhai".into(), rule.into());
        Pack::from_files(&Engine::default(), files).unwrap_or_else(|e| panic!("pack compiles: {e}"))
    }

    // 1. Blank text -----------------------------------------------------------

    #[test]
    fn blank_text_in_a_required_json_field_is_missing_as_in_csv() {
        let pack = pack2016();
        let ok = worked_example();
        let recs = [
            with(ok.clone(), json!({ "service_id": "" })),
            with(ok.clone(), json!({ "service_id": "   " })),
            with(ok.clone(), json!({ "organization_id": "\t" })),
            with(ok.clone(), json!({ "period": "" })),
        ];
        let jsonl: String = recs.iter().map(|r| format!("{r}\n")).collect();
        let array = serde_json::to_string(&recs).unwrap();
        let from_jsonl = assessed(&pack, &jsonl, InputFormat::Jsonl);
        let from_array = assessed(&pack, &array, InputFormat::Json);
        let from_csv = assessed(&pack, &csv_of(&pack, &recs), InputFormat::Csv);
        for (i, field) in ["service_id", "service_id", "organization_id", "period"].into_iter().enumerate() {
            let a = pack.assess(&recs[i]);
            assert_eq!(a.status, Status::Invalid, "record {i}");
            let errors: Vec<(Option<&str>, &str)> = a.errors.iter().map(|e| (e.field(), e.message())).collect();
            assert_eq!(errors, [(Some(field), "required field is missing")], "record {i}");
            // The key is absent, as from a blank CSV cell, not given as "".
            assert_eq!(a.to_json()[field], Value::Null, "record {i}");
            assert_eq!(a.to_json_line(), from_jsonl[i]);
            assert_eq!(from_jsonl[i], from_array[i]);
            // CSV names a record without an id by its line, JSON by its line or item.
            if field == "service_id" {
                assert_eq!(a.name, "record 1");
            } else {
                assert_eq!(from_jsonl[i], from_csv[i], "record {i}");
            }
        }
    }

    #[test]
    fn has_is_false_for_blank_text_on_both_paths() {
        let pack = fixture_with("if has(input, \"note\") { 1 } else { 0 }\n");
        let rec = |note: Value| RawRecord { given_twice: None, position: 1, locator: "r".into(), data: Ok(json!({ "id": "x", "mode": "ok", "note": note }).as_object().unwrap().clone()) };
        for (note, points) in [(json!("a note"), "1"), (json!(""), "0"), (json!("  \t "), "0"), (Value::Null, "0")] {
            let r = rec(note.clone());
            let a = pack.assess_raw(&r, &AssessOptions::default());
            assert_eq!(a.status, Status::Assessed, "{note}");
            assert_eq!(a.indicators[0].points.as_ref().map(|p| p.to_string()).as_deref(), Some(points), "{note}");
            assert_eq!(a.to_json_line(), pack.assess_interpreted(&r, &AssessOptions::default()).to_json_line());
        }
    }

    // 2. Table domains ----------------------------------------------------------

    #[test]
    fn a_table_look_up_outside_its_domain_is_a_table_error_on_both_paths() {
        let base = pack2016();
        let mut files = base.files().clone();
        files.insert("indicators/timeliness.rhai".into(), "table(\"timeliness\", 2)\n".into());
        files.insert("indicators/availability.rhai".into(), "table(\"availability\", input.availability_pct + 50)\n".into());
        let pack = Pack::from_files(&Engine::default(), files).unwrap();
        // Both rules are still in the fast subset: it gives up and Rhai reports.
        assert!(pack.fast_path_indicators().contains(&"timeliness"), "{:?}", pack.fast_path_indicators());
        assert!(pack.fast_path_indicators().contains(&"availability"));
        let line = serde_json::to_string(&worked_example()).unwrap();
        let out = assessed(&pack, &format!("{line}\n"), InputFormat::Jsonl);
        let a = pack.assess(&worked_example());
        assert_eq!(a.to_json_line(), out[0]);
        assert_eq!(a.status, Status::Error);
        let errors: Vec<(ErrorKind, Option<&str>, &str)> = a.errors.iter().map(|e| (e.kind(), e.indicator(), e.message())).collect();
        assert_eq!(
            errors,
            [
                (ErrorKind::Table, Some("timeliness"), "table `timeliness`: share = 2 is outside the table's domain [0, 1]"),
                (ErrorKind::Table, Some("availability"), "table `availability`: pct = 149.2 is outside the table's domain [0, 100]"),
            ]
        );
        // Inside the domain the same rule scores.
        let a = pack.assess(&with(worked_example(), json!({ "availability_pct": 49.2 })));
        assert_eq!(a.indicators[7].points.as_ref().map(|p| p.to_string()).as_deref(), Some("4"));
    }

    // 3. Calendar dates -----------------------------------------------------------

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        let dir = root().join("test-data/packs/versioned");
        let e = Engine::default();
        let v = |d: &str| Pack::load_as_of(&e, &dir, d).map(|p| p.version().to_owned());
        for bad in ["2021-02-30", "2021-13-01", "2021-00-10", "2021-04-31", "2021-01-00", "2021-02-29", "1900-02-29"] {
            let err = v(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Input, "{bad}");
            assert_eq!(err.message(), format!("`{bad}` is not a YYYY-MM-DD date"));
        }
        // Leap days of leap years are dates.
        assert_eq!(v("2024-02-29").unwrap(), "2021.1");
        assert_eq!(v("2020-02-29").unwrap(), "2019.1");
        assert!(v("2000-02-29").unwrap_err().message().ends_with("no version is in force on 2000-02-29"));
        // In pack.toml too.
        let files = Pack::load(&e, dir.join("2021.1")).unwrap().files().clone();
        for (from, ok) in [("2021-02-29", false), ("2021-12-32", false), ("2020-02-29", true)] {
            let mut f = files.clone();
            let toml = f["pack.toml"].replace("effective_from = \"2021-01-01\"", &format!("effective_from = \"{from}\""));
            f.insert("pack.toml".into(), toml);
            match Pack::from_files(&e, f) {
                Ok(_) => assert!(ok, "{from}"),
                Err(err) => {
                    assert!(!ok, "{from}: {err}");
                    assert_eq!(err.kind(), ErrorKind::Manifest);
                    assert_eq!(err.message(), format!("effective_from `{from}` is not a YYYY-MM-DD date"));
                }
            }
        }
    }

    // 4. Decimal literals in rules --------------------------------------------------

    #[test]
    fn a_decimal_literal_in_a_rule_is_refused_with_a_hint() {
        let files = pack2016().files().clone();
        let with_rule = |file: &str, text: &str| {
            let mut f = files.clone();
            f.insert(file.into(), text.into());
            Pack::from_files(&Engine::default(), f)
        };
        let hint = |lit: &str| format!("Expecting name of a property: rules have no floating-point numbers; write the decimal `{lit}` as `num(\"{lit}\")`");
        let err = with_rule("indicators/timeliness.rhai", "let share = 1;\nif share >= 0.98 { 20 } else { 0 }\n").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert_eq!(err.message(), hint("0.98"));
        assert_eq!((err.file(), err.line(), err.column()), (Some("indicators/timeliness.rhai"), Some(2), Some(15)));
        // In a library file, at the start of a line.
        let err = with_rule("lib/common.rhai", "fn half() {\n12.5\n}\n").unwrap_err();
        assert_eq!(err.message(), hint("12.5"));
        assert_eq!((err.file(), err.line()), (Some("lib/common.rhai"), Some(2)));
        // No hint where the source is not digits.digits.
        for text in ["let x = 1;\nx.1\n", "let x1 = [1];\nx1.5\n", "2.5e3\n"] {
            let err = with_rule("indicators/timeliness.rhai", text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Parse, "{text}");
            assert!(!err.message().contains("num("), "{text}: {}", err.message());
        }
    }

    // 5. Whole numbers ------------------------------------------------------------------

    #[test]
    fn whole_number_fields_read_integral_json_and_text_and_say_when_too_large() {
        let pack = pack2016();
        let ok = worked_example();
        let expected = pack.assess(&ok).to_json_line();
        // JSON has one kind of number (200.0 is 200); text as a CSV cell gives it.
        for v in ["200.0", "2e2", "\"200\"", "\" 200 \""] {
            let line = serde_json::to_string(&ok).unwrap().replace("\"completed\":200", &format!("\"completed\":{v}"));
            assert_ne!(line, serde_json::to_string(&ok).unwrap());
            assert_eq!(assessed(&pack, &format!("{line}\n"), InputFormat::Jsonl), std::slice::from_ref(&expected), "{v}");
            assert_eq!(pack.assess(&serde_json::from_str(&line).unwrap()).to_json_line(), expected, "{v}");
        }
        let too_large = |given: &str| format!("expected a whole number, got {given}, which is too large (beyond ±9223372036854775807)");
        for (v, message) in [
            ("123456789012345678901", too_large("1.2345678901234567e+20")),
            ("-123456789012345678901", too_large("-1.2345678901234567e+20")),
            ("18446744073709551615", too_large("18446744073709551615")),
            ("9223372036854775808.0", too_large("9.223372036854776e+18")),
            ("\"123456789012345678901\"", too_large("text \"123456789012345678901\"")),
            ("200.5", "expected a whole number, got 200.5".to_owned()),
            // Past 2^53 a double does not hold every whole number: …993.0
            // reads as …992, so it is refused, not taken silently.
            ("9007199254740993.0", format!("expected a whole number, got {}, which JSON numbers with a fraction or exponent cannot hold exactly past 2^53; give it as plain digits or digit text", serde_json::from_str::<Value>("9007199254740993.0").unwrap())),
            ("\"200.0\"", "expected a whole number, got text \"200.0\"".to_owned()),
            ("\"two\"", "expected a whole number, got text \"two\"".to_owned()),
        ] {
            let line = serde_json::to_string(&ok).unwrap().replace("\"completed\":200", &format!("\"completed\":{v}"));
            let out = assessed(&pack, &format!("{line}\n"), InputFormat::Jsonl);
            let a = pack.assess(&serde_json::from_str(&line).unwrap());
            assert_eq!(a.to_json_line(), out[0]);
            let errors: Vec<(Option<&str>, &str)> = a.errors.iter().map(|e| (e.field(), e.message())).collect();
            assert_eq!(errors, [(Some("completed"), message.as_str())], "{v}");
        }
        // A CSV cell says the same.
        let csv = "service_id,completed\nA,123456789012345678901\nB,-99999999999999999999\n";
        let out = assessed(&pack, csv, InputFormat::Csv);
        for (line, text) in out.iter().zip(["123456789012345678901", "-99999999999999999999"]) {
            let json: Value = serde_json::from_str(line).unwrap();
            let completed: Vec<&Value> = json["errors"].as_array().unwrap().iter().filter(|e| e["field"] == "completed").map(|e| &e["message"]).collect();
            assert_eq!(completed, [&json!(too_large(&format!("text \"{text}\"")))]);
        }
    }
}
