//! `Ogrn` (13-digit main state registration number of an organisation) and `Ogrnip` (15 digits,
//! of an individual entrepreneur), each ending in a check digit over the preceding number.

use crate::common::{all_digits, string_newtype, strip};
use crate::RuleError;

/// A valid ОГРН of an organisation.
///
/// Structure and check (Sigiller/validators and Borodin/russian-requisites-validator, restating the
/// ФНС description of the number): the first digit is the record sign, 1 or 5 for an ОГРН (2, 6–9
/// are ГРН of later records, 3 and 4 are ОГРНИП); the 13th digit is (first 12 digits as a number
/// mod 11) mod 10.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ogrn(String);

string_newtype!(Ogrn);

/// A valid ОГРНИП of an individual entrepreneur.
///
/// Same sources: 15 digits, the first is 3 or 4; the 15th digit is (first 14 digits as a number
/// mod 13) mod 10 — not plain mod 13, whose remainders 10–12 would not fit one digit.
/// Not redacted: ЕГРИП is a public register.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ogrnip(String);

string_newtype!(Ogrnip);

pub(crate) fn ogrn_check(body: &str) -> u64 {
    body.parse::<u64>().map_or(u64::MAX, |n| n % 11 % 10)
}

pub(crate) fn ogrnip_check(body: &str) -> u64 {
    body.parse::<u64>().map_or(u64::MAX, |n| n % 13 % 10)
}

fn last_digit(s: &str) -> u64 {
    s.bytes().last().map_or(u64::MAX, |b| u64::from(b - b'0'))
}

impl Ogrn {
    /// Parses a 13-digit ОГРН; spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) {
            return Err(RuleError::OgrnFormat);
        }
        if s.len() != 13 {
            return Err(RuleError::OgrnLength);
        }
        if !s.starts_with(['1', '5']) {
            return Err(RuleError::OgrnPrefix);
        }
        if ogrn_check(&s[..12]) != last_digit(&s) {
            return Err(RuleError::OgrnChecksum);
        }
        Ok(Self(s))
    }
}

impl Ogrnip {
    /// Parses a 15-digit ОГРНИП; spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) {
            return Err(RuleError::OgrnipFormat);
        }
        if s.len() != 15 {
            return Err(RuleError::OgrnipLength);
        }
        if !s.starts_with(['3', '4']) {
            return Err(RuleError::OgrnipPrefix);
        }
        if ogrnip_check(&s[..14]) != last_digit(&s) {
            return Err(RuleError::OgrnipChecksum);
        }
        Ok(Self(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_ogrn() {
        // ПАО Сбербанк and ФНС России.
        assert!(Ogrn::parse("1027700132195").is_ok());
        assert!(Ogrn::parse("1047707030513").is_ok());
        assert_eq!(Ogrn::parse("1027700132194"), Err(RuleError::OgrnChecksum));
        assert_eq!(Ogrn::parse("102770013219"), Err(RuleError::OgrnLength));
        assert_eq!(Ogrn::parse("3027700132195"), Err(RuleError::OgrnPrefix));
        assert_eq!(Ogrn::parse("10277001321x5"), Err(RuleError::OgrnFormat));
    }

    #[test]
    fn ogrnip_vectors() {
        // The example used by Sigiller/validators and many form validators.
        assert!(Ogrnip::parse("304500116000157").is_ok());
        assert_eq!(
            Ogrnip::parse("304500116000158"),
            Err(RuleError::OgrnipChecksum)
        );
        assert_eq!(
            Ogrnip::parse("104500116000157"),
            Err(RuleError::OgrnipPrefix)
        );
        assert_eq!(
            Ogrnip::parse("30450011600015"),
            Err(RuleError::OgrnipLength)
        );
    }

    #[test]
    fn ogrnip_uses_mod_13_then_mod_10() {
        // A body whose remainder mod 13 is 11 must end in 1, not be unrepresentable.
        let body = (0u64..)
            .map(|k| 30_000_000_000_000 + k)
            .find(|n| n % 13 == 11)
            .unwrap()
            .to_string();
        assert!(Ogrnip::parse(&format!("{body}1")).is_ok());
    }

    proptest! {
        #[test]
        fn generated_ogrn_passes(n in 0u64..100_000_000_000, five in any::<bool>()) {
            let body = format!("{}{n:011}", if five { 5 } else { 1 });
            let s = format!("{}{}", body, ogrn_check(&body));
            prop_assert!(Ogrn::parse(&s).is_ok());
        }

        /// 10^k mod 11 is ±1, so a substitution of Δ in the body moves the number mod 11 by ±Δ ≠ 0:
        /// it is missed only when the remainders are 10 and 0 (both check 0). A substitution of
        /// the check digit is always caught.
        #[test]
        fn ogrn_substitutions(n in 0u64..100_000_000_000, pos in 1usize..13, d in 0u8..10) {
            let body = format!("1{n:011}");
            let s = format!("{body}{}", ogrn_check(&body));
            let mut b = s.clone().into_bytes();
            prop_assume!(b[pos] != b'0' + d);
            b[pos] = b'0' + d;
            let m = String::from_utf8(b).unwrap();
            let old = body.parse::<u64>().unwrap() % 11;
            let new = m[..12].parse::<u64>().unwrap() % 11;
            let undetectable = pos < 12 && old % 10 == new % 10;
            prop_assert_eq!(Ogrn::parse(&m).is_ok(), undetectable);
            if pos < 12 && undetectable {
                prop_assert!(old != new && old % 10 == 0);
            }
        }

        #[test]
        fn generated_ogrnip_passes(n in 0u64..10_000_000_000_000, four in any::<bool>()) {
            let body = format!("{}{n:013}", if four { 4 } else { 3 });
            let s = format!("{}{}", body, ogrnip_check(&body));
            prop_assert!(Ogrnip::parse(&s).is_ok());
        }

        /// Adjacent transpositions: rejected exactly when the recomputed check digit differs.
        #[test]
        fn ogrnip_transpositions(n in 0u64..10_000_000_000_000, pos in 1usize..14) {
            let body = format!("3{n:013}");
            let s = format!("{body}{}", ogrnip_check(&body));
            let mut b = s.into_bytes();
            prop_assume!(b[pos] != b[pos + 1]);
            b.swap(pos, pos + 1);
            let m = String::from_utf8(b).unwrap();
            let expect = ogrnip_check(&m[..14]) == u64::from(m.as_bytes()[14] - b'0');
            prop_assert_eq!(Ogrnip::parse(&m).is_ok(), expect);
        }
    }
}
