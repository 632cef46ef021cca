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
use crate::fast::{Val, Vals};

/// One record as read from a file, before validation.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// 1-based position of the record in the input.
    pub position: usize,
    /// How to name the record when it has no id: `line 7` (CSV, JSON Lines) or `item 3` (JSON array).
    pub locator: String,
    /// The fields, or why the record could not be read at all.
    pub data: std::result::Result<Map<String, Value>, Error>,
    /// A field the record's text gave more than once (`data` holds its last
    /// value): the record is invalid, with its id and keys as read.
    pub given_twice: Option<String>,
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
/// Cloning is cheap for CSV rows: they share their block of text.
#[derive(Clone)]
pub struct Row {
    position: usize,
    locator: Locator,
    item: Item,
}

/// Where an item is in its input, written out only when a record has no
/// id to go by (most have one).
#[derive(Clone, Copy)]
enum Locator {
    Line(usize),
    Item(usize),
}

impl std::fmt::Display for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Locator::Line(n) => write!(f, "line {n}"),
            Locator::Item(n) => write!(f, "item {n}"),
        }
    }
}

#[derive(Clone)]
enum Item {
    /// Row `.1` of a block of CSV rows read together.
    Csv(std::sync::Arc<CsvBlock>, u32),
    Line(String),
    /// A record of a JSON array, and the first key it gave twice.
    Value(Map<String, Value>, Option<String>),
    Failed(Error),
}

pub(crate) struct CsvLayout {
    headers: Vec<String>,
    types: Vec<Option<FieldType>>,
    /// Each column's position in the schema (`None`: not declared).
    slots: Vec<Option<usize>>,
    /// The column of the schema's id field, found once for every row.
    id_column: Option<usize>,
}

impl CsvLayout {
    fn column_of(&self, field: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == field)
    }
}

/// CSV rows read together: their cells in one buffer. Rows are read on one
/// thread and assessed (and dropped) on others; with an allocation per row
/// crossing threads, the system allocator became the bottleneck of a
/// multi-threaded run. A block is one allocation for many rows.
pub(crate) struct CsvBlock {
    text: String,
    /// Each cell's span in `text`.
    cells: Vec<(u32, u32)>,
    /// Each row's span in `cells`.
    rows: Vec<(u32, u32)>,
    /// The cells (indexes into `cells`, ascending) that are not UTF-8,
    /// kept empty in `text`: almost always none.
    not_utf8: Vec<u32>,
    layout: std::sync::Arc<CsvLayout>,
}

/// Rows per block.
const BLOCK_ROWS: usize = 256;

/// One row of a block.
#[derive(Clone, Copy)]
pub(crate) struct CsvRow<'a> {
    block: &'a CsvBlock,
    row: usize,
}

impl<'a> CsvRow<'a> {
    fn cells(&self) -> &'a [(u32, u32)] {
        let (a, b) = self.block.rows[self.row];
        &self.block.cells[a as usize..b as usize]
    }

    fn len(&self) -> usize {
        self.cells().len()
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        self.cells().get(i).map(|&(a, b)| &self.block.text[a as usize..b as usize])
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let text = &self.block.text;
        self.cells().iter().map(move |&(a, b)| &text[a as usize..b as usize])
    }

    fn layout(&self) -> &'a CsvLayout {
        &self.block.layout
    }

    /// Whether cell `i` was not UTF-8 in the file.
    fn not_utf8(&self, i: usize) -> bool {
        let bad = &self.block.not_utf8;
        !bad.is_empty() && bad.binary_search(&(self.block.rows[self.row].0 + i as u32)).is_ok()
    }
}

