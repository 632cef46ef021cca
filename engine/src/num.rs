//! Exact rational numbers for everything that becomes a published figure.
//!
//! Binary floats and fixed-precision decimals both round inside formulas, so a
//! published score could differ from what anyone recomputes by hand. A `Num`
//! is an exact fraction: a reduced `i64` pair on the fast path (operations
//! work in `i128`, where no product of two `i64` overflows), promoted to a
//! big rational only when a result does not fit, so no value is ever
//! silently wrong.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

/// An exact rational number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Num(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// Reduced, denominator > 0. Machine words, also in WebAssembly, where
    /// 128-bit division is a slow library call.
    Small(i64, i64),
    /// Only for values that do not fit `Small`.
    Big(Box<BigRational>),
}

/// Binary gcd: shifts and subtractions, no division.
fn gcd64(mut a: u64, mut b: u64) -> u64 {
    if a == 0 || b == 0 {
        return a | b;
    }
    // Integers (denominator 1) are the common case, and the loop below
    // takes a step per bit to find that gcd(x, 1) = 1.
    if a == 1 || b == 1 {
        return 1;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

fn gcd128(a: u128, b: u128) -> u128 {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(x), Ok(y)) => u128::from(gcd64(x, y)),
        _ => {
            let (mut x, mut y) = (a, b);
            while y != 0 {
                (x, y) = (y, x % y);
            }
            x
        }
    }
}

impl Num {
    /// Zero.
    pub const ZERO: Num = Num(Repr::Small(0, 1));

    /// The integer `n`.
    pub fn int(n: i64) -> Num {
        Num(Repr::Small(n, 1))
    }

    /// `n / d`, reduced. Returns `None` when `d` is zero.
    pub fn ratio(n: i64, d: i64) -> Option<Num> {
        if d == 0 {
            return None;
        }
        // g ≥ 1; it is 2^63 only when both are i64::MIN.
        if let Ok(g) = i64::try_from(gcd64(n.unsigned_abs(), d.unsigned_abs())) {
            let (n, d) = (n / g, d / g);
            if d > 0 {
                return Some(Num(Repr::Small(n, d)));
            }
            if let (Some(n), Some(d)) = (n.checked_neg(), d.checked_neg()) {
                return Some(Num(Repr::Small(n, d)));
            }
        }
        Some(Self::from_big(BigRational::new(n.into(), d.into())))
    }

