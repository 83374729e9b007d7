//! `Kopecks(i64)`: money in kopecks with checked arithmetic, parsing of "1234,50" / "1234.50"
//! and the Russian display «1 234,50 ₽»; serialised as a plain integer.

use crate::RuleError;

/// An amount of money in kopecks (1 ₽ = 100 коп.). Any `i64` is a valid amount.
///
/// `Display` follows Russian typographic practice (decimal comma, grouped thousands): groups of
/// three digits separated by U+00A0 NO-BREAK SPACE (chosen over U+202F because every font and
/// terminal has it), a comma before the kopecks, U+00A0 before «₽», and U+2212 MINUS SIGN for
/// negative amounts: «1 234,50 ₽», «−1 234,50 ₽».
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Kopecks(pub i64);

const NBSP: char = '\u{a0}';

impl Kopecks {
    /// Zero.
    pub const ZERO: Kopecks = Kopecks(0);

    /// Whole rubles.
    pub fn from_rubles(rubles: i64) -> Option<Self> {
        rubles.checked_mul(100).map(Kopecks)
    }

    /// The amount in kopecks.
    pub fn get(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Kopecks) -> Option<Kopecks> {
        self.0.checked_add(other.0).map(Kopecks)
    }

    /// `self − other`, or `None` on overflow.
    pub fn checked_sub(self, other: Kopecks) -> Option<Kopecks> {
        self.0.checked_sub(other.0).map(Kopecks)
    }

    /// Parses a ruble amount: "1234,50", "1234.50", "1234", "1234,5" (= 1234,50), "0,05",
    /// with an optional leading "-" or "−", digit-group spaces (space, U+00A0, U+202F) and a
    /// trailing "₽" — so the `Display` form parses back. More than two decimals are refused.
    pub fn from_rubles_str(input: &str) -> Result<Self, RuleError> {
        let mut t = input.trim();
        t = t.strip_suffix('₽').unwrap_or(t).trim_end();
        let (negative, t) = match t.strip_prefix('-').or_else(|| t.strip_prefix('\u{2212}')) {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t: String = t
            .chars()
            .filter(|c| !matches!(*c, ' ' | NBSP | '\u{202f}'))
            .collect();
        let (whole, frac) = match t.find([',', '.']) {
            Some(i) => (&t[..i], &t[i + 1..]),
            None => (&t[..], ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
            return Err(RuleError::MoneyFormat);
        }
        if (t.contains(',') && t.contains('.')) || (t.len() > whole.len() && frac.is_empty()) {
            return Err(RuleError::MoneyFormat);
        }
        let whole: i64 = whole.parse().map_err(|_| RuleError::MoneyOverflow)?;
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse().map_err(|_| RuleError::MoneyFormat)?,
        };
        let abs = whole
            .checked_mul(100)
            .and_then(|k| k.checked_add(frac))
            .ok_or(RuleError::MoneyOverflow)?;
        Ok(Kopecks(if negative { -abs } else { abs }))
    }
}

impl std::ops::Neg for Kopecks {
    type Output = Option<Kopecks>;
    fn neg(self) -> Option<Kopecks> {
        self.0.checked_neg().map(Kopecks)
    }
}

impl std::fmt::Display for Kopecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let abs = self.0.unsigned_abs();
        let rubles = (abs / 100).to_string();
        let mut grouped = String::with_capacity(rubles.len() * 2);
        for (i, c) in rubles.chars().enumerate() {
            if i > 0 && (rubles.len() - i) % 3 == 0 {
                grouped.push(NBSP);
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "\u{2212}" } else { "" };
        write!(f, "{sign}{grouped},{:02}{NBSP}₽", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display() {
        assert_eq!(Kopecks(123_450).to_string(), "1\u{a0}234,50\u{a0}₽");
        assert_eq!(
            Kopecks(-123_450).to_string(),
            "\u{2212}1\u{a0}234,50\u{a0}₽"
        );
        assert_eq!(Kopecks(5).to_string(), "0,05\u{a0}₽");
        assert_eq!(Kopecks(-5).to_string(), "\u{2212}0,05\u{a0}₽");
        assert_eq!(
            Kopecks(100_000_000).to_string(),
            "1\u{a0}000\u{a0}000,00\u{a0}₽"
        );
        assert_eq!(Kopecks(99_999).to_string(), "999,99\u{a0}₽");
        assert_eq!(
            Kopecks(i64::MIN).to_string(),
            "\u{2212}92\u{a0}233\u{a0}720\u{a0}368\u{a0}547\u{a0}758,08\u{a0}₽"
        );
    }

    #[test]
    fn parse() {
        assert_eq!(Kopecks::from_rubles_str("1234,50"), Ok(Kopecks(123_450)));
        assert_eq!(Kopecks::from_rubles_str("1234.50"), Ok(Kopecks(123_450)));
        assert_eq!(Kopecks::from_rubles_str("1234"), Ok(Kopecks(123_400)));
        assert_eq!(Kopecks::from_rubles_str("1234,5"), Ok(Kopecks(123_450)));
        assert_eq!(Kopecks::from_rubles_str("0,05"), Ok(Kopecks(5)));
        assert_eq!(Kopecks::from_rubles_str("-10,00"), Ok(Kopecks(-1000)));
        assert_eq!(Kopecks::from_rubles_str("1 234,50 ₽"), Ok(Kopecks(123_450)));
        for bad in [
            "", ",50", "12,345", "1,2,3", "1.2,3", "abc", "12,", "1 2a", "--1", "₽",
        ] {
            assert_eq!(
                Kopecks::from_rubles_str(bad),
                Err(RuleError::MoneyFormat),
                "{bad:?}"
            );
        }
        assert_eq!(
            Kopecks::from_rubles_str("99999999999999999999"),
            Err(RuleError::MoneyOverflow)
        );
        assert_eq!(
            Kopecks::from_rubles_str("92233720368547758,08"),
            Err(RuleError::MoneyOverflow)
        );
    }

    #[test]
    fn arithmetic_and_serde() {
        assert_eq!(Kopecks(1).checked_add(Kopecks(2)), Some(Kopecks(3)));
        assert_eq!(Kopecks(i64::MAX).checked_add(Kopecks(1)), None);
        assert_eq!(Kopecks(i64::MIN).checked_sub(Kopecks(1)), None);
        assert_eq!(-Kopecks(i64::MIN), None);
        assert_eq!(Kopecks::from_rubles(12), Some(Kopecks(1200)));
        assert_eq!(serde_json::to_string(&Kopecks(123_450)).unwrap(), "123450");
        assert_eq!(serde_json::from_str::<Kopecks>("-7").unwrap(), Kopecks(-7));
    }

    proptest! {
        #[test]
        fn display_parses_back(k in (i64::MIN + 1)..=i64::MAX) {
            prop_assert_eq!(Kopecks::from_rubles_str(&Kopecks(k).to_string()), Ok(Kopecks(k)));
        }

        #[test]
        fn plain_forms_parse(r in 0i64..10_000_000_000, c in 0i64..100) {
            let want = Kopecks(r * 100 + c);
            prop_assert_eq!(Kopecks::from_rubles_str(&format!("{r},{c:02}")), Ok(want));
            prop_assert_eq!(Kopecks::from_rubles_str(&format!("{r}.{c:02}")), Ok(want));
        }
    }
}
