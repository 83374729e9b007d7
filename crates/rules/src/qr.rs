//! `PaymentQr`: the payment QR payload of ГОСТ Р 56042-2014 ("ST00012|Name=…|PersonalAcc=…"),
//! built with checked field limits and parsed back; the separator is chosen automatically.

use crate::{Kopecks, RuleError};

/// The encoding tag of the header (ГОСТ Р 56042-2014, п. 4.2: 1 — Windows-1251, 2 — UTF-8,
/// 3 — KOI8-R). This crate reads `&str`, so for tags 1 and 3 the caller has already decoded the
/// bytes into text; the tag is only recorded. `to_payload` always writes tag 2 (UTF-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrEncoding {
    /// Tag 1.
    Windows1251,
    /// Tag 2.
    Utf8,
    /// Tag 3.
    Koi8R,
}

/// Format identifier and version (п. 4.2).
const HEADER: &str = "ST0001";

/// The mandatory requisites, in their required order (таблица 1).
const MANDATORY: [&str; 5] = ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"];

/// Requisites of tables 1 and 2 with their maximum lengths in characters; `true` when the value
/// must consist of digits. Requisites of table 3 (LastName, PayerAddress, UIN, …) and unknown
/// ones have no length limit in the standard and are kept as given.
const LIMITS: [(&str, usize, bool); 18] = [
    ("Name", 160, false),
    ("PersonalAcc", 20, true),
    ("BankName", 45, false),
    ("BIC", 9, true),
    ("CorrespAcc", 20, true),
    ("Sum", 18, true),
    ("Purpose", 210, false),
    ("PayeeINN", 12, true),
    ("PayerINN", 12, true),
    ("DrawerStatus", 2, false),
    ("KPP", 9, false),
    ("CBC", 20, false),
    ("OKTMO", 11, false),
    ("PaytReason", 2, false),
    ("TaxPeriod", 10, false),
    ("DocNo", 15, false),
    ("DocDate", 10, false),
    ("TaxPaytKind", 2, false),
];

/// Other requisites named by the standard (таблица 3), used to restore their spelling on parse.
const OTHER_KNOWN: [&str; 32] = [
    "LastName",
    "FirstName",
    "MiddleName",
    "PayerAddress",
    "PersonalAccount",
    "DocIdx",
    "PensAcc",
    "Contract",
    "PersAcc",
    "Flat",
    "Phone",
    "PayerIdType",
    "PayerIdNum",
    "ChildFio",
    "BirthDate",
    "PaymTerm",
    "PaymPeriod",
    "Category",
    "ServiceName",
    "CounterId",
    "CounterVal",
    "QuittId",
    "QuittDate",
    "InstNum",
    "ClassNum",
    "SpecFio",
    "AddAmount",
    "RuleId",
    "ExecId",
    "RegType",
    "UIN",
    "TechCode",
];

/// Separators tried in turn; '|' is the standard's default (п. 4.3: any character that does not
/// occur in the values may be used).
const SEPARATORS: [char; 14] = [
    '|', '#', ';', '^', '~', '@', '$', '%', '&', '*', '!', '/', '\\', '`',
];

/// A payment QR payload of ГОСТ Р 56042-2014 «Стандарты финансовых операций. Двумерные символы
/// штрихового кода для осуществления платежей физических лиц» (Росстандарт; the text is published
/// by the Federal Treasury), cross-read with if0ne/gost-56042-rs and aserdobintsev/GOST56042.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentQr {
    encoding: QrEncoding,
    fields: Vec<(String, String)>,
}

/// Collects requisites for a `PaymentQr`; `build` checks them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentQrBuilder {
    fields: Vec<(String, String)>,
    bad_sum: bool,
}

fn canonical_key(key: &str) -> String {
    LIMITS
        .iter()
        .map(|(k, _, _)| *k)
        .chain(OTHER_KNOWN)
        .find(|k| k.eq_ignore_ascii_case(key))
        .map_or_else(|| key.to_string(), str::to_string)
}

fn check_field(key: &str, value: &str) -> Result<(), RuleError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(RuleError::QrFieldFormat(key.to_string()));
    }
    if value.contains(['\r', '\n']) {
        return Err(RuleError::QrFieldFormat(key.to_string()));
    }
    if let Some((_, max, digits)) = LIMITS.iter().find(|(k, _, _)| *k == key) {
        if value.chars().count() > *max {
            return Err(RuleError::QrFieldTooLong {
                field: key.to_string(),
                max: *max,
            });
        }
        if *digits && (value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit())) {
            return Err(RuleError::QrFieldFormat(key.to_string()));
        }
    }
    let exact = match key {
        "PersonalAcc" => Some(20),
        "BIC" => Some(9),
        _ => None,
    };
    if exact.is_some_and(|n| value.len() != n)
        || (MANDATORY.contains(&key) && value.trim().is_empty())
    {
        return Err(RuleError::QrFieldFormat(key.to_string()));
    }
    Ok(())
}

