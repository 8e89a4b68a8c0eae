//! The one place numbers become text: short for people, exact for machines.
//!
//! [`human`] is what errors, status lines and hover labels show (`1e308`, `0.523`,
//! `-1.5e-7`); [`exact`] is what CSV and JSON files hold: the shortest text that parses back
//! to the same `f64`, in scientific notation when plain digits would be long.

/// Up to six significant digits, trailing zeros dropped; scientific when tiny or huge.
pub fn human(v: f64) -> String {
    // A subnormal number keeps few digits: 1e-320 is said as typed, not as 9.99989e-321.
    if subnormal(v) {
        return format!("{v:e}");
    }
    significant(v, 6)
}

/// Up to four significant digits, for axis ticks and color-bar labels.
pub fn short(v: f64) -> String {
    significant(v, 4)
}

/// An axis tick at `v` on an axis whose ticks are `step` apart: as many digits as tell
/// neighbouring ticks apart and no more, scientific notation for huge or tiny values
/// (`1e23`, not 24 digits), so the label always fits under its tick.
pub fn tick(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return non_finite(v).to_string();
    }
    let step = step.abs();
    if !step.is_finite() || step == 0.0 {
        return short(v);
    }
    // Ticks are multiples of the step: snap away the rounding noise of 0.1 + 0.2.
    let v = if (v / step).abs() < 1e15 {
        (v / step).round() * step
    } else {
        v
    };
    if v == 0.0 {
        return "0".to_string();
    }
    let step_exponent = step.log10().floor() as i32;
    let magnitude = v.abs();
    if (1e-4..1e6).contains(&magnitude) && step >= 1e-4 {
        let decimals = (-step_exponent).clamp(0, 17) as usize;
        return trim_mantissa(&format!("{v:.decimals$}"));
    }
    let exponent = magnitude.log10().floor() as i32;
    let digits = (exponent - step_exponent + 1).clamp(1, 17) as usize;
    trim_mantissa(&format!("{:.*e}", digits - 1, v))
}

