//! `Kpp`: the tax registration reason code (КПП) of an organisation, 9 characters
//! `^\d{4}[\dA-Z]{2}\d{3}$`, with no check digit.

use crate::common::{string_newtype, strip};
use crate::RuleError;

/// A well-formed КПП.
///
/// Structure (Приказ ФНС России от 29.06.2012 № ММВ-7-6/435@, п. 5): NNNN — code of the tax
/// office, PP — reason of registration (digits or capital Latin letters A–Z since 2013),
/// XXX — sequence number. There is no check digit. Lower-case letters are upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kpp(String);

string_newtype!(Kpp);

impl Kpp {
    /// Parses a КПП; surrounding spaces are ignored and Latin letters are upper-cased.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']).to_ascii_uppercase();
        let b = s.as_bytes();
        let ok = b.len() == 9
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..6]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[6..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(s))
        } else {
            Err(RuleError::KppFormat)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vectors() {
        assert!(Kpp::parse("773601001").is_ok()); // ПАО Сбербанк
        assert_eq!(Kpp::parse("7736AB001").unwrap().as_str(), "7736AB001");
        assert_eq!(Kpp::parse("7736ab001").unwrap().as_str(), "7736AB001");
        for bad in [
            "77360100",
            "7736010011",
            "77A601001",
            "7736АБ001",
            "773601O01",
            "",
        ] {
            assert_eq!(Kpp::parse(bad), Err(RuleError::KppFormat), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn regex_shape_passes(s in "[0-9]{4}[0-9A-Z]{2}[0-9]{3}") {
            let k = Kpp::parse(&s).unwrap();
            prop_assert_eq!(k.as_str(), s.as_str());
        }

        #[test]
        fn wrong_length_fails(s in "[0-9]{0,8}|[0-9]{10,12}") {
            prop_assert!(Kpp::parse(&s).is_err());
        }
    }
}