/// Rows of a CSV reader, read a block at a time.
struct CsvRows<R: Read> {
    rdr: csv::Reader<R>,
    layout: std::sync::Arc<CsvLayout>,
    record: csv::ByteRecord,
    /// Rows read and not yet handed out, with their 0-based index and line.
    ready: std::collections::VecDeque<(usize, usize, Item)>,
    read: usize,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    /// Reads the next block of rows into `ready`.
    fn fill(&mut self) {
        let mut block = CsvBlock { text: String::new(), cells: Vec::new(), rows: Vec::new(), not_utf8: Vec::new(), layout: self.layout.clone() };
        let mut lines = Vec::new();
        let mut failed = None;
        while block.rows.len() < BLOCK_ROWS {
            // Bytes, checked cell by cell: a cell that is not UTF-8 (a
            // Latin-1 or Windows-1251 export) is that record's error, named
            // by its column, not a failure of the whole row.
            match self.rdr.read_byte_record(&mut self.record) {
                Ok(true) => {
                    let start = block.cells.len() as u32;
                    // The usual row: its cells' bytes are UTF-8 as a whole and
                    // split on character boundaries, checked once and copied
                    // in one piece; only another row is checked cell by cell.
                    let whole = std::str::from_utf8(self.record.as_slice()).ok().filter(|text| {
                        let mut end = 0;
                        self.record.iter().all(|cell| {
                            end += cell.len();
                            text.is_char_boundary(end)
                        })
                    });
                    if let Some(text) = whole {
                        let mut a = block.text.len() as u32;
                        block.text.push_str(text);
                        for cell in self.record.iter() {
                            block.cells.push((a, a + cell.len() as u32));
                            a += cell.len() as u32;
                        }
                    } else {
                        for cell in self.record.iter() {
                            let a = block.text.len() as u32;
                            match std::str::from_utf8(cell) {
                                Ok(cell) => block.text.push_str(cell),
                                Err(_) => block.not_utf8.push(block.cells.len() as u32),
                            }
                            block.cells.push((a, block.text.len() as u32));
                        }
                    }
                    block.rows.push((start, block.cells.len() as u32));
                    lines.push(self.record.position().map_or(self.read + lines.len() + 2, |p| p.line() as usize));
                }
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    failed = Some(Item::Failed(Error::new(ErrorKind::Input, format!("cannot read the CSV row: {e}"))));
                    break;
                }
            }
        }
        let block = std::sync::Arc::new(block);
        for (k, line) in lines.into_iter().enumerate() {
            self.ready.push_back((self.read, line, Item::Csv(block.clone(), k as u32)));
            self.read += 1;
        }
        if let Some(item) = failed {
            // As before: a row that cannot be read is named by its index.
            self.ready.push_back((self.read, self.read + 2, item));
            self.read += 1;
        }
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.ready.is_empty() && !self.done {
            self.fill();
        }
        let (i, line, item) = self.ready.pop_front()?;
        Some(Row { position: i + 1, locator: Locator::Line(line), item })
    }
}

/// Anything a batch can take: a row to parse or a record already parsed.
pub trait IntoRecord: Send {
    /// The record, parsed.
    fn into_record(self) -> RawRecord;

    /// The record assessed: the same result as `assess_raw` of
    /// [`into_record`](IntoRecord::into_record), by the shortest way.
    fn assess(self, pack: &crate::Pack, opts: &crate::AssessOptions) -> crate::Assessment
    where
        Self: Sized,
    {
        pack.assess_raw(&self.into_record(), opts)
    }
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

    fn assess(self, pack: &crate::Pack, opts: &crate::AssessOptions) -> crate::Assessment {
        // Otherwise parsed in place: `assess_row` would copy the row first.
        pack.assess_direct(&self, opts).unwrap_or_else(|| pack.assess_raw(&self.parse(), opts))
    }
}

impl crate::Pack {
    /// Assesses one unparsed row: the same result as `assess_raw` of
    /// [`Row::parse`]. A CSV row goes from its cells straight to typed
    /// values, without the JSON object `parse` builds, and without touching
    /// more memory than its own cells; a JSON line is read straight into
    /// the schema's slots.
    pub fn assess_row(&self, row: &Row, opts: &crate::AssessOptions) -> crate::Assessment {
        self.assess_direct(row, opts).unwrap_or_else(|| self.assess_raw(&row.clone().parse(), opts))
    }

    /// A row assessed without parsing it first, when it can be: a CSV row
    /// with a cell per column, or a JSON line holding one object.
    fn assess_direct(&self, row: &Row, opts: &crate::AssessOptions) -> Option<crate::Assessment> {
        match &row.item {
            Item::Csv(block, i) => {
                let r = CsvRow { block, row: *i as usize };
                (r.len() == r.layout().headers.len()).then(|| self.assess_source(row.position, &row.locator, &Source::Csv(r), opts, false, None))
            }
            Item::Line(l) => self.assess_text(row.position, &row.locator, l, opts),
            _ => None,
        }
    }

    /// A record's JSON text read straight into the schema's slots and
    /// assessed; `None` when it is not one JSON object (the caller goes the
    /// general way, which says what is wrong).
    pub(crate) fn assess_text(&self, position: usize, locator: &dyn std::fmt::Display, text: &str, opts: &crate::AssessOptions) -> Option<crate::Assessment> {
        let f = Fields::read(text, &self.0.manifest.input, &self.0.field_index)?;
        Some(self.assess_source(position, locator, &Source::Fields(&f), opts, false, f.twice.as_deref()))
    }
}

impl Row {
    /// The record's fields, typed by the schema for CSV cells.
    pub fn parse(self) -> RawRecord {
        let locator = self.locator.to_string();
        self.parse_as(locator)
    }

