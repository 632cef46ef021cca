//! Review of the fast-path rewrites of 2 December (loop unrolling, inlining
//! of one-expression lib functions, link-time shortcuts, `Num::parse_short`,
//! the int × fraction product, points pushed straight in `assess`).
//!
//! Every case compares `assess_raw` (fast path) with `assess_interpreted`
//! (Rhai only) as JSON lines, with the trace on and off.
//!
//! Section A holds the cases where the two paths differed (some new with
//! the rewrites, some already present at e5a39cb) and what each does now.
//! Section B holds the adversarial cases that agree, including a
//! random-rule comparison over the fast subset.

use std::path::{Path, PathBuf};

use mezon::{AssessOptions, Engine, Num, Pack, RawRecord};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The hostile fixture has only string fields; these give integer, boolean
/// and decimal fields (all optional, so a missing one is `()`).
const EXTRA_FIELDS: &str = r#"
[[input.fields]]
name = "n"
type = "int"

[[input.fields]]
name = "flag"
type = "bool"

[[input.fields]]
name = "d"
type = "number"
"#;

const TABLE: &str = "# test table\ntable band\ndomain x [0, 10]\n\n| x       | points |\n|---------|--------|\n| < 5     | 1      |\n| [5, 10] | 2      |\n";

/// The hostile fixture with `rule` as `indicators/attack.rhai`, the given
/// lib files, a one-input table `band` and the extra fields.
fn pack_with(rule: &str, libs: &[(&str, &str)]) -> Pack {
    let base = Pack::load(&Engine::default(), root().join("test-data/packs/hostile/1.0")).expect("fixture loads");
    let mut files = base.files().clone();
    let toml = files["pack.toml"].replacen("[[indicators]]", &format!("{EXTRA_FIELDS}\n[[indicators]]"), 1);
    files.insert("pack.toml".into(), toml);
    files.insert("tables/band.table".into(), TABLE.into());
    files.insert("indicators/attack.rhai".into(), rule.into());
    for (name, text) in libs {
        files.insert(format!("lib/{name}.rhai"), (*text).into());
    }
    Pack::from_files(&Engine::default(), files).unwrap_or_else(|e| panic!("pack compiles: {e}\n{rule}"))
}

fn rec(i: usize, v: &Value) -> RawRecord {
    RawRecord { given_twice: None, position: i + 1, locator: format!("record {i}"), data: Ok(v.as_object().unwrap().clone()) }
}

fn modes(ms: &[&str]) -> Vec<Value> {
    ms.iter().map(|m| json!({ "id": m, "mode": m })).collect()
}

/// Long runs of `x` (big test strings) shortened in messages.
fn squash(s: &str) -> String {
    let mut out = String::new();
    let mut run = 0;
    for ch in s.chars() {
        run = if ch == 'x' { run + 1 } else { 0 };
        match run {
            0..=3 => out.push(ch),
            4 => out.push('…'),
            _ => {}
        }
    }
    out
}

/// The differences between the paths, as readable lines.
fn diffs(pack: &Pack, records: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for trace in [true, false] {
        let opts = AssessOptions { trace };
        for (i, v) in records.iter().enumerate() {
            let r = rec(i, v);
            let a = pack.assess_raw(&r, &opts);
            let fast = mezon::to_json_line(&a.to_json());
            assert_eq!(a.to_json_line(), fast, "direct writer");
            let rhai = mezon::to_json_line(&pack.assess_interpreted(&r, &opts).to_json());
            if fast != rhai {
                out.push(squash(&format!("trace={trace} record={v}\n  fast: {fast}\n  rhai: {rhai}")));
            }
        }
    }
    out
}

/// Asserts that `rule` compiles for the fast path and gives what Rhai gives.
fn same(name: &str, rule: &str, libs: &[(&str, &str)], records: &[Value]) {
    let pack = pack_with(rule, libs);
    assert_eq!(pack.fast_path_indicators(), ["attack"], "{name}: not on the fast path\n{rule}");
    let d = diffs(&pack, records);
    assert!(d.is_empty(), "{name}: the fast path differs from Rhai\n--- rule:\n{rule}\n{}", d.join("\n"));
}

fn first_error(pack: &Pack, record: &Value, interpreted: bool) -> String {
    let opts = AssessOptions { trace: false };
    let a = if interpreted { pack.assess_interpreted(&rec(0, record), &opts) } else { pack.assess_raw(&rec(0, record), &opts) };
    a.errors.first().map_or_else(|| format!("no error; points {:?}", a.indicators[0].points.as_ref().map(Num::fraction_text)), |e| e.message().to_owned())
}