    /// `n / d` from 128-bit parts, reduced; big only when it does not fit.
    fn small(n: i128, d: i128) -> Option<Num> {
        if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) {
            return Self::ratio(n, d); // machine words: no 128-bit division
        }
        if d == 0 {
            return None;
        }
        let g = gcd128(n.unsigned_abs(), d.unsigned_abs());
        // g ≤ |d| ≤ 2^127; only gcd of i128::MIN and itself is 2^127.
        let Ok(g) = i128::try_from(g) else {
            return Some(Self::from_big(BigRational::new(n.into(), d.into())));
        };
        let (n, d) = (n / g, d / g);
        let (n, d) = if d < 0 {
            match (n.checked_neg(), d.checked_neg()) {
                (Some(n), Some(d)) => (n, d),
                _ => return Some(Self::from_big(BigRational::new(n.into(), d.into()))),
            }
        } else {
            (n, d)
        };
        Some(match (i64::try_from(n), i64::try_from(d)) {
            (Ok(n), Ok(d)) => Num(Repr::Small(n, d)),
            _ => Num(Repr::Big(Box::new(BigRational::new_raw(n.into(), d.into())))),
        })
    }

    fn from_big(r: BigRational) -> Num {
        match (r.numer().to_i64(), r.denom().to_i64()) {
            (Some(n), Some(d)) => Num(Repr::Small(n, d)),
            _ => Num(Repr::Big(Box::new(r))),
        }
    }

    /// Bits of the larger of numerator and denominator (at most 64 for a
    /// machine-word number): what the sandbox's size limit measures.
    pub(crate) fn bits(&self) -> u64 {
        match &self.0 {
            Repr::Small(..) => 64,
            Repr::Big(b) => b.numer().bits().max(b.denom().bits()),
        }
    }

    fn to_big(&self) -> BigRational {
        match &self.0 {
            Repr::Small(n, d) => BigRational::new_raw(BigInt::from(*n), BigInt::from(*d)),
            Repr::Big(b) => (**b).clone(),
        }
    }

    /// Parses a decimal (`-12.375`), an integer or a fraction (`491/24`), exactly.
    pub fn parse(text: &str) -> Option<Num> {
        let t = text.trim();
        match Self::parse_short(t.as_bytes()) {
            Some(n) => n,
            None => Self::parse_any(t),
        }
    }

    /// [`Num::parse`] of a decimal of up to 18 digits (most record values),
    /// in one pass over the bytes; `None` for other text, which
    /// `parse_any` reads. Same result as `parse_any`.
    #[inline]
    fn parse_short(t: &[u8]) -> Option<Option<Num>> {
        let digits = match t.first() {
            Some(b'-' | b'+') => &t[1..],
            _ => t,
        };
        if digits.len() > 18 || digits.contains(&b'/') {
            return None;
        }
        let (mut m, mut scale, mut dot, mut any) = (0i64, 1i64, false, false);
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    // At most 18 digits: m and scale stay below 10^18.
                    m = m * 10 + i64::from(b - b'0');
                    any = true;
                    if dot {
                        scale *= 10;
                    }
                }
                b'.' if !dot => dot = true,
                _ => return Some(None),
            }
        }
        if !any {
            return Some(None);
        }
        Some(Self::ratio(if t[0] == b'-' { -m } else { m }, scale))
    }

    /// [`Num::parse`] of any text (trimmed): fractions, long decimals.
    fn parse_any(t: &str) -> Option<Num> {
        if let Some((n, d)) = t.split_once('/') {
            let n: BigInt = n.trim().parse().ok()?;
            let d: BigInt = d.trim().parse().ok()?;
            if d.is_zero() {
                return None;
            }
            return Some(Self::from_big(BigRational::new(n, d)));
        }
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = int_frac(digits)?;
        // Fast path: up to 36 digits fit an i128 without big integers.
        if int.len() + frac.len() <= 18 {
            // Up to 18 digits in a machine word (an i128 step is a
            // library call in WebAssembly).
            let mut m: i64 = 0;
            for b in int.bytes().chain(frac.bytes()) {
                m = m * 10 + i64::from(b - b'0');
            }
            return Self::ratio(if neg { -m } else { m }, 10i64.pow(frac.len() as u32));
        }
        if int.len() + frac.len() <= 36 {
            let mut m: i128 = 0;
            for b in int.bytes().chain(frac.bytes()) {
                m = m * 10 + i128::from(b - b'0');
            }
            let scale = pow10(frac.len() as u32).expect("at most 36 digits");
            return Self::small(if neg { -m } else { m }, scale);
        }
        let mantissa: BigInt = format!("{int}{frac}").parse().ok()?;
        let scale = BigInt::from(10u8).pow(frac.len() as u32);
        let v = BigRational::new(if neg { -mantissa } else { mantissa }, scale);
        Some(Self::from_big(v))
    }

    /// The exact value of an `f64` as its shortest decimal text denotes it
    /// (`99.2` is 992/10, not the binary float nearest to it). JSON inputs
    /// arrive as floats; this reads them as the decimal the user wrote.
    pub fn from_f64_text(x: f64) -> Option<Num> {
        if !x.is_finite() {
            return None;
        }
        // `{}` prints the shortest text that reads back as the same float;
        // written on the stack (it is once per number of a JSON record).
        struct Buf {
            bytes: [u8; 64],
            len: usize,
        }
        impl fmt::Write for Buf {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let end = self.len + s.len();
                self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
                self.len = end;
                Ok(())
            }
        }
        let mut t = Buf { bytes: [0; 64], len: 0 };
        if fmt::Write::write_fmt(&mut t, format_args!("{x}")).is_ok() {
            return Self::parse(std::str::from_utf8(&t.bytes[..t.len]).ok()?);
        }
        Self::parse(&format!("{x}")) // past 64 characters (1e64 and up)
    }

    /// True when held as a machine-size fraction (no big integers).
    #[inline]
    pub fn is_small(&self) -> bool {
        matches!(self.0, Repr::Small(..))
    }

    /// Numerator and (positive) denominator, when both are machine words.
    #[inline]
    pub(crate) fn as_small(&self) -> Option<(i64, i64)> {
        match self.0 {
            Repr::Small(n, d) => Some((n, d)),
            Repr::Big(_) => None,
        }
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        matches!(self.0, Repr::Small(0, _))
    }

    /// True when the value is an integer.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Small(_, d) => *d == 1,
            Repr::Big(b) => b.is_integer(),
        }
    }

    /// The value as `i64` when it is an integer that fits.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Small(n, 1) => Some(*n),
            Repr::Small(..) => None,
            Repr::Big(b) if b.is_integer() => b.numer().to_i64(),
            Repr::Big(_) => None,
        }
    }

    /// Sign: -1, 0 or 1.
    pub fn signum(&self) -> i32 {
        match &self.0 {
            Repr::Small(n, _) => n.signum() as i32,
            Repr::Big(b) => {
                if b.is_negative() {
                    -1
                } else if b.is_zero() {
                    0
                } else {
                    1
                }
            }
        }
    }

    /// Exact sum.
    pub fn add(&self, o: &Num) -> Num {
        if let (&Repr::Small(a, b), &Repr::Small(c, d)) = (&self.0, &o.0) {
            // A fraction plus an integer stays reduced: gcd(a + c·b, b) = gcd(a, b).
            if d == 1 || b == 1 {
                let (f, i) = if d == 1 { (&self.0, c) } else { (&o.0, a) };
                let Repr::Small(n, den) = *f else { unreachable!() };
                let sum = i128::from(n) + wide_mul(i, den);
                if let Ok(sum) = i64::try_from(sum) {
                    return Num(Repr::Small(sum, den));
                }
            }
            if b == d {
                return Self::small(i128::from(a) + i128::from(c), i128::from(b)).expect("non-zero denominator");
            }
            // a/b + c/d over lcm(b, d); every term below 2^126, no overflow.
            // Denominators are positive, so the gcd and quotients stay i64.
            let g = gcd64(b as u64, d as u64) as i64;
            let (bg, dg) = (b / g, d / g);
            let n = wide_mul(a, dg) + wide_mul(c, bg);
            return Self::small(n, wide_mul(b, dg)).expect("non-zero denominator");
        }
        if let Some(r) = big_small(&self.0, &o.0, add_big_small) {
            return r;
        }
        Self::from_big(self.to_big() + o.to_big())
    }

    /// Exact difference.
    pub fn sub(&self, o: &Num) -> Num {
        self.add(&o.neg())
    }

    /// Exact negation.
    pub fn neg(&self) -> Num {
        match &self.0 {
            Repr::Small(n, d) => match n.checked_neg() {
                Some(n) => Num(Repr::Small(n, *d)),
                None => Self::from_big(-self.to_big()),
            },
            Repr::Big(b) => Self::from_big(-(**b).clone()),
        }
    }

    /// Exact product.
    pub fn mul(&self, o: &Num) -> Num {
        if let (Repr::Small(a, 1), Repr::Small(c, 1)) = (&self.0, &o.0) {
            if let Some(n) = checked_mul(*a, *c) {
                return Num::int(n);
            }
        }
        // k · (c/d) = (k/g · c) / (d/g) with g = gcd(k, d), already reduced
        // because gcd(c, d) = 1: one gcd instead of two, as in `div`.
        if let (&Repr::Small(k, 1), &Repr::Small(c, d)) | (&Repr::Small(c, d), &Repr::Small(k, 1)) = (&self.0, &o.0) {
            // d > 0, so g ≤ d fits a machine word, and k / g cannot overflow.
            let g = gcd64(k.unsigned_abs(), d.unsigned_abs()) as i64;
            if let Some(n) = checked_mul(k / g, c) {
                return Num(Repr::Small(n, d / g));
            }
        }
        if let (Repr::Small(a, b), Repr::Small(c, d)) = (&self.0, &o.0) {
            // Cross-reduce first so the product comes out reduced.
            // Each gcd divides a machine word it is taken of, and is below
            // 2^63 unless that word is i64::MIN: then keep to 128 bits.
            let g1 = i128::from(gcd64(a.unsigned_abs(), d.unsigned_abs()).max(1));
            let g2 = i128::from(gcd64(c.unsigned_abs(), b.unsigned_abs()).max(1));
            let q = |x: &i64, g: i128| match (i64::try_from(g), x) {
                (Ok(g), _) if *x != i64::MIN => i128::from(x / g),
                _ => i128::from(*x) / g,
            };
            let n = mul_128(q(a, g1), q(c, g2));
            if n == 0 {
                return Num::ZERO; // one zero, whatever the denominators
            }
            let den = mul_128(q(b, g2), q(d, g1));
            return match (i64::try_from(n), i64::try_from(den)) {
                (Ok(n), Ok(den)) => Num(Repr::Small(n, den)),
                _ => Num(Repr::Big(Box::new(BigRational::new_raw(n.into(), den.into())))),
            };
        }
        if let Some(r) = big_small(&self.0, &o.0, mul_big_small) {
            return r;
        }
        Self::from_big(self.to_big() * o.to_big())
    }

    /// Exact quotient; `None` when dividing by zero.
    pub fn div(&self, o: &Num) -> Option<Num> {
        if o.is_zero() {
            return None;
        }
        if let (&Repr::Small(a, b), &Repr::Small(k, 1)) = (&self.0, &o.0) {
            // (a/b) / k = (a/g) / (b·k/g) with g = gcd(a, k), already
            // reduced because gcd(a, b) = 1: one gcd instead of three.
            if a == 0 {
                return Some(Num::ZERO);
            }
            let g = gcd64(a.unsigned_abs(), k.unsigned_abs());
            if let (Ok(g), true) = (i64::try_from(g), a != i64::MIN && k != i64::MIN) {
                let (n, k) = (a / g, k / g);
                let (n, k) = if k < 0 { (-n, -k) } else { (n, k) };
                if let Some(den) = checked_mul(b, k) {
                    return Some(Num(Repr::Small(n, den)));
                }
            }
        }
        Some(self.mul(&o.recip()))
    }

    fn recip(&self) -> Num {
        match &self.0 {
            Repr::Small(n, d) => Self::small(i128::from(*d), i128::from(*n)).expect("non-zero"),
            Repr::Big(b) => Self::from_big(b.recip()),
        }
    }

    /// The smaller of two values.
    pub fn min(self, o: Num) -> Num {
        if o < self {
            o
        } else {
            self
        }
    }

    /// The larger of two values.
    pub fn max(self, o: Num) -> Num {
        if o > self {
            o
        } else {
            self
        }
    }

    /// Rounds half away from zero to `places` decimals and returns the
    /// decimal text with exactly `places` digits after the point (none when
    /// `places` is 0). This is the one rounding of published figures.
    pub fn round_text(&self, places: u32) -> String {
        if let Repr::Small(n, d) = self.0 {
            if let Some(q) = pow10(places).and_then(|p| round_scaled(i128::from(n), i128::from(d), p)) {
                return decimal_text(q < 0, q.unsigned_abs().to_string(), places);
            }
        }
        let r = self.to_big();
        let scale = BigInt::from(10u8).pow(places);
        let scaled = r.numer() * &scale;
        let (q, rem) = scaled.div_rem(r.denom());
        // Half away from zero: |2·rem| ≥ den moves the magnitude up.
        let twice = rem.abs() * 2u8;
        let q = if twice >= *r.denom() {
            if r.is_negative() {
                q - 1u8
            } else {
                q + 1u8
            }
        } else {
            q
        };
        decimal_text(q.is_negative(), q.abs().to_string(), places)
    }

    /// Rounds half away from zero to `places` decimals, then drops trailing
    /// zeros (`24.9750000000` → `24.975`, `16.00` → `16`).
    pub fn round_trimmed(&self, places: u32) -> String {
        let s = self.round_text(places);
        if s.contains('.') {
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".into()
            } else {
                s.into()
            }
        } else {
            s
        }
    }

    /// Rounded to `places` decimals, as an exact `Num`.
    pub fn rounded(&self, places: u32) -> Num {
        Num::parse(&self.round_text(places)).expect("decimal text parses")
    }

    /// The exact value as a reduced fraction `p/q`, or `p` for integers.
    pub fn fraction_text(&self) -> String {
        match &self.0 {
            Repr::Small(n, 1) => n.to_string(),
            Repr::Small(n, d) => format!("{n}/{d}"),
            Repr::Big(b) if b.is_integer() => b.numer().to_string(),
            Repr::Big(b) => format!("{}/{}", b.numer(), b.denom()),
        }
    }

    /// Exact decimal text when the value has a finite decimal expansion of at
    /// most `max_places` digits, else `None`.
    pub fn exact_decimal(&self, max_places: u32) -> Option<String> {
        if let Repr::Small(_, d) = self.0 {
            // Finite in base 10 within `max_places` digits iff the
            // denominator is 2^a·5^b with a, b ≤ max_places.
            let (mut d, mut a, mut b) = (d, 0, 0);
            while d % 2 == 0 {
                d /= 2;
                a += 1;
            }
            while d % 5 == 0 {
                d /= 5;
                b += 1;
            }
            return (d == 1 && a <= max_places && b <= max_places).then(|| self.round_trimmed(a.max(b)));
        }
        let s = self.round_trimmed(max_places);
        (Num::parse(&s).as_ref() == Some(self)).then_some(s)
    }

    /// A JSON number for this value rounded half away from zero to `places`
    /// decimals, trailing zeros dropped. Integers become JSON integers; other
    /// values go through `f64`, whose shortest text reproduces any decimal of
    /// up to 15 significant digits, so the written text equals the rounded
    /// decimal on every platform.
    pub fn to_json(&self, places: u32) -> serde_json::Value {
        // Machine-size values skip the text: the rounded value is q/10^p,
        // and for q below 2^53 and p ≤ 22 both are exact doubles, so their
        // (correctly rounded) quotient is the double the text parses to.
        if let (Repr::Small(n, d), true) = (&self.0, places <= 22) {
            let scale = pow10(places).expect("places ≤ 22");
            if let Some(q) = round_scaled(i128::from(*n), i128::from(*d), scale) {
                // Machine words when they hold both (as in `round_scaled`).
                if let (Ok(q), Ok(scale)) = (i64::try_from(q), i64::try_from(scale)) {
                    if q % scale == 0 {
                        return serde_json::Value::from(q / scale);
                    }
                    if q.unsigned_abs() < 1 << 53 {
                        return serde_json::Value::from(q as f64 / scale as f64);
                    }
                }
                if q % scale == 0 {
                    if let Ok(i) = i64::try_from(q / scale) {
                        return serde_json::Value::from(i);
                    }
                } else if q.unsigned_abs() < 1 << 53 {
                    return serde_json::Value::from(q as f64 / scale as f64);
                }
            }
        }
        let text = self.round_trimmed(places);
        if let Ok(i) = text.parse::<i64>() {
            return serde_json::Value::from(i);
        }
        let f = decimal_to_f64(&text).expect("decimal text");
        debug_assert_eq!(format!("{f}"), text, "decimal does not survive f64");
        serde_json::Value::from(f)
    }
}