    /// [`Row::parse`], the record named `locator` when it has no id.
    pub(crate) fn parse_as(self, locator: String) -> RawRecord {
        let mut twice = None;
        let data = match self.item {
            Item::Failed(e) => Err(e),
            Item::Csv(block, row) => {
                let r = CsvRow { block: &block, row: row as usize };
                let layout = r.layout();
                if r.len() != layout.headers.len() {
                    Err(Error::new(ErrorKind::Input, format!("the row has {} cells, the header has {}", r.len(), layout.headers.len())))
                } else {
                    Ok(layout
                        .headers
                        .iter()
                        .zip(&layout.types)
                        .zip(r.iter())
                        .enumerate()
                        .filter_map(|(i, ((name, ty), cell))| match r.not_utf8(i) {
                            true => Some((name.clone(), NOT_UTF8.clone())),
                            false => (!cell.trim().is_empty()).then(|| (name.clone(), csv_value(cell.trim(), *ty))),
                        })
                        .collect())
                }
            }
            Item::Line(l) => parse_line(&l, match self.locator {
                Locator::Line(n) => n,
                Locator::Item(_) => 1,
            })
            .map(|(m, t)| {
                twice = t;
                m
            }),
            Item::Value(m, t) => {
                twice = t;
                Ok(m)
            }
        };
        let data = data.map_err(|e| if e.record().is_none() { e.with_record(&locator) } else { e });
        RawRecord { given_twice: twice, position: self.position, locator, data }
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
            // An empty file is not an input with no records: it is most
            // likely a file not written, and a run over it must not pass.
            if headers.is_empty() {
                return Err(Error::new(ErrorKind::Input, "the CSV file has no header row"));
            }
            // A column given twice would have its last cell win unseen.
            // Unnamed columns (trailing commas of spreadsheet exports) are
            // no field's, so several of them are no conflict.
            if let Some((i, h)) = headers.iter().enumerate().find(|(i, h)| !h.is_empty() && headers[..*i].contains(h)) {
                return Err(Error::new(ErrorKind::Input, format!("the CSV header names column `{h}` twice (columns {} and {})", headers.iter().position(|x| x == h).expect("seen") + 1, i + 1)));
            }
            let types = headers.iter().map(|h| schema.fields.iter().find(|f| f.name == *h).map(|f| f.ty)).collect();
            let slots = headers.iter().map(|h| schema.fields.iter().position(|f| f.name == *h)).collect();
            let id_column = headers.iter().position(|h| *h == schema.id_field);
            let layout = std::sync::Arc::new(CsvLayout { headers, types, slots, id_column });
            Ok(Box::new(CsvRows { rdr, layout, record: csv::ByteRecord::new(), ready: Default::default(), read: 0, done: false }))
        }
        InputFormat::Jsonl => Ok(Box::new(
            BufReader::new(reader)
                .lines()
                .enumerate()
                // A byte order mark, as some Windows editors write, is not
                // part of the first record.
                .map(|(n, l)| (n, if n == 0 { l.map(|l| l.strip_prefix(BOM).map(str::to_owned).unwrap_or(l)) } else { l }))
                .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .enumerate()
                .map(|(i, (n, line))| {
                    let item = match line {
                        Ok(l) => Item::Line(l),
                        Err(e) => Item::Failed(Error::new(ErrorKind::Input, format!("cannot read: {e}"))),
                    };
                    Row { position: i + 1, locator: Locator::Line(n + 1), item }
                }),
        )),
        InputFormat::Json => {
            // Read whole (the array is held whole anyway).
            let mut reader = reader;
            let mut text = String::new();
            reader.read_to_string(&mut text).map_err(|e| Error::new(ErrorKind::Input, format!("cannot read: {e}")))?;
            Ok(Box::new(json_array_rows(&text)?.into_iter()))
        }
    }
}

/// The records of a JSON array's text (a `.json` input, or `rank` given
/// text), each read as [`read_record`] reads one.
pub(crate) fn json_array_rows(text: &str) -> Result<Vec<Row>> {
    // As text, not bytes: one JSON reader in the WebAssembly module.
    let text = text.strip_prefix(BOM).unwrap_or(text);
    if !text.trim_start().starts_with('[') {
        return Err(Error::new(ErrorKind::Input, "a .json input must be an array of records"));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let items = serde::de::DeserializeSeed::deserialize(RecordList, &mut de)
        .and_then(|items| de.end().map(|()| items))
        .map_err(|e| Error::new(ErrorKind::Input, format!("not valid JSON: {e}")).with_position(e.line() as u32, e.column() as u32, None))?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let item = match record {
                Record { map: Some(m), twice } => Item::Value(m, twice),
                Record { map: None, .. } => Item::Failed(not_an_object()),
            };
            Row { position: i + 1, locator: Locator::Item(i + 1), item }
        })
        .collect())
}

/// A record read from one JSON text in one pass: its fields when it is an
/// object, and the first key it gives twice (a `Value` keeps only the last
/// value, and would score the record as if the first had never been given).
pub(crate) fn read_record(text: &str) -> std::result::Result<Record, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let record = serde::de::DeserializeSeed::deserialize(RecordSeed, &mut de)?;
    de.end()?;
    Ok(record)
}

/// A byte order mark: CSV readers skip it; JSON ones must too.
const BOM: &str = "\u{feff}";

