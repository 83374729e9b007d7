//! `Bik` (bank identification code) and `Account` (20-digit account number whose control key is
//! checked against a BIK): settlement accounts, correspondent accounts and treasury accounts.

use crate::common::{all_digits, string_newtype, strip, weighted_sum};
use crate::RuleError;

/// A well-formed БИК, 9 digits.
///
/// Structure: Положение Банка России от 06.05.2003 № 225-П described digits 1–2 as the country
/// code «04»; that still holds for credit institutions and Bank of Russia branches. Since the
/// treasury reform of 01.01.2021 (Федеральный закон от 27.12.2019 № 479-ФЗ) the directory also
/// carries BIKs of the territorial bodies of the Federal Treasury (ТОФК), which begin «00», «01» or
/// «02» (e.g. 017003983 «ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ//УФК по Тульской области», 024501901). A
/// platform that takes payments to the state must accept them, so only the leading «0» is required;
/// `is_treasury()` tells the two apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bik(String);

string_newtype!(Bik);

impl Bik {
    /// Parses a 9-digit БИК starting with 0; spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = strip(input, &[' ', '\u{a0}']);
        if !all_digits(&s) {
            return Err(RuleError::BikFormat);
        }
        if s.len() != 9 {
            return Err(RuleError::BikLength);
        }
        if !s.starts_with('0') {
            return Err(RuleError::BikPrefix);
        }
        Ok(Self(s))
    }

    /// True for a ТОФК (Federal Treasury) BIK, i.e. one not starting «04».
    pub fn is_treasury(&self) -> bool {
        !self.0.starts_with("04")
    }
}

/// A 20-digit account number whose control key agrees with the bank's BIK.
///
/// Algorithm (Порядок расчёта контрольного ключа в номере лицевого счёта, утв. ЦБ РФ 08.09.1997
/// № 515; restated in open-condo-software/condo `bankAccount.utils`): build 23 digits — for an
/// account at a bank, the BIK's last three digits + the account; for a correspondent account,
/// «0» + BIK digits 5–6 + the account — multiply by weights 7,1,3 repeating; valid when Σ mod 10 = 0.
/// Every weight is prime to 10, so every single-digit substitution is caught.
///
/// Treasury accounts («03…», opened with a ТОФК BIK) do not follow this key: the ФНС treasury
/// account 03100643000000018500 fails it with both published ТОФК BIKs. They are accepted
/// with a format check only (observed on published ФНС requisites; no normative text found).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account(String);

// Serialised as the digits; not `Deserialize`/`FromStr`: an account is checked only with a BIK.
string_newtype!(Account, display_only);

const KEY_WEIGHTS: [u32; 23] = [
    7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1,
];

pub(crate) fn key_ok(prefix: &str, account: &str) -> bool {
    weighted_sum(&format!("{prefix}{account}"), &KEY_WEIGHTS) % 10 == 0
}

fn digits20(input: &str) -> Result<String, RuleError> {
    let s = strip(input, &[' ', '\u{a0}', '.']);
    if !all_digits(&s) {
        return Err(RuleError::AccountFormat);
    }
    if s.len() != 20 {
        return Err(RuleError::AccountLength);
    }
    Ok(s)
}

impl Account {
    /// Parses a settlement (or any client) account held at the bank with `bik`.
    pub fn parse_with_bik(input: &str, bik: &Bik) -> Result<Self, RuleError> {
        let s = digits20(input)?;
        let treasury = bik.is_treasury() && s.starts_with("03");
        if !treasury && !key_ok(&bik.as_str()[6..9], &s) {
            return Err(RuleError::AccountChecksum);
        }
        Ok(Self(s))
    }