/// A commutative operation of a big value and a machine-size one, by
/// `op`; `None` for any other pair.
fn big_small(x: &Repr, y: &Repr, op: fn(&BigRational, i64, i64) -> Num) -> Option<Num> {
    match (x, y) {
        (Repr::Big(b), &Repr::Small(n, d)) | (&Repr::Small(n, d), Repr::Big(b)) => Some(op(b, n, d)),
        _ => None,
    }
}

/// `x mod d` as a magnitude, for a machine-size divisor (one-word
/// division in num-bigint, not the general long division).
fn rem_small(x: &BigInt, d: u64) -> u64 {
    (x % d).magnitude().to_u64().expect("a remainder below a machine-size divisor")
}

/// a/b + c/d for reduced a/b (big) and c/d (machine size), as GMP's
/// mpq_add does: with g = gcd(b, d) and t = a·(d/g) + c·(b/g), the result
/// reduces by gcd(t, g), which is machine-size. Linear in the size of a/b;
/// the general path takes the gcd of two big numbers, quadratic in it.
fn add_big_small(x: &BigRational, c: i64, d: i64) -> Num {
    let (a, b, d) = (x.numer(), x.denom(), d.unsigned_abs());
    let g = gcd64(rem_small(b, d), d);
    let bg = b / g;
    let t = a * (d / g) + &bg * c;
    let g2 = gcd64(rem_small(&t, g), g);
    Num::from_big(BigRational::new_raw(t / g2, bg * (d / g2)))
}