/// One JSON Lines record read from its text, file line `line`: its fields,
/// and the first key it gives twice.
fn parse_line(text: &str, line: usize) -> std::result::Result<(Map<String, Value>, Option<String>), Error> {
    match read_record(text) {
        Ok(Record { map: Some(m), twice }) => Ok((m, twice)),
        Ok(Record { map: None, .. }) => Err(not_an_object()),
        Err(e) => {
            // serde_json counts lines within the text it was given, always
            // line 1 here: the file's line is what a reader looks for. The
            // line stays in the message because a result's errors carry the
            // message alone, not the record's locator.
            let what = e.to_string();
            let what = what.strip_suffix(&format!(" at line {} column {}", e.line(), e.column())).unwrap_or(&what);
            let line = line + e.line().max(1) - 1;
            Err(Error::new(ErrorKind::Input, format!("not valid JSON: {what} at line {line} column {}", e.column())))
        }
    }
}

fn not_an_object() -> Error {
    Error::new(ErrorKind::Input, "a record must be a JSON object")
}

/// The error of a record that gives field `key` more than once.
pub(crate) fn given_twice(key: &str) -> Error {
    Error::new(ErrorKind::Input, "given twice; a record must give each field once").with_field(key)
}

/// One record as [`read_record`] reads it.
pub(crate) struct Record {
    /// The fields, when the text is an object.
    pub(crate) map: Option<Map<String, Value>>,
    /// The first key given a second time.
    pub(crate) twice: Option<String>,
}

/// Reads a JSON value as a [`Record`]: an object into a map (each value as
/// `serde_json` reads it, a repeated key keeping its first place), anything
/// else skipped.
struct RecordSeed;

