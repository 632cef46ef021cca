//! Static checks of a compiled pack (`mezon check`).

use std::collections::BTreeSet;

use crate::pack::Pack;

/// A problem found by [`check`], with the file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// Pack file.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<u32>,
    /// 1-based column (in characters), when known: where a rule names a
    /// module or table its pack lacks.
    pub column: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    /// A finding without a column.
    fn new(file: &str, line: Option<u32>, message: String) -> Finding {
        Finding { file: file.to_owned(), line, column: None, message }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

fn line_of(text: &str, needle: &str) -> Option<u32> {
    text.lines().position(|l| l.contains(needle)).map(|i| i as u32 + 1)
}

/// Checks a compiled pack: the indicator maxima add up to `total_max`; every
/// module a rule imports is in `lib/`; every field a rule reads is declared;
/// every table a rule calls exists and
/// covers its domain without gaps or overlaps; every rule file opens with a
/// header comment; every indicator has a source clause and at least one
/// golden test. An empty list means the pack is sound.
pub fn check(pack: &Pack) -> Vec<Finding> {
    let p = &pack.0;
    let m = &p.manifest;
    let toml = &p.files["pack.toml"];
    let mut out = consistency(m, toml, &p.tables);
    out.extend(p.unresolved.iter().cloned());
    let mut add = |file: &str, line: Option<u32>, message: String| out.push(Finding::new(file, line, message));
    for t in p.tables.iter().filter(|t| !t.has_domain()) {
        for f in t.check_coverage() {
            add(&t.file, Some(f.line), f.message);
        }
    }
    let declared: BTreeSet<&str> = m.input.fields.iter().map(|f| f.name.as_str()).collect();
    let mut tested = BTreeSet::new();
    for (path, text) in p.files.range("tests/".to_owned()..).take_while(|(k, _)| k.starts_with("tests/")) {
        if !path.ends_with(".toml") {
            continue;
        }
        match text.parse::<toml::Table>() {
            Err(e) => add(path, None, format!("golden test file does not parse: {}", e.message())),
            Ok(t) => {
                for case in t.get("case").and_then(|c| c.as_array()).into_iter().flatten() {
                    if let Some(points) = case.get("expect").and_then(|e| e.get("points")).and_then(|p| p.as_table()) {
                        tested.extend(points.keys().cloned());
                    }
                }
            }
        }
    }
    for (def, ind) in m.indicators.iter().zip(&p.indicators) {
        let src = &p.files[&def.script];
        let decl_line = line_of(toml, &format!("id = \"{}\"", def.id));
        if def.clause.trim().is_empty() {
            add("pack.toml", decl_line, format!("indicator `{}` names no source clause", def.id));
        }
        if !tested.contains(&def.id) {
            add("pack.toml", decl_line, format!("indicator `{}` has no golden test (no case expects its points)", def.id));
        }
        if !src.trim_start().starts_with("//") {
            add(&def.script, Some(1), "a rule file must open with a header comment: what it measures, its clause, whether it is provisional".into());
        }
        for (field, line) in &ind.reads {
            if !declared.contains(field.as_str()) {
                add(&def.script, Some(*line), format!("the rule reads `input.{field}`, which the input schema does not declare"));
            }
        }
    }
    out
}

/// The problems that make a pack's results wrong or ambiguous, which a pack
/// is refused for when it is compiled ([`crate::Engine::for_checking`]
/// aside): indicator maxima that do not add up to `total_max` (a score out
/// of a different total than declared), and a one-input table with a gap
/// (a value no row takes), an overlap (two rows for a value: the first
/// would win unseen) or a row outside its domain.
pub(crate) fn consistency(m: &crate::manifest::Manifest, toml: &str, tables: &[crate::table::Table]) -> Vec<Finding> {
    let mut out = Vec::new();
    let sum: i64 = m.indicators.iter().map(|i| i.max).sum();
    if sum != m.total_max {
        let message = format!("the indicator maxima add up to {sum}, but total_max is {}", m.total_max);
        out.push(Finding::new("pack.toml", line_of(toml, "total_max"), message));
    }
    for t in tables {
        if t.has_domain() {
            out.extend(t.check_coverage().into_iter().map(|f| Finding::new(&t.file, Some(f.line), f.message)));
        }
    }
    out
}

/// The names rule `file` uses that its pack does not have, each at its
/// line: a module it imports by name that is not in `lib/` (`has_lib`), a
/// table it calls by a written name that is not in `tables/` (`has_table`).
/// A pack with one is refused when compiled, as inconsistent (every record
/// would fail with "Module not found" or "no table named"). An import of a
/// path is left to the sandbox, which refuses it when the rule runs; so is
/// a name computed at run time.
pub(crate) fn unresolved(file: &str, ast: &rhai::AST, has_lib: &dyn Fn(&str) -> bool, has_table: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    use rhai::{ASTNode, Expr, Stmt};
    // A rule may define its own `table(name, value)`, which its calls then
    // reach instead of the pack's tables.
    let own_table = ast.iter_functions().any(|f| f.name == "table" && f.params.len() == 2);
    let mut out = Vec::new();
    let mut add = |pos: &rhai::Position, message: String| {
        out.push(Finding { file: file.to_owned(), line: pos.line().map(|l| l as u32), column: pos.position().map(|c| c as u32), message });
    };
    ast.walk(&mut |path: &[ASTNode]| {
        let call = match path.last() {
            Some(ASTNode::Stmt(Stmt::Import(x, pos))) => {
                if let Expr::StringConstant(name, _) = &x.0 {
                    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                    if plain && !has_lib(name) {
                        add(pos, format!("the rule imports module `{name}`, which is not in lib/ (no lib/{name}.rhai in the pack)"));
                    }
                }
                None
            }
            Some(ASTNode::Stmt(Stmt::FnCall(f, pos)) | ASTNode::Expr(Expr::FnCall(f, pos))) => Some((f, pos)),
            _ => None,
        };
        if let Some((f, pos)) = call.filter(|(f, _)| f.name == "table" && f.namespace.is_empty() && f.args.len() == 2 && !own_table) {
            if let Some(Expr::StringConstant(name, _)) = f.args.first() {
                if !has_table(name) {
                    add(pos, format!("the rule calls table `{name}`, which is not in tables/"));
                }
            }
        }
        true
    });
    out
}
