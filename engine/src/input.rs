//! Input records: reading CSV, JSON and JSON Lines, and validating a record
//! against the pack's input schema.
//!
//! Every record read comes out, valid or not; a bad record carries its
//! errors, each naming the record and the field.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::manifest::{toml_num, FieldType, InputSchema};
use crate::num::Num;
use crate::fast::Val;

/// One record as read from a file, before validation.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// 1-based position of the record in the input.
    pub position: usize,
    /// How to name the record when it has no id: `line 7` (CSV, JSON Lines) or `item 3` (JSON array).
    pub locator: String,
    /// The fields, or why the record could not be read at all.
    pub data: std::result::Result<Map<String, Value>, Error>,
}

/// Input file format, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Header row of field names; booleans `true`/`false`; empty cell = missing.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

impl InputFormat {
    /// The format for a path's extension (`.csv`, `.json`, `.jsonl`).
    pub fn from_path(path: &Path) -> Result<InputFormat> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(InputFormat::Csv),
            Some("json") => Ok(InputFormat::Json),
            Some("jsonl") | Some("ndjson") => Ok(InputFormat::Jsonl),
            _ => Err(Error::new(ErrorKind::Input, format!("{}: unknown input format; use a .csv, .json or .jsonl file", path.display()))),
        }
    }
}

/// Records streamed from a reader.
pub type Records = Box<dyn Iterator<Item = RawRecord> + Send>;

/// Opens an input file and streams its records. CSV cells are typed by the
/// schema (`int` and `bool` fields parsed, `number` kept as exact decimal
/// text); a cell that does not parse stays text and fails validation.
pub fn read_file(path: &Path, schema: &InputSchema) -> Result<Records> {
    Ok(Box::new(read_file_rows(path, schema)?.map(Row::parse)))
}

/// Streams records from any reader in the given format.
pub fn read(reader: impl Read + Send + 'static, format: InputFormat, schema: &InputSchema) -> Result<Records> {
    Ok(Box::new(read_rows(reader, format, schema)?.map(Row::parse)))
}

/// One input item not yet parsed into fields: a CSV row, a JSON Lines
/// line, or an element of a JSON array. Reading rows is cheap and
/// sequential; [`Row::parse`] is the costly part and can run on any thread.
pub struct Row {
    position: usize,
    locator: String,
    item: Item,
}

enum Item {
    Csv(csv::StringRecord, std::sync::Arc<CsvLayout>),
    Line(String),
    Value(Value),
    Failed(Error),
}

struct CsvLayout {
    headers: Vec<String>,
    types: Vec<Option<FieldType>>,
}

/// Anything a batch can take: a row to parse or a record already parsed.
pub trait IntoRecord: Send {
    /// The record, parsed.
    fn into_record(self) -> RawRecord;
}

impl IntoRecord for RawRecord {
    fn into_record(self) -> RawRecord {
        self
    }
}

impl IntoRecord for Row {
    fn into_record(self) -> RawRecord {
        self.parse()
    }
}

impl Row {
    /// The record's fields, typed by the schema for CSV cells.
    pub fn parse(self) -> RawRecord {
        let locator = self.locator;
        let data = match self.item {
            Item::Failed(e) => Err(e),
            Item::Csv(r, layout) => {
                if r.len() != layout.headers.len() {
                    Err(Error::new(ErrorKind::Input, format!("the row has {} cells, the header has {}", r.len(), layout.headers.len())))
                } else {
                    Ok(layout
                        .headers
                        .iter()
                        .zip(&layout.types)
                        .zip(r.iter())
                        .filter(|(_, cell)| !cell.trim().is_empty())
                        .map(|((name, ty), cell)| (name.clone(), csv_value(cell.trim(), *ty)))
                        .collect())
                }
            }
            Item::Line(l) => match serde_json::from_str::<Value>(&l) {
                Ok(Value::Object(m)) => Ok(m),
                Ok(_) => Err(Error::new(ErrorKind::Input, "a record must be a JSON object")),
                Err(e) => Err(Error::new(ErrorKind::Input, format!("not valid JSON: {e}"))),
            },
            Item::Value(Value::Object(m)) => Ok(m),
            Item::Value(_) => Err(Error::new(ErrorKind::Input, "a record must be a JSON object")),
        };
        let data = data.map_err(|e| if e.record().is_none() { e.with_record(&locator) } else { e });
        RawRecord { position: self.position, locator, data }
    }
}

