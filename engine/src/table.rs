//! Decision tables: parsed once with a pest grammar (`table.pest`), evaluated
//! in Rust with exact numbers, first matching row wins.

use std::cmp::Ordering;

use pest::Parser;
use pest_derive::Parser;

use crate::error::{Error, ErrorKind, Result};
use crate::num::Num;

#[derive(Parser)]
#[grammar = "table.pest"]
struct TableParser;

/// One interval bound; `None` value means infinite.
#[derive(Debug, Clone, PartialEq)]
struct Bound {
    value: Option<Num>,
    inclusive: bool,
}

/// A cell's test on its input column, as an interval (`= x` is `[x, x]`,
/// `-` is `(-inf, inf)`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Test {
    lo: Bound,
    hi: Bound,
    text: String,
}

impl Test {
    fn matches(&self, x: &Num) -> bool {
        let above = match &self.lo.value {
            None => true,
            Some(v) if self.lo.inclusive => x >= v,
            Some(v) => x > v,
        };
        let below = match &self.hi.value {
            None => true,
            Some(v) if self.hi.inclusive => x <= v,
            Some(v) => x < v,
        };
        above && below
    }

    /// The part of this test inside `domain`, or `None` when empty.
    fn clip(&self, domain: &Test) -> Option<Test> {
        let lo = max_lo(&self.lo, &domain.lo);
        let hi = min_hi(&self.hi, &domain.hi);
        let t = Test { lo, hi, text: self.text.clone() };
        (!t.is_empty()).then_some(t)
    }

    fn is_empty(&self) -> bool {
        match (&self.lo.value, &self.hi.value) {
            (Some(l), Some(h)) => l > h || (l == h && !(self.lo.inclusive && self.hi.inclusive)),
            _ => false,
        }
    }
}

fn max_lo(a: &Bound, b: &Bound) -> Bound {
    match (&a.value, &b.value) {
        (None, _) => b.clone(),
        (_, None) => a.clone(),
        (Some(x), Some(y)) if x > y => a.clone(),
        (Some(x), Some(y)) if y > x => b.clone(),
        _ => Bound { value: a.value.clone(), inclusive: a.inclusive && b.inclusive },
    }
}

fn min_hi(a: &Bound, b: &Bound) -> Bound {
    match (&a.value, &b.value) {
        (None, _) => b.clone(),
        (_, None) => a.clone(),
        (Some(x), Some(y)) if x < y => a.clone(),
        (Some(x), Some(y)) if y < x => b.clone(),
        _ => Bound { value: a.value.clone(), inclusive: a.inclusive && b.inclusive },
    }
}

/// One band of a table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) tests: Vec<Test>,
    pub(crate) outcome: Num,
    /// 1-based line in the table file.
    pub(crate) line: u32,
    /// The constant ends of this row's trace line, written once per pack:
    /// `table NAME (FILE:LINE): ` and ` in CONDITION → OUTPUT OUTCOME`.
    pub(crate) trace_head: String,
    pub(crate) trace_tail: String,
    /// The same, escaped for a JSON string.
    pub(crate) trace_head_json: String,
    pub(crate) trace_tail_json: String,
}

/// A parsed decision table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) inputs: Vec<String>,
    /// Each input's declared domain and its line, in input order: a value
    /// outside it is an error, not the nearest open-ended band.
    domains: Vec<Option<(Test, u32)>>,
    pub(crate) rows: Vec<Row>,
    /// One-input tables whose bounds all fit machine words: the rows' bounds
    /// side by side, for the per-record look-up, and the domain's.
    bands: Option<(Vec<Band>, Option<Band>)>,
}

/// A row's interval as machine-word fractions (`d > 0`); `None` is infinite.
#[derive(Debug, Clone, Copy)]
struct Band {
    lo: Option<(i64, i64)>,
    lo_inclusive: bool,
    hi: Option<(i64, i64)>,
    hi_inclusive: bool,
}

impl Band {
    fn of(t: &Test) -> Option<Band> {
        let side = |b: &Bound| match &b.value {
            None => Some(None),
            Some(v) => v.as_small().map(Some),
        };
        Some(Band { lo: side(&t.lo)?, lo_inclusive: t.lo.inclusive, hi: side(&t.hi)?, hi_inclusive: t.hi.inclusive })
    }