/// The shortest text that parses back to exactly `v`: plain digits for magnitudes in
/// [1e-5, 1e16), scientific notation (`1e308`, `2.5e-300`) otherwise.
pub fn exact(v: f64) -> String {
    if !v.is_finite() {
        return non_finite(v).to_string();
    }
    if v == 0.0 || (1e-5..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A point as `(a, b, c)` with [`human`].
pub fn point(p: &[f64]) -> String {
    let parts: Vec<String> = p.iter().map(|v| human(*v)).collect();
    format!("({})", parts.join(", "))
}

fn non_finite(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// `v` rounded to `digits` significant digits, without trailing zeros.
fn significant(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return non_finite(v).to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    // Decide on the value as rounded to `digits`, so that 999999.7 becomes 1e6.
    let magnitude = format!("{:.*e}", digits - 1, v)
        .parse::<f64>()
        .unwrap_or(v)
        .abs();
    let scientific = if digits >= 6 {
        !(1e-4..1e6).contains(&magnitude)
    } else {
        !(1e-3..1e5).contains(&magnitude)
    };
    // Rounding can carry into a new digit (999999.7 -> 1e6): decide on the rounded value.
    let text = if scientific {
        format!("{:.*e}", digits - 1, v)
    } else {
        let exponent = magnitude.log10().floor() as i32;
        let decimals = (digits as i32 - 1 - exponent).clamp(0, 17) as usize;
        format!("{v:.decimals$}")
    };
    let text = trim_mantissa(&text);
    if text == "-0" { "0".to_string() } else { text }
}

/// Drops trailing zeros (and a bare point) from the mantissa: `1.500e3` -> `1.5e3`.
fn trim_mantissa(text: &str) -> String {
    let (mantissa, exponent) = match text.find('e') {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}{exponent}")
}

/// The name of `names` nearest to `name` as typed (case, `_` for `-`, up to two letters
/// off), for a "did you mean" hint.
pub fn nearest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let typed = name.to_lowercase().replace('_', "-");
    names
        .iter()
        .map(|n| (edit_distance(&typed, n), *n))
        .filter(|(d, n)| *d <= 2 && *d < n.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance, for suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// A reader's message with Rust's type names said in words: `expected u64` becomes
/// `expected a whole number >= 0`.
pub fn plain_types(message: &str) -> String {
    let mut plain = message.replace(" as i128", "").replace(" as u128", "");
    for (rust, words) in [
        ("u64", "a whole number >= 0"),
        ("u32", "a whole number >= 0"),
        ("usize", "a whole number >= 0"),
        ("i64", "a whole number"),
        ("i32", "a whole number"),
        ("f64", "a number"),
        ("f32", "a number"),
        ("a sequence", "a list [...]"),
        ("a map", "a table {...}"),
    ] {
        plain = plain.replace(&format!("expected {rust}"), &format!("expected {words}"));
    }
    for (serde, words) in [("sequence", "a list [...]"), ("map", "a table {...}")] {
        plain = plain.replace(
            &format!("invalid type: {serde},"),
            &format!("invalid type: {words},"),
        );
    }
    // serde names the Rust type: "expected struct OptimizerConfig".
    if let Some((head, rest)) = plain.split_once("expected struct ") {
        let tail = rest.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
        plain = format!("{head}expected an object {{\"name\": value, ...}}{tail}");
    }
    // serde writes a float in full: 1e-310 as 330 digits.
    if let Some((head, rest)) = plain.split_once("floating point `")
        && let Some((number, tail)) = rest.split_once('`')
        && number.len() > 24
        && let Ok(value) = number.parse::<f64>()
    {
        plain = format!("{head}floating point `{value:e}`{tail}");
    }
    // serde's "unknown variant `explodes`, expected one of `converges`, `diverges`".
    if let Some((head, rest)) = plain.split_once("unknown variant `")
        && let Some((given, expected)) = rest.split_once("`, expected ")
    {
        let names = expected.trim_start_matches("one of ").replace('`', "\"");
        plain = format!("{head}\"{given}\" is not one of {names}");
    }
    plain
}

/// Whether the number `text` is below f64's normal range: read as 0 though it is not zero
/// (1e-400), or a subnormal number (4.9e-324), which has lost its precision and turns to 0
/// at the first product. The message says [`UNDERFLOW`].
pub fn underflows(text: &str, value: f64) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    (value == 0.0 && mantissa.chars().any(|c| ('1'..='9').contains(&c)))
        || (value != 0.0 && value.abs() < f64::MIN_POSITIVE)
}

/// When the number `text` has more significant digits than f64 keeps (about 16), so that it
/// was read as the nearby `value` (0.99999999999999999 as 1): a note saying so, for a
/// message that quotes `value`.
pub fn rounding_note(text: &str, value: f64) -> Option<String> {
    let text = text.trim();
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    // Significant digits: zeros on either end say only where the point is.
    let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = all.trim_start_matches('0').trim_end_matches('0').len();
    let kept = format!("{value:e}")
        .split('e')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    (digits > 15 && kept < digits).then(|| {
        format!("{text} has more digits than a double keeps (about 16) and reads as {value}")
    })
}

/// Parameter names joined by `separator`, the middle cut when there are more than eight
/// (`x1,x2,x3,…,x1000`), so a message about 1000 parameters stays one short line.
pub fn name_list(names: &[String], separator: &str) -> String {
    if names.len() <= 8 {
        return names.join(separator);
    }
    let mut kept: Vec<&str> = names[..3].iter().map(String::as_str).collect();
    kept.push("…");
    kept.push(&names[names.len() - 1]);
    kept.join(separator)
}

/// Advice for a number that did not parse because of characters pasted from a document or
/// typed on another keyboard: a Unicode minus or dash, full-width digits. Empty otherwise;
/// else it starts with "; ".
pub fn typing_hint(text: &str) -> &'static str {
    if text.contains(['\u{2212}', '\u{2013}', '\u{2014}']) {
        "; write the minus sign as - (a plain hyphen)"
    } else if text.contains(|c: char| ('\u{FF0B}'..='\u{FF19}').contains(&c)) {
        "; write plain digits 0-9 (these are full-width)"
    } else {
        ""
    }
}

/// What is said of a number that [`underflows`], after the number.
pub const UNDERFLOW: &str = "is below the smallest number (about 2.2e-308)";

/// Whether `value` is a subnormal number: not zero, yet below f64's normal range, where it
/// has lost its precision. Files hold numbers without their text, so they are checked by
/// value; a message says [`UNDERFLOW`].
pub fn subnormal(value: f64) -> bool {
    value != 0.0 && value.abs() < f64::MIN_POSITIVE
}

/// Whether the number `text` was read as infinite only because it is beyond f64's range
/// (400 digits, 1e400), not written as `inf`.
pub fn overflows(text: &str, value: f64) -> bool {
    value.is_infinite() && !text.to_ascii_lowercase().contains("inf")
}

/// A JSON reader's error as "line L, column C: what", its position said once (serde_json
/// ends its own message with " at line L column C").
pub fn json_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let what = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(what, _)| what);
    let what = plain_types(what);
    let hint = match what.as_str() {
        "number out of range" => " (numbers are at most about 1.8e308)",
        _ => "",
    };
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => format!(
            "not valid JSON: line {}, column {}: {what}{hint}",
            e.line(),
            e.column()
        ),
        _ => format!("line {}, column {}: {what}{hint}", e.line(), e.column()),
    }
}

