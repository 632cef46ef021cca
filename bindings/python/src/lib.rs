//! Python binding of the Mezon rules engine: the extension module
//! `mezon._native`, re-exported by the `mezon` package.
//!
//! Thin: dicts in and out (plus `*_json` twins that pass the engine's JSON
//! text through unchanged), one wrapper type, one error-mapping helper. The
//! engine is always [`mezon::Engine::default`]. Results are parsed from the
//! engine's JSON text with `json.loads(text, parse_float=decimal.Decimal)`,
//! so a published figure such as `78.78` reaches Python as
//! `Decimal("78.78")`, never as a float. The engine's crate docs describe
//! the objects and the result fields.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Value};

create_exception!(mezon, Error, PyException, "An engine error; `str(e)` is the rendered frame, attributes `kind`, `message`, `file`, `line`, `column`, `record`, `field`, `pack`, `indicator`.");
create_exception!(mezon, ManifestError, Error, "`pack.toml` is missing, malformed or inconsistent, or a bundle's digest does not match.");
create_exception!(mezon, TableError, Error, "A decision table does not parse or does not match its input.");
create_exception!(mezon, ParseError, Error, "A rule script does not compile.");
create_exception!(mezon, RuleRuntimeError, Error, "A rule failed while running.");
create_exception!(mezon, LimitError, Error, "A rule hit a sandbox limit.");
create_exception!(mezon, SecurityError, Error, "A rule tried something the sandbox forbids.");
create_exception!(mezon, InputError, Error, "An input record or file is invalid (including JSON text that does not parse).");
create_exception!(mezon, IoError, Error, "A file could not be read.");
create_exception!(mezon, InternalError, Error, "A bug of the engine or binding; please report it.");

/// The one error-mapping helper: the subclass for the kind, the rendered
/// frame as the message, and the position as attributes (lines and columns
/// 1-based, `None` when absent).
fn py_err(py: Python<'_>, e: mezon::Error) -> PyErr {
    use mezon::ErrorKind as K;
    let text = e.to_string();
    let err = match e.kind() {
        K::Manifest => ManifestError::new_err(text),
        K::Table => TableError::new_err(text),
        K::Parse => ParseError::new_err(text),
        K::Runtime => RuleRuntimeError::new_err(text),
        K::Limit => LimitError::new_err(text),
        K::Security => SecurityError::new_err(text),
        K::Input => InputError::new_err(text),
        K::Io => IoError::new_err(text),
        K::Internal => InternalError::new_err(text),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance does not fail.
    let _ = value.setattr("kind", e.kind().as_str());
    let _ = value.setattr("message", e.message());
    let _ = value.setattr("file", e.file());
    let _ = value.setattr("line", e.line());
    let _ = value.setattr("column", e.column());
    let _ = value.setattr("record", e.record());
    let _ = value.setattr("field", e.field());
    let _ = value.setattr("pack", e.pack());
    let _ = value.setattr("indicator", e.indicator());
    err
}

/// JSON text → Python objects, exact decimals as `decimal.Decimal`.
fn loads(py: Python<'_>, text: &str) -> PyResult<PyObject> {
    static LOADS: GILOnceCell<PyObject> = GILOnceCell::new();
    static DECIMAL: GILOnceCell<PyObject> = GILOnceCell::new();
    let loads = LOADS.get_or_try_init(py, || py.import("json")?.getattr("loads").map(Bound::unbind))?;
    let decimal = DECIMAL.get_or_try_init(py, || py.import("decimal")?.getattr("Decimal").map(Bound::unbind))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("parse_float", decimal.bind(py))?;
    Ok(loads.bind(py).call((text,), Some(&kwargs))?.unbind())
}

fn is_decimal(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    static DECIMAL: GILOnceCell<PyObject> = GILOnceCell::new();
    let py = obj.py();
    let decimal = DECIMAL.get_or_try_init(py, || py.import("decimal")?.getattr("Decimal").map(Bound::unbind))?;
    obj.is_instance(decimal.bind(py))
}

/// How deep containers may nest in a record, the record itself counted:
/// serde_json's limit for the `*_json` methods (128 levels refused), so a
/// record refused there is refused here and the converse. Also what stops
/// a list that contains itself.
const MAX_DEPTH: usize = 127;

/// How many values one record may hold. A list that holds itself twice at
/// each of 60 levels nests only 60 deep but is 2^61 values: without a
/// count its conversion would run for ever with the GIL held. Real records
/// hold tens of values.
const MAX_VALUES: usize = 2_000_000;

/// The engine refuses a number given as text longer than this
/// (`MAX_NUMBER_TEXT` in engine/src/input.rs).
const MAX_NUMBER_TEXT: u64 = 100;

/// One record's conversion: its name for errors and its value budget.
struct Walk<'a> {
    /// The record's place in a batch (`item 3`, `organization 2`), as the
    /// engine names records; `None` for a single record.
    record: Option<&'a str>,
    values: usize,
}

