//! The functions rules have beyond Rhai's operators: the short list in the
//! README ("Writing a rule"), in place of Rhai's string, array, map and
//! iterator packages.
//!
//! Why: those packages are some 80 KB of the WebAssembly module, and a rule
//! needs a handful of their functions. Each function here does what the
//! package's function of that name does (the same code, where Rhai's is
//! more than a line), so a rule that used one reads the same. Size limits
//! still hold: Rhai checks a `&mut` first argument after every native call
//! (`push`) and every returned value (`keys`, `values`, `to_string`).

use rhai::{Array, Dynamic, Engine, EvalAltResult, FuncRegistration, ImmutableString, Map, NativeCallContext, FUNC_TO_DEBUG, FUNC_TO_STRING, INT, OP_EQUALS};

pub(super) fn register(e: &mut Engine) {
    // `for x in array`, `for i in 0..n`, `for i in 0..=n`.
    e.register_iterator::<Array>();
    e.register_iterator::<std::ops::Range<INT>>();
    e.register_iterator::<std::ops::RangeInclusive<INT>>();

    // Printing: `print`/`debug` (to the trace), `to_string`/`to_debug`;
    // string interpolation calls `to_string`.
    e.register_fn("print", |ctx: NativeCallContext, x: &mut Dynamic| print_with(&ctx, FUNC_TO_STRING, x));
    e.register_fn("debug", |ctx: NativeCallContext, x: &mut Dynamic| print_with(&ctx, FUNC_TO_DEBUG, x));
    e.register_fn(FUNC_TO_STRING, |ctx: NativeCallContext, x: &mut Dynamic| show(&ctx, x, false));
    e.register_fn(FUNC_TO_DEBUG, |ctx: NativeCallContext, x: &mut Dynamic| show(&ctx, x, true));

    // Arrays; `x in array` is `contains(array, x)`.
    e.register_fn("len", |a: &mut Array| INT::try_from(a.len()).unwrap_or(INT::MAX));
    e.register_fn("is_empty", |a: &mut Array| a.is_empty());
    // Not pure, as in Rhai: pushing onto a constant is an error.
    FuncRegistration::new("push").with_purity(false).register_into_engine(e, |a: &mut Array, x: Dynamic| a.push(x));
    e.register_fn("contains", array_contains);

    // Object maps; `"key" in map` is `contains(map, "key")`.
    e.register_fn("len", |m: &mut Map| INT::try_from(m.len()).unwrap_or(INT::MAX));
    e.register_fn("is_empty", |m: &mut Map| m.is_empty());
    e.register_fn("contains", |m: &mut Map, key: &str| m.contains_key(key));
    e.register_fn("keys", |m: &mut Map| m.keys().cloned().map(Into::into).collect::<Array>());
    e.register_fn("values", |m: &mut Map| m.values().cloned().collect::<Array>());

    // Strings (characters, not bytes); `"a" in s` is `contains(s, "a")`.
    e.register_fn("len", |s: &str| INT::try_from(s.chars().count()).unwrap_or(INT::MAX));
    e.register_fn("is_empty", |s: &str| s.is_empty());
    e.register_fn("contains", |s: &str, part: &str| s.contains(part));
}

