//! Charge types: what a charge is for, its status machine, whom it is for, the amount due on a
//! day (a fine's discount for early payment) and its ГОСТ Р 56042-2014 payment QR payload.

use okno_kernel::clock::{parse_date, Date};
use okno_kernel::error::{Refusal, Transitions};
use okno_rules::calendar::ProductionCalendar;
use okno_rules::fine::Discount;
use okno_rules::PaymentQr;
use serde::{Deserialize, Serialize};

/// What a charge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ChargeKind)]
pub enum Kind {
    /// Государственная пошлина (made from an application, or loaded by the agency).
    Fee,
    /// Штраф.
    Fine,
    /// Налог.
    Tax,
    /// Иной платёж.
    Other,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Fee, Kind::Fine, Kind::Tax, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fee => "fee",
            Kind::Fine => "fine",
            Kind::Tax => "tax",
            Kind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Russian name for pages.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Fee => "Госпошлина",
            Kind::Fine => "Штраф",
            Kind::Tax => "Налог",
            Kind::Other => "Платёж",
        }
    }
}

/// Where a charge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ChargeStatus)]
pub enum Status {
    /// Не оплачено: waiting for the payment.
    Active,
    /// Оплачено.
    Paid,
    /// Аннулировано by its agency (with a reason).
    Annulled,
}

impl Transitions for Status {
    fn refuse(self, what: &str) -> Refusal {
        Refusal::new(
            "charge.transition_forbidden",
            format!("Нельзя {what}: начисление в статусе «{}».", self.title()),
        )
    }
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::Paid, Status::Annulled];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paid => "paid",
            Status::Annulled => "annulled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Status::Active => "Не оплачено",
            Status::Paid => "Оплачено",
            Status::Annulled => "Аннулировано",
        }
    }

    /// The agency changes the amount, the due date or the purpose of an unpaid charge.
    pub fn change(self) -> Result<Status, Refusal> {
        self.step(
            self == Status::Active,
            Status::Active,
            "изменить начисление",
        )
    }

    /// Someone starts paying the charge: only an unpaid one.
    pub fn may_pay(self) -> Result<(), Refusal> {
        self.step(self == Status::Active, self, "оплатить начисление")
            .map(|_| ())
    }

    /// The agency annuls an unpaid charge.
    pub fn annul(self) -> Result<Status, Refusal> {
        self.step(
            self == Status::Active,
            Status::Annulled,
            "аннулировать начисление",
        )
    }
}

/// Whom a charge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayerKind {
    /// The account told about the application whose state fee it is.
    Account,
    /// A person, by СНИЛС.
    Snils,
    /// A person or an organisation, by ИНН.
    Inn,
    /// A driver, by the driving licence (fines of the road police).
    DriverLicence,
    /// A vehicle's owner, by its registration certificate (СТС).
    VehicleCertificate,
}

impl PayerKind {
    pub const ALL: [PayerKind; 5] = [
        PayerKind::Account,
        PayerKind::Snils,
        PayerKind::Inn,
        PayerKind::DriverLicence,
        PayerKind::VehicleCertificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayerKind::Account => "account",
            PayerKind::Snils => "snils",
            PayerKind::Inn => "inn",
            PayerKind::DriverLicence => "driver_licence",
            PayerKind::VehicleCertificate => "vehicle_certificate",
        }
    }

    pub fn parse(s: &str) -> Option<PayerKind> {
        PayerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            PayerKind::Account => "учётная запись",
            PayerKind::Snils => "СНИЛС",
            PayerKind::Inn => "ИНН",
            PayerKind::DriverLicence => "водительское удостоверение",
            PayerKind::VehicleCertificate => "свидетельство о регистрации ТС",
        }
    }

    /// The identifier in its one stored form, checked: СНИЛС and ИНН by their control digits
    /// (the rules crate); a driving licence or a vehicle registration certificate by its printed
    /// format only — two digits, two digits or capital Cyrillic letters (the series), six digits
    /// (the number) — as neither carries a control digit. Spaces are ignored.
    pub fn identifier(self, input: &str) -> Result<String, (&'static str, String)> {
        match self {
            PayerKind::Account => Err((
                "charge.payer_kind",
                "Начисление на учётную запись создаётся только из заявления.".into(),
            )),
            PayerKind::Snils => okno_rules::Snils::parse(input)
                .map(|s| s.as_str().to_string())
                .map_err(|e| (e.code(), e.to_string())),
            PayerKind::Inn => okno_rules::Inn::parse(input)
                .map(|s| s.as_str().to_string())
                .map_err(|e| (e.code(), e.to_string())),
            PayerKind::DriverLicence | PayerKind::VehicleCertificate => {
                let s: String = input
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .flat_map(char::to_uppercase)
                    .collect();
                if document_number_ok(&s) {
                    Ok(s)
                } else {
                    Err((
                        "charge.document_format",
                        format!(
                            "Номер документа ({}): серия из двух цифр и двух цифр или букв, затем шесть цифр, например 77 АВ 123456.",
                            self.title()
                        ),
                    ))
                }
            }
        }
    }
}