/// Python objects → JSON: mappings with string keys, lists and tuples,
/// str, bool, int, float, `decimal.Decimal` and None. `depth` is 1 for the
/// records of `rank`, which `rank_json` reads inside a JSON array.
fn to_value(obj: &Bound<'_, PyAny>, depth: usize, record: Option<&str>) -> PyResult<Value> {
    value_at(obj, depth, None, &mut Walk { record, values: 0 })
}

/// An `InputError` about a value of a record being converted.
fn bad_value(py: Python<'_>, walk: &Walk<'_>, field: Option<&str>, message: String) -> PyErr {
    let mut e = mezon::Error::new(mezon::ErrorKind::Input, message);
    if let Some(r) = walk.record {
        e = e.with_record(r);
    }
    if let Some(f) = field {
        e = e.with_field(f);
    }
    py_err(py, e)
}

/// `field`: the record's field the value is (or is inside of), for errors.
fn value_at(obj: &Bound<'_, PyAny>, depth: usize, field: Option<&str>, walk: &mut Walk<'_>) -> PyResult<Value> {
    let py = obj.py();
    walk.values += 1;
    if walk.values > MAX_VALUES {
        return Err(bad_value(py, walk, field, format!("the record holds more than {MAX_VALUES} values")));
    }
    let nests = |walk: &Walk<'_>| {
        if depth >= MAX_DEPTH {
            return Err(bad_value(py, walk, field, format!("values nest deeper than {MAX_DEPTH} levels (or a list contains itself)")));
        }
        Ok(())
    };
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.downcast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.downcast::<PyString>() {
        // A str with a lone surrogate has no UTF-8 form, so no JSON one.
        return match s.to_cow() {
            Ok(text) => Ok(Value::String(text.into_owned())),
            Err(_) => Err(bad_value(py, walk, field, "the text is not valid Unicode: it holds a lone surrogate".into())),
        };
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        // Past 64 bits: what the `*_json` methods make of the same digits
        // (the nearest double), so the engine judges it as it would there.
        // Past 1024 bits no double holds it, and its digits may pass
        // Python's int-to-str limit (ValueError), so they are not written.
        let bits: u64 = obj.call_method0("bit_length")?.extract()?;
        if bits <= 1024 {
            if let Some(number) = json_number(&obj.str()?.to_string()) {
                return Ok(number);
            }
        }
        return Err(bad_value(py, walk, field, format!("an int of {bits} bits is too large for a number")));
    }
    if obj.is_instance_of::<PyFloat>() {
        // Python's shortest text of the float, read as JSON text is.
        let text = obj.str()?.to_string();
        return json_number(&text).ok_or_else(|| bad_value(py, walk, field, format!("{text} is not a number JSON can carry")));
    }
    if is_decimal(obj)? {
        if !obj.call_method0("is_finite")?.is_truthy()? {
            return Err(bad_value(py, walk, field, format!("Decimal {} is not a number JSON can carry", obj.str()?)));
        }
        // A Decimal whose value the shortest text of the nearest double
        // gives back (99.2, 150.5) is that number, as in JSON text. Any other goes as its text, which
        // the engine reads exactly (as a CSV cell) rather than through a
        // double: Decimal("99.49999999999999999") stays below 99.5.
        let f: f64 = obj.call_method0("__float__")?.extract()?;
        let float_text = PyFloat::new(py, f).str()?;
        let round_trip = obj.get_type().call1((&float_text,))?.eq(obj)?;
        if positional_len(obj)? > MAX_NUMBER_TEXT {
            // Too long for the engine to read as text, and `format(d, "f")`
            // of 1E+500000000 would build half a gigabyte first. The short
            // text `str(d)` is refused as the same text in JSON or CSV is.
            return Ok(match json_number(&float_text.to_string()) {
                Some(number) if round_trip => number,
                _ => Value::String(obj.str()?.to_string()),
            });
        }
        // Positional notation (`format(d, "f")`): the engine reads decimals,
        // not exponents, and `str` writes 1E-7 for some.
        let text = obj.call_method1("__format__", ("f",))?.str()?.to_string();
        return Ok(match json_number(&text) {
            Some(number) if round_trip => number,
            _ => Value::String(text),
        });
    }
    if let Ok(m) = obj.downcast::<PyMapping>() {
        nests(walk)?;
        // Over a snapshot of the items: a value's conversion runs Python
        // code (`__str__`), which could change the mapping under the loop.
        let mut out = Map::new();
        for item in m.items()?.iter() {
            let (k, v) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?;
            let key = k.downcast::<PyString>().map_err(|_| PyTypeError::new_err(format!("record keys must be str, not {}", k.get_type())))?;
            let Ok(key) = key.to_cow().map(std::borrow::Cow::into_owned) else {
                return Err(bad_value(py, walk, field, format!("the field name {} is not valid Unicode: it holds a lone surrogate", k.repr()?)));
            };
            let value = value_at(&v, depth + 1, Some(field.unwrap_or(&key)), walk)?;
            out.insert(key, value);
        }
        return Ok(Value::Object(out));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        nests(walk)?;
        return obj.try_iter()?.map(|item| value_at(&item?, depth + 1, field, walk)).collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    Err(PyTypeError::new_err(format!("{} cannot be a JSON value in a record", obj.get_type())))
}