impl<'de> serde::de::DeserializeSeed<'de> for RecordSeed {
    type Value = Record;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Record, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordSeed {
    type Value = Record;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> std::result::Result<Record, A::Error> {
        let mut map = Map::new();
        let mut twice = None;
        while let Some(k) = access.next_key::<String>()? {
            let v: Value = access.next_value()?;
            match map.entry(k) {
                serde_json::map::Entry::Occupied(mut o) => {
                    twice.get_or_insert_with(|| o.key().clone());
                    o.insert(v);
                }
                serde_json::map::Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
        Ok(Record { map: Some(map), twice })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Record, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Record { map: None, twice: None })
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Record, E> {
        Ok(Record { map: None, twice: None })
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Record, E> {
        Ok(Record { map: None, twice: None })
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Record, E> {
        Ok(Record { map: None, twice: None })
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Record, E> {
        Ok(Record { map: None, twice: None })
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Record, E> {
        Ok(Record { map: None, twice: None })
    }
    fn visit_unit<E>(self) -> std::result::Result<Record, E> {
        Ok(Record { map: None, twice: None })
    }
}

/// The records of a JSON array, each as [`RecordSeed`] reads it.
struct RecordList;

impl<'de> serde::de::DeserializeSeed<'de> for RecordList {
    type Value = Vec<Record>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<Record>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordList {
    type Value = Vec<Record>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<Record>, A::Error> {
        let mut out = Vec::new();
        while let Some(r) = seq.next_element_seed(RecordSeed)? {
            out.push(r);
        }
        Ok(out)
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
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    // Exact sums key their groups by 128-bit denominators.
    fn write_i128(&mut self, i: i128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The index of a schema's fields.
pub(crate) fn field_index(schema: &InputSchema) -> FieldIndex {
    schema.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect()
}

/// What validation needs from a schema, worked out once per pack rather
/// than once per record: bounds as exact numbers, relations by position.
pub(crate) struct Plan {
    bounds: Vec<(Option<Num>, Option<Num>)>,
    /// The same bounds as whole numbers, when they are (`None` inside when
    /// absent): whole-number fields are then checked without fractions.
    int_bounds: Vec<Option<(Option<i64>, Option<i64>)>>,
    relations: Vec<(usize, usize, usize)>,
    /// The fields results are keyed by (id, group, period,
    /// `organization_name`) and their positions in the schema.
    pub(crate) keys: Vec<(String, Option<usize>)>,
    /// Every key field is text, a whole number or a boolean, so a valid
    /// record's keys are read back from its typed values (a whole number
    /// given as `"2024"` or `2024.0` is echoed as 2024); otherwise they are
    /// echoed as given.
    pub(crate) keys_from_values: bool,
}

impl Plan {
    pub(crate) fn new(schema: &InputSchema, index: &FieldIndex) -> Plan {
        let bounds: Vec<(Option<Num>, Option<Num>)> = schema.fields.iter().map(|f| (f.min.as_ref().and_then(toml_num), f.max.as_ref().and_then(toml_num))).collect();
        let whole = |b: &Option<Num>| match b {
            None => Some(None),
            Some(n) => n.to_i64().map(Some),
        };
        let int_bounds = bounds.iter().map(|(lo, hi)| Some((whole(lo)?, whole(hi)?))).collect();
        let relations = schema
            .relations
            .iter()
            .enumerate()
            .filter_map(|(k, r)| Some((index.get(&r.left).copied()?, index.get(&r.right).copied()?, k)))
            .collect();
        let keys: Vec<(String, Option<usize>)> = [Some(&schema.id_field), schema.group_field.as_ref(), schema.period_field.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain(["organization_name"])
            .map(|k| (k.to_owned(), index.get(k).copied()))
            .collect();
        let keys_from_values = keys.iter().all(|(_, i)| i.is_none_or(|i| schema.fields[i].ty != FieldType::Number));
        Plan { bounds, int_bounds, relations, keys, keys_from_values }
    }

    /// The id field's position in the schema (the first key).
    pub(crate) fn id_slot(&self) -> Option<usize> {
        self.keys[0].1
    }
}

/// One field of a record as given, before typing.
#[derive(Clone, Copy)]
pub(crate) enum Given<'a> {
    Json(&'a Value),
    /// A CSV cell, trimmed and not empty.
    Cell(&'a str),
}

/// A record's fields as read: a JSON object, a JSON object read straight
/// into the schema's slots, or a CSV row and its header.
pub(crate) enum Source<'a> {
    Json(&'a Map<String, Value>),
    Fields(&'a Fields),
    Csv(CsvRow<'a>),
}

/// A JSON record read from its text straight into the schema's slots:
/// no map of its own, no hashing of every key into one, no copy of a key
/// the schema declares. The same record as the `Map` that
/// `serde_json::from_str` builds: a key given twice keeps its last value
/// (and its first place), a null counts as absent. A key given twice makes
/// the record invalid all the same (see `parse_line`); `twice` names it.
pub(crate) struct Fields {
    /// The value of each schema field, as given (nulls kept).
    slots: Vec<Option<Value>>,
    /// The fields the schema does not declare, in the order first given.
    unknown: Vec<(String, Value)>,
    /// The first key given a second time.
    twice: Option<String>,
}

impl Fields {
    /// Reads a JSON object's text; `None` when the text is not one JSON
    /// object or does not parse (the caller then goes the general way,
    /// which says what is wrong exactly as before).
    pub(crate) fn read(text: &str, schema: &InputSchema, index: &FieldIndex) -> Option<Fields> {
        use serde::de::DeserializeSeed;
        if !text.trim_start().starts_with('{') {
            return None;
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let fields = FieldsSeed { schema, index }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(fields)
    }
}

struct FieldsSeed<'a> {
    schema: &'a InputSchema,
    index: &'a FieldIndex,
}

impl<'de> serde::de::DeserializeSeed<'de> for FieldsSeed<'_> {
    type Value = Fields;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Fields, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldsSeed<'_> {
    type Value = Fields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Fields, A::Error> {
        let fields = &self.schema.fields;
        let mut out = Fields { slots: vec![None; fields.len()], unknown: Vec::new(), twice: None };
        // Records usually list their fields in schema order: try the field
        // after the last one placed before hashing the name.
        let mut next = 0;
        let mut seen: Option<std::collections::BTreeMap<String, usize>> = None;
        while let Some(Key(k)) = map.next_key::<Key>()? {
            // serde_json's own markers (numbers under `arbitrary_precision`,
            // raw values): its `Value` reader treats such an "object" as
            // something else, so leave it to that reader.
            if k.starts_with("$serde_json::private::") {
                return Err(serde::de::Error::custom("a serde_json marker"));
            }
            let v: Value = map.next_value()?;
            let i = match fields.get(next) {
                Some(f) if f.name == *k => Some(next),
                _ => self.index.get(&*k).copied(),
            };
            match i {
                Some(i) => {
                    if out.slots[i].is_some() && out.twice.is_none() {
                        out.twice = Some(k.into_owned());
                    }
                    out.slots[i] = Some(v);
                    next = i + 1;
                }
                None => {
                    // A key given twice keeps its first place. Looked up in
                    // the list while it is short, in an ordered map once it
                    // is long: a record with 100,000 unknown keys took 20 s
                    // with the list alone.
                    let at = match &seen {
                        Some(m) => m.get(&*k).copied(),
                        None => out.unknown.iter().position(|(u, _)| *u == *k),
                    };
                    match at {
                        Some(at) => {
                            if out.twice.is_none() {
                                out.twice = Some(k.into_owned());
                            }
                            out.unknown[at].1 = v;
                        }
                        None => {
                            if let Some(m) = &mut seen {
                                m.insert(k.to_string(), out.unknown.len());
                            }
                            out.unknown.push((k.into_owned(), v));
                            if seen.is_none() && out.unknown.len() > 16 {
                                seen = Some(out.unknown.iter().enumerate().map(|(i, (u, _))| (u.clone(), i)).collect());
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> std::result::Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'a> Source<'a> {
    /// The name a record goes by in errors: its id, else its position.
    /// `id` is the id field as placed, when the schema declares it: a JSON
    /// record's name is then read without a second look-up by key.
    pub(crate) fn name(&self, schema: &InputSchema, locator: &dyn std::fmt::Display, id: Option<Option<Given>>) -> String {
        match self {
            // `place` leaves JSON nulls out.
            Source::Json(_) | Source::Fields(_) if id.is_some() => match id.flatten() {
                Some(Given::Json(v)) => json_name(Some(v), locator),
                _ => locator.to_string(),
            },
            Source::Json(m) => record_name(schema, locator, Some(m)),
            // An id field the schema declares came in `id`.
            Source::Fields(f) => json_name(f.unknown.iter().find(|(k, _)| *k == schema.id_field).map(|(_, v)| v), locator),
            Source::Csv(r) => {
                let layout = r.layout();
                // As `record_name` reads the cell once typed.
                match layout.id_column.filter(|c| !r.not_utf8(*c)).and_then(|c| Some(csv_value(nonempty(r.get(c)?)?, layout.types[c]))) {
                    Some(Value::String(s)) => s,
                    Some(Value::Number(n)) => n.to_string(),
                    _ => locator.to_string(),
                }
            }
        }
    }

    /// The fields in schema order, and a warning for each field the schema
    /// does not declare.
    pub(crate) fn place(&self, schema: &InputSchema, index: &FieldIndex, given: &mut [Option<Given<'a>>]) -> Vec<String> {
        let fields = &schema.fields;
        let mut warnings = Vec::new();
        let mut unknown = |k: &str| warnings.push(format!("field `{k}` is not in the pack's input schema and was not used"));
        match *self {
            Source::Json(m) => {
                // Records usually list their fields in schema order: try the
                // field after the last one placed before hashing the name.
                let mut next = 0;
                for (k, v) in m.iter() {
                    let i = match fields.get(next) {
                        Some(f) if f.name == *k => Some(next),
                        _ => index.get(k.as_str()).copied(),
                    };
                    match i {
                        Some(i) => {
                            given[i] = given_json(v);
                            next = i + 1;
                        }
                        None => unknown(k),
                    }
                }
            }
            Source::Fields(f) => {
                for (g, v) in given.iter_mut().zip(&f.slots) {
                    if let Some(v) = v.as_ref() {
                        *g = given_json(v);
                    }
                }
                for (k, _) in &f.unknown {
                    unknown(k);
                }
            }
            Source::Csv(r) => {
                let layout = r.layout();
                for (k, ((cell, slot), header)) in r.iter().zip(&layout.slots).zip(&layout.headers).enumerate() {
                    // As `Row::parse` gives such a cell.
                    let given_as = match r.not_utf8(k) {
                        true => Given::Json(&NOT_UTF8),
                        false => match nonempty(cell) {
                            Some(cell) => Given::Cell(cell),
                            None => continue,
                        },
                    };
                    match slot {
                        Some(i) => given[*i] = Some(given_as),
                        None => unknown(header),
                    }
                }
            }
        }
        warnings
    }

    /// The key fields as given, for results of records that failed
    /// validation (whose values are not typed).
    pub(crate) fn keys(&self, plan: &Plan) -> Map<String, Value> {
        plan.keys
            .iter()
            .filter_map(|(k, slot)| {
                let v = match self {
                    Source::Json(m) => m.get(k).filter(|v| !blank(v) && !is_not_utf8(v))?.clone(),
                    Source::Fields(f) => match slot {
                        Some(i) => f.slots[*i].as_ref(),
                        None => f.unknown.iter().find(|(u, _)| u == k).map(|(_, v)| v),
                    }
                    .filter(|v| !blank(v))?
                    .clone(),
                    Source::Csv(r) => {
                        let layout = r.layout();
                        let c = layout.column_of(k).filter(|c| !r.not_utf8(*c))?;
                        csv_value(nonempty(r.get(c)?)?, layout.types[c])
                    }
                };
                Some((k.clone(), v))
            })
            .collect()
    }
}

/// A JSON value as given, or `None` when it counts as absent: null, or
/// text that is empty or only spaces, as a blank CSV cell is absent (so a
/// required field given `""` is missing, and `has` is false for it).
fn given_json(v: &Value) -> Option<Given<'_>> {
    (!v.is_null() && !blank(v)).then_some(Given::Json(v))
}

fn blank(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.trim().is_empty())
}

fn nonempty(cell: &str) -> Option<&str> {
    Some(cell.trim()).filter(|c| !c.is_empty())
}

/// The most characters a number given as text may have. Exact decimals of
/// real figures are far shorter; without a bound, reading a 200,000-digit
/// value took 1.6 s (big-integer conversion grows with the square of the
/// length).
const MAX_NUMBER_TEXT: usize = 100;

/// A number field's value given as text: `None` when it is not a number,
/// an error when it is too long to read.
fn number_text(t: &str) -> Option<std::result::Result<Val, String>> {
    let t = t.trim();
    // Bytes first: characters are counted only for text that may be long.
    if t.len() > MAX_NUMBER_TEXT && t.chars().count() > MAX_NUMBER_TEXT {
        // Long text of other characters is simply not a number.
        if !t.bytes().all(|b| b.is_ascii_digit() || b"+-./".contains(&b)) {
            return None;
        }
        return Some(Err(format!("expected a number of at most {MAX_NUMBER_TEXT} characters, got {}", quoted(t))));
    }
    Num::parse(t).map(|n| Ok(Val::Num(n)))
}

/// Text given in a record, quoted for an error message: the first 60
/// characters of long text, and its length.
fn quoted(s: &str) -> String {
    const SHOWN: usize = 60;
    match s.char_indices().nth(SHOWN) {
        None => format!("text \"{s}\""),
        Some((end, _)) => format!("text \"{}…\" ({} characters)", &s[..end], s.chars().count()),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => quoted(s),
        Value::Number(n) => format!("number {n}"),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Null => "null".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The name a record goes by in errors: its id, else its position.
pub(crate) fn record_name(schema: &InputSchema, locator: &dyn std::fmt::Display, rec: Option<&Map<String, Value>>) -> String {
    json_name(rec.and_then(|r| r.get(&schema.id_field)), locator)
}

/// A record's name from its id's JSON value: the text or number, else the
/// locator.
fn json_name(id: Option<&Value>, locator: &dyn std::fmt::Display) -> String {
    match id {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => locator.to_string(),
    }
}

/// The errors of a JSON record checked against a schema (organisation
/// records; fields the schema does not declare are not errors).
pub(crate) fn validate_map(schema: &InputSchema, rec: &Map<String, Value>, name: &str) -> Vec<Error> {
    let index = field_index(schema);
    let plan = Plan::new(schema, &index);
    let mut given = vec![None; schema.fields.len()];
    Source::Json(rec).place(schema, &index, &mut given);
    validate(schema, &plan, &given, name).1
}

/// What a CSV cell that is not UTF-8 is read as, in a record's fields and
/// in the direct path alike: a value no field accepts, which validation
/// names by its column with [`NOT_UTF8_MESSAGE`]. The rest of the record
/// (its id, its organisation) is read as usual.
static NOT_UTF8: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| serde_json::json!({ NOT_UTF8_KEY: true }));
const NOT_UTF8_KEY: &str = "$mezon::not_utf8";
const NOT_UTF8_MESSAGE: &str = "the file is not UTF-8; save it as UTF-8 (CSV UTF-8)";

fn is_not_utf8(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 1 && m.contains_key(NOT_UTF8_KEY))
}

/// A whole-number or boolean field as given: a plain copy, so taking it
/// apart drops nothing (an `Option<Val>` here cost a drop call per field).
#[derive(Clone, Copy)]
enum Plain {
    Int(i64),
    Bool(bool),
    Other,
}

/// The value of a whole-number or boolean field given as such; `Other` for
/// anything else (then `typed` decides, and says what is wrong).
#[inline(always)]
fn plain(ty: FieldType, v: Given) -> Plain {
    let int = |x: Option<i64>| x.map_or(Plain::Other, Plain::Int);
    match (ty, v) {
        (FieldType::Int, Given::Json(Value::Number(n))) => int(n.as_i64()),
        (FieldType::Bool, Given::Json(Value::Bool(b))) => Plain::Bool(*b),
        (FieldType::Int, Given::Cell(c)) => int(c.parse().ok()),
        (FieldType::Bool, Given::Cell("true")) => Plain::Bool(true),
        (FieldType::Bool, Given::Cell("false")) => Plain::Bool(false),
        _ => Plain::Other,
    }
}

/// A value typed by its field, or what is wrong with it.
fn typed(ty: FieldType, v: Given) -> std::result::Result<Val, String> {
    let v = match v {
        Given::Json(v) if is_not_utf8(v) => return Err(NOT_UTF8_MESSAGE.into()),
        Given::Json(v) => v,
        // A CSV cell is text; `int`, `bool` and `number` cells are read as such.
        Given::Cell(c) => {
            let text = || quoted(c);
            return match ty {
                FieldType::String => Ok(Val::Str(c.into())),
                FieldType::Int => int_text(c).map(Val::Int),
                FieldType::Bool => match c {
                    "true" => Ok(Val::Bool(true)),
                    "false" => Ok(Val::Bool(false)),
                    _ => Err(format!("expected true or false, got {}", text())),
                },
                FieldType::Number => number_text(c).ok_or_else(|| format!("expected a number, got {}", text()))?,
            };
        }
    };
    match (ty, v) {
        (FieldType::String, Value::String(s)) => Ok(Val::Str(s.as_str().into())),
        (FieldType::Bool, Value::Bool(b)) => Ok(Val::Bool(*b)),
        (FieldType::Int, Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(x), _) => Ok(Val::Int(x)),
            // JSON has one kind of number: 200.0 is 200, as writers that
            // keep every number a double give it. 2^63 is a whole double
            // that `as` would saturate, hence the bound below it.
            // Only where a double holds every whole number (|f| ≤ 2^53):
            // 9007199254740993.0 is read as …992 by every JSON reader, and
            // taking that silently would change the figure.
            (None, Some(f)) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => Ok(Val::Int(f as i64)),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() >= 9_223_372_036_854_775_808.0 => Err(too_large(&n.to_string())),
            (None, Some(f)) if f.fract() == 0.0 => Err(format!("expected a whole number, got {n}, which JSON numbers with a fraction or exponent cannot hold exactly past 2^53; give it as plain digits or digit text")),
            _ => Err(format!("expected a whole number, got {n}")),
        },
        // Text, as a CSV cell gives it.
        (FieldType::Int, Value::String(s)) => int_text(s).map(Val::Int),
        (FieldType::Number, Value::Number(n)) => match n.as_i64().map(Num::int).or_else(|| n.as_f64().and_then(Num::from_f64_text)) {
            Some(x) => Ok(Val::Num(x)),
            None => Err(format!("expected a number, got {n}")),
        },
        // Exact decimal text, as careful JSON writers give it.
        (FieldType::Number, Value::String(s)) => number_text(s).ok_or_else(|| format!("expected a number, got {}", describe(v)))?,
        (FieldType::String, other) => Err(format!("expected text, got {}", describe(other))),
        (FieldType::Int, other) => Err(format!("expected a whole number, got {}", describe(other))),
        (FieldType::Number, other) => Err(format!("expected a number, got {}", describe(other))),
        (FieldType::Bool, other) => Err(format!("expected true or false, got {}", describe(other))),
    }
}

/// A JSON value of a whole-number field as validation reads it (`2015`,
/// `2015.0`, `"2015"`); `None` when it is not one.
pub(crate) fn whole(v: &Value) -> Option<i64> {
    match typed(FieldType::Int, Given::Json(v)) {
        Ok(Val::Int(i)) => Some(i),
        _ => None,
    }
}

/// A whole-number field's value given as text (a CSV cell, a JSON string).
fn int_text(t: &str) -> std::result::Result<i64, String> {
    let t = t.trim();
    t.parse::<i64>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => too_large(&quoted(t)),
        _ => format!("expected a whole number, got {}", quoted(t)),
    })
}

fn too_large(given: &str) -> String {
    format!("expected a whole number, got {given}, which is too large (beyond ±{})", i64::MAX)
}

fn num_of(v: &Val) -> Option<Num> {
    match v {
        Val::Int(i) => Some(Num::int(*i)),
        Val::Num(n) => Some(n.clone()),
        _ => None,
    }
}

/// Checks types, required fields, ranges and relations of the fields
/// `given` in schema order.
pub(crate) fn validate(schema: &InputSchema, plan: &Plan, given: &[Option<Given>], name: &str) -> (Vals, Vec<Error>) {
    let mut errors = Vec::new();
    let mut values = Vals::new();
    values.reserve(schema.fields.len());
    let err = |field: &str, msg: String| Error::new(ErrorKind::Input, msg).with_record(name).with_field(field);
    for (((f, v), (min, max)), ints) in schema.fields.iter().zip(given).zip(&plan.bounds).zip(&plan.int_bounds) {
        let Some(v) = v else {
            if f.required {
                errors.push(err(&f.name, "required field is missing".into()));
            }
            values.push(Val::Unit);
            continue;
        };
        // Most fields are whole numbers and booleans within their bounds:
        // taken here without building a `Result`; the rest below.
        match (plain(f.ty, *v), ints) {
            (Plain::Int(x), Some((lo, hi))) if lo.is_none_or(|lo| x >= lo) && hi.is_none_or(|hi| x <= hi) => {
                values.push(Val::Int(x));
                continue;
            }
            (Plain::Bool(b), _) if min.is_none() && max.is_none() => {
                values.push(Val::Bool(b));
                continue;
            }
            _ => {}
        }
        match typed(f.ty, *v) {
            Ok(d) => {
                let in_range = match (&d, ints) {
                    (Val::Int(x), Some((lo, hi))) => lo.is_none_or(|lo| *x >= lo) && hi.is_none_or(|hi| *x <= hi),
                    _ => false,
                };
                if !in_range && (min.is_some() || max.is_some()) {
                    if let Some(x) = num_of(&d) {
                        if let Some(min) = min.as_ref().filter(|m| x < **m) {
                            errors.push(err(&f.name, format!("{x} is below the minimum {min}")));
                        }
                        if let Some(max) = max.as_ref().filter(|m| x > **m) {
                            errors.push(err(&f.name, format!("{x} is above the maximum {max}")));
                        }
                    }
                }
                values.push(d);
            }
            Err(m) => {
                errors.push(err(&f.name, m));
                values.push(Val::Unit);
            }
        }
    }
    for &(li, ri, k) in &plan.relations {
        let r = &schema.relations[k];
        if let (Some(l), Some(rv)) = (num_of(&values[li]), num_of(&values[ri])) {
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
    (values, errors)
}
