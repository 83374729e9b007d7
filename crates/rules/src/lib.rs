//! Pure Russian-domain rules: identifiers with check digits, money, the production calendar and
//! payment QR payloads. No I/O; everything here is deterministic and property-tested.

mod bank;
mod budget;
pub mod calendar;
mod common;
mod error;
pub mod fine;
mod inn;
mod kpp;
mod money;
mod ogrn;
mod passport;
mod phone;
pub mod qr;
mod snils;
mod uin;

pub use bank::{Account, Bik};
pub use budget::{Kbk, Oktmo};
pub use calendar::{DayKind, ProductionCalendar};
pub use error::RuleError;
pub use fine::Discount;
pub use inn::{Inn, InnKind};
pub use kpp::Kpp;
pub use money::Kopecks;
pub use ogrn::{Ogrn, Ogrnip};
pub use passport::PassportRf;
pub use phone::Phone;
pub use qr::{PaymentQr, PaymentQrBuilder, QrEncoding};
pub use snils::Snils;
pub use uin::Uin;

/// The kinds `validate` knows, for help texts.
pub const KINDS: [&str; 12] = [
    "snils", "inn", "ogrn", "ogrnip", "kpp", "bik", "account", "uin", "kbk", "oktmo", "passport",
    "phone",
];

/// Checks `value` as a `kind` (one of `KINDS`, case-insensitive). `account` needs the bank's
/// `bik` and is checked as a settlement account, or as a correspondent account when it starts
/// with «301» (or «40102» at a treasury BIK). Used by `okno validate KIND VALUE [--bik BIK]`.
pub fn validate(kind: &str, value: &str, bik: Option<&str>) -> Result<(), RuleError> {
    match kind.to_ascii_lowercase().as_str() {
        "snils" => Snils::parse(value).map(drop),
        "inn" => Inn::parse(value).map(drop),
        "ogrn" => Ogrn::parse(value).map(drop),
        "ogrnip" => Ogrnip::parse(value).map(drop),
        "kpp" => Kpp::parse(value).map(drop),
        "bik" => Bik::parse(value).map(drop),
        "uin" => Uin::parse(value).map(drop),
        "kbk" => Kbk::parse(value).map(drop),
        "oktmo" => Oktmo::parse(value).map(drop),
        "passport" => PassportRf::parse(value).map(drop),
        "phone" => Phone::parse(value).map(drop),
        "account" => {
            let bik = Bik::parse(bik.ok_or(RuleError::AccountBikRequired)?)?;
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if digits.starts_with("301") || (bik.is_treasury() && digits.starts_with("40102")) {
                Account::parse_correspondent(value, &bik).map(drop)
            } else {
                Account::parse_with_bik(value, &bik).map(drop)
            }
        }
        _ => Err(RuleError::UnknownKind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_dispatches() {
        assert_eq!(validate("snils", "112-233-445 95", None), Ok(()));
        assert_eq!(
            validate("SNILS", "112-233-445 96", None),
            Err(RuleError::SnilsChecksum)
        );
        assert_eq!(validate("inn", "7707083893", None), Ok(()));
        assert_eq!(validate("ogrn", "1027700132195", None), Ok(()));
        assert_eq!(validate("ogrnip", "304500116000157", None), Ok(()));
        assert_eq!(validate("kpp", "773601001", None), Ok(()));
        assert_eq!(validate("bik", "044525225", None), Ok(()));
        assert_eq!(validate("passport", "45 08 123456", None), Ok(()));
        assert_eq!(validate("phone", "8 916 123-45-67", None), Ok(()));
        assert_eq!(
            validate("uin", &format!("{}1", "1".repeat(19)), None),
            Ok(())
        );
        assert_eq!(
            validate("account", "30101810400000000225", Some("044525225")),
            Ok(())
        );
        assert_eq!(
            validate("account", "40102810445370000059", Some("017003983")),
            Ok(())
        );
        assert_eq!(
            validate("account", "03100643000000018500", Some("017003983")),
            Ok(())
        );
        let missing = validate("account", "30101810400000000225", None).unwrap_err();
        assert_eq!(missing.code(), "account.bik_required");
        assert_eq!(missing.to_string(), "Для проверки счёта нужен БИК банка");
        assert_eq!(
            validate("account", "1", Some("1")),
            Err(RuleError::BikLength)
        );
        assert_eq!(validate("iban", "x", None), Err(RuleError::UnknownKind));
        for k in KINDS {
            assert_ne!(
                validate(k, "", Some("044525225")),
                Err(RuleError::UnknownKind),
                "{k}"
            );
        }
    }
}