/// The length of `format(d, "f")` for a finite Decimal, from its exponent
/// and digits, without writing it.
fn positional_len(d: &Bound<'_, PyAny>) -> PyResult<u64> {
    let parts = d.call_method0("as_tuple")?;
    let negative = parts.get_item(0)?.is_truthy()?;
    let digits = parts.get_item(1)?.len()? as i128;
    // An exponent past i64 (possible only in the pure-Python decimal) is
    // past any limit.
    let Ok(exponent) = parts.get_item(2)?.extract::<i64>() else {
        return Ok(u64::MAX);
    };
    let exponent = i128::from(exponent);
    let len = if exponent >= 0 {
        // Zero keeps no trailing zeros: format(Decimal("0E+5"), "f") is "0".
        if d.call_method0("is_zero")?.is_truthy()? { 1 } else { digits + exponent }
    } else {
        (digits + exponent).max(1) + 1 - exponent
    };
    Ok(u64::try_from(len + i128::from(negative)).unwrap_or(u64::MAX))
}

/// A number's text read as JSON text is; `None` past the double range.
fn json_number(text: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text).ok().filter(Value::is_number)
}

/// The records of an iterable; `name(i)` is the engine's name for the
/// `i`th (1-based), which errors about its values carry as their `record`.
fn to_values(items: &Bound<'_, PyAny>, depth: usize, name: impl Fn(usize) -> String) -> PyResult<Vec<Value>> {
    items.try_iter()?.enumerate().map(|(i, item)| to_value(&item?, depth, Some(&name(i + 1)))).collect()
}

/// Text given to a `*_json` method or `from_bundle`: a str holding a lone
/// surrogate has no UTF-8 form, so it cannot be JSON.
fn text_arg<'a>(text: &'a Bound<'_, PyString>, what: &str) -> PyResult<std::borrow::Cow<'a, str>> {
    text.to_cow()
        .map_err(|_| py_err(text.py(), mezon::Error::new(mezon::ErrorKind::Input, format!("the text of {what} is not valid Unicode: it holds a lone surrogate"))))
}

fn not_json(py: Python<'_>, what: &str, e: &serde_json::Error) -> PyErr {
    py_err(py, mezon::Error::new(mezon::ErrorKind::Input, format!("{what} is not valid JSON: {e}")).at(e.line() as u32, e.column() as u32))
}

/// A compiled rule pack: immutable, shareable between threads.
#[pyclass(frozen, module = "mezon")]
struct Pack {
    pack: mezon::Pack,
}

/// Engine work, with the GIL released. A panic there is a bug; it becomes
/// `InternalError` (as `internal` in the C binding) rather than pyo3's
/// `PanicException`, which `except Exception` does not catch.
fn engine<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.allow_threads(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))).map_err(|payload| {
        let what = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned());
        let message = format!("the engine panicked (a bug; please report it): {}", what.unwrap_or_default());
        py_err(py, mezon::Error::new(mezon::ErrorKind::Internal, message))
    })
}

impl Pack {
    fn assess_text(&self, py: Python<'_>, record: Value) -> PyResult<String> {
        engine(py, || self.pack.assess(&record).to_json_line())
    }

    fn rank_text(&self, py: Python<'_>, services: Vec<Value>, organizations: Vec<Value>) -> PyResult<String> {
        engine(py, || self.pack.rank(&services, &organizations).map(|r| mezon::to_json_line(&r.to_json())))?.map_err(|e| py_err(py, e))
    }
}