fn list(n: usize) -> String {
    (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

// ===========================================================================
// A. Cases where the fast path and Rhai differed, and what they do now
// ===========================================================================

/// Both paths give the same result; the rule may or may not be on the fast
/// path (a rule near Rhai's limits runs in Rhai).
fn agree(name: &str, rule: &str, libs: &[(&str, &str)], records: &[Value]) -> Pack {
    let pack = pack_with(rule, libs);
    let d = diffs(&pack, records);
    assert!(d.is_empty(), "{name}: the fast path differs from Rhai\n--- rule:\n{rule}\n{}", d.join("\n"));
    pack
}

/// Was NEW with the loop unrolling. Four nested loops over 16-item literal
/// lists: Rhai stops at the operations limit. Before the rewrites the fast
/// path gave up here by accident (the inner lists, built again on every
/// pass, went past the arena bound); unrolled, nothing bounded the work.
/// Now a rule whose static bound of operations passes the limit runs in
/// Rhai.
#[test]
fn a_loops_past_rhais_operations_limit_run_in_rhai() {
    let l = list(16);
    let rule = format!("let r = 0;\nfor a in [{l}] {{ for b in [{l}] {{ for c in [{l}] {{ for d in [{l}] {{ r += 1; }} }} }} }}\nr / 65536\n");
    let pack = agree("nested literal loops", &rule, &[], &modes(&["a"]));
    assert!(pack.fast_path_indicators().is_empty());
    let r = json!({ "id": "a", "mode": "a" });
    assert_eq!(first_error(&pack, &r, false), "too many operations (limit 100000)");
}

/// Was PRE-EXISTING: in Rhai, `x /= 2` with two integers was Rhai's
/// built-in truncating division (7 /= 2 gave 3), while `/` is exact and the
/// fast path computed 7/2. `/=` is now refused when the pack is loaded.
#[test]
fn a_divide_assign_is_refused_at_load() {
    let base = Pack::load(&Engine::default(), root().join("test-data/packs/hostile/1.0")).expect("fixture loads");
    let mut files = base.files().clone();
    files.insert("indicators/attack.rhai".into(), "let x = 7;\nx /= 2;\nx\n".into());
    let e = Pack::from_files(&Engine::default(), files).expect_err("`/=` is refused");
    assert!(e.to_string().contains("write `x = x / y`"), "{e}");
    assert_eq!(e.line(), Some(2));
}

/// Was PRE-EXISTING, then also through inlining: a `private fn` of a lib is
/// not callable from a rule. Rhai says `Function not found`; the fast path
/// found it and returned 8. Private functions are now left to Rhai.
#[test]
fn a_private_lib_functions_are_left_to_rhai() {
    for body in ["private fn hidden(a) { a * 2 }\n", "private fn hidden(a) { let t = a * 2; t }\n"] {
        let pack = agree("private fn", "import \"u\" as u;\nlet x = 4;\nu::hidden(x)\n", &[("u", body)], &modes(&["a"]));
        assert!(pack.fast_path_indicators().is_empty());
        assert!(first_error(&pack, &json!({ "id": "a", "mode": "a" }), false).contains("Function not found"));
    }
}

/// Was PRE-EXISTING: nested loops over one list variable, 64,000 passes.
#[test]
fn a_loops_over_a_list_variable_past_the_operations_limit_run_in_rhai() {
    let rule = format!("let r = 0;\nlet xs = [{}];\nfor a in xs {{ for b in xs {{ for c in xs {{ r += 1; }} }} }}\nr / 64000\n", list(40));
    let pack = agree("operations limit", &rule, &[], &modes(&["a"]));
    assert!(pack.fast_path_indicators().is_empty());
}

/// Was PRE-EXISTING: Rhai sums the lengths of the text in a list literal
/// against the string size limit (64 KiB); the fast path never checked.
/// Now a list with a text field is not unrolled, and a list built past the
/// limit leaves the rule to Rhai.
#[test]
fn a_lists_of_long_text_follow_the_string_limit() {
    let records = vec![json!({ "id": "big", "mode": "x".repeat(40_000) }), json!({ "id": "small", "mode": "x" })];
    same("string size, one loop", "let r = 0;\nlet xs = [input.mode, input.mode];\nfor x in xs { r += 1; }\nr\n", &[], &records);
    same("string size, list kept", "let r = 0;\nlet xs = [input.mode, input.mode];\nfor x in xs { r += 1; }\nlet ys = xs;\nr\n", &[], &records);
}

/// Was PRE-EXISTING: Rhai counts the elements of nested lists against the
/// array size limit (2 + 2 × 6,000 > 10,000); the fast path counted each
/// literal's own length only. Now it counts as Rhai does.
#[test]
fn a_nested_lists_follow_the_array_limit() {
    let inner = list(6000);
    let rule = format!("let r = 0;\nlet xs = [[{inner}], [{inner}]];\nfor x in xs {{ r += x[0]; }}\nr + 1\n");
    agree("array size, nested", &rule, &[], &modes(&["a"]));
    // Small enough for the fast path, and still past the limit (6 + 2 × 5,000).
    let inner = list(5000);
    let rule = format!("let r = 0;\nlet xs = [[{inner}], [{inner}], 1, 2, 3, 4];\nr + 1\n");
    same("array size, nested, on the fast path", &rule, &[], &modes(&["a"]));
}

/// Was PRE-EXISTING: 300 variables, over Rhai's limit of 256.
#[test]
fn a_more_variables_than_the_limit_run_in_rhai() {
    let rule: String = (0..300).map(|i| format!("let v{i} = {i};\n")).chain(["v1\n".to_owned()]).collect();
    let pack = agree("variables limit", &rule, &[], &modes(&["a"]));
    assert!(pack.fast_path_indicators().is_empty());
}

/// Was NEW with the loop unrolling: nested loops unrolled into 16^depth
/// copies of the body (five levels took 3.5 s and 835 MB to load). One
/// unrolled loop now gives at most 2,048 nodes, so the outer levels stay
/// loops, and the whole rule is past the operations bound.
#[test]
fn a_deeply_nested_loops_load_quickly() {
    let l = list(16);
    let mut rule = String::from("let r = 0;\n");
    for n in ["a", "b", "c", "d", "e", "f"] {
        rule += &format!("for {n} in [{l}] {{ ");
    }
    rule += "r += 1; } } } } } }\n1\n";
    let t = std::time::Instant::now();
    let pack = pack_with(&rule, &[]);
    assert!(t.elapsed() < std::time::Duration::from_secs(2), "pack load took {:?}", t.elapsed());
    assert!(pack.fast_path_indicators().is_empty());
}

// ===========================================================================
// B. Adversarial cases on which both paths agree
// ===========================================================================

const UTIL: &str = "// helpers\nfn twice(a) { a * 2 }\nfn share(part, whole) {\n    part / whole\n}\nfn k(a) { 7 }\nfn sq(a) {\n    a * a\n}\nfn lin(x, y) {\n    2 * x + 3 * y - 1\n}\nfn sub(a, b) { b - a + 20 }\nfn big(a) { a > 10 }\nfn zero(a) { a == 0 }\nfn skip(a) { na(a) }\nfn greet(a) { `hi ${a}` }\nfn look(a) { table(\"band\", a) }\nfn f(input) { input * 2 }\nfn semi(a) { a * 2; }\nfn semi2(a) { a * 2;; }\nfn first(a) { a[0] }\n";

#[test]
fn b_unrolled_loops_keep_scopes_returns_and_values() {
    let m = modes(&["a", "ret", "x"]);
    let cases: &[(&str, &str)] = &[
        ("let in the body shadows the loop variable", "let p = 100; let r = 0;\nfor p in [1, 2] { let p = p * 10; r += p; }\nr - p + 100\n"),
        ("loop variable name reused by an inner loop", "let r = 0;\nfor p in [1, 2] { for p in [10, 20] { r += p; } r += p; }\nr\n"),
        ("let in the body shadows an outer variable", "let x = 5; let r = 0;\nfor p in [1, 2] { let x = p; r += x; }\nr + x\n"),
        ("body let re-read across copies", "let r = 0;\nfor p in [1, 2, 3] { let t = r; r = t + p; }\nr\n"),
        ("return inside an if inside the loop", "let r = 0;\nfor p in [1, 2, 3] { if p == 2 && input.mode == \"ret\" { return p * 10; } r += p; }\nr\n"),
        ("return from nested loops", "let r = 0;\nfor a in [1, 2] { for b in [3, 4] { r += a * b; if input.mode == \"ret\" && b == 4 { return r; } } }\nr\n"),
        ("return with no value", "for p in [1, 2] { if input.mode == \"ret\" { return; } }\n4\n"),
        ("return inside an expression block (given up)", "let r = 0;\nlet v = { for p in [1, 2] { if input.mode == \"ret\" { return 9; } } 3 };\nv\n"),
        ("list variable reassigned", "let r = 0; let xs = [1, 2]; xs = [5];\nfor x in xs { r += x; }\nr\n"),
        ("list variable shadowed before the loop", "let r = 0; let xs = [1, 2]; let xs = [7, 8];\nfor x in xs { r += x; }\nr\n"),
        ("list variable shadowed after the loop", "let r = 0; let xs = [1, 2];\nfor x in xs { r += x; }\nlet xs = 3;\nr + xs\n"),
        ("list variable assigned in the body", "let r = 0; let xs = [1, 2];\nfor x in xs { xs = [9]; r += x; }\nr\n"),
        ("loop variable named as its list", "let r = 0; let p = [1, 2];\nfor p in p { r += p; }\nr\n"),
        ("list of the loop's own (outer) variable", "let a = 1; let r = 0;\nfor a in [a, a + 1] { r += a; }\nr + a\n"),
        ("inner list of the outer loop variable", "let r = 0;\nfor p in [1, 2] { let xs = [p, 3]; for x in xs { r += x; } }\nr\n"),
        ("outer loop over an inner list variable", "let r = 0;\nlet xs = [1, 2];\nfor a in [10, 20] { for x in xs { r += a + x; } }\nr\n"),
        ("const list", "let r = 0; const XS = [1, 2];\nfor x in XS { r += x; }\nr\n"),
        ("list used in an inner block only", "let r = 0; let xs = [1, 2];\nif input.mode == \"a\" { for x in xs { r += x; } }\nr\n"),
        ("loop variable assigned", "let r = 0;\nfor p in [1, 2] { p += 1; r += p; }\nr\n"),
        ("loop variable as a whole list", "let r = 0;\nfor p in [[1, 2]] { let q = p; r += q[0]; }\nr\n"),
        ("negative index", "let r = 0;\nfor p in [[1, 2], [3, 4]] { r += p[-1]; }\nr\n"),
        ("index past an item's end", "let r = 0;\nfor p in [[1], [2]] { if input.mode == \"x\" { r += p[1]; } }\nr\n"),
        ("index into a text item", "let r = 0;\nfor p in [input.mode] { explain(`${p[0]}`); }\nr\n"),
        ("loop variable in interpolation", "let r = 0;\nfor p in [1, \"two\", true, input.mode, num(\"2.50\"), ()] { explain(`p=${p}`); let s = `${p}!`; explain(s); r += 1; }\nr\n"),
        ("pairs of text and fields", "let r = 0;\nfor p in [[\"a\", input.mode], [\"b\", input.id]] { explain(`${p[0]}:${p[1]}`); if p[1] == \"x\" { r += 1; } }\nr\n"),
        ("non-boolean item as a condition", "let r = 0;\nfor p in [true, false, 1] { if p { r += 1; } }\nr\n"),
        ("exact-number items", "let r = 0;\nfor p in [num(\"0.5\"), 2, num(\"1/3\")] { r += p; }\nr\n"),
        ("empty list", "let r = 0;\nfor p in [] { r += 1; }\nr + 3\n"),
        ("loop as the rule's last statement", "let r = 0;\nfor p in [1, 2] { r += p; }\n"),
        ("loop as a block's value", "let v = { for p in [1, 2] { p } };\nv\n"),
        ("unrolled loop inside an if expression", "let r = 0;\nlet v = if input.mode == \"a\" { for p in [1, 2] { r += p; } r } else { 0 };\nv\n"),
        ("na from inside a loop", "for p in [\"a\", \"x\"] { if input.mode == p { return na(`skip ${p}`); } }\n5\n"),
        ("table in a loop", "let r = 0;\nfor p in [1, 7, 11] { if input.mode == \"x\" || p < 10 { r += table(\"band\", p); } }\nr\n"),
        ("list read before a return, loop after", "let r = 0;\nlet xs = [[\"a\", input.mode], [\"b\", input.id]];\nif input.mode == \"ret\" { return 1; }\nfor x in xs { explain(x[1]); r += 1; }\nr\n"),
        ("16-item and 17-item lists", "let r = 0;\nfor p in [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16] { r += p; }\nfor p in [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17] { r -= p; }\nr + 20\n"),
    ];
    for (name, rule) in cases {
        same(name, rule, &[], &m);
    }
    let fields = [json!({"id":"a","mode":"a","n":5,"flag":true,"d":1.5}), json!({"id":"b","mode":"b","n":-2,"flag":false}), json!({"id":"c","mode":"c"})];
    same("field items", "let r = 0;\nfor p in [input.n, input.n, 3] { r += p; }\nr\n", &[], &fields);
    same("boolean field items", "let r = 0;\nfor p in [[\"x\", input.flag], [\"y\", true]] { if p[1] { explain(p[0]); r += 1; } }\nr\n", &[], &fields);
}

#[test]
fn b_inlined_lib_functions_keep_rhais_values_and_errors() {
    let m = modes(&["a", "of", "z", "k", "nope"]);
    let u = [("u", UTIL)];
    let cases: &[(&str, &str)] = &[
        ("parameter unused, argument ()", "import \"u\" as u;\nlet x;\nu::k(x)\n"),
        ("parameter used twice, overflow", "import \"u\" as u;\nlet big = 4000000000;\nif input.mode == \"of\" { return u::sq(big); }\nu::sq(3)\n"),
        ("argument variable changed after the call", "import \"u\" as u;\nlet x = 3;\nlet y = u::twice(x);\nx = 10;\ny + x\n"),
        ("division by zero: variable and constant", "import \"u\" as u;\nlet r = 5; let z = 0;\nif input.mode == \"z\" { return u::share(r, z); }\nif input.mode == \"k\" { return u::share(r, 0); }\nu::share(r, 2)\n"),
        ("division by zero as a statement", "import \"u\" as u;\nif input.mode == \"z\" { u::share(1, 0); }\n1\n"),
        ("sum overflow", "import \"u\" as u;\nlet a = 4611686018427387904; let b = 1;\nif input.mode == \"of\" { return u::lin(a, b); }\nu::lin(b, b)\n"),
        ("interpolation", "import \"u\" as u;\nlet s = u::greet(input.mode);\nexplain(s);\nexplain(u::greet(5));\n1\n"),
        ("arguments swapped and repeated", "import \"u\" as u;\nlet x = 10; let y = 3;\nu::sub(x, y) + u::sub(x, x)\n"),
        ("parameter named input", "import \"u\" as u;\nlet x = 4;\nu::f(x)\n"),
        ("text compared with an integer", "import \"u\" as u;\nlet t = input.mode;\nif u::big(t) { 1 } else { 2 }\n"),
        ("text equal to an integer", "import \"u\" as u;\nlet t = input.mode;\nif u::zero(t) { 1 } else { 2 }\n"),
        ("body ending in ; and ;;", "import \"u\" as u;\nu::semi(3) + u::semi2(4)\n"),
        ("na", "import \"u\" as u;\nlet why = input.mode;\nif why == \"nope\" { return u::skip(why); }\n1\n"),
        ("in an unrolled loop, by zero", "import \"u\" as u;\nlet r = 0;\nfor p in [1, 2, 0] { if input.mode == \"z\" || p != 0 { r += u::share(10, p); } }\nr\n"),
        ("() argument in arithmetic", "import \"u\" as u;\nlet x;\nif input.mode == \"z\" { return u::twice(x); }\n1\n"),
        ("list argument indexed (called)", "import \"u\" as u;\nlet xs = [5, 6];\nu::first(xs)\n"),
        ("table in a lib function", "import \"u\" as u;\nlet r = u::look(3) + u::look(input.mode == \"a\");\nr\n"),
        ("table out of its rows", "import \"u\" as u;\nif input.mode == \"of\" { return u::look(11); }\nu::look(7)\n"),
    ];
    for (name, rule) in cases {
        same(name, rule, &u, &m);
    }
}

#[test]
fn b_link_time_shortcuts_keep_rhais_values_and_errors() {
    let m = modes(&["a", "b", "c", "of", "z"]);
    let cases: &[(&str, &str)] = &[
        ("x += k on text", "let s = input.mode;\ns += 1;\nna(s)\n"),
        ("x op= k on an exact number", "let d = num(\"0.5\");\nd += 1;\nd -= 2;\nd *= -3;\nd\n"),
        ("x -= k overflow at i64::MIN", "let x = -9223372036854775807;\nx -= 1;\nif input.mode == \"of\" { x -= 1; }\n1\n"),
        ("x *= k overflow", "let x = 4611686018427387904;\nif input.mode == \"of\" { x *= 2; }\n1\n"),
        ("x %= 0 and %= negative", "let x = 7;\nif input.mode == \"z\" { x %= 0; }\nx %= -4;\nx\n"),
        ("x += k on ()", "let x;\nif input.mode == \"z\" { x += 1; }\n1\n"),
        ("text == integer", "let t = input.mode;\nif t == 0 { 1 } else { 2 }\n"),
        ("text != integer", "let t = input.mode;\nif t != 0 { 1 } else { 2 }\n"),
        ("boolean == integer", "let t = true;\nif t == 1 { 1 } else { 2 }\n"),
        ("() < integer", "let t;\nif t < 1 { 1 } else { 2 }\n"),
        ("integer as a condition", "let t = 1;\nif t { 1 } else { 2 }\n"),
        ("() as a condition", "let t;\nif t { 1 } else { 2 }\n"),
        ("exact number compared with 0", "let d = num(\"0.5\");\nif d > 0 { 1 } else { 2 }\n"),
        ("block ending in a constant and ;", "let v = { 5; };\nv\n"),
        ("block ending in ;;", "let v = { 5;; };\nv\n"),
        ("rule ending in ;;", "42;;\n"),
        ("rule ending in a variable and ;", "let r = 3;\nr;\n"),
        ("constants before the tail", "let r = 3;\n5;\n\"s\";\n();\ntrue;\nr\n"),
        ("block of a let only", "let v = { let a = 5; };\nif input.mode == \"a\" { return v; }\n1\n"),
        ("if / else if / else as the value", "let m = input.mode;\nif m == \"a\" { 1 } else if m == \"b\" { 2 } else { 3 }\n"),
        ("if without else as the value", "let m = input.mode;\nif m == \"a\" { 1 }\n"),
        ("a list as the value", "let r = [1];\nr\n"),
        ("sum overflow, grouped as Rhai groups it", "let a = 4611686018427387904; let r = 1;\nif input.mode == \"of\" { return 1 * a + 1 * a - r; }\nif input.mode == \"z\" { return a + a - a; }\n2 * r + 3 * r - r * 4\n"),
        ("sum back into range at i64::MIN", "let a = -4611686018427387904;\nlet z = a + a;\nif input.mode == \"of\" { return z - 1 + 1; }\nlet w = z + 1 - 1;\n1\n"),
        ("sum with an exact number", "let d = num(\"0.5\"); let r = 2;\n2 * d + 3 * r - r\n"),
        ("sum with text", "let s = input.mode; let r = 2;\n2 * s + 3 * r\n"),
        ("ratio of two leaves at i64::MIN / -1", "let a = -9223372036854775807 - 1; let b = -1;\nlet q = a / b;\nexplain(`${q}`);\nlet z = 0;\nif input.mode == \"z\" { return a / z; }\n1\n"),
        ("points at the bounds", "let m = input.mode;\nif m == \"a\" { return num(\"100\"); }\nif m == \"b\" { return num(\"-0.0\"); }\nif m == \"c\" { return 100 + num(\"1/100000000000000000000000\"); }\nif m == \"of\" { return -num(\"1/100000000000000000000000\"); }\n0\n"),
    ];
    for (name, rule) in cases {
        same(name, rule, &[], &m);
    }
    let fields = [
        json!({"id":"a","mode":"a","n":5,"flag":true,"d":1.5}),
        json!({"id":"b","mode":"b","n":-1,"flag":false,"d":-0.5}),
        json!({"id":"m","mode":"m","n":9223372036854775807i64}),
        json!({"id":"c","mode":"c"}),
    ];
    same(
        "fields as leaves (missing ones are ())",
        "let r = 0;\nif input.flag { r += 1; }\nif input.n > 3 { r += 2; }\nr += input.n * 2 + input.n - 1;\nif input.d > 0 { r += 1; }\nlet q = input.n / 4;\nexplain(`q = ${q}`);\nr\n",
        &[],
        &fields,
    );
}

#[test]
fn b_exact_numbers_at_the_machine_word_edges() {
    same(
        "int × fraction",
        "let a = -9223372036854775807 - 1;\nexplain(`${a * num(\"1/2\")} ${num(\"1/2\") * a} ${num(\"-3/4\") * 6} ${0 * num(\"1/3\")} ${a * num(\"-1/3\")} ${9223372036854775807 * num(\"2/3\")} ${-1 * num(\"9223372036854775807/2\")}`);\n1\n",
        &[],
        &modes(&["a"]),
    );
    same(
        "decimal literals at the 18-digit edge",
        "explain(`${num(\"-999999999999999999\")} ${num(\"+.5\")} ${num(\"5.\")} ${num(\"-0.000000000000000001\")} ${num(\"00000000000000001.5\")} ${num(\"9223372036854775807\")} ${num(\"-9223372036854775808\")}`);\n1\n",
        &[],
        &modes(&["a"]),
    );
    // The product shortcut against big rationals, for every pair of edges;
    // `==` is structural, so this also checks the reduced, canonical form.
    use num_bigint::BigInt;
    use num_rational::BigRational;
    let edges: [i64; 16] = [0, 1, -1, 2, -2, 3, 6, -6, 1 << 32, 1 << 62, -(1 << 62), 1_000_000_000_000_000_000, i64::MAX, i64::MIN, i64::MIN + 1, 9_007_199_254_740_993];
    for &k in &edges {
        for &c in &edges {
            for &d in &edges {
                if d == 0 {
                    continue;
                }
                let f = Num::ratio(c, d).unwrap();
                let expected = BigRational::from(BigInt::from(k)) * BigRational::new(BigInt::from(c), BigInt::from(d));
                let expected = Num::parse(&format!("{}/{}", expected.numer(), expected.denom())).unwrap();
                assert!(Num::int(k).mul(&f) == expected, "{k} × {c}/{d}: {}", Num::int(k).mul(&f).fraction_text());
                assert!(f.mul(&Num::int(k)) == expected, "{c}/{d} × {k}");
            }
        }
    }
    // The one-pass decimal reader against the fraction reader.
    for t in ["0", "-0", "+0", "0.0", "-0.5", "+12.375", "999999999999999999", "-999999999999999999", "99999999999999999.9", "-.999999999999999999", "1.", "-1.", "000000000000000000"] {
        let (neg, digits) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.trim_start_matches('+')),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let m: BigInt = format!("{}{int}{frac}", if neg { "-" } else { "" }).parse().unwrap_or_default();
        let expected = Num::parse(&format!("{m}/1{}", "0".repeat(frac.len()))).unwrap();
        assert!(Num::parse(t).unwrap() == expected, "{t}");
    }
}

// Random rules of the fast subset -----------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// A generator of rules: lets (reusing a few names, so shadowing), `op=`,
/// ifs, loops over literal lists and lists of pairs (written in the loop or
/// let just before it), returns in loops and ifs, blocks, constant
/// statements, explains, sums of products, ratios, lib calls (inlined and
/// not), fields that may be missing.
struct Gen {
    rng: Rng,
    scopes: Vec<Vec<String>>,
    loops: Vec<(String, bool)>,
    counter: usize,
    depth: usize,
}

const FUZZ_LIB: &str = "// fuzz helpers\nfn add(a, b) { a + b }\nfn mul2(a) { a * 2 }\nfn ratio(a, b) { a / b }\nfn k(a) { 7 }\nfn pick(a, b) { b }\nfn big(a) { a > 10 }\nfn sq(a, b) { a * a + b * b - a * b }\nfn blk(a) { let t = a * 3; t }\n";

impl Gen {
    fn vars(&self) -> Vec<String> {
        self.scopes.iter().flatten().cloned().collect()
    }
    fn fresh(&mut self) -> String {
        self.counter += 1;
        if self.rng.below(3) == 0 {
            self.rng.pick(&["x", "y", "z", "p", "q", "w"]).to_owned()
        } else {
            format!("v{}", self.counter)
        }
    }
    fn leaf(&mut self) -> String {
        let vars = self.vars();
        match self.rng.below(14) {
            0..=2 if !vars.is_empty() => vars[self.rng.below(vars.len())].clone(),
            3 => "input.n".into(),
            4 if !self.loops.is_empty() => {
                let (name, pair) = self.loops[self.rng.below(self.loops.len())].clone();
                if pair {
                    format!("{name}[{}]", self.rng.below(2))
                } else {
                    name
                }
            }
            5 if self.rng.below(3) == 0 => self.rng.pick(&["4611686018427387904", "9223372036854775807", "-9223372036854775807", "0", "-1"]).into(),
            6 => self.rng.pick(&["num(\"0.5\")", "num(\"-1/3\")", "input.d", "num(\"2.25\")"]).into(),
            _ => format!("{}", self.rng.below(12) as i64 - 3),
        }
    }
    fn iexpr(&mut self, d: usize) -> String {
        if d == 0 || self.rng.below(3) == 0 {
            return self.leaf();
        }
        match self.rng.below(12) {
            0 => format!("{} + {}", self.iexpr(d - 1), self.iexpr(d - 1)),
            1 => format!("{} - {}", self.iexpr(d - 1), self.iexpr(d - 1)),
            2 => format!("{} * {}", self.leaf(), self.leaf()),
            3 => format!("{} * {} + {} * {} - {}", self.leaf(), self.leaf(), self.leaf(), self.leaf(), self.leaf()),
            4 => format!("({}) / {}", self.iexpr(d - 1), self.leaf()),
            5 => format!("{} % {}", self.leaf(), self.leaf()),
            6 => format!("u::add({}, {})", self.leaf(), self.leaf()),
            7 => format!("u::{}({})", self.rng.pick(&["mul2", "k", "blk"]), self.leaf()),
            8 => format!("u::{}({}, {})", self.rng.pick(&["ratio", "pick", "sq"]), self.leaf(), self.leaf()),
            9 => format!("-({})", self.iexpr(d - 1)),
            10 => format!("if {} {{ {} }} else {{ {} }}", self.cond(d - 1), self.iexpr(d - 1), self.iexpr(d - 1)),
            _ => format!("({})", self.iexpr(d - 1)),
        }
    }
    fn cond(&mut self, d: usize) -> String {
        match self.rng.below(9) {
            0 => "input.flag".into(),
            1 => format!("input.mode == \"{}\"", self.rng.pick(&["x", "y"])),
            2 if d > 0 => format!("!({})", self.cond(d - 1)),
            3 if d > 0 => format!("{} && {}", self.cond(d - 1), self.cond(d - 1)),
            4 if d > 0 => format!("{} || {}", self.cond(d - 1), self.cond(d - 1)),
            5 => format!("u::big({})", self.leaf()),
            _ => format!("{} {} {}", self.leaf(), self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]), self.leaf()),
        }
    }
    fn block(&mut self, n: usize) -> String {
        self.scopes.push(Vec::new());
        let out = (0..n).map(|_| self.stmt()).collect();
        self.scopes.pop();
        out
    }
    fn some_var(&mut self) -> Option<String> {
        let vars = self.vars();
        (!vars.is_empty()).then(|| vars[self.rng.below(vars.len())].clone())
    }
    fn stmt(&mut self) -> String {
        self.depth += 1;
        let s = match self.rng.below(if self.depth > 3 { 6 } else { 13 }) {
            0 | 1 => {
                let e = self.iexpr(2);
                let v = self.fresh();
                self.scopes.last_mut().unwrap().push(v.clone());
                format!("let {v} = {e};\n")
            }
            2 => match self.some_var() {
                // `/=` left out: refused when a pack is loaded (section A).
                Some(v) => format!("{v} {} {};\n", self.rng.pick(&["+=", "-=", "*=", "%=", "="]), self.leaf()),
                None => "1;\n".into(),
            },
            3 => match self.some_var() {
                Some(v) => format!("{v} = {};\n", self.iexpr(2)),
                None => "();\n".into(),
            },
            4 => {
                let e = self.leaf();
                format!("explain(`e {} ${{{e}}}`);\n", self.counter)
            }
            5 => self.rng.pick(&["5;\n", "\"s\";\n", "true;\n", "();\n"]).into(),
            6 | 7 => {
                let c = self.cond(2);
                let k = 1 + self.rng.below(2);
                let a = self.block(k);
                if self.rng.below(2) == 0 {
                    format!("if {c} {{\n{a}}}\n")
                } else {
                    let k = 1 + self.rng.below(2);
                    let b = self.block(k);
                    format!("if {c} {{\n{a}}} else {{\n{b}}}\n")
                }
            }
            8 | 9 => {
                let pair = self.rng.below(2) == 0;
                let opts = ["1", "2", "-3", "0", "input.n", "input.d", "input.flag", "\"t\"", "input.mode", "4611686018427387904", "num(\"1/2\")", "true"];
                let n = 1 + self.rng.below(4);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let a = opts[self.rng.below(opts.len())];
                        if pair {
                            format!("[{a}, {}]", opts[self.rng.below(opts.len())])
                        } else {
                            a.to_owned()
                        }
                    })
                    .collect();
                let name = self.rng.pick(&["it", "x", "p", "e"]).to_owned();
                let list = format!("[{}]", items.join(", "));
                self.loops.push((name.clone(), pair));
                let k = 1 + self.rng.below(3);
                let body = self.block(k);
                self.loops.pop();
                if self.rng.below(2) == 0 {
                    self.counter += 1;
                    let lv = format!("list{}", self.counter);
                    format!("let {lv} = {list};\nfor {name} in {lv} {{\n{body}}}\n")
                } else {
                    format!("for {name} in {list} {{\n{body}}}\n")
                }
            }
            10 => format!("if {} {{ return {}; }}\n", self.cond(1), self.iexpr(2)),
            11 => format!("{{\n{}}}\n", self.block(2)),
            _ => match self.loops.last().cloned() {
                Some((name, false)) => format!("if {name} == {} {{ return {}; }}\n", self.leaf(), self.iexpr(1)),
                _ => format!("if {} {{ return {}; }}\n", self.cond(1), self.iexpr(1)),
            },
        };
        self.depth -= 1;
        s
    }
    fn rule(&mut self) -> String {
        let mut out = String::from("import \"u\" as u;\nlet r = 7;\n");
        self.scopes = vec![vec!["r".into()]];
        for _ in 0..(3 + self.rng.below(6)) {
            out += &self.stmt();
        }
        out += &match self.rng.below(4) {
            0 => format!("{}\n", self.iexpr(3)),
            1 => "r\n".into(),
            2 => format!("if {} {{ {} }} else {{ na(\"no\") }}\n", self.cond(1), self.iexpr(2)),
            _ => format!("{};\n", self.iexpr(2)),
        };
        out
    }
}

