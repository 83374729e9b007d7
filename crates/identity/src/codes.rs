//! One-time codes: 6 random digits sent by SMS or e-mail through the outbox, stored only as a keyed
//! hash, valid 5 minutes, single use, 3 wrong tries at most, and resent no faster than allowed.

use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Tx;
use okno_kernel::error::{Problem, Result};
use okno_kernel::pii::Secrets;
use okno_notify::{Channel, Message};
use rand::Rng;

use crate::settings::Settings;
use crate::store::{self, NewCode};

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ConfirmPhone,
    ConfirmEmail,
    SignIn,
    /// Access recovery: to the confirmed phone or e-mail the person named.
    Recovery,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::ConfirmPhone => "confirm_phone",
            Purpose::ConfirmEmail => "confirm_email",
            Purpose::SignIn => "sign_in",
            Purpose::Recovery => "recovery",
        }
    }

    fn channel(self, target: &str) -> Channel {
        match self {
            Purpose::ConfirmEmail => Channel::Email,
            Purpose::Recovery if target.contains('@') => Channel::Email,
            _ => Channel::Sms,
        }
    }

    fn text(self, code: &str) -> (String, String) {
        match self {
            Purpose::ConfirmPhone => (
                String::new(),
                format!("Код подтверждения телефона: {code}. Никому не сообщайте его. Окно"),
            ),
            Purpose::ConfirmEmail => (
                "Подтверждение электронной почты".into(),
                format!(
                    "Здравствуйте!\n\nКод подтверждения электронной почты: {code}\nКод действует 5 минут. Если вы не регистрировались на портале «Окно», просто удалите это письмо.\n"
                ),
            ),
            Purpose::SignIn => (
                String::new(),
                format!("Код для входа: {code}. Никому не сообщайте его, даже сотрудникам. Окно"),
            ),
            Purpose::Recovery => (
                "Восстановление доступа".into(),
                format!("Код для восстановления доступа: {code}. Код действует 5 минут. Никому не сообщайте его. Если вы не восстанавливали доступ, ничего не делайте: без кода и ваших документов пароль не сменить. Окно"),
            ),
        }
    }
}

fn code_hash(secrets: &Secrets, id: &str, code: &str) -> String {
    secrets.index("one-time-code", &format!("{id}:{code}"))
}

/// Issues a new code for `purpose` and queues it to `target` in the transaction; earlier unused
/// codes of the same purpose stop working. Refused when the last code was sent less than the
/// resend interval ago, or too many were sent in the last hour.
pub async fn issue(
    tx: &mut Tx,
    secrets: &Secrets,
    settings: &Settings,
    account_id: &str,
    purpose: Purpose,
    target: &str,
) -> Result<()> {
    let now = now_ms();
    let last = store::last_code_at(tx, account_id, purpose.as_str()).await?;
    if let Some(last) = last {
        let wait = last + settings.code_resend_ms - now;
        if wait > 0 {
            return Err(
                Problem::new(429, "code.resend_too_soon", "Слишком частые запросы кода")
                    .with_detail(format!(
                        "Новый код можно запросить через {} с.",
                        (wait + 999) / 1000
                    ))
                    .into(),
            );
        }
    }
    let recent = store::codes_since(tx, account_id, purpose.as_str(), now - 3_600_000).await?;
    if recent >= settings.codes_per_hour {
        return Err(Problem::new(429, "code.too_many", "Слишком много кодов")
            .with_detail("За последний час отправлено слишком много кодов. Повторите позже.")
            .into());
    }
    store::supersede_codes(tx, now, account_id, purpose.as_str()).await?;
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let id = new_id();
    store::insert_code(
        tx,
        &NewCode {
            id: &id,
            account_id,
            purpose: purpose.as_str(),
            target,
            code_hash: code_hash(secrets, &id, &code),
            created_at: now,
            expires_at: now + settings.code_ttl_ms,
        },
    )
    .await?;
    let (subject, text) = purpose.text(&code);
    okno_notify::service::queue_sensitive(
        tx,
        vec![Message {
            channel: purpose.channel(target),
            to: target.to_string(),
            subject,
            text,
        }],
    )
    .await?;
    Ok(())
}

/// The outcome of checking a code. A wrong code's try is counted, so the caller commits either way.
#[derive(Debug)]
pub enum Checked {
    Accepted,
    Refused(Problem),
}

/// Checks `code` against the live code of `purpose`: consumed when right, one try used when wrong.
pub async fn check(
    tx: &mut Tx,
    secrets: &Secrets,
    settings: &Settings,
    account_id: &str,
    purpose: Purpose,
    code: &str,
) -> Result<Checked> {
    let now = now_ms();
    let row = store::live_code(tx, account_id, purpose.as_str()).await?;
    let Some(row) = row else {
        return Ok(Checked::Refused(
            Problem::new(400, "code.none", "Код не запрашивался")
                .with_detail("Действующего кода нет. Запросите новый код."),
        ));
    };
    if row.expires_at <= now {
        return Ok(Checked::Refused(
            Problem::new(400, "code.expired", "Срок действия кода истёк")
                .with_detail("Код действует 5 минут. Запросите новый код."),
        ));
    }
    if row.attempts >= settings.code_attempts {
        return Ok(Checked::Refused(
            Problem::new(400, "code.attempts_exhausted", "Попытки исчерпаны")
                .with_detail("Код введён неверно слишком много раз. Запросите новый код."),
        ));
    }
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() == 6
        && typed.bytes().all(|b| b.is_ascii_digit())
        && code_hash(secrets, &row.id, &typed) == row.code_hash
    {
        store::mark_code_used(tx, now, &row.id).await?;
        return Ok(Checked::Accepted);
    }
    store::count_code_attempt(tx, &row.id).await?;
    let left = settings.code_attempts - row.attempts - 1;
    let detail = if left > 0 {
        format!("Код неверный. Осталось попыток: {left}.")
    } else {
        "Код неверный. Попытки исчерпаны — запросите новый код.".to_string()
    };
    Ok(Checked::Refused(
        Problem::new(400, "code.wrong", "Неверный код")
            .with_detail(detail)
            .with_field("code", "code.wrong", "Код неверный."),
    ))
}
