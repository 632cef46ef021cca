//! C ABI for the Mezon rules engine (crate `mezon`).
//!
//! Thin: each function converts its arguments, calls the engine with
//! [`mezon::Engine::default`], and maps the result. JSON in and out is the
//! same JSON the `mezon` command line reads and writes; the engine's crate
//! docs describe the objects and the result fields.
//!
//! The header `include/mezon.h` is generated from this file by cbindgen
//! (`cbindgen.toml`); `tests/header.rs` fails when the checked-in header is
//! stale and rewrites it with `MEZON_BLESS=1`.

// An FFI crate dereferences raw pointers by nature; the workspace denies
// unsafe code elsewhere. Every unsafe block here only reads a caller's pointer
// under the contract written in the function's docs.
#![allow(unsafe_code)]
// The C names (`mezon_pack`, `mezon_error`) are the public API.
#![allow(non_camel_case_types)]
// The exports are for C callers, with the pointer contract written in each
// function's docs (and the header); marking them `unsafe fn` would say
// nothing more to C and only oblige Rust tests to wrap every call.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::any::Any;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;

use mezon::{Engine, Error, ErrorKind, Pack};
use serde_json::Value;

/// A compiled rule pack. Opaque; free with `mezon_pack_free`.
///
/// Immutable once loaded: one pack may be used by any number of threads at
/// once (it is `Send + Sync` inside).
pub struct mezon_pack {
    pack: Pack,
}

/// An error: kind, message, pack file, 1-based line and column. Opaque; free
/// with `mezon_error_free`. Immutable: it may be read from any thread.
pub struct mezon_error {
    error: Error,
    /// The rendered frame, kept so `mezon_error_message` can lend it.
    rendered: CString,
    kind: CString,
    file: Option<CString>,
    record: Option<CString>,
    field: Option<CString>,
}

impl mezon_error {
    fn new(error: Error) -> mezon_error {
        mezon_error {
            rendered: c_string(error.to_string()),
            kind: c_string(error.kind().as_str().to_string()),
            file: error.file().map(|f| c_string(f.to_string())),
            record: error.record().map(|r| c_string(r.to_string())),
            field: error.field().map(|f| c_string(f.to_string())),
            error,
        }
    }
}

/// A C string from text that may hold a NUL (from a record's own text): the
/// NUL becomes U+FFFD rather than cutting the string short.
fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let s = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(s).expect("NULs replaced")
    })
}

fn input_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input, message)
}

/// The engine has no kind for a bug of its own, so a caught panic is a
/// runtime error whose message says it was a panic.
fn panic_error(payload: Box<dyn Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown payload".into());
    Error::new(ErrorKind::Internal, format!("internal error: panic caught at the C boundary: {what}"))
}

fn set_err(err: *mut *mut mezon_error, e: Error) {
    if !err.is_null() {
        // SAFETY: the caller passes NULL or a valid `mezon_error **`.
        unsafe { *err = Box::into_raw(Box::new(mezon_error::new(e))) };
    }
}

/// The panic guard every fallible export runs in: a failure or a panic
/// becomes NULL plus `*err`.
fn guard<T>(err: *mut *mut mezon_error, f: impl FnOnce() -> Result<*mut T, Error>) -> *mut T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            set_err(err, e);
            ptr::null_mut()
        }
        Err(payload) => {
            // Building the error cannot panic short of running out of memory,
            // which aborts anyway; guard it all the same.
            let _ = catch_unwind(AssertUnwindSafe(|| set_err(err, panic_error(payload))));
            ptr::null_mut()
        }
    }
}

/// The guard for exports without an error out-parameter: a panic gives `fallback`.
fn guard_or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// A string of `err`, lent to the caller (valid until `mezon_error_free`):
/// NULL when `err` is NULL or has no such string.
fn lend(err: *const mezon_error, pick: impl FnOnce(&mezon_error) -> Option<&CString>) -> *const c_char {
    // SAFETY: `err` is NULL or an error from this library not yet freed.
    guard_or(ptr::null(), || unsafe { err.as_ref() }.and_then(pick).map_or(ptr::null(), |s| s.as_ptr()))
}

fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(input_error(format!("`{name}` is NULL")));
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|e| input_error(format!("`{name}` is not UTF-8: {e}")))
}