/// `99 99 999999` or `99 АА 999999`, spaces removed.
fn document_number_ok(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    let digit = |i: usize| c[i].is_ascii_digit();
    let cyr = |i: usize| ('А'..='Я').contains(&c[i]) || c[i] == 'Ё';
    c.len() == 10
        && digit(0)
        && digit(1)
        && ((digit(2) && digit(3)) || (cyr(2) && cyr(3)))
        && (4..10).all(digit)
}

/// A charge as stored.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct ChargeRow {
    pub id: String,
    pub uin: String,
    pub agency_code: String,
    pub kind: String,
    pub source: String,
    pub application_id: Option<String>,
    pub application_number: Option<String>,
    pub payee_name: String,
    pub payee_inn: String,
    pub payee_kpp: String,
    pub payee_bik: String,
    pub payee_bank: String,
    pub payee_account: String,
    pub payee_corr_account: String,
    pub kbk: String,
    pub oktmo: String,
    pub purpose: String,
    pub amount_kopecks: i64,
    pub discount_percent: Option<i64>,
    pub discount_days: Option<i64>,
    pub ruling_date: Option<String>,
    pub issued_on: String,
    pub due_date: String,
    pub payer_kind: String,
    pub payer_idx: Option<String>,
    pub payer_enc: Option<String>,
    pub payer_name_enc: String,
    pub account_id: Option<String>,
    pub status: String,
    pub paid_kopecks: i64,
    pub revision: i64,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ChargeRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Active)
    }

    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Other)
    }

    /// The fine's discount for early payment, when it has one.
    pub fn discount(&self) -> Option<Discount> {
        let percent = u8::try_from(self.discount_percent?).ok()?;
        let days = u16::try_from(self.discount_days?).ok()?;
        let ruling = parse_date(self.ruling_date.as_deref()?)?;
        Some(Discount {
            percent,
            days,
            ruling,
        })
    }

    /// What is to be paid on `day` (the discount applied while it holds), less what was paid.
    pub fn amount_due(&self, day: Date, cal: &ProductionCalendar) -> i64 {
        let full = match self.discount() {
            Some(d) => d.amount_due(self.amount_kopecks, day, cal),
            None => self.amount_kopecks,
        };
        (full - self.paid_kopecks).max(0)
    }

    /// The payment QR code's payload (ГОСТ Р 56042-2014, UTF-8) for paying `amount` kopecks by a
    /// bank transfer: the payee's requisites, the budget requisites and the УИН.
    pub fn payment_qr(&self, amount: i64) -> Result<String, okno_rules::RuleError> {
        Ok(PaymentQr::builder(
            &self.payee_name,
            &self.payee_account,
            &self.payee_bank,
            &self.payee_bik,
            &self.payee_corr_account,
        )
        .sum(okno_rules::Kopecks(amount))
        .purpose(&self.purpose)
        .payee_inn(&self.payee_inn)
        .kpp(&self.payee_kpp)
        .cbc(&self.kbk)
        .oktmo(&self.oktmo)
        .uin(&self.uin)
        .build()?
        .to_payload())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_allow_change_and_annulment_only_while_unpaid() {
        assert_eq!(Status::Active.change(), Ok(Status::Active));
        assert_eq!(Status::Active.annul(), Ok(Status::Annulled));
        let refused = Status::Paid.annul().unwrap_err();
        assert_eq!(refused.code, "charge.transition_forbidden");
        assert!(
            refused.message.contains("«Оплачено»"),
            "{}",
            refused.message
        );
        assert!(Status::Annulled.change().is_err());
    }

    #[test]
    fn every_code_has_its_russian_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert!(!k.title().is_empty());
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for p in PayerKind::ALL {
            assert_eq!(PayerKind::parse(p.as_str()), Some(p));
            assert!(p.title().chars().all(|c| !c.is_ascii_alphabetic()));
        }
    }

    #[test]
    fn document_numbers_by_their_printed_format() {
        let dl = PayerKind::DriverLicence;
        assert_eq!(dl.identifier("77 07 123456").unwrap(), "7707123456");
        assert_eq!(dl.identifier("77 ав 123456").unwrap(), "77АВ123456");
        assert!(dl.identifier("77 AB 123456").is_err(), "Latin letters");
        assert!(dl.identifier("7707 12345").is_err());
        assert!(dl.identifier("77071234567").is_err());
        assert_eq!(
            PayerKind::Snils.identifier("112-233-445 95").unwrap(),
            "11223344595"
        );
        assert_eq!(
            PayerKind::Snils.identifier("112-233-445 96").unwrap_err().0,
            "snils.checksum"
        );
        assert!(PayerKind::Account.identifier("x").is_err());
    }
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Made here; the acquirer has not answered yet.
    Created,
    /// The acquirer took it; the payer is on its form (or 3-D Secure).
    Pending,
    /// The money is held on the card.
    Authorised,
    /// Оплачено: the money is taken.
    Captured,
    /// Declined, or 3-D Secure failed.
    Failed,
    /// Cancelled before the money was taken.
    Cancelled,
    /// Not paid in time: cancelled by the platform.
    Expired,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::Created,
        PaymentStatus::Pending,
        PaymentStatus::Authorised,
        PaymentStatus::Captured,
        PaymentStatus::Failed,
        PaymentStatus::Cancelled,
        PaymentStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorised => "authorised",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            PaymentStatus::Created => "Готовится",
            PaymentStatus::Pending => "Ожидает оплаты",
            PaymentStatus::Authorised => "Деньги заблокированы на карте",
            PaymentStatus::Captured => "Оплачено",
            PaymentStatus::Failed => "Не прошёл",
            PaymentStatus::Cancelled => "Отменён",
            PaymentStatus::Expired => "Время на оплату истекло",
        }
    }

    /// Still waiting for its outcome.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PaymentStatus::Created | PaymentStatus::Pending | PaymentStatus::Authorised
        )
    }

    /// The status an acquirer's outcome moves the payment to; `None` when nothing changes: the
    /// same status, a late answer from an earlier step, or anything after the capture (a refund
    /// is its own act). A capture reported after the platform gave up on the payment still
    /// counts: the acquirer holds the money, so the payment is paid.
    pub fn after(self, outcome: Outcome) -> Option<PaymentStatus> {
        use PaymentStatus::*;
        let to = match outcome {
            Outcome::Pending => Pending,
            Outcome::Authorised => Authorised,
            Outcome::Captured => Captured,
            Outcome::Failed => Failed,
            Outcome::Cancelled => Cancelled,
        };
        let moves = match (self, to) {
            (Captured, _) => false,
            (_, Captured) => true,
            (Created, t) => t != Created,
            (Pending, t) => matches!(t, Authorised | Failed | Cancelled),
            (Authorised, t) => matches!(t, Failed | Cancelled),
            _ => false,
        };
        moves.then_some(to)
    }
}

