//! The pieces of JSON text the result writer puts together, each byte for
//! byte as `serde_json` writes the same value compactly (the tests compare
//! the writer with `serde_json` on every golden case and example record).

use serde_json::Value;

/// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`,
/// ... or `\u00XX` (lowercase hex), everything else (non-ASCII included)
/// as it is.
pub(crate) fn str(out: &mut String, s: &str) {
    out.push('"');
    escaped(out, s);
    out.push('"');
}

/// The inside of a JSON string: `s` escaped, without the quotes.
pub(crate) fn escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (most text).
        if let Some(w) = bytes.get(i..i + 8) {
            if !needs_escape(u64::from_le_bytes(w.try_into().expect("8 bytes"))) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\t' => b't',
            b'\r' => b'r',
            0x08 => b'b',
            0x0c => b'f',
            0..=0x1f => 0,
            _ => {
                i += 1;
                continue;
            }
        };
        // Escaped bytes are ASCII, so `start` and `i` are on characters.
        out.push_str(&s[start..i]);
        if short == 0 {
            unicode_escape(out, u16::from(b));
        } else {
            out.push('\\');
            out.push(char::from(short));
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
}

/// `\uXXXX` (lowercase hex, as serde_json writes it).
fn unicode_escape(out: &mut String, u: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((u >> shift) & 0xf)]));
    }
}

/// The inside of a JSON string for `s`, for text escaped once per pack.
pub(crate) fn escaped_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escaped(&mut out, s);
    out
}

/// Whether any of the eight bytes of `w` is a control character, `"` or
/// `\` (exact: the "has a byte less than n" test of bit-twiddling lore).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    (below(w, 0x20) | below(w ^ (ONES * u64::from(b'"')), 1) | below(w ^ (ONES * u64::from(b'\\')), 1)) != 0
}

/// `text` (JSON) with every non-ASCII character written as a `\uXXXX`
/// escape (two for characters past U+FFFF): the same JSON value, all in
/// ASCII. For bindings whose host decodes ASCII much faster than other
/// UTF-8 (a JS engine turning the bytes into a string); canonical lines stay
/// as [`str`] writes them. Outside strings JSON text is ASCII, so only
/// string contents change.
pub(crate) fn ascii(text: String) -> String {
    let first = ascii_prefix(text.as_bytes());
    if first == text.len() {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..first]);
    let mut rest = &text[first..];
    while let Some(c) = rest.chars().next() {
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            unicode_escape(&mut out, *u);
        }
        rest = &rest[c.len_utf8()..];
        let run = ascii_prefix(rest.as_bytes());
        out.push_str(&rest[..run]);
        rest = &rest[run..];
    }
    out
}

/// The length of the ASCII bytes `bytes` starts with, tested eight at a
/// time.
fn ascii_prefix(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(w) = bytes.get(i..i + 8) {
        let high = u64::from_le_bytes(w.try_into().expect("8 bytes")) & HIGH;
        if high != 0 {
            return i + (high.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..].iter().take_while(|b| b.is_ascii()).count()
}

/// `null` or the string.
pub(crate) fn opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => str(out, s),
        None => out.push_str("null"),
    }
}

pub(crate) fn int(out: &mut String, i: i64) {
    crate::num::push_int(out, i);
}

pub(crate) fn bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// Any JSON value (numbers, given record fields, error entries), by
/// `serde_json` itself.
pub(crate) fn value(out: &mut String, v: &Value) {
    serde_json::to_writer(Text(out), v).expect("writing JSON to memory");
}

/// `serde_json`'s output straight into a `String`: it writes whole
/// characters at a time (escapes are ASCII), so each piece is UTF-8.
struct Text<'a>(&'a mut String);

impl std::io::Write for Text<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push_str(std::str::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = (0u8..=0x7f).map(|b| format!("ab{}cdefghij", b as char)).collect();
        texts.extend(["", "\"", "\\", "plain ascii text, long enough", "ёжик → «да» \u{2028} \u{7f}", "1234567\"", "12345678\n", "\u{1}\u{1f}x"].map(String::from));
        // Every position of an escaped byte inside and across 8-byte words.
        for k in 0..20 {
            texts.push(format!("{}\"{}", "x".repeat(k), "y".repeat(20 - k)));
            texts.push(format!("{}\u{0}é{}", "é".repeat(k), "z".repeat(k)));
        }
        for t in texts {
            let mut out = String::new();
            super::str(&mut out, &t);
            assert_eq!(out, serde_json::to_string(&t).unwrap(), "{t:?}");
        }
    }

    #[test]
    fn ascii_form_is_the_same_json_value() {
        let texts = ["", "plain", "ёжик → «да» \u{2028} \u{7f}", "≈ at the end ≈", "𝔘 past U+FFFF 😀", "x\"y\\z\n", "12345678é1234567"];
        for t in texts {
            for k in 0..10 {
                let v = serde_json::json!({ "k": format!("{}{t}", "a".repeat(k)), "ключ": [t, 1.5, null] });
                let line = crate::to_json_line(&v);
                let ascii = super::ascii(line.clone());
                assert!(ascii.is_ascii(), "{ascii}");
                assert_eq!(serde_json::from_str::<serde_json::Value>(&ascii).unwrap(), v, "{ascii}");
                if line.is_ascii() {
                    assert_eq!(ascii, line);
                }
            }
        }
        assert_eq!(super::ascii("\"a≈😀\"".to_owned()), "\"a\\u2248\\ud83d\\ude00\"");
    }

    #[test]
    fn the_byte_test_finds_exactly_the_escaped_bytes() {
        for b in 0u8..=255 {
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = b;
                let expect = b < 0x20 || b == b'"' || b == b'\\';
                assert_eq!(super::needs_escape(u64::from_le_bytes(w)), expect, "byte {b:#x} at {pos}");
            }
        }
    }
}
