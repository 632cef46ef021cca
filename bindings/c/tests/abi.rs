//! The C exports called from Rust, as a C program would: the panic guard,
//! one pack shared by threads, and ownership round trips. The byte-for-byte
//! golden comparison runs in C (`tests/golden.c`, driven by `test.sh`).

// Reading the C strings the exports return is unsafe, as it is in C.
#![allow(unsafe_code)]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use mezon_c::*;

fn pack_dir() -> CString {
    CString::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/uz-egov-quality/2016.1")).unwrap()
}

fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let out = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_string();
    mezon_string_free(s);
    out
}

fn borrowed(s: *const c_char) -> String {
    unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_string()
}

#[test]
fn a_panic_comes_back_as_an_error() {
    let mut err = ptr::null_mut();
    assert!(mezon_test_panic(&mut err).is_null());
    assert!(!err.is_null());
    assert_eq!(borrowed(mezon_error_kind(err)), "internal");
    assert!(borrowed(mezon_error_message(err)).contains("panic caught at the C boundary"));
    mezon_error_free(err);
}

#[test]
fn threads_share_one_pack() {
    let mut err = ptr::null_mut();
    let pack = mezon_pack_load_dir(pack_dir().as_ptr(), &mut err);
    assert!(!pack.is_null() && err.is_null());
    let record = CString::new(r#"{"service_id":"S","organization_id":"O","period":2016,"applications_total":1000,"applications_electronic":420,"completed":200,"completed_on_time":194,"marks_1":2,"marks_2":3,"marks_3":5,"marks_4":40,"marks_5":50,"optimized":true,"documents_required":5,"documents_interagency":3,"maturity_stage":3,"info_description":true,"info_documents":true,"info_deadline":true,"info_cost":true,"info_legal_basis":true,"info_appeal":false,"availability_pct":99.2,"justified_complaints":1}"#).unwrap();
    let first = take(mezon_pack_assess_json(pack, record.as_ptr(), ptr::null_mut()));
    assert!(first.contains(r#""score":78.78"#), "{first}");
    // Raw pointers are not Send; the address is, and the header promises the pack may be shared.
    let (addr, rec) = (pack as usize, &record);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(move || (0..25).map(|_| take(mezon_pack_assess_json(addr as *const mezon_pack, rec.as_ptr(), ptr::null_mut()))).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            assert!(h.join().unwrap().iter().all(|r| *r == first));
        }
    });
    mezon_pack_free(pack);
}

#[test]
fn version_is_the_engine_version() {
    assert_eq!(borrowed(mezon_version()), mezon::VERSION);
}