/// `text` on one line: line breaks and other control characters escaped, as in a message
/// that quotes what the user wrote.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_get_short_numbers() {
        assert_eq!(human(1e308), "1e308");
        assert_eq!(human(f64::MAX), "1.79769e308");
        assert_eq!(human(0.5230000001), "0.523");
        assert_eq!(human(-1.5e-7), "-1.5e-7");
        assert_eq!(human(73.6), "73.6");
        assert_eq!(human(123456.7), "123457");
        assert_eq!(human(999999.7), "1e6");
        assert_eq!(human(-0.0), "0");
        assert_eq!(human(f64::NAN), "NaN");
        assert_eq!(human(f64::NEG_INFINITY), "-inf");
        assert_eq!(short(0.56714329), "0.5671");
        assert_eq!(short(2.0e5), "2e5");
        assert_eq!(point(&[1.0, -2.5]), "(1, -2.5)");
    }

    #[test]
    fn ticks_tell_neighbours_apart_and_stay_short() {
        assert_eq!(tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick(2.0, 0.5), "2");
        assert_eq!(tick(2.5, 0.5), "2.5");
        assert_eq!(tick(1.0001e23, 1e19), "1.0001e23");
        assert_eq!(tick(1e23, 2e22), "1e23");
        assert_eq!(tick(-3e-7, 1e-7), "-3e-7");
        assert_eq!(tick(1000.5, 0.1), "1000.5");
        assert_eq!(tick(0.0, 1e20), "0");
        for (a, b, step) in [(100000.1, 100000.2, 0.1), (1.23e8, 1.24e8, 1e6)] {
            assert_ne!(tick(a, step), tick(b, step));
        }
        assert!(tick(-1.0000000000000001e30, 1e14).len() <= 24);
    }

    #[test]
    fn machines_get_exact_numbers() {
        for v in [
            1e308,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            0.1,
            1.0 / 3.0,
            -2.5e-7,
            123456789.125,
            1e16,
            0.0,
        ] {
            let text = exact(v);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
            assert!(text.len() <= 24, "{text} is long");
        }
        assert_eq!(exact(1e308), "1e308");
        assert_eq!(exact(0.5), "0.5");
        assert_eq!(exact(3.0), "3");
    }
}