    #[inline]
    fn matches(&self, x: (i64, i64)) -> bool {
        let above = match self.lo {
            None => true,
            Some(b) => match cmp_small(x, b) {
                Ordering::Greater => true,
                Ordering::Equal => self.lo_inclusive,
                Ordering::Less => false,
            },
        };
        above
            && match self.hi {
                None => true,
                Some(b) => match cmp_small(x, b) {
                    Ordering::Less => true,
                    Ordering::Equal => self.hi_inclusive,
                    Ordering::Greater => false,
                },
            }
    }
}

/// `n/d` against `p/q`, denominators positive: cross products in 128 bits.
#[inline]
fn cmp_small((n, d): (i64, i64), (p, q): (i64, i64)) -> Ordering {
    if d == q {
        return n.cmp(&p);
    }
    (i128::from(n) * i128::from(q)).cmp(&(i128::from(p) * i128::from(d)))
}

/// A table problem found by [`Table::check_coverage`], with its line.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) line: u32,
    pub(crate) message: String,
}

impl Table {
    /// Parses a table file; errors point at file, line and column.
    pub(crate) fn parse(file: &str, text: &str) -> Result<Table> {
        let err_at = |line: usize, col: usize, msg: String| {
            Error::new(ErrorKind::Table, msg)
                .with_file(file)
                .with_position(line as u32, col as u32, None)
                .with_source(text)
        };
        let mut pairs = TableParser::parse(Rule::file, text).map_err(|e| {
            let (line, col) = match e.line_col {
                pest::error::LineColLocation::Pos(p) | pest::error::LineColLocation::Span(p, _) => p,
            };
            let msg = match &e.variant {
                pest::error::ErrorVariant::ParsingError { positives, .. } => {
                    let want: Vec<&str> = positives.iter().map(describe_rule).collect();
                    format!("table syntax: expected {}", want.join(" or "))
                }
                pest::error::ErrorVariant::CustomError { message } => message.clone(),
            };
            err_at(line, col, msg)
        })?;
        let file_pair = pairs.next().expect("file rule");
        let mut name = String::new();
        let mut domains = Vec::new();
        let mut header: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for item in file_pair.into_inner() {
            let (line, col) = item.line_col();
            match item.as_rule() {
                Rule::table_decl => {
                    name = item.into_inner().next().expect("name").as_str().to_owned();
                }
                Rule::domain_decl => {
                    let mut it = item.into_inner();
                    let col_name = it.next().expect("name").as_str().to_owned();
                    let interval = parse_test(it.next().expect("interval"));
                    domains.push((col_name, interval, line as u32));
                }
                Rule::header => header = item.into_inner().map(|p| p.as_str().to_owned()).collect(),
                Rule::row => {
                    let cells: Vec<_> = item.into_inner().collect();
                    if cells.len() != header.len() {
                        return Err(err_at(line, col, format!("row has {} cells, the header has {}", cells.len(), header.len())));
                    }
                    let (outcome_cell, input_cells) = cells.split_last().expect("at least one cell");
                    let inner = outcome_cell.clone().into_inner().next().expect("cell content");
                    if inner.as_rule() != Rule::number {
                        let (l, c) = outcome_cell.line_col();
                        return Err(err_at(l, c, format!("the outcome `{}` must be a number", outcome_cell.as_str().trim())));
                    }
                    let outcome = Num::parse(inner.as_str()).expect("grammar number");
                    let tests = input_cells.iter().map(|c| parse_test(c.clone().into_inner().next().expect("cell"))).collect();
                    rows.push(Row { tests, outcome, line: line as u32, trace_head: String::new(), trace_tail: String::new(), trace_head_json: String::new(), trace_tail_json: String::new() });
                }
                _ => {}
            }
        }
        if header.len() < 2 {
            return Err(err_at(1, 1, "a table needs at least one input column and the outcome column".into()));
        }
        let output = header.pop().expect("outcome column");
        for (col_name, _, line) in &domains {
            if !header.contains(col_name) {
                return Err(err_at(*line as usize, 1, format!("domain names `{col_name}`, which is not an input column")));
            }
        }
        let domains: Vec<Option<(Test, u32)>> = header.iter().map(|h| domains.iter().find(|(c, ..)| c == h).map(|(_, t, line)| (t.clone(), *line))).collect();
        let bands = if header.len() == 1 {
            let domain = match &domains[0] {
                None => Some(None),
                Some((t, _)) => Band::of(t).map(Some),
            };
            rows.iter().map(|r| Band::of(&r.tests[0])).collect::<Option<Vec<_>>>().zip(domain)
        } else {
            None
        };
        for r in &mut rows {
            let condition = r.tests.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(", ");
            r.trace_head = format!("table {name} ({file}:{}): ", r.line);
            r.trace_tail = format!(" in {condition} → {output} {}", r.outcome);
            r.trace_head_json = crate::json::escaped_text(&r.trace_head);
            r.trace_tail_json = crate::json::escaped_text(&r.trace_tail);
        }
        Ok(Table { name, file: file.to_owned(), inputs: header, domains, rows, bands })
    }