/// (a/b)·(c/d) for reduced a/b (big) and c/d (machine size), cross-reduced
/// with machine-size gcds: the product comes out reduced.
fn mul_big_small(x: &BigRational, c: i64, d: i64) -> Num {
    if c == 0 {
        return Num::ZERO;
    }
    let (a, b, d) = (x.numer(), x.denom(), d.unsigned_abs());
    let g1 = gcd64(rem_small(a, d), d).max(1);
    let g2 = gcd64(rem_small(b, c.unsigned_abs()), c.unsigned_abs()).max(1);
    // c/g2 keeps c's sign; g2 ≤ |c| < 2^63 unless c is i64::MIN.
    let c = BigInt::from(c) / g2;
    Num::from_big(BigRational::new_raw((a / g1) * c, (b / g2) * (d / g1)))
}

/// `a·b`, exactly. WebAssembly has no 64×64→128-bit multiply (it is a
/// library call there, `__multi3`): when the product is known to fit 63
/// bits, one machine multiply does. Elsewhere the 128-bit multiply is one
/// instruction and is used as it is.
#[inline(always)]
pub(crate) fn wide_mul(a: i64, b: i64) -> i128 {
    if cfg!(target_arch = "wasm32") && fits_63(a, b) {
        return i128::from(a * b);
    }
    i128::from(a) * i128::from(b)
}

/// 10^k for every k an i128 holds (k ≤ 38), looked up: raising an i128
/// to a power is a chain of 128-bit multiplies, library calls in
/// WebAssembly.
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut k = 1;
    while k < 39 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// 10^k, when an i128 holds it.
fn pow10(k: u32) -> Option<i128> {
    POW10.get(k as usize).copied()
}

/// `x·y` for two factors of at most 64 bits each (as `wide_mul`).
#[inline(always)]
fn mul_128(x: i128, y: i128) -> i128 {
    match (i64::try_from(x), i64::try_from(y)) {
        (Ok(a), Ok(b)) => wide_mul(a, b),
        _ => x * y,
    }
}

/// `a.checked_mul(b)`. In WebAssembly the overflow check is a 128-bit
/// multiply (a library call); when the product is known to fit 63 bits,
/// there is no check to make.
#[inline(always)]
pub(crate) fn checked_mul(a: i64, b: i64) -> Option<i64> {
    if cfg!(target_arch = "wasm32") && fits_63(a, b) {
        return Some(a * b);
    }
    a.checked_mul(b)
}

/// Whether |a·b| < 2^62 for certain: the magnitudes' bit lengths add up to
/// at most 62.
#[inline(always)]
fn fits_63(a: i64, b: i64) -> bool {
    a.unsigned_abs().leading_zeros() + b.unsigned_abs().leading_zeros() >= 66
}

/// `n·scale/d` rounded half away from zero (|2·rem| ≥ d moves the
/// magnitude up); `None` when `n·scale` overflows.
fn round_scaled(n: i128, d: i128, scale: i128) -> Option<i128> {
    // Two machine words' product always fits 128 bits.
    let scaled = match (i64::try_from(n), i64::try_from(scale)) {
        (Ok(n), Ok(scale)) => wide_mul(n, scale),
        _ => n.checked_mul(scale)?,
    };
    // In machine words when they hold it: 128-bit division is a library
    // call, and a slow one in WebAssembly.
    if let (Ok(s), Ok(d)) = (i64::try_from(scaled), i64::try_from(d)) {
        let (q, rem) = (s / d, s % d);
        return Some(i128::from(if rem.unsigned_abs() * 2 >= d.unsigned_abs() { q + s.signum() } else { q }));
    }
    let (q, rem) = (scaled / d, scaled % d);
    Some(if rem.unsigned_abs() * 2 >= d.unsigned_abs() { q + scaled.signum() } else { q })
}