/// Unparsed rows streamed from a reader.
pub type Rows = Box<dyn Iterator<Item = Row> + Send>;

/// Opens an input file as unparsed rows, for [`Pack::assess_stream`](crate::Pack::assess_stream)
/// to parse on its worker threads.
pub fn read_file_rows(path: &Path, schema: &InputSchema) -> Result<Rows> {
    let format = InputFormat::from_path(path)?;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_rows(BufReader::new(file), format, schema).map_err(|e| if e.file().is_none() { e.with_file(path.display().to_string()) } else { e })
}

/// Streams unparsed rows from any reader in the given format.
pub fn read_rows(reader: impl Read + Send + 'static, format: InputFormat, schema: &InputSchema) -> Result<Rows> {
    match format {
        InputFormat::Csv => {
            let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
            let headers: Vec<String> =
                rdr.headers().map_err(|e| Error::new(ErrorKind::Input, format!("cannot read the CSV header: {e}")))?.iter().map(|h| h.trim().to_owned()).collect();
            let types = headers.iter().map(|h| schema.fields.iter().find(|f| f.name == *h).map(|f| f.ty)).collect();
            let layout = std::sync::Arc::new(CsvLayout { headers, types });
            Ok(Box::new(rdr.into_records().enumerate().map(move |(i, row)| {
                let line = row.as_ref().ok().and_then(|r| r.position()).map_or(i + 2, |p| p.line() as usize);
                let item = match row {
                    Err(e) => Item::Failed(Error::new(ErrorKind::Input, format!("cannot read the CSV row: {e}"))),
                    Ok(r) => Item::Csv(r, layout.clone()),
                };
                Row { position: i + 1, locator: format!("line {line}"), item }
            })))
        }
        InputFormat::Jsonl => Ok(Box::new(
            BufReader::new(reader)
                .lines()
                .enumerate()
                .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .enumerate()
                .map(|(i, (n, line))| {
                    let item = match line {
                        Ok(l) => Item::Line(l),
                        Err(e) => Item::Failed(Error::new(ErrorKind::Input, format!("cannot read: {e}"))),
                    };
                    Row { position: i + 1, locator: format!("line {}", n + 1), item }
                }),
        )),
        InputFormat::Json => {
            let v: Value = serde_json::from_reader(reader).map_err(|e| Error::new(ErrorKind::Input, format!("not valid JSON: {e}")).with_position(e.line() as u32, e.column() as u32, None))?;
            let Value::Array(items) = v else {
                return Err(Error::new(ErrorKind::Input, "a .json input must be an array of records"));
            };
            Ok(Box::new(items.into_iter().enumerate().map(|(i, item)| Row { position: i + 1, locator: format!("item {}", i + 1), item: Item::Value(item) })))
        }
    }
}

fn csv_value(cell: &str, ty: Option<FieldType>) -> Value {
    match ty {
        Some(FieldType::Int) => cell.parse::<i64>().map_or_else(|_| Value::from(cell), Value::from),
        Some(FieldType::Bool) => match cell {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::from(cell),
        },
        _ => Value::from(cell),
    }
}

/// Field name → position in the schema, with a fast hasher: it is looked up
/// for every field of every record.
pub(crate) type FieldIndex = HashMap<String, usize, BuildHasherDefault<FxHasher>>;

/// The Fx hash (as in rustc): a multiply and a rotate per word. Field names
/// are the pack's own, so no hash-flooding defence is needed.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The index of a schema's fields.
pub(crate) fn field_index(schema: &InputSchema) -> FieldIndex {
    schema.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect()
}

/// A record checked against the schema.
pub(crate) struct Validated {
    /// Values in schema order, as rules see them (`()` when absent).
    pub(crate) values: Vec<Val>,
    pub(crate) errors: Vec<Error>,
    pub(crate) warnings: Vec<String>,
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("text \"{s}\""),
        Value::Number(n) => format!("number {n}"),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Null => "null".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The name a record goes by in errors: its id, else its position.
pub(crate) fn record_name(schema: &InputSchema, locator: &str, rec: Option<&Map<String, Value>>) -> String {
    match rec.and_then(|r| r.get(&schema.id_field)) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => locator.to_owned(),
    }
}