#[pymethods]
impl Pack {
    /// Loads a pack from a version folder, a pack folder holding one
    /// version, or a bundle `.json` file.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Pack> {
        engine(py, || mezon::Pack::load(&mezon::Engine::default(), &path))?
            .map(|pack| Pack { pack })
            .map_err(|e| py_err(py, e))
    }

    /// Loads a pack from the text of a bundle; its digest is verified.
    #[staticmethod]
    fn from_bundle(py: Python<'_>, bundle: &Bound<'_, PyString>) -> PyResult<Pack> {
        let bundle = text_arg(bundle, "the bundle")?;
        engine(py, || mezon::Pack::from_bundle(&mezon::Engine::default(), &bundle))?
            .map(|pack| Pack { pack })
            .map_err(|e| py_err(py, e))
    }

    /// The pack id, e.g. `uz-egov-quality`.
    #[getter]
    fn id(&self) -> &str {
        self.pack.id()
    }

    /// The pack version, e.g. `2016.1`.
    #[getter]
    fn version(&self) -> &str {
        self.pack.version()
    }

    /// The sha256 content digest that identifies exactly these rules.
    #[getter]
    fn digest(&self) -> &str {
        self.pack.digest()
    }

    /// The pack's description: ids, titles, indicators, input schema, grades.
    fn info(&self, py: Python<'_>) -> PyResult<PyObject> {
        loads(py, &mezon::to_json_line(&self.pack.info()))
    }

    /// Assesses one record (a mapping); returns the result dict. A record
    /// with bad fields is not an exception: the result has status `invalid`
    /// and its `errors`. Raises `InputError` for a value JSON cannot carry
    /// (NaN, ±inf, text with a lone surrogate, a list that contains itself).
    fn assess(&self, py: Python<'_>, record: &Bound<'_, PyAny>) -> PyResult<PyObject> {
        let text = self.assess_text(py, to_value(record, 0, None)?)?;
        loads(py, &text)
    }

    /// Assesses one record given as JSON text; returns the result as one
    /// line of JSON, byte for byte the line `mezon assess --format jsonl`
    /// writes. Raises `InputError` when the text is not JSON.
    fn assess_json(&self, py: Python<'_>, record: &Bound<'_, PyString>) -> PyResult<String> {
        let record = text_arg(record, "the record")?;
        let line = engine(py, || self.pack.assess_json(&record).map(|a| a.to_json_line()))?;
        line.map_err(|e| not_json(py, "record", &e))
    }

    /// Assesses every record of an iterable of dicts, in order, with the GIL
    /// released while the engine works; returns a list of result dicts. An
    /// `InputError` about a value names its record (`item 3`, 1-based).
    fn assess_many(&self, py: Python<'_>, records: &Bound<'_, PyAny>) -> PyResult<Vec<PyObject>> {
        let records = to_values(records, 0, |i| format!("item {i}"))?;
        let texts: Vec<String> = engine(py, || records.iter().map(|r| self.pack.assess(r).to_json_line()).collect())?;
        texts.iter().map(|t| loads(py, t)).collect()
    }

    /// Ranks organisations from service records and optional organisation
    /// records (iterables of dicts); returns the ranking dict, the content of
    /// `mezon rank --format json`. An `InputError` about a value names its
    /// record as the engine does: `item 3`, `organization 2` (1-based).
    #[pyo3(signature = (records, organizations = None))]
    fn rank(&self, py: Python<'_>, records: &Bound<'_, PyAny>, organizations: Option<&Bound<'_, PyAny>>) -> PyResult<PyObject> {
        // Depth 1: `rank_json` reads these records inside a JSON array, a
        // level of nesting that its limit counts.
        let services = to_values(records, 1, |i| format!("item {i}"))?;
        let organizations = organizations.map(|o| to_values(o, 1, |i| format!("organization {i}"))).transpose()?.unwrap_or_default();
        let text = self.rank_text(py, services, organizations)?;
        loads(py, &text)
    }

    /// `rank` on JSON text (arrays of records); returns one line of JSON.
    #[pyo3(signature = (records, organizations = None))]
    fn rank_json(&self, py: Python<'_>, records: &Bound<'_, PyString>, organizations: Option<&Bound<'_, PyString>>) -> PyResult<String> {
        let records = text_arg(records, "the service records")?;
        let organizations = organizations.map(|o| text_arg(o, "the organisation records")).transpose()?;
        let ranking = engine(py, || self.pack.rank_json(&records, organizations.as_deref()))?;
        ranking.map(|r| mezon::to_json_line(&r.to_json())).map_err(|e| py_err(py, e))
    }

    fn __repr__(&self) -> String {
        format!("<mezon.Pack {} {} {}>", self.pack.id(), self.pack.version(), self.pack.digest())
    }
}

/// The extension module, re-exported by `mezon/__init__.py`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Pack>()?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("ManifestError", py.get_type::<ManifestError>())?;
    m.add("TableError", py.get_type::<TableError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("RuleRuntimeError", py.get_type::<RuleRuntimeError>())?;
    m.add("LimitError", py.get_type::<LimitError>())?;
    m.add("SecurityError", py.get_type::<SecurityError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("VERSION", mezon::VERSION)?;
    Ok(())
}
