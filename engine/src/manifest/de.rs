//! `pack.toml` into [`Manifest`] through one small serde deserializer over
//! toml's spanned tree.
//!
//! Why not `toml::from_str`: toml's deserializer hands each struct's visitor
//! several access types (tables, arrays, datetimes), and the derived code is
//! compiled once per type: about 120 KB of the WebAssembly module. Here
//! there is one of each. It follows toml's `ValueDeserializer` step for
//! step, so messages and spans are the same (checked against `toml::from_str`
//! in the tests below).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use toml::de::{DeString, DeTable, DeValue};
use toml::Spanned;

/// What toml's datetime visitors look for as the one key of a datetime.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A deserialization error: message and byte span, as `toml::de::Error`.
#[derive(Debug)]
pub(crate) struct DeError {
    pub(crate) message: String,
    pub(crate) span: Option<Range<usize>>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError { message: msg.to_string(), span: None }
    }
}

fn custom(msg: &str, span: Range<usize>) -> DeError {
    DeError { message: msg.to_owned(), span: Some(span) }
}

/// Gives an error without a span the span of the value being read.
fn at<T>(r: Result<T, DeError>, span: &Range<usize>) -> Result<T, DeError> {
    r.map_err(|mut e| {
        if e.span.is_none() {
            e.span = Some(span.clone());
        }
        e
    })
}

/// Deserializes `T` from a parsed document.
pub(crate) fn from_table<'i, T: de::Deserialize<'i>>(root: Spanned<DeTable<'i>>) -> Result<T, DeError> {
    let span = root.span();
    T::deserialize(Value { value: DeValue::Table(root.into_inner()), span })
}

struct Value<'i> {
    value: DeValue<'i>,
    span: Range<usize>,
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.span.clone();
        let r = match classify(self) {
            Kind::Str(Cow::Owned(v)) => visitor.visit_string(v),
            Kind::Str(Cow::Borrowed(v)) => visitor.visit_str(v),
            Kind::I64(v) => visitor.visit_i64(v),
            Kind::U64(v) => visitor.visit_u64(v),
            Kind::I128(v) => visitor.visit_i128(v),
            Kind::U128(v) => visitor.visit_u128(v),
            Kind::F64(v) => visitor.visit_f64(v),
            Kind::Bool(v) => visitor.visit_bool(v),
            Kind::Map(m) => visitor.visit_map(m),
            Kind::Seq(s) => visitor.visit_seq(s),
            Kind::Err(e) => Err(e),
        };
        at(r, &span)
    }

    // `None` is a missing field; a present one is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.span.clone();
        at(visitor.visit_some(self), &span)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        let span = self.span.clone();
        at(visitor.visit_newtype_struct(self), &span)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], visitor: V) -> Result<V::Value, DeError> {
        let span = self.span;
        let r = match self.value {
            DeValue::String(v) => visitor.visit_enum(Enum { key: v, key_span: None, value: None }),
            DeValue::Table(v) if v.is_empty() => Err(custom("wanted exactly 1 element, found 0 elements", span.clone())),
            DeValue::Table(v) if v.len() != 1 => Err(custom("wanted exactly 1 element, more than 1 element", span.clone())),
            DeValue::Table(v) => {
                let (k, v) = v.into_iter().next().expect("one entry");
                let key_span = k.span();
                let value_span = v.span();
                visitor.visit_enum(Enum { key: k.into_inner(), key_span: Some(key_span), value: Some(Value { value: v.into_inner(), span: value_span }) })
            }
            _ => Err(custom("wanted string or table", span.clone())),
        };
        at(r, &span)
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 i128 u128 f32 f64 char str string seq
        bytes byte_buf map unit struct
        ignored_any unit_struct tuple_struct tuple identifier
    }
}

/// A value as the visitor call it makes; not generic, so compiled once.
enum Kind<'i> {
    Str(DeString<'i>),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    Map(Map<'i>),
    Seq(Seq<'i>),
    Err(DeError),
}

fn classify(v: Value<'_>) -> Kind<'_> {
    match v.value {
        DeValue::String(v) => Kind::Str(v),
        DeValue::Integer(v) => {
            let (s, radix) = (v.as_str(), v.radix());
            if let Ok(v) = i64::from_str_radix(s, radix) {
                Kind::I64(v)
            } else if let Ok(v) = u64::from_str_radix(s, radix) {
                Kind::U64(v)
            } else if let Ok(v) = i128::from_str_radix(s, radix) {
                Kind::I128(v)
            } else if let Ok(v) = u128::from_str_radix(s, radix) {
                Kind::U128(v)
            } else {
                Kind::Err(de::Error::custom("integer number overflowed"))
            }
        }
        DeValue::Float(v) => match v.as_str().parse::<f64>() {
            // An overflow to infinity is an error; `inf` written out is not.
            Ok(f) if !f.is_infinite() || v.as_str().contains("inf") => Kind::F64(f),
            _ => Kind::Err(de::Error::custom("floating-point number overflowed")),
        },
        DeValue::Boolean(v) => Kind::Bool(v),
        // As toml's datetime deserializer: a map of one magic key to the text.
        DeValue::Datetime(d) => {
            let mut t = DeTable::new();
            t.insert(Spanned::new(v.span.clone(), Cow::Borrowed(DATETIME_FIELD)), Spanned::new(v.span, DeValue::String(Cow::Owned(d.to_string()))));
            Kind::Map(Map { iter: t.into_iter(), value: None })
        }
        DeValue::Array(v) => Kind::Seq(Seq { iter: v.into_iter() }),
        DeValue::Table(v) => Kind::Map(Map { iter: v.into_iter(), value: None }),
    }
}

struct Map<'i> {
    iter: toml::map::IntoIter<Spanned<DeString<'i>>, Spanned<DeValue<'i>>>,
    value: Option<Spanned<DeValue<'i>>>,
}