/// Writes `x` in decimal just before `buf[*at]`, moving `at` back. The
/// digits above 64 bits take 128-bit divisions (a library call), those
/// above 32 bits 64-bit ones, the rest 32-bit ones: WebAssembly has no
/// multiply-high, so only a 32-bit division by 10 becomes a multiply there;
/// a 64-bit one stays a division instruction, several times slower.
fn put_decimal(buf: &mut [u8], at: &mut usize, mut x: u128) {
    while u64::try_from(x).is_err() {
        *at -= 1;
        buf[*at] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    let mut x = x as u64;
    while u32::try_from(x).is_err() {
        *at -= 1;
        buf[*at] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    let mut x = x as u32;
    loop {
        *at -= 1;
        buf[*at] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
}

/// Writes `.` and the decimals `frac` (zero-padded to `places`) before
/// `buf[*at]`, trailing zeros dropped; nothing when they are all zero.
fn put_fraction(buf: &mut [u8], at: &mut usize, frac: u64, places: u32) {
    // frac < 10^places, so each part below fits 32 bits.
    debug_assert!(places <= 18, "{places} places");
    // In 32-bit parts of at most nine digits (see `put_decimal`).
    let (low, high) = if places > 9 { ((frac % 1_000_000_000) as u32, (frac / 1_000_000_000) as u32) } else { (frac as u32, 0) };
    let mut trailing = true;
    for (mut part, digits) in [(low, places.min(9)), (high, places.saturating_sub(9))] {
        for _ in 0..digits {
            let digit = (part % 10) as u8;
            part /= 10;
            if digit != 0 || !trailing {
                trailing = false;
                *at -= 1;
                buf[*at] = b'0' + digit;
            }
        }
    }
    if !trailing {
        *at -= 1;
        buf[*at] = b'.';
    }
}

/// Writes `q / 10^10` before `buf[*at]` as `round_trimmed(10)` writes it:
/// trailing zeros of the decimals dropped, no `-` on zero.
fn put_rounded(buf: &mut [u8], at: &mut usize, q: i128) {
    let m = q.unsigned_abs();
    // In machine words when they hold it (128-bit division is a library
    // call, and a slow one in WebAssembly).
    let scale = 10u64.pow(10);
    let (int, frac) = match u64::try_from(m) {
        Ok(x) => (u128::from(x / scale), x % scale),
        Err(_) => (m / u128::from(scale), (m % u128::from(scale)) as u64),
    };
    put_fraction(buf, at, frac, 10);
    put_decimal(buf, at, int);
    if q < 0 {
        *at -= 1;
        buf[*at] = b'-';
    }
}

/// `n/d` (reduced, d > 1) as `m / 10^places` when that is exact with at
/// most `max_places` decimals: d must be 2^a·5^b.
fn short_decimal(n: i64, d: i64, max_places: u32) -> Option<(i128, u32)> {
    let a = d.trailing_zeros();
    let (mut r, mut b) = (d >> a, 0u32);
    while r % 5 == 0 {
        r /= 5;
        b += 1;
    }
    let places = a.max(b);
    if r != 1 || places > max_places {
        return None;
    }
    // 10^places ≤ 10^10 and d divides it: one machine-word division.
    Some((wide_mul(n, 10i64.pow(places) / d), places))
}

/// `digits` (the magnitude scaled by 10^places) as decimal text.
fn decimal_text(neg: bool, digits: String, places: u32) -> String {
    let p = places as usize;
    let digits = if digits.len() <= p { format!("{}{}", "0".repeat(p + 1 - digits.len()), digits) } else { digits };
    let (i, f) = digits.split_at(digits.len() - p);
    let sign = if neg && digits.bytes().any(|b| b != b'0') { "-" } else { "" };
    if p == 0 {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

/// An exact sum of many fractions, such as an organisation's service
/// scores. Adding fractions one by one grows the denominator to the least
/// common multiple of all of them and makes every addition slower than the
/// last; this keeps one running numerator per distinct denominator and
/// combines them once, over their common multiple, at the end.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Denominator → running numerator; hashed with Fx (a sum is fed
    /// once per service, and its keys are our own numbers).
    groups: std::collections::HashMap<i128, i128, std::hash::BuildHasherDefault<crate::input::FxHasher>>,
    rest: Num,
}

impl ExactSum {
    /// Adds `x`.
    pub fn add(&mut self, x: &Num) {
        if let Repr::Small(n, d) = x.0 {
            let slot = self.groups.entry(i128::from(d)).or_insert(0);
            if let Some(sum) = slot.checked_add(i128::from(n)) {
                *slot = sum;
                return;
            }
        }
        self.rest = self.rest.add(x);
    }

    /// The exact total.
    pub fn total(&self) -> Num {
        let mut dens: Vec<(i128, i128)> = self.groups.iter().map(|(d, n)| (*d, *n)).collect();
        dens.sort(); // a fixed order, so the work is the same on every run
        // One addition per distinct denominator. Once the running sum is
        // big, each step is a big-with-machine-size addition, linear in the
        // sum's size (see `add_big_small`); summing over a common multiple
        // and reducing at the end took the gcd of two big numbers, which is
        // quadratic, and made a million-service ranking spend a second here.
        let mut sum = Num::ZERO;
        for (d, n) in dens {
            let g0 = gcd128(n.unsigned_abs(), d.unsigned_abs()) as i128;
            let (n, d) = (n / g0.max(1), d / g0.max(1));
            if n == 0 {
                continue;
            }
            // Group sums that fit machine words go through the word
            // operations; past that, the big-with-small step.
            let term = match (i64::try_from(n), i64::try_from(d)) {
                (Ok(n), Ok(d)) => Num(Repr::Small(n, d)),
                _ => Num::from_big(BigRational::new_raw(n.into(), d.into())),
            };
            sum = sum.add(&term);
        }
        if self.rest.is_zero() {
            sum
        } else {
            sum.add(&self.rest)
        }
    }
}

impl fmt::Display for Num {
    /// Exact decimal when short, else the fraction with a 10-decimal
    /// approximation: `0.97`, `671/180 (≈ 3.7277777778)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.small_text(|t| f.write_str(t)) {
            Some(r) => r,
            None => match self.exact_decimal(10) {
                Some(s) => f.write_str(&s),
                None => write!(f, "{} (≈ {})", self.fraction_text(), self.round_trimmed(10)),
            },
        }
    }
}

impl Num {
    /// Appends the [`Display`](fmt::Display) text to `out`: the trace
    /// writer's way, without the formatting machinery for machine-size
    /// values.
    pub(crate) fn push_to(&self, out: &mut String) {
        if self.small_text(|t| out.push_str(t)).is_none() {
            use fmt::Write;
            let _ = write!(out, "{self}");
        }
    }

    /// The Display text of a machine-size value, handed to `k`; `None`
    /// for big values.
    fn small_text<R>(&self, k: impl FnOnce(&str) -> R) -> Option<R> {
        // Traces print many numbers: integers and short decimals are
        // written straight from the fraction, the same text as the general
        // formula in `fmt`, into one buffer.
        let Repr::Small(n, d) = self.0 else { return None };
        // At most about 62 bytes: `p/q (≈ x)` with 19-digit p and q.
        let mut buf = [0u8; 96];
        let mut at = buf.len();
        if d == 1 {
            put_decimal(&mut buf, &mut at, u128::from(n.unsigned_abs()));
        } else if let Some((m, places)) = short_decimal(n, d, 10) {
            // |m| < 2^63·10^10 fits 128 bits; split in machine words
            // when it fits one (128-bit division is a library call).
            let scale = 10u64.pow(places);
            let (int, frac) = match u64::try_from(m.unsigned_abs()) {
                Ok(x) => (u128::from(x / scale), x % scale),
                Err(_) => (m.unsigned_abs() / u128::from(scale), (m.unsigned_abs() % u128::from(scale)) as u64),
            };
            put_fraction(&mut buf, &mut at, frac, places);
            put_decimal(&mut buf, &mut at, int);
        } else {
            // Not a short decimal (shares such as 2624/2673): the
            // fraction and its value to 10 decimals, `p/q (≈ x)`.
            let q = round_scaled(i128::from(n), i128::from(d), POW10[10]).expect("|n|·10^10 fits 128 bits");
            at -= 1;
            buf[at] = b')';
            put_rounded(&mut buf, &mut at, q);
            for &b in " (≈ ".as_bytes().iter().rev() {
                at -= 1;
                buf[at] = b;
            }
            put_decimal(&mut buf, &mut at, u128::from(d.unsigned_abs()));
            at -= 1;
            buf[at] = b'/';
            put_decimal(&mut buf, &mut at, u128::from(n.unsigned_abs()));
        }
        if n < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        Some(k(std::str::from_utf8(&buf[at..]).expect("ASCII digits")))
    }
}

/// Appends `i` in decimal (as `{i}` prints it) to `out`.
pub(crate) fn push_int(out: &mut String, i: i64) {
    let mut buf = [0u8; 24];
    let mut at = buf.len();
    put_decimal(&mut buf, &mut at, u128::from(i.unsigned_abs()));
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    out.push_str(std::str::from_utf8(&buf[at..]).expect("ASCII digits"));
}

impl fmt::Debug for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fraction_text())
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        if let (Repr::Small(a, b), Repr::Small(c, d)) = (&self.0, &other.0) {
            if b == d {
                return a.cmp(c);
            }
            return wide_mul(*a, *d).cmp(&wide_mul(*c, *b));
        }
        self.to_big().cmp(&other.to_big())
    }
}