    /// The first row matching one input, as its index; `None` when the
    /// value is outside the domain or no row matches (then
    /// [`Table::lookup`] gives the error). The same rows and order as
    /// `lookup`, on machine words when the value and bounds fit.
    pub(crate) fn lookup1(&self, x: &Num) -> Option<usize> {
        match (&self.bands, x.as_small()) {
            (Some((bands, domain)), Some(x)) => {
                if domain.is_some_and(|d| !d.matches(x)) {
                    return None;
                }
                bands.iter().position(|b| b.matches(x))
            }
            _ => self.lookup(std::slice::from_ref(x)).ok(),
        }
    }

    /// The first row whose every cell matches, as its index.
    pub(crate) fn lookup(&self, values: &[Num]) -> Result<usize> {
        if values.len() != self.inputs.len() {
            return Err(Error::new(
                ErrorKind::Table,
                format!("table `{}` takes {} input(s) ({}), got {}", self.name, self.inputs.len(), self.inputs.join(", "), values.len()),
            ));
        }
        // The open-ended first and last bands would otherwise take any
        // value, so a share of 2 would score as the top band.
        for ((col, domain), v) in self.inputs.iter().zip(&self.domains).zip(values) {
            if let Some((d, _)) = domain.as_ref().filter(|(d, _)| !d.matches(v)) {
                return Err(Error::new(ErrorKind::Table, format!("table `{}`: {col} = {v} is outside the table's domain {}", self.name, d.text)).with_file(&self.file));
            }
        }
        self.rows.iter().position(|r| r.tests.iter().zip(values).all(|(t, v)| t.matches(v))).ok_or_else(|| {
            let shown: Vec<String> = values.iter().map(Num::to_string).collect();
            Error::new(ErrorKind::Table, format!("no row of table `{}` matches {} = {}", self.name, self.inputs.join(", "), shown.join(", ")))
                .with_file(&self.file)
        })
    }

    /// Whether coverage can be checked: one input, with a declared domain.
    pub(crate) fn has_domain(&self) -> bool {
        self.inputs.len() == 1 && self.domains[0].is_some()
    }

    /// Static check: for a one-input table with a declared domain, the rows
    /// cover the domain with no gaps and no overlaps.
    pub(crate) fn check_coverage(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.inputs.len() != 1 {
            return out; // coverage of multi-input tables is not checked
        }
        let Some((domain, dline)) = &self.domains[0] else {
            out.push(Finding { line: 1, message: format!("table `{}` declares no domain for `{}`; coverage cannot be checked", self.name, self.inputs[0]) });
            return out;
        };
        let mut parts: Vec<(Test, u32)> = Vec::new();
        for row in &self.rows {
            match row.tests[0].clip(domain) {
                Some(t) => parts.push((t, row.line)),
                None => out.push(Finding { line: row.line, message: format!("row `{}` lies outside the domain", row.tests[0].text) }),
            }
        }
        for i in 0..parts.len() {
            for j in i + 1..parts.len() {
                let lo = max_lo(&parts[i].0.lo, &parts[j].0.lo);
                let hi = min_hi(&parts[i].0.hi, &parts[j].0.hi);
                if !(Test { lo, hi, text: String::new() }).is_empty() {
                    out.push(Finding {
                        line: parts[j].1,
                        message: format!("row `{}` overlaps row `{}` (line {})", parts[j].0.text, parts[i].0.text, parts[i].1),
                    });
                }
            }
        }
        // Walk the rows in order of their lower bound; each must start where
        // the covered part ends.
        parts.sort_by(|a, b| cmp_lo(&a.0.lo, &b.0.lo));
        let mut reach = Bound { value: domain.lo.value.clone(), inclusive: !domain.lo.inclusive };
        for (t, line) in &parts {
            let joins = match (&reach.value, &t.lo.value) {
                (None, None) => true,
                (Some(r), Some(l)) => l < r || (l == r && (reach.inclusive || t.lo.inclusive)),
                (None, Some(_)) => false,
                (Some(_), None) => true,
            };
            if !joins {
                out.push(Finding { line: *line, message: format!("gap before row `{}`: values just above {} match no row", t.text, bound_text(&reach)) });
            }
            if cmp_hi(&t.hi, &reach) == std::cmp::Ordering::Greater {
                reach = t.hi.clone();
            }
        }
        if cmp_hi(&reach, &domain.hi) == std::cmp::Ordering::Less {
            out.push(Finding { line: *dline, message: format!("gap at the top of the domain: values above {} match no row", bound_text(&reach)) });
        }
        out
    }
}