impl<'de> de::MapAccess<'de> for Map<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.iter.next() else { return Ok(None) };
        let key_span = k.span();
        self.value = Some(v);
        at(seed.deserialize(k.into_inner().into_deserializer()).map(Some), &key_span)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().expect("next_value after next_key");
        let span = v.span();
        at(seed.deserialize(Value { value: v.into_inner(), span: span.clone() }), &span)
    }
}

struct Seq<'i> {
    iter: std::vec::IntoIter<Spanned<DeValue<'i>>>,
}

impl<'de> de::SeqAccess<'de> for Seq<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.iter.next() {
            Some(v) => {
                let span = v.span();
                seed.deserialize(Value { value: v.into_inner(), span }).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// An enum given as a string (`value` is `None`) or as a one-entry table.
struct Enum<'i> {
    key: DeString<'i>,
    key_span: Option<Range<usize>>,
    value: Option<Value<'i>>,
}

impl<'de> de::EnumAccess<'de> for Enum<'de> {
    type Error = DeError;
    type Variant = Unit<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), DeError> {
        let r = seed.deserialize(self.key.into_deserializer());
        let r = match &self.key_span {
            Some(s) => at(r, s),
            None => r,
        };
        Ok((r?, Unit(self.value)))
    }
}

/// The variant's value: none for a string, the table entry's value otherwise.
struct Unit<'i>(Option<Value<'i>>);

impl<'de> de::VariantAccess<'de> for Unit<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        let Some(v) = self.0 else { return Ok(()) };
        match v.value {
            DeValue::Array(a) if a.is_empty() => Ok(()),
            DeValue::Array(_) => Err(custom("expected empty array", v.span)),
            DeValue::Table(t) if t.is_empty() => Ok(()),
            DeValue::Table(_) => Err(custom("expected empty table", v.span)),
            e => Err(custom(&format!("expected table, found {}", e.type_str()), v.span)),
        }
    }

    // The manifest's one enum (`FieldType`) has unit variants only.
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, DeError> {
        Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"newtype variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"struct variant"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    type Outcome = Result<String, (String, Option<Range<usize>>)>;

    fn ours(text: &str) -> Outcome {
        let root = DeTable::parse(text).map_err(|e| (e.message().to_owned(), e.span()))?;
        from_table::<Manifest>(root).map(|m| format!("{m:?}")).map_err(|e| (e.message, e.span))
    }

    fn toml_crate(text: &str) -> Outcome {
        toml::from_str::<Manifest>(text).map(|m| format!("{m:?}")).map_err(|e| (e.message().to_owned(), e.span()))
    }

    /// Variants of the real manifest: each line dropped; each key's value
    /// swapped for other types, datetimes, enum tables; unknown keys.
    #[test]
    fn messages_and_spans_are_those_of_toml_from_str() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/uz-egov-quality/2016.1/pack.toml");
        let base = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = base.lines().collect();
        let mut variants = vec![base.clone()];
        let swaps = ["1", "-1", "5000000000", "99999999999999999999", "1.5", "1e400", "nan", "true", "\"x\"", "\"int\"", "[]", "[1, \"a\"]", "{}", "{ int = {} }", "{ int = [1] }", "{ int = 1 }", "{ a = 1, b = 2 }", "{ zz = 1 }", "2016-01-01", "2016-01-01T00:00:00Z", "12:00:00"];
        let (mut header, mut seen) = ("", std::collections::BTreeSet::new());
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with('[') {
                header = line;
            }
            // Each line once per kind of table: the manifest repeats them.
            if !seen.insert((header, line.split_once(" = ").map_or(*line, |(k, _)| k))) {
                continue;
            }
            let mut dropped = lines.clone();
            dropped.remove(i);
            variants.push(dropped.join("\n"));
            if let Some((k, _)) = line.split_once(" = ") {
                for s in swaps {
                    let mut v = lines.clone();
                    let new = format!("{k} = {s}");
                    v[i] = &new;
                    variants.push(v.join("\n"));
                }
                let mut v = lines.clone();
                let extra = format!("{line}\nunknown_key = 1");
                v[i] = &extra;
                variants.push(v.join("\n"));
            }
        }
        variants.push("x = ".into());
        variants.push(String::new());
        let mut failures = 0;
        for v in &variants {
            let (a, b) = (ours(v), toml_crate(v));
            if a != b {
                failures += 1;
                eprintln!("differs:\n{v}\nours: {a:?}\ntoml: {b:?}\n");
            }
        }
        assert!(variants.len() > 1000, "{}", variants.len());
        assert_eq!(failures, 0, "of {} variants", variants.len());
    }
}
