//! Mezon: an embeddable rules engine for scoring methodologies.
//!
//! A methodology is a **rule pack**: a folder with `pack.toml`, one Rhai
//! script per indicator, decision tables and golden tests, loaded at run
//! time. Three objects, with these lifetimes:
//!
//! 1. [`Engine`]: the sandbox [`Limits`]; built once, immutable, cheap to clone.
//! 2. [`Pack`]: a compiled pack (manifest, compiled rules, parsed tables,
//!    content digest); compiled once, shared behind an `Arc`, `Send + Sync`.
//! 3. An evaluation: [`Pack::assess`] turns one record into an
//!    [`Assessment`]; a [`Ranker`] turns assessments into a [`Ranking`].
//!    Nothing is recompiled per record.
//!
//! ```
//! use mezon::{Engine, Pack};
//! let engine = Engine::default();
//! let pack = Pack::load(&engine, concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/uz-egov-quality/2016.1")).unwrap();
//! let record = serde_json::json!({
//!     "service_id": "SRV-1", "organization_id": "ORG-1", "period": 2016,
//!     "applications_total": 1000, "applications_electronic": 420,
//!     "completed": 200, "completed_on_time": 194,
//!     "marks_1": 2, "marks_2": 3, "marks_3": 5, "marks_4": 40, "marks_5": 50,
//!     "optimized": true, "documents_required": 5, "documents_interagency": 3,
//!     "maturity_stage": 3,
//!     "info_description": true, "info_documents": true, "info_deadline": true,
//!     "info_cost": true, "info_legal_basis": true, "info_appeal": false,
//!     "availability_pct": 99.2, "justified_complaints": 1
//! });
//! let result = pack.assess(&record);
//! assert_eq!(result.published_score().as_deref(), Some("78.78")); // exactly 78.775
//! assert_eq!(result.grade(), Some("good"));
//! assert_eq!(result.to_json()["pack"]["digest"], pack.digest());
//! ```
//!
//! Errors are one type, [`Error`], with a [`ErrorKind`], the pack file,
//! 1-based line and column, and the Rhai call chain.

mod assess;
mod batch;
mod check;
mod error;
mod fast;
mod golden;
mod input;
mod json;
mod manifest;
mod num;
mod pack;
mod pool;
mod rank;
mod sandbox;
mod table;

pub use assess::{AssessOptions, Assessment, IndicatorResult, Status};
pub use check::{check, Finding};
pub use error::{Error, ErrorKind, Frame, Result};
pub use golden::{golden_inputs, run_golden, CaseReport, GoldenReport};
pub use input::{read, read_file, read_file_rows, read_rows, InputFormat, IntoRecord, RawRecord, Records, Row, Rows};
pub use manifest::{FieldDef, FieldType, IndicatorDef, InputSchema, Labels, Manifest, SCHEMA_VERSION};
pub use num::{ExactSum, Num};
pub use pack::{digest, read_dir_files, Pack, BUNDLE_FORMAT};
pub use rank::{OrgResult, RankEntry, Ranker, Ranking};
pub use sandbox::Limits;

/// The engine: sandbox limits shared by every pack it compiles.
///
/// Immutable and cheap to clone. Bindings use [`Engine::default`]; they never
/// change a limit.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    limits: Limits,
    accept_inconsistent: bool,
}

impl Engine {
    /// An engine with the given limits.
    pub fn with_limits(limits: Limits) -> Engine {
        Engine { limits, accept_inconsistent: false }
    }

    /// An engine that also compiles packs that are inconsistent (indicator
    /// maxima that do not add up to `total_max`, a table with a gap or an
    /// overlap), which every other engine refuses: for [`check`], so it can
    /// list all their problems at once. Not for assessing.
    pub fn for_checking() -> Engine {
        Engine { accept_inconsistent: true, ..Engine::default() }
    }

    /// Whether packs that fail [`check`]'s consistency checks are compiled.
    pub(crate) fn accepts_inconsistent(&self) -> bool {
        self.accept_inconsistent
    }

    /// The sandbox limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

// The README's Rust examples run as doctests, so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The version of this engine.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Serialises a result as one line of JSON, the form every platform writes.
pub fn to_json_line(v: &serde_json::Value) -> String {
    serde_json::to_string(v).expect("JSON value serialises")
}

/// JSON text (a line from [`to_json_line`] or [`Assessment::to_json_line`])
/// with its non-ASCII characters written as `\uXXXX` escapes: the same
/// value, in the form a JS engine decodes fastest. The WebAssembly binding
/// hands results to `JSON.parse` this way; lines a user sees keep the
/// canonical form.
pub fn ascii_json(text: String) -> String {
    json::ascii(text)
}
