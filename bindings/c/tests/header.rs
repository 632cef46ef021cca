//! The checked-in `include/mezon.h` is what cbindgen generates from the
//! crate now. `MEZON_BLESS=1` rewrites it instead of failing.

use std::path::Path;

#[test]
fn header_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    let path = dir.join("include/mezon.h");
    if std::env::var_os("MEZON_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/mezon.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "bindings/c/include/mezon.h is stale; regenerate with `MEZON_BLESS=1 cargo test -p mezon-c --test header`"
    );
}
