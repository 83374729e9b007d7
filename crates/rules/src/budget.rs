//! `Kbk` and `Oktmo`: the budget classification code (КБК) and the municipal territory code
//! (ОКТМО) a payment to the state names, so that the Treasury credits the right budget.
//!
//! Neither has a check digit; both are checked for their form only.
//! - КБК: 20 digits (Бюджетный кодекс РФ, ст. 18–20; the classification codes of budget revenues
//!   are 20 characters, as the ФНС XML formats type them, `КБКТип` T(=20)); in a payment order
//!   (field 104, Приказ Минфина России от 12.11.2013 № 107н, прил. 2) not all 20 may be zero.
//! - ОКТМО: 8 digits (a municipal formation) or 11 (a settlement inside it) (ОК 033-2013;
//!   `ОКТМОТип` T(=8)|T(=11) in the ФНС formats); in a payment order (field 105, № 107н) not all
//!   may be zero.
//!
//! The all-zero rule of № 107н is restated from memory of the act, not re-read in this session.

use crate::common::{all_digits, string_newtype, strip};
use crate::RuleError;

/// A well-formed КБК: 20 digits, not all zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kbk(String);

string_newtype!(Kbk);

impl Kbk {
    /// Parses a КБК; spaces between its groups («182 1 06 06042 04 1000 110») are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) || s.len() != 20 {
            return Err(RuleError::KbkFormat);
        }
        if s.bytes().all(|b| b == b'0') {
            return Err(RuleError::KbkZero);
        }
        Ok(Self(s))
    }
}

/// A well-formed ОКТМО: 8 or 11 digits, not all zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oktmo(String);

string_newtype!(Oktmo);

impl Oktmo {
    /// Parses an ОКТМО; spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) || (s.len() != 8 && s.len() != 11) {
            return Err(RuleError::OktmoFormat);
        }
        if s.bytes().all(|b| b == b'0') {
            return Err(RuleError::OktmoZero);
        }
        Ok(Self(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kbk_of_known_payments() {
        // Государственная пошлина за выдачу паспорта гражданина РФ (МВД), and the land tax of
        // a person in a city district (ФНС).
        assert_eq!(
            Kbk::parse("188 1 08 06000 01 8003 110").unwrap().as_str(),
            "18810806000018003110"
        );
        assert!(Kbk::parse("18210606042041000110").is_ok());
        assert_eq!(Kbk::parse("1881080600001800311"), Err(RuleError::KbkFormat));
        assert_eq!(
            Kbk::parse("188108060000180031100"),
            Err(RuleError::KbkFormat)
        );
        assert_eq!(
            Kbk::parse("1881080600001800311A"),
            Err(RuleError::KbkFormat)
        );
        assert_eq!(Kbk::parse("00000000000000000000"), Err(RuleError::KbkZero));
    }

    #[test]
    fn oktmo_has_8_or_11_digits() {
        assert!(Oktmo::parse("70701000").is_ok()); // г. Тула
        assert!(Oktmo::parse("45 382 000 001").is_ok());
        assert_eq!(Oktmo::parse("7070100"), Err(RuleError::OktmoFormat));
        assert_eq!(Oktmo::parse("7070100000"), Err(RuleError::OktmoFormat));
        assert_eq!(Oktmo::parse("7070100O"), Err(RuleError::OktmoFormat));
        assert_eq!(Oktmo::parse("00000000"), Err(RuleError::OktmoZero));
    }
}