/// What the acquirer says of a payment, in the platform's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Authorised,
    Captured,
    Failed,
    Cancelled,
}

/// A payment as stored.
#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: String,
    pub charge_id: String,
    pub uin: String,
    pub account_id: Option<String>,
    pub method: String,
    pub amount_kopecks: i64,
    pub commission_kopecks: i64,
    pub status: String,
    pub open_charge_id: Option<String>,
    pub acquirer: String,
    pub acquirer_payment_id: Option<String>,
    pub payment_url: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub card_pan: Option<String>,
    pub card_exp: Option<String>,
    pub rrn: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub captured_at: Option<i64>,
}

impl PaymentRow {
    pub fn status(&self) -> PaymentStatus {
        PaymentStatus::parse(&self.status).unwrap_or(PaymentStatus::Failed)
    }
}

/// The Russian reason of an acquirer's refusal code (T-Bank's codes as the acquirer crate's
/// sandbox answers them); a generic sentence for the others.
pub fn failure_text(code: &str) -> &'static str {
    match code {
        "1051" => "Недостаточно средств на карте.",
        "1005" => "Банк, выпустивший карту, отклонил операцию. Позвоните в свой банк или попробуйте другую карту.",
        "101" => "Не пройдена проверка 3-D Secure: код подтверждения не подошёл.",
        "expired" => "Время на оплату истекло. Начните оплату заново.",
        _ => "Банк не провёл платёж. Попробуйте ещё раз или другую карту.",
    }
}

#[cfg(test)]
mod payment_tests {
    use super::*;

    #[test]
    fn outcomes_move_a_payment_forward_only() {
        use PaymentStatus::*;
        assert_eq!(Created.after(Outcome::Pending), Some(Pending));
        assert_eq!(Pending.after(Outcome::Captured), Some(Captured));
        assert_eq!(Authorised.after(Outcome::Captured), Some(Captured));
        assert_eq!(Pending.after(Outcome::Pending), None);
        assert_eq!(Authorised.after(Outcome::Pending), None);
        // Nothing after the capture; a capture after the platform gave up still counts.
        assert_eq!(Captured.after(Outcome::Pending), None);
        assert_eq!(Captured.after(Outcome::Failed), None);
        assert_eq!(Expired.after(Outcome::Captured), Some(Captured));
        assert_eq!(Failed.after(Outcome::Cancelled), None);
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
    }
}
