//! `Uin`: the unique accrual identifier (УИН) of a payment to the state, 20 or 25 digits whose
//! last digit is a mod-11 control digit; used in payment orders and payment QR codes.

use crate::common::{all_digits, digit_values, string_newtype, strip};
use crate::RuleError;

/// A valid УИН.
///
/// Control digit (the ГИС ГМП rule for the УИН, as restated in the project's FACTS.md; the
/// normative act — Приказ Минфина России от 12.11.2013 № 107н and the Treasury's ГИС ГМП formats —
/// was not re-read in this session): over all digits but the last, weights 1,2,…,10 repeating;
/// Σ mod 11. If that is 10, repeat with weights starting at 3 (3,4,…,10,1,2,…); if 10 again, 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uin(String);

string_newtype!(Uin);

/// The control digit of `body` (19 or 24 digits).
pub(crate) fn control_digit(body: &str) -> u32 {
    let pass = |shift: usize| -> u32 {
        digit_values(body)
            .enumerate()
            .map(|(i, d)| d * ((i + shift) % 10 + 1) as u32)
            .sum::<u32>()
            % 11
    };
    match pass(0) {
        10 => match pass(2) {
            10 => 0,
            r => r,
        },
        r => r,
    }
}

impl Uin {
    /// Parses a 20- or 25-digit УИН; spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) {
            return Err(RuleError::UinFormat);
        }
        if s.len() != 20 && s.len() != 25 {
            return Err(RuleError::UinLength);
        }
        let (body, last) = s.split_at(s.len() - 1);
        if last != control_digit(body).to_string() {
            return Err(RuleError::UinChecksum);
        }
        Ok(Self(s))
    }

    /// Issues a 25-digit УИН: an eight-digit `prefix` (the code under which the issuer numbers its
    /// charges), a `number` below 10^16 written in sixteen digits, and the control digit. `None`
    /// when the prefix is not eight digits or the number does not fit.
    pub fn issue(prefix: &str, number: u64) -> Option<Self> {
        if prefix.len() != 8 || !all_digits(prefix) || number >= 10_u64.pow(16) {
            return None;
        }
        let body = format!("{prefix}{number:016}");
        let control = control_digit(&body);
        Some(Self(format!("{body}{control}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed() {
        // 19 ones: Σ = 1+2+…+10 + 1+…+9 = 55 + 45 = 100; 100 mod 11 = 1.
        assert_eq!(control_digit(&"1".repeat(19)), 1);
        assert!(Uin::parse(&format!("{}1", "1".repeat(19))).is_ok());
        // 19 zeros but a 1 in the 10th place: Σ = 10 → second pass, weight 2 (10th place,
        // shifted by 2 → (9+2) mod 10 + 1 = 2): Σ = 2.
        let body = "0000000001000000000";
        assert_eq!(control_digit(body), 2);
        assert_eq!(Uin::parse(&format!("{body}3")), Err(RuleError::UinChecksum));
        assert_eq!(Uin::parse("123"), Err(RuleError::UinLength));
        assert_eq!(
            Uin::parse("1234567890123456789x"),
            Err(RuleError::UinFormat)
        );
    }

    #[test]
    fn issued_uins_parse_and_refuse_bad_prefixes() {
        let u = Uin::issue("18810171", 42).unwrap();
        assert_eq!(u.as_str().len(), 25);
        assert!(u.as_str().starts_with("188101710000000000000042"));
        assert_eq!(Uin::parse(u.as_str()), Ok(u));
        assert_eq!(Uin::issue("1881017", 1), None);
        assert_eq!(Uin::issue("1881017x", 1), None);
        assert_eq!(Uin::issue("18810171", 10_u64.pow(16)), None);
    }

    #[test]
    fn both_remainders_ten_give_zero() {
        // Search for a body where both passes give 10 and check it ends in 0.
        let body = (0u64..)
            .map(|n| format!("{n:019}"))
            .find(|b| {
                let w = |shift: usize| {
                    b.bytes()
                        .enumerate()
                        .map(|(i, c)| u32::from(c - b'0') * ((i + shift) % 10 + 1) as u32)
                        .sum::<u32>()
                        % 11
                };
                w(0) == 10 && w(2) == 10
            })
            .unwrap();
        assert!(Uin::parse(&format!("{body}0")).is_ok());
    }

    proptest! {
        #[test]
        fn generated_valid_passes(body in "[0-9]{19}|[0-9]{24}") {
            let s = format!("{body}{}", control_digit(&body));
            prop_assert!(Uin::parse(&s).is_ok());
        }

        /// Rejected exactly when the recomputed control digit differs; a substitution of the
        /// control digit itself is always caught.
        #[test]
        fn substitutions_and_transpositions(body in "[0-9]{19}", pos in 0usize..20, d in 0u8..10) {
            let s = format!("{body}{}", control_digit(&body));
            let expect = |m: &str| control_digit(&m[..19]).to_string() == m[19..];
            let mut sub = s.clone().into_bytes();
            if sub[pos] != b'0' + d {
                sub[pos] = b'0' + d;
                let sub = String::from_utf8(sub).unwrap();
                prop_assert_eq!(Uin::parse(&sub).is_ok(), expect(&sub));
                if pos == 19 {
                    prop_assert!(Uin::parse(&sub).is_err());
                }
            }
            let p = pos.min(18);
            let mut tr = s.into_bytes();
            if tr[p] != tr[p + 1] {
                tr.swap(p, p + 1);
                let tr = String::from_utf8(tr).unwrap();
                prop_assert_eq!(Uin::parse(&tr).is_ok(), expect(&tr));
            }
        }
    }
}