impl Default for Num {
    fn default() -> Num {
        Num::ZERO
    }
}

impl From<i64> for Num {
    fn from(n: i64) -> Num {
        Num::int(n)
    }
}

/// The digits before and after the point of an unsigned decimal (`12.5`,
/// `.5`, `5.`); `None` unless both are ASCII digits and not both empty.
fn int_frac(t: &str) -> Option<(&str, &str)> {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    (!(int.is_empty() && frac.is_empty()) && all_digits(int) && all_digits(frac)).then_some((int, frac))
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The `f64` nearest to a decimal text, ties to even: what
/// `str::parse::<f64>` gives for `[+-]digits[.digits][(e|E)[+-]digits]`
/// and for `inf`, `infinity` and `nan` (any case), `None` for anything else.
///
/// Why not `str::parse`: std's parser carries a 10 KB table of powers of
/// five, a tenth of what the WebAssembly module loses to compression, for
/// the two places here that turn decimal text into a float (a `pack.toml`
/// float, and a rounded value past 2^53 in a JSON result). Converting the
/// exact value is slower but these are rare, and the result is the same
/// bits (a test compares the two on tricky and on random texts).
pub(crate) fn decimal_to_f64(text: &str) -> Option<f64> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = |x: f64| if neg { -x } else { x };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Some(sign(f64::INFINITY));
    }
    if body.eq_ignore_ascii_case("nan") {
        return Some(sign(f64::NAN));
    }
    // value = digits × 10^exp10
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = int_frac(mantissa)?;
    let mut exp10: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            // Leading zeros say nothing (TOML allows them: 1e0001 is 10).
            // Saturated at 10^8: past that the value is 0 or infinite for
            // any text shorter than some 10^8 digits.
            let digits = digits.trim_start_matches('0');
            let v = if digits.len() > 8 { 100_000_000 } else { digits.bytes().fold(0i64, |v, b| v * 10 + i64::from(b - b'0')) };
            if e.starts_with('-') { -v } else { v }
        }
    };
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(sign(0.0));
    }
    exp10 -= frac.len() as i64;
    // The value lies in [10^(magnitude-1), 10^magnitude).
    let magnitude = digits.len() as i64 + exp10;
    if magnitude > 310 {
        return Some(sign(f64::INFINITY)); // ≥ 10^310
    }
    if magnitude < -324 {
        return Some(sign(0.0)); // < 10^-325, below half the least subnormal
    }
    // num-rational's conversion is correctly rounded, ties to even.
    let m: BigInt = digits.parse().ok()?;
    let ten = BigInt::from(10u8);
    let exact = if exp10 >= 0 { BigRational::from_integer(m * ten.pow(exp10 as u32)) } else { BigRational::new_raw(m, ten.pow(exp10.unsigned_abs() as u32)) };
    Some(sign(exact.to_f64()?))
}

#[cfg(test)]
mod tests {
    /// `fits_63` never says yes to a product that overflows, so the
    /// WebAssembly shortcuts in `wide_mul` and `checked_mul` are exact; and
    /// both agree with the plain 128-bit and checked multiplies.
    #[test]
    fn word_multiplies_are_exact() {
        let mut edges = vec![0i64, 1, -1, 2, -2, 3, 10, -10, i64::MAX, i64::MIN, i64::MIN + 1];
        for k in 1..63 {
            for x in [(1i64 << k) - 1, 1i64 << k, (1i64 << k) + 1] {
                edges.extend([x, -x]);
            }
        }
        for &a in &edges {
            for &b in &edges {
                // The shortcut itself (natively `wide_mul` and `checked_mul`
                // take the other way, so this is what tests it): a product
                // `fits_63` admits is below 2^62, and the machine multiply
                // (overflow-checked in tests) gives it exactly.
                if super::fits_63(a, b) {
                    let p = i128::from(a) * i128::from(b);
                    assert!(p.unsigned_abs() < 1 << 62, "{a}·{b}");
                    assert_eq!(i128::from(a * b), p, "{a}·{b}");
                }
                assert_eq!(super::wide_mul(a, b), i128::from(a) * i128::from(b), "{a}·{b}");
                assert_eq!(super::checked_mul(a, b), a.checked_mul(b), "{a}·{b}");
            }
        }
    }

