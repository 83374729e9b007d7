//! `Inn`: the taxpayer number (ИНН), 10 digits for organisations and 12 for persons, each with
//! mod-11-mod-10 check digits; a person's ИНН is personal data and is redacted in `Debug`.

use crate::common::{all_digits, string_newtype, strip, weighted_sum};
use crate::RuleError;

/// Whose ИНН it is, told by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InnKind {
    /// 10 digits: an organisation (юридическое лицо).
    LegalEntity,
    /// 12 digits: a person, including an individual entrepreneur (физическое лицо).
    Person,
}

/// A valid ИНН.
///
/// Algorithm (python-stdnum `stdnum/ru/inn.py`; Приказ ФНС России от 29.06.2012 № ММВ-7-6/435@
/// describes the structure): 10 digits — check = Σ w·d over digits 1–9 with weights
/// (2,4,10,3,5,9,4,6,8), mod 11, mod 10; 12 digits — first check over digits 1–10 with
/// (7,2,4,10,3,5,9,4,6,8), second over digits 1–11 with (3,7,2,4,10,3,5,9,4,6,8), each mod 11 mod 10.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Inn(String);

string_newtype!(Inn);

const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12A: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12B: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

pub(crate) fn check_digit(prefix: &str, weights: &[u32]) -> u32 {
    weighted_sum(prefix, weights) % 11 % 10
}

/// The check digits an ИНН body should end with: one for 9 digits, two for 10.
pub(crate) fn expected_tail(body: &str) -> String {
    if body.len() == 9 {
        check_digit(body, &W10).to_string()
    } else {
        let first = check_digit(body, &W12A);
        let with_first = format!("{body}{first}");
        format!("{first}{}", check_digit(&with_first, &W12B))
    }
}

impl Inn {
    /// Parses a 10- or 12-digit ИНН; surrounding and inner spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) {
            return Err(RuleError::InnFormat);
        }
        let body_len = match s.len() {
            10 => 9,
            12 => 10,
            _ => return Err(RuleError::InnLength),
        };
        if s[body_len..] != expected_tail(&s[..body_len]) {
            return Err(RuleError::InnChecksum);
        }
        Ok(Self(s))
    }

    /// Organisation (10 digits) or person (12 digits).
    pub fn kind(&self) -> InnKind {
        if self.0.len() == 10 {
            InnKind::LegalEntity
        } else {
            InnKind::Person
        }
    }
}

/// A person's ИНН is redacted; an organisation's is public (ЕГРЮЛ) and printed.
impl std::fmt::Debug for Inn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            InnKind::Person => f.write_str("Inn(***)"),
            InnKind::LegalEntity => write!(f, "Inn({:?})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference_valid(s: &str) -> bool {
        let d: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
        let c = |n: usize, w: &[u32]| (0..n).map(|i| d[i] * w[i]).sum::<u32>() % 11 % 10;
        if d.len() == 10 {
            c(9, &W10) == d[9]
        } else {
            c(10, &W12A) == d[10] && c(11, &W12B) == d[11]
        }
    }

    #[test]
    fn python_stdnum_vectors() {
        assert_eq!(Inn::parse("123456789047").unwrap().kind(), InnKind::Person);
        assert_eq!(
            Inn::parse("1234567894").unwrap().kind(),
            InnKind::LegalEntity
        );
        assert_eq!(Inn::parse("123456789037"), Err(RuleError::InnChecksum));
        assert_eq!(Inn::parse("1234567895"), Err(RuleError::InnChecksum));
    }

    #[test]
    fn published_organisations() {
        // ПАО Сбербанк and ФНС России, as printed on their own requisites.
        assert!(Inn::parse("7707083893").is_ok());
        assert!(Inn::parse("7707329152").is_ok());
    }

    #[test]
    fn rejects() {
        assert_eq!(Inn::parse("770708389"), Err(RuleError::InnLength));
        assert_eq!(Inn::parse("12345678904"), Err(RuleError::InnLength));
        assert_eq!(Inn::parse("77070838x3"), Err(RuleError::InnFormat));
        assert_eq!(Inn::parse("7707083894"), Err(RuleError::InnChecksum));
    }

    #[test]
    fn debug_redacts_only_persons() {
        assert_eq!(
            format!("{:?}", Inn::parse("123456789047").unwrap()),
            "Inn(***)"
        );
        assert_eq!(
            format!("{:?}", Inn::parse("7707083893").unwrap()),
            "Inn(\"7707083893\")"
        );
        let json = serde_json::to_string(&Inn::parse("7707083893").unwrap()).unwrap();
        assert_eq!(json, "\"7707083893\"");
    }

    prop_compose! {
        fn valid_inn()(person in any::<bool>(), n in 0u64..10_000_000_000) -> String {
            let body = if person { format!("{n:010}") } else { format!("{:09}", n % 1_000_000_000) };
            format!("{body}{}", expected_tail(&body))
        }
    }

    proptest! {
        #[test]
        fn generated_valid_passes(s in valid_inn()) {
            prop_assert!(Inn::parse(&s).is_ok());
            prop_assert!(reference_valid(&s));
        }

        /// A substitution of a check digit is always caught. In the body a substitution moves Σ
        /// by w·Δ, never a multiple of 11 (11 is prime, 0 < w, |Δ| < 11), but the final mod 10
        /// merges remainders 10 and 0, so such a change can go unseen: those cases are compared
        /// with the independent reference instead of being assumed detected.
        #[test]
        fn substitutions_and_transpositions(s in valid_inn(), pos in 0usize..12, d in 0u8..10) {
            let pos = pos % s.len();
            let body_len = if s.len() == 10 { 9 } else { 10 };
            let mut sub = s.clone().into_bytes();
            if sub[pos] != b'0' + d {
                sub[pos] = b'0' + d;
                let sub = String::from_utf8(sub).unwrap();
                prop_assert_eq!(Inn::parse(&sub).is_ok(), reference_valid(&sub));
                if pos >= body_len {
                    prop_assert!(Inn::parse(&sub).is_err());
                }
            }
            let p = pos.min(s.len() - 2);
            let mut tr = s.clone().into_bytes();
            if tr[p] != tr[p + 1] {
                tr.swap(p, p + 1);
                let tr = String::from_utf8(tr).unwrap();
                prop_assert_eq!(Inn::parse(&tr).is_ok(), reference_valid(&tr));
            }
        }
    }
}