fn pack_arg<'a>(p: *const mezon_pack) -> Result<&'a Pack, Error> {
    if p.is_null() {
        return Err(input_error("`pack` is NULL"));
    }
    // SAFETY: the caller passes a pack from `mezon_pack_load_*` not yet freed.
    Ok(unsafe { &(*p).pack })
}

fn not_json(name: &str, e: &serde_json::Error) -> Error {
    input_error(format!("`{name}` is not valid JSON: {e}")).at(e.line() as u32, e.column() as u32)
}

fn owned_json(v: &Value) -> *mut c_char {
    c_string(mezon::to_json_line(v)).into_raw()
}

fn new_pack(pack: Pack) -> *mut mezon_pack {
    Box::into_raw(Box::new(mezon_pack { pack }))
}

/// Loads a rule pack from a path: a version folder
/// (`rules/uz-egov-quality/2016.1`), a pack folder holding one version, or a
/// bundle `.json` file.
///
/// Returns a pack to free with `mezon_pack_free`, or NULL and sets `*err`
/// (when `err` is not NULL) to an error to free with `mezon_error_free`.
#[no_mangle]
pub extern "C" fn mezon_pack_load_dir(path: *const c_char, err: *mut *mut mezon_error) -> *mut mezon_pack {
    guard(err, || Ok(new_pack(Pack::load(&Engine::default(), str_arg(path, "path")?)?)))
}

/// Loads a rule pack from the text of a bundle (`mezon bundle` output, as in
/// the browser); the bundle's digest is verified.
///
/// Returns a pack to free with `mezon_pack_free`, or NULL and sets `*err`.
#[no_mangle]
pub extern "C" fn mezon_pack_load_bundle(bundle_json: *const c_char, err: *mut *mut mezon_error) -> *mut mezon_pack {
    guard(err, || Ok(new_pack(Pack::from_bundle(&Engine::default(), str_arg(bundle_json, "bundle_json")?)?)))
}

/// Assesses one record, a JSON object, and returns the result object as one
/// line of JSON, byte for byte the line `mezon assess --format jsonl` writes.
///
/// An invalid record is not a failure: the result has status `invalid` and
/// its `errors`; a rule that fails or hits a sandbox limit gives status
/// `error`. The call fails (NULL, `*err` set) only when `record_json` is NULL,
/// not UTF-8 or not JSON text. Free the result with `mezon_string_free`.
#[no_mangle]
pub extern "C" fn mezon_pack_assess_json(
    pack: *const mezon_pack,
    record_json: *const c_char,
    err: *mut *mut mezon_error,
) -> *mut c_char {
    guard(err, || {
        let pack = pack_arg(pack)?;
        let record = str_arg(record_json, "record_json")?;
        let result = pack.assess_json(record).map_err(|e| not_json("record_json", &e))?;
        Ok(c_string(result.to_json_line()).into_raw())
    })
}

/// Ranks organisations: `records_json` is a JSON array of service records,
/// `organizations_json` a JSON array of organisation records or NULL. Returns
/// the ranking as one line of JSON (the content of `mezon rank --format
/// json`), or NULL and sets `*err`. Free the result with `mezon_string_free`.
#[no_mangle]
pub extern "C" fn mezon_pack_rank_json(
    pack: *const mezon_pack,
    records_json: *const c_char,
    organizations_json: *const c_char,
    err: *mut *mut mezon_error,
) -> *mut c_char {
    guard(err, || {
        let pack = pack_arg(pack)?;
        let services = str_arg(records_json, "records_json")?;
        let organizations = if organizations_json.is_null() { None } else { Some(str_arg(organizations_json, "organizations_json")?) };
        Ok(owned_json(&pack.rank_json(services, organizations)?.to_json()))
    })
}

/// The pack's description as JSON (ids, titles, indicators, input schema,
/// grades). NULL only when `pack` is NULL. Free with `mezon_string_free`.
#[no_mangle]
pub extern "C" fn mezon_pack_info_json(pack: *const mezon_pack) -> *mut c_char {
    guard(ptr::null_mut(), || Ok(owned_json(&pack_arg(pack)?.info())))
}