    /// `decimal_to_f64` gives `str::parse::<f64>`'s bits, on hard cases
    /// (halfway, subnormal, overflow edges, long texts) and on random texts.
    #[test]
    fn decimal_to_f64_is_std_parse() {
        let same = |t: &str| {
            let want = t.parse::<f64>().ok();
            let got = decimal_to_f64(t);
            match (want, got) {
                (Some(w), Some(g)) if w.is_nan() => assert!(g.is_nan(), "{t}"),
                (Some(w), Some(g)) => assert_eq!(w.to_bits(), g.to_bits(), "{t}: {w:e} vs {g:e}"),
                (None, None) => {}
                _ => panic!("{t}: {want:?} vs {got:?}"),
            }
        };
        let max_plus = format!("179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.{}", "9".repeat(70));
        let hard = [
            "0", "-0", "0.0", "+0e5", "1", "-1", "0.1", "0.3", "99.2", "1e23", "8.98846567431158e307", "9007199254740993", "9007199254740995",
            "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", &max_plus, "1e309", "1e-400", "-1e400", "1e-324", "5e-324",
            "123456789012345678901234567890e-20", ".5", "5.", "00012.50", "1E2", "1e+2", "1e-2", "inf", "-inf", "+infinity", "NaN", "-nan",
            "", ".", "e5", "1e", "1e+", "+-1", "1_000", " 1", "1 ", "0x10", "1.2.3", "1e99999999999", "1e-99999999999", "0e99999999999",
            "1e0000000001", "1e-0000000001", "1e+0000000308", "5e-0000000324", "1.0e0000000002", "1e000", "1e-00",
        ];
        for t in hard {
            same(t);
        }
        // Random: 1–40 digits, a point anywhere, exponents across the range.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        // Exact halfway points between neighbouring doubles (ties to even),
        // and a hair above and below each: where rounding goes wrong.
        for _ in 0..4_000 {
            use num_bigint::BigUint;
            let bits = next(0x7fe0_0000_0000_0000);
            let x = f64::from_bits(bits);
            let (q, e) = if bits >> 52 == 0 { (bits, -1074i64) } else { ((bits & ((1 << 52) - 1)) | (1 << 52), (bits >> 52) as i64 - 1075) };
            // midpoint = (2q+1)·2^(e-1) = digits / 10^places
            let odd = BigUint::from(2 * q + 1);
            let (digits, places) = if e >= 1 { (odd << (e - 1) as usize, 0) } else { (odd * BigUint::from(5u8).pow((1 - e) as u32), (1 - e) as usize) };
            let text = |d: &BigUint, places: usize| {
                let s = d.to_string();
                if places == 0 {
                    s
                } else {
                    format!("{}e-{places}", s)
                }
            };
            same(&text(&digits, places));
            let ten = BigUint::from(10u8);
            same(&text(&(&digits * &ten + 1u8), places + 1));
            same(&text(&(&digits * &ten - 1u8), places + 1));
            assert!(x.is_finite());
        }
        for _ in 0..30_000 {
            let len = 1 + next(40) as usize;
            let mut t: String = (0..len).map(|_| char::from(b'0' + next(10) as u8)).collect();
            if next(2) == 0 {
                t.insert(next(len as u64 + 1) as usize, '.');
            }
            if next(3) > 0 {
                t.push_str(&format!("e{}", next(700) as i64 - 360));
            }
            same(&t);
        }
    }

    use super::*;

    fn n(s: &str) -> Num {
        Num::parse(s).unwrap()
    }

