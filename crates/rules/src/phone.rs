//! `Phone`: a Russian mobile number (+7 9xx …), normalised to E.164 "+79161234567" from the usual
//! spellings; personal data, redacted in `Debug`.

use crate::common::{redacted_debug, string_newtype};
use crate::RuleError;

/// A Russian mobile phone number in E.164 form.
///
/// Rule (Российская система и план нумерации, утв. Приказом Мининформсвязи России от 17.11.2006
/// № 142): country code 7, then a 10-digit national number; the codes 9xx form the DEF range of
/// mobile networks. Accepts a leading "+7", "7" or "8"
/// (the domestic trunk prefix) or the bare 10 digits; spaces, hyphens, dots and brackets are dropped.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

string_newtype!(Phone);
redacted_debug!(Phone);

impl Phone {
    /// Parses "8 916 123-45-67", "+7 (916) 123 45 67", "9161234567" and similar.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let t = input.trim();
        let (plus, rest) = match t.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let mut digits = String::with_capacity(11);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '\u{a0}' | '-' | '(' | ')' | '.' => {}
                _ => return Err(RuleError::PhoneFormat),
            }
        }
        let national = match (plus, digits.len()) {
            (true, 11) if digits.starts_with('7') => &digits[1..],
            (true, _) if !digits.starts_with('7') => return Err(RuleError::PhoneCountry),
            (false, 11) if digits.starts_with('8') || digits.starts_with('7') => &digits[1..],
            (false, 10) => &digits[..],
            _ => return Err(RuleError::PhoneLength),
        };
        if !national.starts_with('9') {
            return Err(RuleError::PhoneNotMobile);
        }
        Ok(Self(format!("+7{national}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spellings() {
        for s in [
            "8 916 123-45-67",
            "+7 (916) 123 45 67",
            "9161234567",
            "+79161234567",
            "79161234567",
            "8(916)123-45-67",
            "+7 916 123 45 67",
        ] {
            let p = Phone::parse(s).unwrap();
            assert_eq!(p.as_str(), "+79161234567", "{s}");
            assert_eq!(format!("{p:?}"), "Phone(***)");
        }
    }

    #[test]
    fn rejects() {
        assert_eq!(
            Phone::parse("8 495 123-45-67"),
            Err(RuleError::PhoneNotMobile)
        );
        assert_eq!(
            Phone::parse("+380 50 123 4567"),
            Err(RuleError::PhoneCountry)
        );
        assert_eq!(Phone::parse("+7 916 123 45 6"), Err(RuleError::PhoneLength));
        assert_eq!(Phone::parse("916 123 45 6"), Err(RuleError::PhoneLength));
        assert_eq!(
            Phone::parse("8 916 123-45-67 доб. 1"),
            Err(RuleError::PhoneFormat)
        );
        assert_eq!(Phone::parse(""), Err(RuleError::PhoneLength));
    }

    proptest! {
        #[test]
        fn every_spelling_normalises(n in "9[0-9]{9}", style in 0usize..4) {
            let input = match style {
                0 => format!("8 {} {}-{}-{}", &n[..3], &n[3..6], &n[6..8], &n[8..]),
                1 => format!("+7 ({}) {} {} {}", &n[..3], &n[3..6], &n[6..8], &n[8..]),
                2 => n.clone(),
                _ => format!("7{n}"),
            };
            let p = Phone::parse(&input).unwrap();
            prop_assert_eq!(p.as_str(), format!("+7{}", n));
        }
    }
}