fn bound_text(b: &Bound) -> String {
    b.value.as_ref().map_or("infinity".into(), Num::to_string)
}

/// Orders lower bounds: smaller first; at equal values the inclusive one first.
fn cmp_lo(a: &Bound, b: &Bound) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (&a.value, &b.value) {
        (None, None) => Equal,
        (None, _) => Less,
        (_, None) => Greater,
        (Some(x), Some(y)) => x.cmp(y).then(b.inclusive.cmp(&a.inclusive)),
    }
}

/// Orders upper bounds: smaller first; at equal values the exclusive one first.
fn cmp_hi(a: &Bound, b: &Bound) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (&a.value, &b.value) {
        (None, None) => Equal,
        (None, _) => Greater,
        (_, None) => Less,
        (Some(x), Some(y)) => x.cmp(y).then(a.inclusive.cmp(&b.inclusive)),
    }
}

fn parse_test(p: pest::iterators::Pair<Rule>) -> Test {
    let text = p.as_str().trim().to_owned();
    let inf = || Bound { value: None, inclusive: false };
    let at = |s: &str, inclusive| Bound { value: Some(Num::parse(s).expect("grammar number")), inclusive };
    let (lo, hi) = match p.as_rule() {
        Rule::any => (inf(), inf()),
        Rule::number => (at(p.as_str(), true), at(p.as_str(), true)),
        Rule::comparison => {
            let mut it = p.into_inner();
            let op = it.next().expect("op").as_str();
            let v = it.next().expect("number").as_str();
            match op {
                ">=" => (at(v, true), inf()),
                ">" => (at(v, false), inf()),
                "<=" => (inf(), at(v, true)),
                "<" => (inf(), at(v, false)),
                _ => (at(v, true), at(v, true)),
            }
        }
        Rule::interval => {
            let mut it = p.into_inner();
            let open = it.next().expect("open").as_str() == "[";
            let lo = it.next().expect("lo").as_str();
            it.next().expect("comma");
            let upper = it.next().expect("upper").into_inner().next().expect("bound");
            let close = it.next().expect("close").as_str() == "]";
            let hi = if upper.as_rule() == Rule::inf { inf() } else { at(upper.as_str(), close) };
            (at(lo, open), hi)
        }
        r => unreachable!("cell rule {r:?}"),
    };
    Test { lo, hi, text }
}