    #[test]
    fn the_one_pass_decimal_reader_agrees_with_the_general_one() {
        // Every text of up to 5 characters over an alphabet with the
        // troublesome ones, and long decimals around the 18-digit edge.
        let alphabet = ['0', '1', '9', '.', '-', '+', '/', 'x', ' ', 'é'];
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            texts.extend(last.iter().cloned());
        }
        for n in ["999999999999999999", "9999999999999999999", "123456789.123456789", "12345678.123456789"] {
            for sign in ["", "-", "+"] {
                texts.push(format!("{sign}{n}"));
            }
        }
        let mut short = 0;
        for t in &texts {
            if let Some(fast) = Num::parse_short(t.as_bytes()) {
                short += 1;
                assert_eq!(fast, Num::parse_any(t), "{t:?}");
            }
        }
        assert!(short > 50_000, "{short}");
    }

    #[test]
    fn fractions_display_as_the_general_text_does() {
        // Values that are not short decimals: `p/q (≈ x)`, written straight
        // from the fraction, must be the text of the general formula.
        let ns = [1i64, -1, 2, 7, -7, 22, 999_999_999, -123_456_789_012, i64::MAX, i64::MIN + 1, i64::MIN];
        let ds = [3i64, 7, 9, 11, 12, 30, 2673, 3_000_000_007, i64::MAX];
        let mut seen = 0;
        for n in ns {
            for d in ds {
                let x = Num::ratio(n, d).unwrap();
                let Repr::Small(rn, rd) = x.0 else { continue };
                if rd == 1 || short_decimal(rn, rd, 10).is_some() {
                    continue;
                }
                seen += 1;
                assert_eq!(x.to_string(), format!("{} (≈ {})", x.fraction_text(), x.round_trimmed(10)), "{n}/{d}");
            }
        }
        // Tiny values round to zero, without a sign.
        let tiny = Num::ratio(-1, i64::MAX).unwrap();
        assert_eq!(tiny.to_string(), format!("-1/{} (≈ 0)", i64::MAX));
        assert!(seen > 60, "{seen}");
    }

    #[test]
    fn parses_exactly() {
        assert_eq!(n("0.98").fraction_text(), "49/50");
        assert_eq!(n("-12.5").fraction_text(), "-25/2");
        assert_eq!(n("491/24").fraction_text(), "491/24");
        assert_eq!(n("6/-4").fraction_text(), "-3/2");
        assert!(Num::parse("1e5").is_none());
        assert!(Num::parse("1/0").is_none());
        assert!(Num::parse("").is_none());
        assert_eq!(Num::from_f64_text(99.2).unwrap().fraction_text(), "496/5");
    }

    #[test]
    fn rounds_half_away_from_zero_once() {
        assert_eq!(n("78.775").round_text(2), "78.78");
        assert_eq!(n("55.125").round_text(2), "55.13");
        assert_eq!(n("-55.125").round_text(2), "-55.13");
        assert_eq!(n("55.12499").round_text(2), "55.12");
        assert_eq!(n("0.005").round_text(2), "0.01");
        assert_eq!(n("0.004").round_text(2), "0.00");
        assert_eq!(n("2/3").round_text(0), "1");
        assert_eq!(n("491/24").round_trimmed(10), "20.4583333333");
        assert_eq!(n("16").round_trimmed(10), "16");
        assert_eq!(n("-1/1000000000000").round_trimmed(2), "0");
    }

    #[test]
    fn second_worked_example_is_exact() {
        // Points of the spec's second example: the sum is exactly 55.125.
        let parts = ["491/24", "0", "13", "8/3", "5", "0", "4", "5", "5"];
        let sum = parts.iter().fold(Num::ZERO, |acc, p| acc.add(&n(p)));
        let score = sum.mul(&Num::int(100)).div(&Num::int(100)).unwrap();
        assert_eq!(score.fraction_text(), "441/8");
        assert_eq!(score.round_text(2), "55.13");
    }

    #[test]
    fn overflow_promotes_instead_of_wrapping() {
        let big = Num::int(i64::MAX).mul(&Num::int(i64::MAX)).mul(&Num::int(i64::MAX));
        let back = big.div(&Num::int(i64::MAX)).unwrap().div(&Num::int(i64::MAX)).unwrap();
        assert_eq!(back, Num::int(i64::MAX));
        let tiny = Num::ratio(1, i64::MAX).unwrap().mul(&Num::ratio(1, i64::MAX - 1).unwrap());
        let sum = tiny.add(&Num::ratio(1, 3).unwrap()).sub(&Num::ratio(1, 3).unwrap());
        assert_eq!(sum, tiny);
        assert!(n("1/3") < n("0.3334"));
        // The edges of the machine-word form: promoted, compared and
        // brought back exactly.
        let min = Num::int(i64::MIN);
        assert_eq!(min.neg().fraction_text(), "9223372036854775808");
        assert_eq!(min.neg().neg(), min);
        assert_eq!(Num::ratio(i64::MIN, -1).unwrap(), min.neg());
        assert_eq!(Num::ratio(i64::MIN, i64::MIN).unwrap(), Num::int(1));
        assert!(min < min.add(&Num::ratio(1, i64::MAX).unwrap()));
        assert_eq!(Num::ZERO.mul(&n("7/5")).fraction_text(), "0");
        assert_eq!(n("1/4").add(&n("-1/4")).fraction_text(), "0");
    }

    #[test]
    fn json_numbers_from_the_fraction_match_the_text() {
        for n in -2000i64..2000 {
            for d in [1i64, 3, 7, 8, 40, 96, 1000, 12345] {
                let x = Num::ratio(n * 7919, d).unwrap();
                for places in [0, 2, 6] {
                    let text = x.round_trimmed(places);
                    let want = match text.parse::<i64>() {
                        Ok(i) => serde_json::Value::from(i),
                        Err(_) => serde_json::Value::from(text.parse::<f64>().unwrap()),
                    };
                    assert_eq!(x.to_json(places), want, "{n}/{d} at {places}");
                }
            }
        }
    }

    #[test]
    fn integer_shortcuts_match_the_general_operations() {
        let ks = [1i64, -1, 2, -2, 3, 4, 6, 7, 10, 12, -12, 1000, i64::MAX, i64::MIN + 1, i64::MIN];
        let xs = [(0i64, 1i64), (1, 1), (-1, 1), (7, 3), (-7, 3), (5, 12), (12, 1), (-30, 1), (i64::MAX, 1), (i64::MIN, 1), (i64::MAX, 2), (3, i64::MAX)];
        for (n, d) in xs {
            let x = Num::ratio(n, d).unwrap();
            for k in ks {
                let y = Num::int(k);
                assert_eq!(x.div(&y).unwrap(), Num::from_big(x.to_big() / y.to_big()), "{n}/{d} / {k}");
                assert_eq!(x.mul(&y), Num::from_big(x.to_big() * y.to_big()), "{n}/{d} * {k}");
                assert_eq!(y.mul(&x), Num::from_big(x.to_big() * y.to_big()), "{k} * {n}/{d}");
            }
        }
    }

    #[test]
    fn big_with_small_operations_match_the_general_ones() {
        let big = Num::parse("123456789012345678901234567890123/98765432109876543210987").unwrap();
        assert!(!big.is_small());
        for (n, d) in [(1, 1), (-7, 3), (0, 1), (98765, 4321), (i64::MAX, 3), (5, i64::MAX), (-1, 987654321)] {
            let small = Num::ratio(n, d).unwrap();
            let general_sum = Num::from_big(big.to_big() + small.to_big());
            let general_product = Num::from_big(big.to_big() * small.to_big());
            assert_eq!(big.add(&small), general_sum, "{n}/{d}");
            assert_eq!(small.add(&big), general_sum, "{n}/{d}");
            assert_eq!(big.mul(&small), general_product, "{n}/{d}");
            assert_eq!(small.mul(&big), general_product, "{n}/{d}");
            assert_eq!(big.sub(&small), Num::from_big(big.to_big() - small.to_big()), "{n}/{d}");
        }
    }

    #[test]
    fn display_writes_short_decimals_as_exact_decimal_does() {
        for n in -300i64..300 {
            for d in [1i64, 2, 3, 4, 5, 7, 8, 10, 16, 20, 25, 40, 1024, 3125, 1 << 20, 9_765_625, 10_000_000_000] {
                let x = Num::ratio(n, d).unwrap();
                let slow = match x.exact_decimal(10) {
                    Some(s) => s,
                    None => format!("{} (≈ {})", x.fraction_text(), x.round_trimmed(10)),
                };
                assert_eq!(x.to_string(), slow, "{n}/{d}");
            }
        }
    }

    #[test]
    fn exact_sums_match_one_by_one_addition() {
        let xs: Vec<Num> = (1..200).map(|i| Num::ratio(i * 7 + 1, i + 3).unwrap()).chain([n("1/3"), Num::int(i64::MAX), Num::int(i64::MAX)]).collect();
        let mut sum = ExactSum::default();
        xs.iter().for_each(|x| sum.add(x));
        let direct = xs.iter().fold(Num::ZERO, |acc, x| acc.add(x));
        assert_eq!(sum.total(), direct);
        assert_eq!(ExactSum::default().total(), Num::ZERO);
    }

    #[test]
    fn json_numbers_keep_the_decimal_text() {
        assert_eq!(n("78.775").to_json(2).to_string(), "78.78");
        assert_eq!(n("16").to_json(10).to_string(), "16");
        assert_eq!(n("491/24").to_json(10).to_string(), "20.4583333333");
        assert_eq!(n("8/3").to_json(10).to_string(), "2.6666666667");
    }
}