/// Frees a pack. NULL is ignored. The pack must not be in use by another thread.
#[no_mangle]
pub extern "C" fn mezon_pack_free(pack: *mut mezon_pack) {
    guard_or((), || {
        if !pack.is_null() {
            // SAFETY: `pack` came from `mezon_pack_load_*` and is freed once.
            drop(unsafe { Box::from_raw(pack) });
        }
    })
}

/// The error rendered for people: `error[kind]: message`, then the record,
/// the field, `--> file:line:column`, the source line with a caret, the rule
/// call chain and the pack. Borrowed from `err`: valid until
/// `mezon_error_free`. NULL when `err` is NULL.
#[no_mangle]
pub extern "C" fn mezon_error_message(err: *const mezon_error) -> *const c_char {
    lend(err, |e| Some(&e.rendered))
}

/// The error as JSON for machines: `type` (the kind), `message`, `pack`,
/// `file`, `line`, `column`, `record`, `field`, `indicator`, `callChain`.
/// Free with `mezon_string_free`. NULL when `err` is NULL.
#[no_mangle]
pub extern "C" fn mezon_error_json(err: *const mezon_error) -> *mut c_char {
    guard_or(ptr::null_mut(), || match unsafe { err.as_ref() } {
        Some(e) => owned_json(&e.error.to_json()),
        None => ptr::null_mut(),
    })
}

/// The error's kind: `manifest`, `table`, `parse`, `runtime`, `limit`,
/// `security`, `input`, `io` or `internal` (a bug, such as a caught panic).
/// Borrowed from `err`. NULL when `err` is NULL.
#[no_mangle]
pub extern "C" fn mezon_error_kind(err: *const mezon_error) -> *const c_char {
    lend(err, |e| Some(&e.kind))
}

/// The pack file the error points at (`tables/timeliness.table`), or NULL
/// when it has none. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn mezon_error_file(err: *const mezon_error) -> *const c_char {
    lend(err, |e| e.file.as_ref())
}

/// The input record the error is about (its id, or its place such as
/// `organization 1`), or NULL when it has none. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn mezon_error_record(err: *const mezon_error) -> *const c_char {
    lend(err, |e| e.record.as_ref())
}

/// The input field the error is about, or NULL when it has none. Borrowed
/// from `err`.
#[no_mangle]
pub extern "C" fn mezon_error_field(err: *const mezon_error) -> *const c_char {
    lend(err, |e| e.field.as_ref())
}

/// The 1-based line the error points at, or 0 when it has none.
#[no_mangle]
pub extern "C" fn mezon_error_line(err: *const mezon_error) -> u32 {
    guard_or(0, || unsafe { err.as_ref() }.and_then(|e| e.error.line()).unwrap_or(0))
}

/// The 1-based column the error points at, or 0 when it has none.
#[no_mangle]
pub extern "C" fn mezon_error_column(err: *const mezon_error) -> u32 {
    guard_or(0, || unsafe { err.as_ref() }.and_then(|e| e.error.column()).unwrap_or(0))
}

/// Frees an error. NULL is ignored.
#[no_mangle]
pub extern "C" fn mezon_error_free(err: *mut mezon_error) {
    guard_or((), || {
        if !err.is_null() {
            // SAFETY: `err` came from this library and is freed once.
            drop(unsafe { Box::from_raw(err) });
        }
    })
}

/// Frees a string returned by this library (`char *` results). NULL is ignored.
#[no_mangle]
pub extern "C" fn mezon_string_free(s: *mut c_char) {
    guard_or((), || {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in this library and is freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// The engine version (`0.1.0`); a static string, never freed.
#[no_mangle]
pub extern "C" fn mezon_version() -> *const c_char {
    static VERSION: OnceLock<CString> = OnceLock::new();
    guard_or(ptr::null(), || VERSION.get_or_init(|| c_string(mezon::VERSION.to_string())).as_ptr())
}

/// Test hook, left out of the header: panics inside the guard, so a test can
/// see a panic come back as NULL plus a runtime error instead of unwinding
/// into C.
#[doc(hidden)]
#[no_mangle]
pub extern "C" fn mezon_test_panic(err: *mut *mut mezon_error) -> *mut c_char {
    guard(err, || -> Result<*mut c_char, Error> { panic!("mezon_test_panic") })
}
