//! The sandbox bank's test cards and what each one does, the Luhn check, and the masking of a
//! card number (the full number is never stored or logged).

/// Pays at once (one-stage: CONFIRMED; two-stage: AUTHORIZED).
pub const CARD_SUCCESS: &str = "4300000000000777";
/// Pays after a 3-D Secure challenge on `/3ds/{PaymentId}` with the code [`THREE_DS_CODE`];
/// a wrong code fails the payment with AUTH_FAIL.
pub const CARD_3DS: &str = "4000000000000002";
/// Declined by the issuer: REJECTED, ErrorCode 1005.
pub const CARD_DECLINED: &str = "4000000000000069";
/// Not enough money: REJECTED, ErrorCode 1051.
pub const CARD_NO_FUNDS: &str = "4000000000009995";
/// A slow bank: the payment stays AUTHORIZING for `slow_ms`, then succeeds; a later `Confirm`
/// of it stays CONFIRMING for `slow_ms` before it answers.
pub const CARD_SLOW: &str = "4000000000000119";
/// The one-time code the sandbox's 3-D Secure page accepts.
pub const THREE_DS_CODE: &str = "1234";

/// Every test card with what it does, in Russian, for the sandbox's pages and the docs.
pub const TEST_CARDS: &[(&str, &str)] = &[
    (CARD_SUCCESS, "успешная оплата"),
    (
        CARD_3DS,
        "успешная оплата после проверки 3-D Secure (код 1234; другой код — отказ AUTH_FAIL)",
    ),
    (CARD_DECLINED, "отказ банка-эмитента (REJECTED, код 1005)"),
    (CARD_NO_FUNDS, "недостаточно средств (REJECTED, код 1051)"),
    (
        CARD_SLOW,
        "медленный банк: платёж долго в статусе AUTHORIZING, затем успешен",
    ),
];

/// What a test card does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Behaviour {
    Success,
    ThreeDs,
    Declined,
    NoFunds,
    Slow,
}

/// The behaviour of a card number (digits only), or `None` for a card that is not a test card.
pub(crate) fn behaviour(digits: &str) -> Option<Behaviour> {
    match digits {
        CARD_SUCCESS => Some(Behaviour::Success),
        CARD_3DS => Some(Behaviour::ThreeDs),
        CARD_DECLINED => Some(Behaviour::Declined),
        CARD_NO_FUNDS => Some(Behaviour::NoFunds),
        CARD_SLOW => Some(Behaviour::Slow),
        _ => None,
    }
}

/// The digits of a card number as typed (spaces and dashes dropped), if it has 12 to 19 digits
/// and nothing else.
pub(crate) fn digits(typed: &str) -> Option<String> {
    let d: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (d.len() >= 12 && d.len() <= 19 && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// The Luhn check digit test (ISO/IEC 7812-1).
pub(crate) fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// The card number as acquirers show it: first six and last four digits, stars between
/// (`430000******0777`).
pub(crate) fn mask(digits: &str) -> String {
    if digits.len() < 10 || !digits.is_ascii() {
        return "*".repeat(digits.chars().count());
    }
    format!(
        "{}{}{}",
        &digits[..6],
        "*".repeat(digits.len() - 10),
        &digits[digits.len() - 4..]
    )
}

/// `MM/YY` (or `MMYY`) as `(month, year)` with the full year, if well formed.
pub(crate) fn expiry(typed: &str) -> Option<(u32, i64)> {
    let d: String = typed.chars().filter(|c| c.is_ascii_digit()).collect();
    let rest: String = typed
        .chars()
        .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
        .collect();
    if d.len() != 4 || !(rest.is_empty() || rest == "/") {
        return None;
    }
    let month: u32 = d[..2].parse().ok()?;
    let year: i64 = d[2..].parse().ok()?;
    (1..=12).contains(&month).then_some((month, 2000 + year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_passes_luhn_and_has_a_behaviour() {
        for (card, _) in TEST_CARDS {
            assert!(luhn_ok(card), "{card}");
            assert!(behaviour(card).is_some(), "{card}");
        }
        assert!(!luhn_ok("4300000000000778"));
        assert!(!luhn_ok(""));
    }

    #[test]
    fn a_card_is_masked_like_acquirers_do() {
        assert_eq!(mask(CARD_SUCCESS), "430000******0777");
        assert_eq!(mask("123"), "***");
    }

    #[test]
    fn typed_numbers_and_expiries_are_read() {
        assert_eq!(
            digits("4300 0000 0000 0777").as_deref(),
            Some("4300000000000777")
        );
        assert_eq!(digits("4300abc"), None);
        assert_eq!(expiry("12/30"), Some((12, 2030)));
        assert_eq!(expiry("1230"), Some((12, 2030)));
        assert_eq!(expiry("13/30"), None);
        assert_eq!(expiry("1/3"), None);
        assert_eq!(expiry("12.30"), None);
    }
}