    /// Parses the correspondent account of the bank with `bik` (for a credit institution «301…»
    /// at the Bank of Russia; for a ТОФК, the single treasury account «40102…»).
    pub fn parse_correspondent(input: &str, bik: &Bik) -> Result<Self, RuleError> {
        let s = digits20(input)?;
        if !(s.starts_with("301") || (bik.is_treasury() && s.starts_with("40102"))) {
            return Err(RuleError::AccountCorrPrefix);
        }
        let prefix = format!("0{}", &bik.as_str()[4..6]);
        if !key_ok(&prefix, &s) {
            return Err(RuleError::AccountChecksum);
        }
        Ok(Self(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bik(s: &str) -> Bik {
        Bik::parse(s).unwrap()
    }

    #[test]
    fn bik_rules() {
        assert!(Bik::parse("044525225").is_ok()); // ПАО Сбербанк
        assert!(bik("017003983").is_treasury());
        assert!(!bik("044525225").is_treasury());
        assert_eq!(Bik::parse("04452522"), Err(RuleError::BikLength));
        assert_eq!(Bik::parse("04452522a"), Err(RuleError::BikFormat));
        assert_eq!(Bik::parse("144525225"), Err(RuleError::BikPrefix));
    }

    #[test]
    fn published_requisites() {
        // ПАО Сбербанк: БИК 044525225, к/с 30101810400000000225.
        let sber = bik("044525225");
        assert!(Account::parse_correspondent("30101810400000000225", &sber).is_ok());
        assert_eq!(
            Account::parse_correspondent("30101810400000000226", &sber),
            Err(RuleError::AccountChecksum)
        );
        assert_eq!(
            Account::parse_correspondent("40702810400000000225", &sber),
            Err(RuleError::AccountCorrPrefix)
        );
        // ФНС (ЕНП): БИК 017003983, ЕКС 40102810445370000059, казначейский счёт 03100643000000018500.
        let tula = bik("017003983");
        assert!(Account::parse_correspondent("40102810445370000059", &tula).is_ok());
        assert!(Account::parse_with_bik("03100643000000018500", &tula).is_ok());
        // The same treasury account at a bank BIK is checked and fails.
        assert_eq!(
            Account::parse_with_bik("03100643000000018500", &sber),
            Err(RuleError::AccountChecksum)
        );
        assert_eq!(
            Account::parse_with_bik("4070281", &sber),
            Err(RuleError::AccountLength)
        );
        assert_eq!(
            Account::parse_with_bik("4070281040000000022x", &sber),
            Err(RuleError::AccountFormat)
        );
    }

    /// Puts the right key digit (position 9) into `acc` for the 3-digit `prefix`.
    fn with_key(prefix: &str, acc: &str) -> String {
        (0..10)
            .map(|k| format!("{}{k}{}", &acc[..8], &acc[9..]))
            .find(|a| key_ok(prefix, a))
            .unwrap()
    }

    proptest! {
        #[test]
        fn generated_settlement_account_passes(b in 0u32..1000, a in "[0-9]{20}") {
            let bk = bik(&format!("044525{b:03}"));
            let acc = with_key(&bk.as_str()[6..], &a);
            prop_assert!(Account::parse_with_bik(&acc, &bk).is_ok());
        }

        /// Weights 7,1,3 are prime to 10: every substitution is caught. An adjacent
        /// transposition of a ≠ b moves Σ by (a−b)·(w₁−w₂) with w₁−w₂ ∈ {±6, ±2, ±4}, so it is
        /// missed exactly when |a−b| = 5.
        #[test]
        fn substitutions_and_transpositions(a in "[0-9]{20}", pos in 0usize..20, d in 0u8..10) {
            let bk = bik("044525225");
            let acc = with_key("225", &a);
            let mut sub = acc.clone().into_bytes();
            if sub[pos] != b'0' + d {
                sub[pos] = b'0' + d;
                let sub = String::from_utf8(sub).unwrap();
                prop_assert!(Account::parse_with_bik(&sub, &bk).is_err());
            }
            let p = pos.min(18);
            let mut tr = acc.into_bytes();
            let (x, y) = (tr[p], tr[p + 1]);
            if x != y {
                tr.swap(p, p + 1);
                let tr = String::from_utf8(tr).unwrap();
                prop_assert_eq!(Account::parse_with_bik(&tr, &bk).is_ok(), x.abs_diff(y) == 5);
            }
        }
    }
}
