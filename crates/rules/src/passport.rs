//! `PassportRf`: series and number of a Russian internal passport (4-digit series + 6-digit
//! number, no check digit); personal data, redacted in `Debug`.

use crate::common::{all_digits, redacted_debug, string_newtype};
use crate::RuleError;

/// Series and number of a passport of a citizen of the Russian Federation, stored as 10 digits.
///
/// Structure (Положение о паспорте гражданина РФ, утв. Постановлением Правительства РФ от
/// 08.07.1997 № 828, and the regulation that replaced it in 2023): a 4-digit series (2 digits of
/// the region by ОКАТО + 2 digits of the year of the blank) and a 6-digit number. No check digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PassportRf(String);

string_newtype!(PassportRf);
redacted_debug!(PassportRf);

impl PassportRf {
    /// Parses "45 08 123456", "4508 123456" or "4508123456" (spaces and a "№" are dropped).
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '№'))
            .collect();
        if !all_digits(&s) {
            return Err(RuleError::PassportFormat);
        }
        if s.len() != 10 {
            return Err(RuleError::PassportLength);
        }
        Ok(Self(s))
    }

    /// The 4-digit series.
    pub fn series(&self) -> &str {
        &self.0[..4]
    }

    /// The 6-digit number.
    pub fn number(&self) -> &str {
        &self.0[4..]
    }

    /// The printed form "45 08 123456".
    pub fn formatted(&self) -> String {
        format!("{} {} {}", &self.0[..2], &self.0[2..4], &self.0[4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spellings() {
        for s in [
            "45 08 123456",
            "4508 123456",
            "4508123456",
            " 4508 № 123456 ",
        ] {
            let p = PassportRf::parse(s).unwrap();
            assert_eq!(p.as_str(), "4508123456", "{s}");
            assert_eq!(p.series(), "4508");
            assert_eq!(p.number(), "123456");
            assert_eq!(p.formatted(), "45 08 123456");
            assert_eq!(format!("{p:?}"), "PassportRf(***)");
        }
        assert_eq!(
            PassportRf::parse("4508 12345"),
            Err(RuleError::PassportLength)
        );
        assert_eq!(
            PassportRf::parse("45-08-123456"),
            Err(RuleError::PassportFormat)
        );
        assert_eq!(
            PassportRf::parse("45O8123456"),
            Err(RuleError::PassportFormat)
        );
    }

    proptest! {
        #[test]
        fn any_ten_digits_pass(s in "[0-9]{10}") {
            let p = PassportRf::parse(&s).unwrap();
            prop_assert_eq!(PassportRf::parse(&p.formatted()).unwrap(), p);
        }
    }
}
