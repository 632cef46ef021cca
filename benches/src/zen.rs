//! The 2016 methodology as a GoRules JDM decision graph for `zen-engine`,
//! built the way ZEN's users write one: expression nodes for the formulas,
//! decision tables (hit policy `first`) for the scales. The graph is
//! compiled once and evaluated many times.
//!
//! The chain: input → `derive` (expression: shares, rate, formula points)
//! → five decision tables (timeliness, uptake, maturity, availability,
//! complaints) → `score` (expression: Σ points, Σ max, score) → output.
//! Every node passes its input through, so the output carries the points
//! of every indicator next to the score. `null` stands for "not applicable".

use mezon::Num;
use serde_json::{json, Value};
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, EvaluationOptions, Variable};

use crate::native::{Scored, INDICATORS};

fn expression_node(id: &str, expressions: &[(&str, &str)]) -> Value {
    let expressions: Vec<Value> =
        expressions.iter().enumerate().map(|(i, (key, value))| json!({ "id": format!("{id}-{i}"), "key": key, "value": value })).collect();
    json!({ "id": id, "name": id, "type": "expressionNode", "content": { "expressions": expressions, "passThrough": true, "inputField": null, "outputPath": null, "executionMode": "single" } })
}

/// A scale: rows of (unary test on `field`, points); `null` rows give "not applicable".
fn table_node(id: &str, field: &str, output: &str, rows: &[(&str, &str)]) -> Value {
    let rules: Vec<Value> = rows.iter().enumerate().map(|(i, (test, points))| json!({ "_id": format!("{id}-r{i}"), "in": test, "out": points })).collect();
    json!({
        "id": id, "name": id, "type": "decisionTableNode",
        "content": {
            "hitPolicy": "first",
            "inputs": [{ "id": "in", "name": field, "field": field }],
            "outputs": [{ "id": "out", "name": output, "field": output }],
            "rules": rules,
            "passThrough": true, "inputField": null, "outputPath": null, "executionMode": "single"
        }
    })
}

/// The JDM graph (JSON) of the 2016 methodology.
pub fn graph() -> Value {
    let derive = expression_node(
        "derive",
        &[
            ("marks_n", "marks_1 + marks_2 + marks_3 + marks_4 + marks_5"),
            ("satisfaction", "$.marks_n < 10 ? null : 30 * ((1 * marks_1 + 2 * marks_2 + 3 * marks_3 + 4 * marks_4 + 5 * marks_5) / $.marks_n - 1) / 4"),
            ("timeliness_share", "completed == 0 ? null : completed_on_time / completed"),
            ("optimization", "optimized ? 13 : 0"),
            ("interagency", "documents_required == 0 ? 8 : 8 * documents_interagency / documents_required"),
            ("uptake_share", "applications_total == 0 ? null : applications_electronic / applications_total"),
            (
                "portal_info",
                "(info_description ? 1 : 0) + (info_documents ? 1 : 0) + (info_deadline ? 1 : 0) + (info_cost ? 1 : 0) + (info_legal_basis ? 1 : 0) + (info_appeal ? 1 : 0)",
            ),
            ("complaints_rate", "applications_electronic == 0 ? null : justified_complaints * 1000 / applications_electronic"),
        ],
    );
    let timeliness = table_node(
        "timeliness",
        "timeliness_share",
        "timeliness",
        &[("null", "null"), (">= 0.98", "20"), ("[0.95..0.98)", "16"), ("[0.90..0.95)", "12"), ("[0.80..0.90)", "6"), ("< 0.80", "0")],
    );
    let uptake = table_node(
        "uptake",
        "uptake_share",
        "uptake",
        &[("null", "null"), (">= 0.50", "7"), ("[0.30..0.50)", "5"), ("[0.10..0.30)", "3"), ("(0..0.10)", "1"), ("0", "0")],
    );
    let maturity = table_node("maturity", "maturity_stage", "maturity", &[("4", "6"), ("3", "4"), ("2", "2"), ("1", "0")]);
    let availability = table_node(
        "availability",
        "availability_pct",
        "availability",
        &[(">= 99.5", "5"), ("[99.0..99.5)", "4"), ("[98.0..99.0)", "3"), ("[95.0..98.0)", "1"), ("< 95", "0")],
    );
    let complaints = table_node(
        "complaints",
        "complaints_rate",
        "complaints",
        &[("null", "null"), ("0", "5"), ("(0..1]", "4"), ("(1..3]", "2"), ("(3..5]", "1"), ("> 5", "0")],
    );
    let score = expression_node(
        "score",
        &[
            (
                "points_total",
                "(satisfaction ?? 0) + (timeliness ?? 0) + optimization + interagency + (uptake ?? 0) + maturity + portal_info + availability + (complaints ?? 0)",
            ),
            (
                "max_applicable",
                "(satisfaction == null ? 0 : 30) + (timeliness == null ? 0 : 20) + 13 + 8 + (uptake == null ? 0 : 7) + 6 + 6 + 5 + (complaints == null ? 0 : 5)",
            ),
            ("score", "$.max_applicable < 50 ? null : 100 * $.points_total / $.max_applicable"),
        ],
    );
    let chain = ["input", "derive", "timeliness", "uptake", "maturity", "availability", "complaints", "score", "output"];
    let edges: Vec<Value> =
        chain.windows(2).enumerate().map(|(i, w)| json!({ "id": format!("e{i}"), "sourceId": w[0], "targetId": w[1], "type": "edge" })).collect();
    json!({
        "nodes": [
            { "id": "input", "name": "request", "type": "inputNode" },
            derive, timeliness, uptake, maturity, availability, complaints, score,
            { "id": "output", "name": "response", "type": "outputNode" }
        ],
        "edges": edges
    })
}

/// A compiled ZEN decision of [`graph`].
pub struct ZenScorer {
    decision: Decision,
}

impl Default for ZenScorer {
    fn default() -> Self {
        let mut content: DecisionContent = serde_json::from_value(graph()).expect("the JDM graph deserialises");
        content.compile();
        ZenScorer { decision: Decision::from(content) }
    }
}

impl ZenScorer {
    /// Evaluates one record (a JSON object with numbers), trace off.
    pub fn evaluate(&self, record: &Value) -> Variable {
        let out = pollster::block_on(self.decision.evaluate_with_opts(Variable::from(record), EvaluationOptions { trace: false, max_depth: 10 }));
        out.expect("the ZEN graph evaluates").result
    }

    /// Points and score of one record, exact from ZEN's decimals.
    pub fn score(&self, record: &Value) -> Result<Scored<Num>, String> {
        let out = self.evaluate(record);
        let get = |key: &str| -> Result<Option<Num>, String> {
            match out.dot(key) {
                None | Some(Variable::Null) => Ok(None),
                Some(Variable::Number(d)) => Num::parse(&d.to_string()).map(Some).ok_or_else(|| format!("{key}: bad decimal {d}")),
                Some(other) => Err(format!("{key}: expected a number, got {other}")),
            }
        };
        let mut points: [Option<Num>; 9] = Default::default();
        for (p, (id, _)) in points.iter_mut().zip(INDICATORS) {
            *p = get(id)?;
        }
        Ok(Scored { points, score: get("score")? })
    }
}
