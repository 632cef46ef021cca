//! The one error type of the engine.
//!
//! Rhai positions carry no file name, so every error is given the pack and
//! file it belongs to here, with 1-based line and column, the call chain, and
//! the source line for the rendered frame.

use std::fmt;

use serde::Serialize;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// `pack.toml` is missing, malformed or inconsistent; a bundle's digest does not match.
    Manifest,
    /// A decision table does not parse or does not match its input.
    Table,
    /// A rule script does not compile.
    Parse,
    /// A rule failed while running (type error, division by zero, wrong result).
    Runtime,
    /// A rule hit a sandbox limit (operations, depth, sizes).
    Limit,
    /// A rule tried something the sandbox forbids (an import outside the pack's `lib/`, `eval`).
    Security,
    /// An input record or file is invalid.
    Input,
    /// A file could not be read or written.
    Io,
    /// A bug of the engine or a binding (a panic caught at a boundary).
    Internal,
}

impl ErrorKind {
    /// The lowercase name used in JSON and in rendered frames.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Manifest => "manifest",
            ErrorKind::Table => "table",
            ErrorKind::Parse => "parse",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Limit => "limit",
            ErrorKind::Security => "security",
            ErrorKind::Input => "input",
            ErrorKind::Io => "io",
            ErrorKind::Internal => "internal",
        }
    }
}

/// One frame of a Rhai call chain, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    /// The function called.
    pub function: String,
    /// The pack file holding the call site.
    pub file: Option<String>,
    /// 1-based line of the call site.
    pub line: Option<u32>,
    /// 1-based column of the call site.
    pub column: Option<u32>,
}

/// An engine error: a kind, a message and where it happened.
///
/// Lines and columns are 1-based. `Display` renders a frame like rustc's
/// (`--> file:line:col`, the source line, a caret); `Serialize` gives a stable
/// `"type"` tag and camelCase fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Inner {
    #[serde(rename = "type")]
    kind: ErrorKind,
    message: String,
    pack: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    record: Option<String>,
    field: Option<String>,
    indicator: Option<String>,
    call_chain: Vec<Frame>,
    #[serde(skip)]
    source_line: Option<String>,
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with `message` and no position.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            pack: None,
            file: None,
            line: None,
            column: None,
            record: None,
            field: None,
            indicator: None,
            call_chain: Vec::new(),
            source_line: None,
        }))
    }

    /// The same error at a 1-based line and column (of the input it names).
    pub fn at(self, line: u32, column: u32) -> Error {
        self.with_position(line, column, None)
    }

    pub(crate) fn io(path: &std::path::Path, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Io, format!("{}: {err}", path.display()))
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// The message, without position.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// `id version` of the pack, when the error belongs to one.
    pub fn pack(&self) -> Option<&str> {
        self.0.pack.as_deref()
    }
    /// The pack file (relative to the pack folder) or input file.
    pub fn file(&self) -> Option<&str> {
        self.0.file.as_deref()
    }
    /// 1-based line.
    pub fn line(&self) -> Option<u32> {
        self.0.line
    }
    /// 1-based column.
    pub fn column(&self) -> Option<u32> {
        self.0.column
    }
    /// The record (its id, or `line N`) an input error belongs to.
    pub fn record(&self) -> Option<&str> {
        self.0.record.as_deref()
    }
    /// The input field an input error names.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }
    /// The indicator whose rule failed.
    pub fn indicator(&self) -> Option<&str> {
        self.0.indicator.as_deref()
    }
    /// The Rhai call chain, outermost call first.
    pub fn call_chain(&self) -> &[Frame] {
        &self.0.call_chain
    }

    pub(crate) fn with_pack(mut self, pack: impl Into<String>) -> Self {
        self.0.pack.get_or_insert_with(|| pack.into());
        self
    }
    pub(crate) fn with_file(mut self, file: impl Into<String>) -> Self {
        self.0.file = Some(file.into());
        self
    }
    pub(crate) fn with_position(mut self, line: u32, column: u32, source_line: Option<&str>) -> Self {
        self.0.line = Some(line);
        self.0.column = Some(column);
        self.0.source_line = source_line.map(str::to_owned);
        self
    }
    /// Attaches the source text the position points into, for the rendered frame.
    pub(crate) fn with_source(mut self, source: &str) -> Self {
        if let Some(line) = self.0.line {
            self.0.source_line = source.lines().nth(line.saturating_sub(1) as usize).map(str::to_owned);
        }
        self
    }
    /// The same error naming the input record it is about.
    pub fn with_record(mut self, record: impl Into<String>) -> Self {
        self.0.record = Some(record.into());
        self
    }
    /// The same error naming the input field it is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }
    pub(crate) fn with_indicator(mut self, indicator: impl Into<String>) -> Self {
        self.0.indicator = Some(indicator.into());
        self
    }
    pub(crate) fn with_call_chain(mut self, frames: Vec<Frame>) -> Self {
        self.0.call_chain = frames;
        self
    }

    /// The error as a JSON value with a `"type"` tag and camelCase fields.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&*self.0).expect("error serialises")
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        write!(f, "error[{}]: {}", e.kind.as_str(), e.message)?;
        if let Some(record) = &e.record {
            write!(f, "\n  = record: {record}")?;
        }
        if let Some(field) = &e.field {
            write!(f, "\n  = field: {field}")?;
        }
        if let Some(file) = &e.file {
            match (e.line, e.column) {
                (Some(l), Some(c)) => write!(f, "\n  --> {file}:{l}:{c}")?,
                (Some(l), None) => write!(f, "\n  --> {file}:{l}")?,
                _ => write!(f, "\n  --> {file}")?,
            }
            if let (Some(l), Some(src)) = (e.line, &e.source_line) {
                let w = l.to_string().len();
                let col = e.column.unwrap_or(1).max(1) as usize;
                // Tabs keep their width so the caret lines up.
                let pad: String = src.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                write!(f, "\n{:w$} |\n{l} | {src}\n{:w$} | {pad}^", "", "")?;
            }
        }
        for frame in &e.call_chain {
            write!(f, "\n  = in call to `{}`", frame.function)?;
            if let (Some(file), Some(l), Some(c)) = (&frame.file, frame.line, frame.column) {
                write!(f, " at {file}:{l}:{c}")?;
            }
        }
        if let Some(pack) = &e.pack {
            write!(f, "\n  = pack: {pack}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_frame_with_a_caret() {
        let e = Error::new(ErrorKind::Limit, "too many operations (limit 100000)")
            .with_file("indicators/loop.rhai")
            .with_position(3, 5, Some("    loop { x += 1; }"))
            .with_pack("fixture 1.0");
        let expected = "\
error[limit]: too many operations (limit 100000)
  --> indicators/loop.rhai:3:5
  |
3 |     loop { x += 1; }
  |     ^
  = pack: fixture 1.0";
        assert_eq!(e.to_string(), expected);
        let j = e.to_json();
        assert_eq!(j["type"], "limit");
        assert_eq!(j["line"], 3);
        assert_eq!(j["column"], 5);
        assert_eq!(j["callChain"], serde_json::json!([]));
    }
}