/// 400 random rules by default (`FUZZ=n SEED=s` for more; about 24,000 were
/// run in this review with no difference).
#[test]
fn b_random_rules_of_the_fast_subset_agree() {
    let n: usize = std::env::var("FUZZ").ok().and_then(|d| d.parse().ok()).unwrap_or(400);
    let seed: u64 = std::env::var("SEED").ok().and_then(|d| d.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let records = [
        json!({"id": "a", "mode": "x", "n": 5, "flag": true, "d": 1.5}),
        json!({"id": "b", "mode": "y", "n": -3, "flag": false, "d": -0.25}),
        json!({"id": "c", "mode": "x", "n": 0, "flag": true}),
        json!({"id": "d", "mode": "y", "n": 9223372036854775807i64, "flag": false, "d": 3}),
        json!({"id": "e", "mode": "x"}),
    ];
    let mut gen = Gen { rng: Rng(seed), scopes: vec![], loops: vec![], counter: 0, depth: 0 };
    let (mut fast, mut failures) = (0, Vec::new());
    for _ in 0..n {
        let rule = gen.rule();
        let pack = pack_with(&rule, &[("u", FUZZ_LIB)]);
        fast += usize::from(!pack.fast_path_indicators().is_empty());
        let d = diffs(&pack, &records);
        if !d.is_empty() {
            failures.push(format!("--- rule:\n{rule}\n{}", d[0]));
        }
    }
    assert!(fast * 10 >= n * 9, "only {fast} of {n} rules on the fast path");
    assert!(failures.is_empty(), "{} of {n} rules differ; first:\n{}", failures.len(), failures[0]);
}