/// Checks types, required fields, ranges and relations.
pub(crate) fn validate(schema: &InputSchema, index: &FieldIndex, rec: &Map<String, Value>, name: &str) -> Validated {
    let mut errors = Vec::new();
    let mut values = Vec::with_capacity(schema.fields.len());
    let mut nums = Vec::with_capacity(schema.fields.len());
    let err = |field: &str, msg: String| Error::new(ErrorKind::Input, msg).with_record(name).with_field(field);
    // One pass over the record's own fields: place each, note the unknown.
    let mut given: Vec<Option<&Value>> = vec![None; schema.fields.len()];
    let mut warnings = Vec::new();
    for (k, v) in rec {
        match index.get(k.as_str()) {
            Some(&i) => given[i] = Some(v),
            None => warnings.push(format!("field `{k}` is not in the pack's input schema and was not used")),
        }
    }
    for (f, v) in schema.fields.iter().zip(given) {
        let v = v.filter(|v| !v.is_null());
        let Some(v) = v else {
            if f.required {
                errors.push(err(&f.name, "required field is missing".into()));
            }
            values.push(Val::Unit);
            nums.push(None);
            continue;
        };
        let typed: std::result::Result<(Val, Option<Num>), String> = match (f.ty, v) {
            (FieldType::String, Value::String(s)) => Ok((Val::Str(s.as_str().into()), None)),
            (FieldType::Bool, Value::Bool(b)) => Ok((Val::Bool(*b), None)),
            (FieldType::Int, Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok((Val::Int(i), Some(Num::int(i)))),
                None => Err(format!("expected a whole number, got {n}")),
            },
            (FieldType::Number, Value::Number(n)) => match n.as_i64().map(Num::int).or_else(|| n.as_f64().and_then(Num::from_f64_text)) {
                Some(x) => Ok((Val::Num(x.clone()), Some(x))),
                None => Err(format!("expected a number, got {n}")),
            },
            // Exact decimal text, as CSV cells (and careful JSON writers) give it.
            (FieldType::Number, Value::String(s)) => match Num::parse(s) {
                Some(x) => Ok((Val::Num(x.clone()), Some(x))),
                None => Err(format!("expected a number, got {}", describe(v))),
            },
            (FieldType::String, other) => Err(format!("expected text, got {}", describe(other))),
            (FieldType::Int, other) => Err(format!("expected a whole number, got {}", describe(other))),
            (FieldType::Number, other) => Err(format!("expected a number, got {}", describe(other))),
            (FieldType::Bool, other) => Err(format!("expected true or false, got {}", describe(other))),
        };
        match typed {
            Ok((d, n)) => {
                if let Some(x) = &n {
                    if let Some(min) = f.min.as_ref().and_then(toml_num) {
                        if *x < min {
                            errors.push(err(&f.name, format!("{x} is below the minimum {min}")));
                        }
                    }
                    if let Some(max) = f.max.as_ref().and_then(toml_num) {
                        if *x > max {
                            errors.push(err(&f.name, format!("{x} is above the maximum {max}")));
                        }
                    }
                }
                values.push(d);
                nums.push(n);
            }
            Err(m) => {
                errors.push(err(&f.name, m));
                values.push(Val::Unit);
                nums.push(None);
            }
        }
    }
    let pos = |n: &str| index.get(n).copied();
    for r in &schema.relations {
        let (Some(li), Some(ri)) = (pos(&r.left), pos(&r.right)) else { continue };
        if let (Some(l), Some(rv)) = (&nums[li], &nums[ri]) {
            let holds = match r.op.as_str() {
                "<=" => l <= rv,
                "<" => l < rv,
                ">=" => l >= rv,
                ">" => l > rv,
                _ => l == rv,
            };
            if !holds {
                let why = r.message.as_ref().map(|m| format!(": {}", m.en)).unwrap_or_default();
                errors.push(err(&r.left, format!("{} = {l} must be {} {} = {rv}{why}", r.left, r.op, r.right)));
            }
        }
    }
    Validated { values, errors, warnings }
}