fn check_all(fields: &[(String, String)]) -> Result<(), RuleError> {
    for m in MANDATORY {
        if !fields.iter().any(|(k, _)| k == m) {
            return Err(RuleError::QrMissingField(m));
        }
    }
    for (i, (k, v)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(other, _)| other == k) {
            return Err(RuleError::QrDuplicateField(k.clone()));
        }
        check_field(k, v)?;
    }
    Ok(())
}

/// Mandatory requisites first, in the standard's order; the rest as given.
fn ordered(mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    fields.sort_by_key(|(k, _)| {
        MANDATORY
            .iter()
            .position(|m| m == k)
            .unwrap_or(MANDATORY.len())
    });
    fields
}

impl PaymentQr {
    /// Starts a payload with the five mandatory requisites (таблица 1): payee name, payee
    /// account, bank name, BIK and correspondent account ("0" when the bank has none).
    pub fn builder(
        name: &str,
        personal_acc: &str,
        bank_name: &str,
        bic: &str,
        corresp_acc: &str,
    ) -> PaymentQrBuilder {
        PaymentQrBuilder {
            fields: MANDATORY
                .iter()
                .zip([name, personal_acc, bank_name, bic, corresp_acc])
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            bad_sum: false,
        }
    }

    /// Parses a payload. The header must be "ST0001" + tag 1, 2 or 3 + the separator; keys are
    /// matched case-insensitively and stored in the standard's spelling; unknown requisites are
    /// kept; an empty trailing segment (a final separator) is tolerated.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let rest = input
            .trim_end_matches(['\r', '\n'])
            .strip_prefix(HEADER)
            .ok_or(RuleError::QrHeader)?;
        let mut chars = rest.chars();
        let encoding = match chars.next() {
            Some('1') => QrEncoding::Windows1251,
            Some('2') => QrEncoding::Utf8,
            Some('3') => QrEncoding::Koi8R,
            _ => return Err(RuleError::QrEncoding),
        };
        let sep = match chars.next() {
            Some(c) if !c.is_alphanumeric() && c != '=' => c,
            _ => return Err(RuleError::QrHeader),
        };
        let body = chars.as_str();
        let mut fields = Vec::new();
        let segments: Vec<&str> = body.split(sep).collect();
        let last = segments.len().saturating_sub(1);
        for (i, seg) in segments.into_iter().enumerate() {
            if seg.is_empty() && i == last {
                continue;
            }
            let (k, v) = seg
                .split_once('=')
                .ok_or_else(|| RuleError::QrFieldFormat(seg.chars().take(20).collect()))?;
            fields.push((canonical_key(k.trim()), v.to_string()));
        }
        check_all(&fields)?;
        Ok(Self {
            encoding,
            fields: ordered(fields),
        })
    }

    /// The payload with tag 2 (UTF-8) and the first separator not occurring in any value.
    pub fn to_payload(&self) -> String {
        // `build`/`parse` guarantee a separator exists; '|' is the fallback of last resort.
        let sep = self.separator().unwrap_or('|');
        let mut out = format!("{HEADER}2");
        for (k, v) in &self.fields {
            out.push(sep);
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }

    fn separator(&self) -> Option<char> {
        SEPARATORS.into_iter().find(|c| {
            self.fields
                .iter()
                .all(|(k, v)| !k.contains(*c) && !v.contains(*c))
        })
    }

    /// The encoding tag the payload was read with (`Utf8` for a built one).
    pub fn encoding(&self) -> QrEncoding {
        self.encoding
    }

    /// A requisite by its standard name ("Purpose", "PayeeINN", …).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All requisites in payload order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Payee name (Name).
    pub fn name(&self) -> &str {
        self.get("Name").unwrap_or_default()
    }

    /// Payee account (PersonalAcc).
    pub fn personal_acc(&self) -> &str {
        self.get("PersonalAcc").unwrap_or_default()
    }

    /// Bank name (BankName).
    pub fn bank_name(&self) -> &str {
        self.get("BankName").unwrap_or_default()
    }

    /// BIK (BIC).
    pub fn bic(&self) -> &str {
        self.get("BIC").unwrap_or_default()
    }

    /// Correspondent account (CorrespAcc).
    pub fn corresp_acc(&self) -> &str {
        self.get("CorrespAcc").unwrap_or_default()
    }

    /// The amount (Sum, in kopecks), if given.
    pub fn sum(&self) -> Option<Kopecks> {
        self.get("Sum").and_then(|s| s.parse().ok()).map(Kopecks)
    }
}

