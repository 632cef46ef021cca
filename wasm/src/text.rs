//! Text across the boundary between JS strings and this module's UTF-8.
//!
//! The browser build uses wasm-bindgen's own conversions (no extra code to
//! download). The Node build (feature `node`) uses two faster ways Node
//! offers, measured on the 2016 example records (JSON text in, line out):
//! - in: `TextEncoder.encodeInto` straight into this module's memory (0.1 µs
//!   for a 900-character record; wasm-bindgen copies ASCII one character at
//!   a time in JS, 1.2 µs);
//! - out: the line widened to UTF-16 here and made a string by
//!   `Buffer.toString("utf16le")` (a copy). V8 decodes UTF-8 with any non-ASCII
//!   character (a trace's `≈`) slowly: 3.5 µs for a 3.8 KB line.
//!
//! Together: 14.8 → 12.9 µs per assess (`node wasm/tests/timing.mjs`,
//! median of three alternated runs of each build). In Chromium neither
//! pays: `encodeInto` was slower than wasm-bindgen's copy,
//! `TextDecoder("utf-16le")` slower than its UTF-8 decoding, and `Buffer`
//! is Node's.

#[cfg(feature = "node")]
use js_sys::JsString;
use wasm_bindgen::prelude::*;

/// A line as it is returned to JS.
#[cfg(not(feature = "node"))]
pub(crate) type Line = String;
/// A line as it is returned to JS.
#[cfg(feature = "node")]
pub(crate) type Line = JsString;

/// `v` as UTF-8 when it is a JS string (a lone surrogate would become
/// U+FFFD either way; the caller refuses such text first).
#[cfg(not(feature = "node"))]
pub(crate) fn utf8(v: &JsValue) -> Option<String> {
    v.as_string()
}

/// A line for JS.
#[cfg(not(feature = "node"))]
pub(crate) fn line(s: String) -> Result<Line, JsValue> {
    Ok(s)
}

#[cfg(feature = "node")]
#[wasm_bindgen]
extern "C" {
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &JsString, dest: &mut [u8]) -> EncodeIntoResult;
    type EncodeIntoResult;
    #[wasm_bindgen(method, getter)]
    fn read(this: &EncodeIntoResult) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

#[cfg(feature = "node")]
thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
    /// `(memory, offset, bytes) => string`: UTF-16LE bytes of this module's
    /// memory as a JS string (`Buffer.toString` copies them). One JS call
    /// that reads `memory.buffer` itself: wasm code run between taking the
    /// buffer and reading it (wasm-bindgen's bookkeeping of each returned
    /// JS value) could grow the memory and detach that buffer.
    static FROM_UTF16LE: js_sys::Function =
        js_sys::Function::new_with_args("memory, offset, bytes", "return Buffer.from(memory.buffer, offset, bytes).toString('utf16le')");
    static MEMORY: JsValue = wasm_bindgen::memory();
    /// `(text) => its size in UTF-8 bytes`.
    static BYTE_LENGTH: js_sys::Function = js_sys::Function::new_with_args("text", "return Buffer.byteLength(text, 'utf8')");
    /// UTF-16LE bytes of the last line, kept to be reused.
    static UNITS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

#[cfg(feature = "node")]
pub(crate) fn utf8(v: &JsValue) -> Option<String> {
    let s = v.dyn_ref::<JsString>()?;
    let units = s.length();
    // At most three bytes per UTF-16 unit (a surrogate pair: four for two).
    // Past 64 K units (a long `rank` list) the exact size is asked first:
    // WebAssembly memory never shrinks, so room for three times the text
    // would stay reserved for the life of the module.
    let size = if units <= 1 << 16 {
        units as usize * 3
    } else {
        BYTE_LENGTH.with(|f| f.call1(&JsValue::NULL, s)).ok()?.as_f64()? as usize
    };
    let mut buf = vec![0u8; size];
    let done = ENCODER.with(|e| e.encode_into(s, &mut buf));
    if done.read() != units {
        return None; // the whole text did not fit: not read rather than cut
    }
    buf.truncate(done.written() as usize);
    Some(String::from_utf8(buf).expect("TextEncoder writes UTF-8"))
}

#[cfg(feature = "node")]
pub(crate) fn line(s: String) -> Result<Line, JsValue> {
    // Taken out while JS runs: if it throws, the next call starts afresh.
    let mut out = UNITS.take();
    let n = utf16le(&s, &mut out);
    let (offset, bytes) = (JsValue::from(out.as_ptr() as u32), JsValue::from(n as u32));
    let text = FROM_UTF16LE.with(|f| MEMORY.with(|m| f.call3(&JsValue::NULL, m, &offset, &bytes)));
    // Kept for the next line unless a very long one made it large.
    if out.capacity() <= 1 << 20 {
        UNITS.set(out);
    }
    text.map(JsCast::unchecked_into)
}

/// Writes `s` as UTF-16LE at the start of `out` (grown when short) and
/// returns the number of bytes written. ASCII, most of a line, goes eight
/// bytes at a time.
#[cfg_attr(not(feature = "node"), allow(dead_code))]
fn utf16le(s: &str, out: &mut Vec<u8>) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Four ASCII bytes as four UTF-16LE units.
    fn widen(x: u32) -> [u8; 8] {
        let x = u64::from(x);
        let x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
        ((x | (x << 8)) & 0x00FF_00FF_00FF_00FF).to_le_bytes()
    }
    let b = s.as_bytes();
    // Every UTF-8 sequence of n bytes is at most n UTF-16 bytes, ASCII 2.
    if out.len() < 2 * b.len() {
        out.resize(2 * b.len(), 0);
    }
    let (mut i, mut j) = (0, 0);
    while i < b.len() {
        if let Some(w) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            if x & HIGH == 0 {
                out[j..j + 8].copy_from_slice(&widen(x as u32));
                out[j + 8..j + 16].copy_from_slice(&widen((x >> 32) as u32));
                i += 8;
                j += 16;
                continue;
            }
        }
        let c = s[i..].chars().next().expect("i is on a character");
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            out[j..j + 2].copy_from_slice(&u.to_le_bytes());
            j += 2;
        }
        i += c.len_utf8();
    }
    j
}

#[cfg(test)]
mod tests {
    #[test]
    fn utf16le_is_what_std_encodes() {
        let mut out = Vec::new();
        for s in ["", "a", "plain ascii, longer than eight bytes", "≈ x → y", "12345678≈1234567ж", "😀 past U+FFFF 𝄞", &"é".repeat(40)] {
            for k in 0..9 {
                let s = format!("{}{s}", "q".repeat(k));
                let n = super::utf16le(&s, &mut out);
                let want: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                assert_eq!(&out[..n], &want[..], "{s}");
            }
        }
    }
}
