//! Text across the boundary between JS strings and this module's UTF-8.
//!
//! The browser builds (pkg/web, pkg/web-fast) use wasm-bindgen's own
//! conversions (in Chromium the Node ways do not pay, below). The Node
//! build (feature `node`) uses two faster ways Node offers, measured on the
//! 2016 example records (JSON text in, line out):
//! - in: `TextEncoder.encodeInto` straight into this module's memory (0.1 µs
//!   for a 900-character record; wasm-bindgen copies ASCII one character at
//!   a time in JS, 1.2 µs);
//! - out: the line widened to UTF-16 here (SIMD, 0.4 µs for a 3.8 KB line)
//!   and made a string by `Buffer.toString("utf16le")` (a copy). V8 decodes UTF-8
//!   with any non-ASCII character (a trace's `≈`) slowly: 3.5 µs for the
//!   same line.
//!
//! Both are reached through one JS object made once (`LINES`), whose
//! methods take the numbers as they are. In Chromium neither pays:
//! `encodeInto` was slower than wasm-bindgen's copy, `TextDecoder("utf-16le")`
//! slower than its UTF-8 decoding, and `Buffer` is Node's.

#[cfg(feature = "node")]
use js_sys::JsString;
use wasm_bindgen::prelude::*;

/// A line as it is returned to JS.
#[cfg(not(feature = "node"))]
pub(crate) type Line = String;
/// A line as it is returned to JS.
#[cfg(feature = "node")]
pub(crate) type Line = JsString;

/// A JS argument that may be text.
pub(crate) enum Arg {
    /// Not a string.
    Other,
    /// A string with a lone surrogate, which UTF-8 cannot hold.
    IllFormed,
    /// A string, as UTF-8.
    Text(String),
}

/// `v` as UTF-8 text, if it is a string.
#[cfg(not(feature = "node"))]
pub(crate) fn string(v: &JsValue) -> Arg {
    if ill_formed(v) {
        return Arg::IllFormed;
    }
    v.as_string().map_or(Arg::Other, Arg::Text)
}

#[wasm_bindgen]
extern "C" {
    /// A JS string, for the method below.
    type WellFormed;
    /// `String.prototype.isWellFormed`: no lone surrogate (one native call).
    #[wasm_bindgen(method, js_name = isWellFormed)]
    fn is_well_formed(this: &WellFormed) -> bool;
}

/// Whether `v` is a string holding a lone surrogate.
pub(crate) fn ill_formed(v: &JsValue) -> bool {
    v.is_string() && !v.unchecked_ref::<WellFormed>().is_well_formed()
}

/// A line for JS.
#[cfg(not(feature = "node"))]
pub(crate) fn line(s: String) -> Result<Line, JsValue> {
    Ok(s)
}

#[cfg(feature = "node")]
#[wasm_bindgen]
extern "C" {
    /// See `LINES`.
    type Lines;
    #[wasm_bindgen(method)]
    fn utf16le(this: &Lines, offset: u32, bytes: u32) -> JsString;
    #[wasm_bindgen(method)]
    fn encode(this: &Lines, text: &JsValue, at: u32, room: u32) -> i32;
}