impl PaymentQrBuilder {
    /// Sets any requisite by its standard name (replacing an earlier value).
    pub fn field(mut self, key: &str, value: &str) -> Self {
        let key = canonical_key(key);
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.fields.push((key, value.to_string())),
        }
        self
    }

    /// Sum, in kopecks (must not be negative).
    pub fn sum(mut self, sum: Kopecks) -> Self {
        self.bad_sum = sum.0 < 0;
        self.field("Sum", &sum.0.max(0).to_string())
    }

    /// Purpose of payment (≤ 210).
    pub fn purpose(self, v: &str) -> Self {
        self.field("Purpose", v)
    }
    /// Payee ИНН (≤ 12 digits).
    pub fn payee_inn(self, v: &str) -> Self {
        self.field("PayeeINN", v)
    }
    /// Payer ИНН (≤ 12 digits).
    pub fn payer_inn(self, v: &str) -> Self {
        self.field("PayerINN", v)
    }
    /// Payee КПП (≤ 9).
    pub fn kpp(self, v: &str) -> Self {
        self.field("KPP", v)
    }
    /// Budget classification code, КБК (≤ 20).
    pub fn cbc(self, v: &str) -> Self {
        self.field("CBC", v)
    }
    /// ОКТМО (≤ 11).
    pub fn oktmo(self, v: &str) -> Self {
        self.field("OKTMO", v)
    }
    /// УИН of the accrual.
    pub fn uin(self, v: &str) -> Self {
        self.field("UIN", v)
    }
    /// Payer's last name.
    pub fn last_name(self, v: &str) -> Self {
        self.field("LastName", v)
    }
    /// Payer's first name.
    pub fn first_name(self, v: &str) -> Self {
        self.field("FirstName", v)
    }
    /// Payer's patronymic.
    pub fn middle_name(self, v: &str) -> Self {
        self.field("MiddleName", v)
    }
    /// Payer's address.
    pub fn payer_address(self, v: &str) -> Self {
        self.field("PayerAddress", v)
    }

    /// Checks every requisite and that a separator can be chosen.
    pub fn build(self) -> Result<PaymentQr, RuleError> {
        if self.bad_sum {
            return Err(RuleError::QrFieldFormat("Sum".into()));
        }
        check_all(&self.fields)?;
        let qr = PaymentQr {
            encoding: QrEncoding::Utf8,
            fields: ordered(self.fields),
        };
        if qr.separator().is_none() {
            return Err(RuleError::QrSeparator);
        }
        Ok(qr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fns() -> PaymentQrBuilder {
        PaymentQr::builder(
            "Казначейство России (ФНС России)",
            "03100643000000018500",
            "ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ",
            "017003983",
            "40102810445370000059",
        )
    }

    #[test]
    fn builds_the_standard_layout() {
        let qr = fns()
            .sum(Kopecks(123_450))
            .purpose("Единый налоговый платёж")
            .payee_inn("7727406020")
            .kpp("770801001")
            .cbc("18201061201010000510")
            .oktmo("0")
            .last_name("Иванов")
            .build()
            .unwrap();
        let p = qr.to_payload();
        assert!(p.starts_with("ST00012|Name=Казначейство России (ФНС России)|PersonalAcc=03100643000000018500|BankName="));
        assert!(p.contains("|BIC=017003983|CorrespAcc=40102810445370000059|Sum=123450|Purpose="));
        assert_eq!(qr.sum(), Some(Kopecks(123_450)));
        assert_eq!(PaymentQr::parse(&p).unwrap(), qr);
    }

    #[test]
    fn separator_changes_when_a_value_has_a_bar() {
        let qr = fns().purpose("a|b").build().unwrap();
        let p = qr.to_payload();
        assert!(p.starts_with("ST00012#Name="), "{p}");
        assert_eq!(PaymentQr::parse(&p).unwrap().get("Purpose"), Some("a|b"));
        let all: String = SEPARATORS.iter().collect();
        assert_eq!(fns().purpose(&all).build(), Err(RuleError::QrSeparator));
    }

    #[test]
    fn parses_other_tags_and_lenient_spelling() {
        let text = "ST00011|name=ООО «Три кита»|PersonalAcc=40702810138250123017|BankName=ПАО СБЕРБАНК|BIC=044525225|CorrespAcc=30101810400000000225|sum=100|TechCode=02|";
        let qr = PaymentQr::parse(text).unwrap();
        assert_eq!(qr.encoding(), QrEncoding::Windows1251);
        assert_eq!(qr.name(), "ООО «Три кита»");
        assert_eq!(qr.sum(), Some(Kopecks(100)));
        assert_eq!(qr.get("TechCode"), Some("02"));
        assert!(qr.to_payload().starts_with("ST00012|Name="));
        assert_eq!(
            PaymentQr::parse(&text.replace("ST00011", "ST00013"))
                .unwrap()
                .encoding(),
            QrEncoding::Koi8R
        );
    }

    #[test]
    fn rejects() {
        let ok =
            "ST00012|Name=A|PersonalAcc=40702810138250123017|BankName=B|BIC=044525225|CorrespAcc=0";
        assert!(PaymentQr::parse(ok).is_ok());
        assert_eq!(PaymentQr::parse("ST0002|Name=A"), Err(RuleError::QrHeader));
        assert_eq!(
            PaymentQr::parse("ST00015|Name=A"),
            Err(RuleError::QrEncoding)
        );
        assert_eq!(
            PaymentQr::parse("ST00012|Name=A|BankName=B|BIC=044525225|CorrespAcc=0"),
            Err(RuleError::QrMissingField("PersonalAcc"))
        );
        assert_eq!(
            PaymentQr::parse(&format!("{ok}|Name=C")),
            Err(RuleError::QrDuplicateField("Name".into()))
        );
        assert_eq!(
            PaymentQr::parse(&format!("{ok}|Sum=12a")),
            Err(RuleError::QrFieldFormat("Sum".into()))
        );
        assert_eq!(
            PaymentQr::parse(&format!("{ok}|junk")),
            Err(RuleError::QrFieldFormat("junk".into()))
        );
        assert_eq!(
            fns().purpose(&"я".repeat(211)).build(),
            Err(RuleError::QrFieldTooLong {
                field: "Purpose".into(),
                max: 210
            })
        );
        assert!(fns().purpose(&"я".repeat(210)).build().is_ok());
        // The standard's 45 characters are fewer than some real treasury bank names have.
        assert_eq!(
            fns()
                .field(
                    "BankName",
                    "ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ//УФК по Тульской области, г Тула"
                )
                .build(),
            Err(RuleError::QrFieldTooLong {
                field: "BankName".into(),
                max: 45
            })
        );
        assert_eq!(
            PaymentQr::builder(
                &"N".repeat(161),
                "40702810138250123017",
                "B",
                "044525225",
                "0"
            )
            .build(),
            Err(RuleError::QrFieldTooLong {
                field: "Name".into(),
                max: 160
            })
        );
        assert_eq!(
            PaymentQr::builder("N", "4070281013825012301", "B", "044525225", "0").build(),
            Err(RuleError::QrFieldFormat("PersonalAcc".into()))
        );
        assert_eq!(
            fns().sum(Kopecks(-1)).build(),
            Err(RuleError::QrFieldFormat("Sum".into()))
        );
        assert_eq!(
            fns().field("Bad Key", "x").build(),
            Err(RuleError::QrFieldFormat("Bad Key".into()))
        );
        assert_eq!(
            fns().field("Purpose", "a\nb").build(),
            Err(RuleError::QrFieldFormat("Purpose".into()))
        );
    }

    proptest! {
        #[test]
        fn round_trip(
            name in "[А-Яа-яA-Za-z0-9«»|#.,][А-Яа-яA-Za-z0-9 «»|#.,]{0,159}",
            acc in "[0-9]{20}",
            bank in "[А-Яа-я/|][А-Яа-я /|]{0,44}",
            bic in "[0-9]{9}",
            sum in proptest::option::of(0i64..1_000_000_000_000),
            purpose in proptest::option::of("[А-Яа-я0-9 |#;=№]{0,210}"),
            address in proptest::option::of("\\PC{0,60}"),
        ) {
            let mut b = PaymentQr::builder(&name, &acc, &bank, &bic, "30101810400000000225");
            if let Some(s) = sum { b = b.sum(Kopecks(s)); }
            if let Some(p) = &purpose { b = b.purpose(p); }
            if let Some(a) = &address { b = b.payer_address(a); }
            let qr = b.build().unwrap();
            let back = PaymentQr::parse(&qr.to_payload()).unwrap();
            prop_assert_eq!(back.sum(), sum.map(Kopecks));
            prop_assert_eq!(back, qr);
        }
    }
}