fn describe_rule(r: &Rule) -> &'static str {
    match r {
        Rule::table_decl => "`table NAME`",
        Rule::domain_decl => "`domain COLUMN [a, b]`",
        Rule::header => "a header row `| column | outcome |`",
        Rule::row => "a row `| cell | outcome |`",
        Rule::cell => "a cell (`>= 0.98`, `[0.95, 0.98)`, `= 4`, `-`)",
        Rule::number => "a number",
        Rule::name => "a name",
        Rule::interval => "an interval",
        Rule::upper => "a number or `inf`",
        Rule::close => "`]` or `)`",
        Rule::comma => "`,`",
        Rule::EOI => "end of file",
        _ => "something else",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMELINESS: &str = "\
# Timeliness scale
table timeliness
domain share [0, 1]

| share        | points |
|--------------|--------|
| >= 0.98      | 20     |
| [0.95, 0.98) | 16     |
| [0.90, 0.95) | 12     |
| [0.80, 0.90) | 6      |
| < 0.80       | 0      |
";

    fn n(s: &str) -> Num {
        Num::parse(s).unwrap()
    }

    #[test]
    fn parses_and_looks_up_bands() {
        let t = Table::parse("tables/timeliness.table", TIMELINESS).unwrap();
        assert_eq!(t.name, "timeliness");
        assert_eq!(t.inputs, ["share"]);
        assert_eq!(t.rows[1].trace_head, "table timeliness (tables/timeliness.table:8): ");
        assert_eq!(t.rows[1].trace_tail, " in [0.95, 0.98) → points 16");
        let points = |s: &str| t.rows[t.lookup(&[n(s)]).unwrap()].outcome.clone();
        assert_eq!(points("0.98"), n("20"));
        assert_eq!(points("97/100"), n("16"));
        assert_eq!(points("0.9799999"), n("16"));
        assert_eq!(points("0.95"), n("16"));
        assert_eq!(points("0.8"), n("6"));
        assert_eq!(points("0"), n("0"));
        assert_eq!(t.rows[1].line, 8);
        assert!(t.check_coverage().is_empty(), "{:?}", t.check_coverage());
    }

    #[test]
    fn one_input_lookup_on_machine_words_matches_the_general_one() {
        let t = Table::parse("tables/timeliness.table", TIMELINESS).unwrap();
        assert!(t.bands.is_some());
        for num in -20i64..=1020 {
            for den in [1i64, 3, 7, 40, 100, 1000, 9999] {
                let x = Num::ratio(num, den).unwrap();
                assert_eq!(t.lookup1(&x), t.lookup(std::slice::from_ref(&x)).ok(), "{x}");
            }
        }
        // A bound that does not fit a machine word: the general look-up.
        let big = TIMELINESS.replace("< 0.80 ", "< 0.800000000000000000000000001");
        let t = Table::parse("t.table", &big).unwrap();
        assert!(t.bands.is_none());
        assert_eq!(t.lookup1(&n("0.5")), Some(4));
    }

    #[test]
    fn a_value_outside_the_domain_is_an_error_not_the_end_band() {
        let t = Table::parse("tables/timeliness.table", TIMELINESS).unwrap();
        for x in ["2", "1.01", "-0.5", "-1/1000"] {
            let e = t.lookup(&[n(x)]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Table);
            assert_eq!(e.message(), format!("table `timeliness`: share = {} is outside the table's domain [0, 1]", n(x)));
            assert_eq!(t.lookup1(&n(x)), None, "{x}");
        }
        // The domain's own ends are in it.
        assert_eq!(t.lookup1(&n("1")), Some(0));
        assert_eq!(t.lookup1(&n("0")), Some(4));
        // A domain bound past machine words is checked by the general look-up.
        let big = TIMELINESS.replace("domain share [0, 1]", "domain share [0, 1.000000000000000000000000001]");
        let t = Table::parse("t.table", &big).unwrap();
        assert!(t.bands.is_none());
        assert_eq!(t.lookup1(&n("1.000000000000000000000000001")), Some(0));
        assert_eq!(t.lookup1(&n("2")), None);
        // Without a domain, the open-ended bands take any value.
        let t = Table::parse("t.table", &TIMELINESS.replace("domain share [0, 1]\n", "")).unwrap();
        assert_eq!(t.lookup1(&n("2")), Some(0));
        assert_eq!(t.lookup1(&n("-1")), Some(4));
    }

    #[test]
    fn finds_gaps_and_overlaps() {
        let text = TIMELINESS.replace("[0.90, 0.95)", "[0.91, 0.95)").replace("< 0.80 ", "<= 0.80");
        let t = Table::parse("t.table", &text).unwrap();
        let f = t.check_coverage();
        let lines: Vec<u32> = f.iter().map(|x| x.line).collect();
        assert_eq!(lines, [11, 9], "{f:?}");
        assert!(f[0].message.contains("overlaps"));
        assert!(f[1].message.contains("gap"));
        let top = Table::parse("t.table", &TIMELINESS.replace(">= 0.98 ", "[0.98, 0.99)")).unwrap();
        assert!(top.check_coverage()[0].message.contains("top of the domain"));
    }

    #[test]
    fn syntax_errors_point_at_line_and_column() {
        let text = TIMELINESS.replace("[0.95, 0.98)", "[0.95; 0.98)");
        let e = Table::parse("tables/timeliness.table", &text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Table);
        assert_eq!((e.line(), e.column()), (Some(8), Some(8)));
        assert_eq!(e.file(), Some("tables/timeliness.table"));
        assert!(e.to_string().contains("8 | | [0.95; 0.98) | 16     |\n  |        ^"), "{e}");
    }

    #[test]
    fn outcome_must_be_a_number() {
        let e = Table::parse("t.table", &TIMELINESS.replace("| 16     |", "| -      |")).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(8), Some(18)));
    }
}
