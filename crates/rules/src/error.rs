//! `RuleError`: every refusal of the rules crate, with a stable English machine code (`code()`)
//! and a Russian message for people (`Display`). All Russian wording of this crate lives here.

/// Why a value was refused. `code()` is stable and meant for machines and logs; `Display` is the
/// Russian sentence shown to a person. Variants never carry the refused value itself, so an error
/// can be logged without leaking personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    // --- СНИЛС ---
    #[error("СНИЛС может содержать только цифры, пробелы и дефисы")]
    SnilsFormat,
    #[error("СНИЛС должен состоять из 11 цифр")]
    SnilsLength,
    #[error("Контрольное число СНИЛС не совпадает")]
    SnilsChecksum,

    // --- ИНН ---
    #[error("ИНН может содержать только цифры")]
    InnFormat,
    #[error("ИНН должен состоять из 10 цифр (организация) или 12 цифр (физическое лицо)")]
    InnLength,
    #[error("Контрольное число ИНН не совпадает")]
    InnChecksum,

    // --- ОГРН / ОГРНИП ---
    #[error("ОГРН может содержать только цифры")]
    OgrnFormat,
    #[error("ОГРН должен состоять из 13 цифр")]
    OgrnLength,
    #[error("ОГРН должен начинаться с цифры 1 или 5")]
    OgrnPrefix,
    #[error("Контрольное число ОГРН не совпадает")]
    OgrnChecksum,
    #[error("ОГРНИП может содержать только цифры")]
    OgrnipFormat,
    #[error("ОГРНИП должен состоять из 15 цифр")]
    OgrnipLength,
    #[error("ОГРНИП должен начинаться с цифры 3 или 4")]
    OgrnipPrefix,
    #[error("Контрольное число ОГРНИП не совпадает")]
    OgrnipChecksum,

    // --- КПП ---
    #[error(
        "КПП должен состоять из 9 знаков: 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры"
    )]
    KppFormat,

    // --- БИК и счета ---
    #[error("БИК может содержать только цифры")]
    BikFormat,
    #[error("БИК должен состоять из 9 цифр")]
    BikLength,
    #[error("БИК российского участника расчётов начинается с цифры 0")]
    BikPrefix,
    #[error("Номер счёта может содержать только цифры")]
    AccountFormat,
    #[error("Номер счёта должен состоять из 20 цифр")]
    AccountLength,
    #[error("Контрольный ключ счёта не совпадает с БИК")]
    AccountChecksum,
    #[error("Корреспондентский счёт банка должен начинаться с 301")]
    AccountCorrPrefix,
    #[error("Для проверки счёта нужен БИК банка")]
    AccountBikRequired,

    // --- УИН ---
    #[error("УИН может содержать только цифры")]
    UinFormat,
    #[error("УИН должен состоять из 20 или 25 цифр")]
    UinLength,
    #[error("Контрольный разряд УИН не совпадает")]
    UinChecksum,

    // --- КБК, ОКТМО ---
    #[error("КБК — это 20 цифр")]
    KbkFormat,
    #[error("КБК не может состоять из одних нулей")]
    KbkZero,
    #[error("ОКТМО — это 8 или 11 цифр")]
    OktmoFormat,
    #[error("ОКТМО не может состоять из одних нулей")]
    OktmoZero,

    // --- Паспорт ---
    #[error("Серия и номер паспорта могут содержать только цифры и пробелы")]
    PassportFormat,
    #[error("Серия и номер паспорта — это 4 цифры серии и 6 цифр номера")]
    PassportLength,

    // --- Телефон ---
    #[error("Телефон может содержать только цифры, пробелы, скобки, дефисы и знак +")]
    PhoneFormat,
    #[error("Номер мобильного телефона должен состоять из 10 цифр после +7 или 8")]
    PhoneLength,
    #[error("Принимаются только российские номера (+7)")]
    PhoneCountry,
    #[error("Принимаются только мобильные номера (код 9xx)")]
    PhoneNotMobile,

    // --- Деньги ---
    #[error("Сумма должна быть записана цифрами, например 1234,50")]
    MoneyFormat,
    #[error("Сумма слишком велика")]
    MoneyOverflow,

    // --- Производственный календарь ---
    #[error("Ошибка в данных производственного календаря, строка {line}: {reason}")]
    CalendarData { line: usize, reason: &'static str },

    // --- QR-код платежа (ГОСТ Р 56042-2014) ---
    #[error("Строка не является платёжным QR-кодом ГОСТ Р 56042-2014 (нет заголовка ST0001)")]
    QrHeader,
    #[error("Неизвестная кодировка платёжного QR-кода (допустимы 1, 2, 3)")]
    QrEncoding,
    #[error("В платёжном QR-коде нет обязательного реквизита {0}")]
    QrMissingField(&'static str),
    #[error("Реквизит {0} указан в платёжном QR-коде дважды")]
    QrDuplicateField(String),
    #[error("Реквизит {field} длиннее {max} символов")]
    QrFieldTooLong { field: String, max: usize },
    #[error("Реквизит {0} платёжного QR-кода заполнен неверно")]
    QrFieldFormat(String),
    #[error("Не удалось подобрать символ-разделитель: значения содержат все допустимые символы")]
    QrSeparator,

    // --- validate() ---
    #[error("Неизвестный вид реквизита; допустимы: snils, inn, ogrn, ogrnip, kpp, bik, account, uin, kbk, oktmo, passport, phone")]
    UnknownKind,
}

impl RuleError {
    /// Stable machine code, English `snake.case`, e.g. `"snils.checksum"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SnilsFormat => "snils.format",
            Self::SnilsLength => "snils.length",
            Self::SnilsChecksum => "snils.checksum",
            Self::InnFormat => "inn.format",
            Self::InnLength => "inn.length",
            Self::InnChecksum => "inn.checksum",
            Self::OgrnFormat => "ogrn.format",
            Self::OgrnLength => "ogrn.length",
            Self::OgrnPrefix => "ogrn.prefix",
            Self::OgrnChecksum => "ogrn.checksum",
            Self::OgrnipFormat => "ogrnip.format",
            Self::OgrnipLength => "ogrnip.length",
            Self::OgrnipPrefix => "ogrnip.prefix",
            Self::OgrnipChecksum => "ogrnip.checksum",
            Self::KppFormat => "kpp.format",
            Self::BikFormat => "bik.format",
            Self::BikLength => "bik.length",
            Self::BikPrefix => "bik.prefix",
            Self::AccountFormat => "account.format",
            Self::AccountLength => "account.length",
            Self::AccountChecksum => "account.checksum",
            Self::AccountCorrPrefix => "account.corr_prefix",
            Self::AccountBikRequired => "account.bik_required",
            Self::UinFormat => "uin.format",
            Self::UinLength => "uin.length",
            Self::UinChecksum => "uin.checksum",
            Self::KbkFormat => "kbk.format",
            Self::KbkZero => "kbk.zero",
            Self::OktmoFormat => "oktmo.format",
            Self::OktmoZero => "oktmo.zero",
            Self::PassportFormat => "passport.format",
            Self::PassportLength => "passport.length",
            Self::PhoneFormat => "phone.format",
            Self::PhoneLength => "phone.length",
            Self::PhoneCountry => "phone.country",
            Self::PhoneNotMobile => "phone.not_mobile",
            Self::MoneyFormat => "money.format",
            Self::MoneyOverflow => "money.overflow",
            Self::CalendarData { .. } => "calendar.data",
            Self::QrHeader => "qr.header",
            Self::QrEncoding => "qr.encoding",
            Self::QrMissingField(_) => "qr.missing_field",
            Self::QrDuplicateField(_) => "qr.duplicate_field",
            Self::QrFieldTooLong { .. } => "qr.field_too_long",
            Self::QrFieldFormat(_) => "qr.field_format",
            Self::QrSeparator => "qr.separator",
            Self::UnknownKind => "validate.unknown_kind",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_with_a_dot() {
        let all = [
            RuleError::SnilsChecksum,
            RuleError::InnLength,
            RuleError::AccountCorrPrefix,
            RuleError::CalendarData {
                line: 1,
                reason: "x",
            },
            RuleError::QrFieldTooLong {
                field: "Name".into(),
                max: 160,
            },
            RuleError::UnknownKind,
        ];
        for e in all {
            let code = e.code();
            assert!(code.contains('.'), "{code}");
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn messages_are_russian() {
        assert_eq!(
            RuleError::SnilsChecksum.to_string(),
            "Контрольное число СНИЛС не совпадает"
        );
        assert_eq!(RuleError::InnLength.code(), "inn.length");
    }
}