/// Whether `array` has an element `==` to `value`, by the `==` operator of
/// the two types (so `2 in [num("2")]`); comparing types without one is
/// `false`, and an error for two values of one type (Rhai's own rule).
fn array_contains(ctx: NativeCallContext, array: &mut Array, value: Dynamic) -> Result<bool, Box<EvalAltResult>> {
    for item in array {
        let equal = ctx.call_native_fn_raw(OP_EQUALS, true, &mut [item, &mut value.clone()]).or_else(|err| match *err {
            EvalAltResult::ErrorFunctionNotFound(ref sig, ..) if sig.starts_with(OP_EQUALS) && item.type_id() != value.type_id() => Ok(Dynamic::FALSE),
            _ => Err(err),
        })?;
        if equal.as_bool().unwrap_or(false) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A value as text by the function `name` (`to_string` or `to_debug`),
/// falling back to its Rust formatting when there is none.
fn print_with(ctx: &NativeCallContext, name: &str, value: &mut Dynamic) -> ImmutableString {
    match ctx.call_native_fn_raw(name, true, &mut [&mut *value]) {
        Ok(text) if text.is_string() => text.into_immutable_string().expect("a string"),
        Ok(other) => ctx.engine().map_type_name(other.type_name()).into(),
        Err(_) => {
            let text = if name == FUNC_TO_DEBUG { format!("{value:?}") } else { format!("{value}") };
            ctx.engine().map_type_name(&text).into()
        }
    }
}

/// `to_string` (or `to_debug`) of a value. A string prints as itself (in
/// quotes for debug), a character as itself, an array or map with its
/// items' `to_debug`; a type of the engine (`Num`) has its own function.
fn show(ctx: &NativeCallContext, value: &mut Dynamic, debug: bool) -> ImmutableString {
    if value.is_string() {
        let s = value.clone().into_immutable_string().expect("a string");
        return if debug { format!("{:?}", s.as_str()).into() } else { s };
    }
    if let Ok(c) = value.as_char() {
        return c.to_string().into();
    }
    if let Some(mut items) = value.write_lock::<Array>() {
        let items: Vec<ImmutableString> = items.iter_mut().map(|x| print_with(ctx, FUNC_TO_DEBUG, x)).collect();
        return format!("[{}]", items.join(", ")).into();
    }
    if let Some(mut map) = value.write_lock::<Map>() {
        let items: Vec<String> = map.iter_mut().map(|(k, v)| format!("{k:?}: {}", print_with(ctx, FUNC_TO_DEBUG, v))).collect();
        return format!("#{{{}}}", items.join(", ")).into();
    }
    let text = if debug { format!("{value:?}") } else { format!("{value}") };
    ctx.engine().map_type_name(&text).into()
}

#[cfg(test)]
mod tests {
    use rhai::packages::{ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicStringPackage, LogicPackage, Package};
    use rhai::Engine;

    fn engine(packages: bool) -> Engine {
        let mut e = Engine::new_raw();
        e.register_global_module(ArithmeticPackage::new().as_shared_module());
        e.register_global_module(LogicPackage::new().as_shared_module());
        if packages {
            e.register_global_module(BasicStringPackage::new().as_shared_module());
            e.register_global_module(BasicIteratorPackage::new().as_shared_module());
            e.register_global_module(BasicArrayPackage::new().as_shared_module());
            e.register_global_module(BasicMapPackage::new().as_shared_module());
        } else {
            super::register(&mut e);
        }
        e.set_max_array_size(8).set_max_string_size(200).set_fast_operators(false);
        crate::sandbox::register_num(&mut e, crate::Limits::default().max_number_bits);
        e
    }

    fn run(e: &Engine, script: &str) -> String {
        match e.eval::<rhai::Dynamic>(script) {
            Ok(v) => format!("{v:?}"),
            Err(err) => format!("error: {err}"),
        }
    }

    /// What the list keeps does what Rhai's packages did.
    #[test]
    fn the_functions_kept_are_those_of_rhai_packages() {
        let scripts = [
            r#"let a = [1, "x", true, num("1.5")]; a.push(()); `${a} ${a.len()} ${a.is_empty()} ${[].is_empty()}`"#,
            r#"let a = [1, "x", true, num("1.5"), 'c']; `${2 in a} ${"x" in a} ${1 in a} ${num("1") in a} ${num("3/2") in a} ${'c' in a} ${() in a}`"#,
            r#"let m = #{b: [1, num("0.5")], a: "t", c: #{d: ()}}; `${m} ${m.len()} ${"a" in m} ${"z" in m} ${m.keys()} ${m.values()} ${m.is_empty()} ${#{}.is_empty()}`"#,
            r#"let s = 0; for i in 0..5 { s += i } for i in 1..=3 { s += i * 10 } for x in [100, 200] { s += x } for i in 3..1 { s += 1000 } s"#,
            r#"to_string(()) + to_debug(()) + to_debug("a\"b") + to_debug('c') + to_string('c') + to_debug(true) + to_string(false) + to_debug(num("1/3")) + to_string(-7)"#,
            r#"`${()}|${'x'}|${num("2.50")}|${[num("1/3"), "s", 'c', (), false]}`"#,
            r#"let a = []; loop { a.push(1); }"#,
            r#"let s = "ab"; loop { s += s; }"#,
            r#"let m = #{a: "0123456789"}; let t = m.to_string(); for i in 0..5 { t += t }"#,
            r#"let a = [1, 2, 3]; a.push([4, 5, 6]); a"#,
            r#"let a = [1, 2, 3, 4]; a.push([5, 6, 7, 8, 9]); a"#,
            r#"let m = #{a: 1, b: 2, c: 3, d: 4, e: 5, f: 6}; m.values()"#,
            r#"let m = #{a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}; m.values()"#,
            r#"let m = #{a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}; m.keys()"#,
            r#"let m = #{}; m.len() + [].len()"#,
            r#"const A = [1]; const M = #{a: [2]}; `${A.len()} ${A.is_empty()} ${1 in A} ${M.len()} ${M.keys()} ${M.values()} ${"a" in M} ${A.to_string()}`"#,
            r#"const A = [1]; A.push(2); A"#,
            r#"const M = #{a: [2]}; M.a.push(3); M"#,
            r#"print(1); debug("x"); 1"#,
        ];
        let (old, new) = (engine(true), engine(false));
        let differ: Vec<_> = scripts.iter().map(|s| (s, run(&new, s), run(&old, s))).filter(|(_, a, b)| a != b).collect();
        assert!(differ.is_empty(), "{differ:#?}");
    }

    /// What the list leaves out is an error, not a different result.
    #[test]
    fn the_functions_left_out_are_errors() {
        let e = engine(false);
        for s in [r#"[1, [2]].contains([2])"#, r#"[1] == [1]"#, r#"[2, 1].sort()"#, r#""ab".sub_string(1)"#, r#"#{a: 1}.remove("a")"#, r#"range(0, 3)"#] {
            assert!(run(&e, s).starts_with("error: Function not found"), "{s}: {}", run(&e, s));
        }
        assert!(run(&e, r#"for c in "ab" { }"#).starts_with("error: For loop expects"), "{}", run(&e, r#"for c in "ab" { }"#));
    }

    #[test]
    fn strings_have_len_and_contains() {
        let e = engine(false);
        assert_eq!(run(&e, r#"`${"añb".len()} ${"ab".contains("b")} ${"x" in "ab"} ${"".is_empty()}`"#), r#""3 true false true""#);
    }
}