#[cfg(feature = "node")]
thread_local! {
    /// Text between JS and this module's memory, through a Buffer over the
    /// memory that is made again only when the memory has grown (growing
    /// detaches the old one). Called with the numbers as they are (a
    /// `js_sys::Function` call would box each one first):
    /// - `utf16le(offset, bytes)`: UTF-16LE bytes as a JS string
    ///   (`Buffer.toString` copies them);
    /// - `encode(text, at, room)`: -1 when `text` is not a string, -2 when
    ///   it has a lone surrogate, else its UTF-8 written at `at` and its
    ///   size in bytes, or -3 - that size when `room` is too small.
    static LINES: Lines = js_sys::Function::new_with_args(
        "memory",
        "let buf;
        const view = () => {
          if (buf === undefined || buf.buffer !== memory.buffer) buf = Buffer.from(memory.buffer);
          return buf;
        };
        const encoder = new TextEncoder();
        return {
          utf16le: (offset, bytes) => view().toString('utf16le', offset, offset + bytes),
          encode(text, at, room) {
            if (typeof text !== 'string') return -1;
            if (!text.isWellFormed()) return -2;
            const r = encoder.encodeInto(text, view().subarray(at, at + room));
            return r.read === text.length ? r.written : -3 - Buffer.byteLength(text, 'utf8');
          },
        };",
    )
    .call1(&JsValue::NULL, &wasm_bindgen::memory())
    .expect("an object")
    .unchecked_into();
    /// Room for the UTF-8 of the last string argument, kept to be reused.
    static ROOM: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    /// UTF-16LE bytes of the last line, kept to be reused.
    static UNITS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// `v` as UTF-8 text, if it is a string: one call into JS, which checks
/// it and encodes it into this module's memory (`TextEncoder.encodeInto`;
/// wasm-bindgen copies ASCII one character at a time in JS, 1.2 µs for a
/// 900-character record, this 0.1 µs), in room kept from call to call.
#[cfg(feature = "node")]
pub(crate) fn string(v: &JsValue) -> Arg {
    // Taken out while JS runs: if it throws, the next call starts afresh.
    let mut room = ROOM.take();
    let arg = loop {
        if room.len() < 1 << 12 {
            room.resize(1 << 12, 0);
        }
        match LINES.with(|l| l.encode(v, room.as_ptr() as u32, room.len() as u32)) {
            -1 => break Arg::Other,
            -2 => break Arg::IllFormed,
            n if n >= 0 => break Arg::Text(String::from_utf8(room[..n as usize].to_vec()).expect("TextEncoder writes UTF-8")),
            // It did not fit: -3 - the bytes it takes.
            n => room.resize((-3 - n) as usize, 0),
        }
    };
    // Kept for the next call unless a very long text (a `rank` list) made it large:
    // WebAssembly memory never shrinks.
    if room.len() <= 1 << 20 {
        ROOM.set(room);
    }
    arg
}

#[cfg(feature = "node")]
pub(crate) fn line(s: String) -> Result<Line, JsValue> {
    // Taken out while JS runs: if it throws, the next call starts afresh.
    let mut out = UNITS.take();
    let n = utf16le(&s, &mut out);
    let text = LINES.with(|l| l.utf16le(out.as_ptr() as u32, n as u32));
    // Kept for the next line unless a very long one made it large.
    if out.capacity() <= 1 << 20 {
        UNITS.set(out);
    }
    Ok(text)
}

/// Writes `s` as UTF-16LE at the start of `out` (grown when short) and
/// returns the number of bytes written. ASCII, most of a line, goes
/// sixteen bytes at a time.
#[cfg_attr(not(feature = "node"), allow(dead_code))]
fn utf16le(s: &str, out: &mut Vec<u8>) -> usize {
    let b = s.as_bytes();
    // Every UTF-8 sequence of n bytes is at most n UTF-16 bytes, ASCII 2.
    if out.len() < 2 * b.len() {
        out.resize(2 * b.len(), 0);
    }
    let (mut i, mut j) = (0, 0);
    while i < b.len() {
        // The ASCII run from `i` (most of a line), sixteen bytes at a time.
        let run = ascii_len(&b[i..]);
        let (src, dst) = (&b[i..i + run], &mut out[j..j + 2 * run]);
        let mut blocks = src.chunks_exact(16);
        let mut slots = dst.chunks_exact_mut(32);
        for (src, dst) in blocks.by_ref().zip(slots.by_ref()) {
            widen(word(&src[..8]), word(&src[8..]), dst);
        }
        for (d, &c) in slots.into_remainder().chunks_exact_mut(2).zip(blocks.remainder()) {
            d[0] = c;
            d[1] = 0;
        }
        i += run;
        j += 2 * run;
        // Then one character that is not.
        if let Some(c) = s[i..].chars().next() {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out[j..j + 2].copy_from_slice(&u.to_le_bytes());
                j += 2;
            }
            i += c.len_utf8();
        }
    }
    j
}

/// Eight bytes as a little-endian word.
fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

/// How many bytes `b` starts with that are ASCII.
fn ascii_len(b: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut blocks = b.chunks_exact(16);
    let mut n = 0;
    for w in blocks.by_ref() {
        let (lo, hi) = (word(&w[..8]) & HIGH, word(&w[8..]) & HIGH);
        if lo | hi != 0 {
            return n + if lo != 0 { lo.trailing_zeros() } else { 64 + hi.trailing_zeros() } as usize / 8;
        }
        n += 16;
    }
    n + blocks.remainder().iter().take_while(|c| c.is_ascii()).count()
}

/// Sixteen ASCII bytes (`lo`, then `hi`, little-endian) as sixteen UTF-16LE
/// units in `dst`: two SIMD widenings where the module is built with
/// simd128 (the Node build: a 3.8 KB line in 0.4 µs with the ASCII scan,
/// where the word-wise way below took 1.5 µs).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn widen(lo: u64, hi: u64, dst: &mut [u8]) {
    use core::arch::wasm32::{u16x8_extend_high_u8x16, u16x8_extend_low_u8x16, u64x2, u64x2_extract_lane};
    let v = u64x2(lo, hi);
    for (k, w) in [u16x8_extend_low_u8x16(v), u16x8_extend_high_u8x16(v)].into_iter().enumerate() {
        dst[16 * k..16 * k + 8].copy_from_slice(&u64x2_extract_lane::<0>(w).to_le_bytes());
        dst[16 * k + 8..16 * k + 16].copy_from_slice(&u64x2_extract_lane::<1>(w).to_le_bytes());
    }
}

/// Sixteen ASCII bytes as UTF-16LE units, four at a time in a word.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn widen(lo: u64, hi: u64, dst: &mut [u8]) {
    for (k, x) in [lo, lo >> 32, hi, hi >> 32].into_iter().enumerate() {
        let x = x & 0xFFFF_FFFF;
        let x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
        dst[8 * k..8 * k + 8].copy_from_slice(&((x | (x << 8)) & 0x00FF_00FF_00FF_00FF).to_le_bytes());
    }
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
