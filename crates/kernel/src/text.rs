//! Text admitted at the edge: control characters are refused before any part sees them, so both
//! engines behave alike (PostgreSQL cannot store NUL in text; SQLite would store it) and nothing
//! downstream — a template, a CSV, an SMS — meets a character it cannot show.
//!
//! Every text field refuses the C0 controls other than tab, line feed and carriage return, and
//! DEL. A single-line value (a path or query parameter, a file name) also refuses those three and
//! the C1 controls (U+0080–U+009F).

use crate::error::Problem;

/// The field error's code for a refused control character.
pub const CONTROL_CODE: &str = "text.control_character";

/// Whether `c` is refused in a field of that kind.
pub fn is_refused(c: char, single_line: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => single_line,
        '\u{0}'..='\u{1f}' | '\u{7f}' => true,
        '\u{80}'..='\u{9f}' => single_line,
        _ => false,
    }
}

/// The first refused character of `value`.
pub fn refused_char(value: &str, single_line: bool) -> Option<char> {
    value.chars().find(|c| is_refused(*c, single_line))
}

/// The Russian message for a refused character, naming it as `U+0000` (it cannot be shown).
pub fn refused_message(c: char) -> String {
    let what = if c == '\0' {
        "нулевой байт".to_string()
    } else {
        format!("управляющий символ U+{:04X}", c as u32)
    };
    format!("Поле содержит {what}. Такие символы не принимаются: удалите его и отправьте ещё раз.")
}

/// The JSON Schema `pattern` (ECMA-262) that admits exactly the values [`is_refused`] lets through,
/// so that the API description says what the edge refuses: `^[^\x00-\x08…]*$`. Built from
/// [`is_refused`] itself, so the two cannot drift apart.
pub fn admitted_pattern(single_line: bool) -> String {
    let mut class = String::new();
    let mut c = 0u32;
    while c <= 0x9f {
        if !is_refused(char::from_u32(c).unwrap_or(' '), single_line) {
            c += 1;
            continue;
        }
        let start = c;
        while c < 0x9f && is_refused(char::from_u32(c + 1).unwrap_or(' '), single_line) {
            c += 1;
        }
        if start == c {
            class.push_str(&format!("\\x{start:02X}"));
        } else {
            class.push_str(&format!("\\x{start:02X}-\\x{c:02X}"));
        }
        c += 1;
    }
    format!("^[^{class}]*$")
}

/// Checks one field: `Err` names it with [`CONTROL_CODE`] (400, `validation.failed`).
pub fn check(field: &str, value: &str, single_line: bool) -> Result<(), Problem> {
    match refused_char(value, single_line) {
        Some(c) => Err(Problem::invalid_field(
            field,
            CONTROL_CODE,
            refused_message(c),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_described_pattern_names_exactly_the_refused_characters() {
        assert_eq!(
            admitted_pattern(false),
            r"^[^\x00-\x08\x0B-\x0C\x0E-\x1F\x7F]*$"
        );
        assert_eq!(admitted_pattern(true), r"^[^\x00-\x1F\x7F-\x9F]*$");
    }

    #[test]
    fn nul_and_other_c0_controls_are_refused_everywhere() {
        for c in [
            '\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}', '\u{7f}',
        ] {
            assert!(is_refused(c, false), "{:?}", c);
            assert!(is_refused(c, true), "{:?}", c);
        }
    }

    #[test]
    fn line_breaks_and_tabs_are_text_except_in_a_single_line() {
        for c in ['\t', '\n', '\r'] {
            assert!(!is_refused(c, false));
            assert!(is_refused(c, true));
        }
        assert!(is_refused('\u{85}', true) && !is_refused('\u{85}', false));
    }

    #[test]
    fn russian_text_and_symbols_pass() {
        assert_eq!(
            refused_char("Яма на дороге № 5 — «срочно» ✓ \u{a0}€", true),
            None
        );
    }

    #[test]
    fn a_refused_field_is_named_with_a_stable_code_and_a_russian_message() {
        let p = check("text", "a\0b", false).unwrap_err();
        assert_eq!((p.status, p.code.as_ref()), (400, "validation.failed"));
        assert_eq!(p.errors[0].field, "text");
        assert_eq!(p.errors[0].code, CONTROL_CODE);
        assert!(p.errors[0].message.contains("нулевой байт"));
        let p = check("city", "a\u{1b}", true).unwrap_err();
        assert!(
            p.errors[0].message.contains("U+001B"),
            "{}",
            p.errors[0].message
        );
    }
}
