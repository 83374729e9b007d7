//! Access recovery online: a code to the person's confirmed phone or e-mail, plus the number of a
//! document held in the profile (СНИЛС or passport). Then a new password, every session ended and
//! an alert. Neither step tells whether an account exists. (At a service point: the offices part.)

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use okno_kernel::pii::Secrets;
use okno_rules::{PassportRf, Snils};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::codes::{self, Checked, Purpose};
use crate::model::Login;
use crate::password_change::{new_password_hash, store_password};
use crate::settings::Identity;
use crate::store::{self, load};

/// Wrong codes or documents a ticket allows before it is spent.
const TICKET_ATTEMPTS: i64 = 3;

/// The first step's answer: the same whether the login exists or not.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    /// Send it back with the code, the document and the new password.
    pub ticket: String,
    pub message: &'static str,
}

const SENT: &str = "Если учётная запись с таким телефоном или почтой есть и контакт подтверждён, на него отправлен код. Введите его вместе с номером СНИЛС или паспорта и новым паролем.";

/// Step 1: a phone or e-mail. A code goes to it when it is a confirmed contact of an account.
pub async fn start(db: &Db, secrets: &Secrets, idn: &Identity, login: &str) -> Result<Ticket> {
    let parsed = Login::parse(login).filter(|l| l.email.is_some() || l.phone.is_some());
    let account = match &parsed {
        Some(l) => {
            let mut c = db.read().await?;
            let phone = l.phone.as_ref().map(|p| p.as_str());
            store::account_by_confirmed_contact(&mut c, l.email.as_deref(), phone).await?
        }
        None => None,
    };
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let ticket = hex::encode(b);
    let now = now_ms();
    let mut tx = db.begin().await?;
    store::insert_recovery_ticket(
        &mut tx,
        &auth::secret_hash(&ticket),
        account.as_ref().map(|a| a.id.as_str()),
        now,
        now + idn.settings.code_ttl_ms,
    )
    .await?;
    if let (Some(a), Some(l)) = (&account, &parsed) {
        let target = match (&l.email, &a.email) {
            (Some(_), Some(e)) => e.clone(),
            _ => a.phone.clone().unwrap_or_default(),
        };
        match codes::issue(
            &mut tx,
            secrets,
            &idn.settings,
            &a.id,
            Purpose::Recovery,
            &target,
        )
        .await
        {
            Ok(()) => {}
            // Too many codes: the ticket stays, but nothing is sent; the answer must not differ.
            Err(okno_kernel::Error::Problem(p)) if p.status == 429 => {}
            Err(e) => return Err(e),
        }
        audit::append(
            &mut tx,
            audit::Entry {
                actor: &a.actor(),
                action: "identity.recovery.started",
                subject_type: "account",
                subject_id: &a.id,
                details: serde_json::json!({ "channel": if target.contains('@') { "email" } else { "sms" } }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ticket {
        ticket,
        message: SENT,
    })
}

/// Step 2.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    pub ticket: String,
    pub code: String,
    /// The СНИЛС or the passport's series and number, as in the profile.
    pub document: String,
    pub password: String,
}

fn refused() -> Problem {
    Problem::new(400, "recovery.refused", "Восстановить доступ не удалось").with_detail(
        "Код, номер документа или срок действия не подошли. Проверьте их или начните заново. Если документы в профиль не внесены, восстановите доступ в центре обслуживания с паспортом.",
    )
}

/// Step 2: the code, a document of the profile and a new password. On success every session is
/// ended, the lockout is lifted and the person is told.
pub async fn complete(db: &Db, secrets: &Secrets, idn: &Identity, c: Completion) -> Result<()> {
    let hash = auth::secret_hash(&c.ticket);
    let t = {
        let mut conn = db.read().await?;
        store::recovery_ticket(&mut conn, &hash).await?
    };
    let live = t.as_ref().is_some_and(|t| {
        t.used_at.is_none() && t.expires_at > now_ms() && t.attempts < TICKET_ATTEMPTS
    });
    let Some(account_id) = t.and_then(|t| t.account_id).filter(|_| live) else {
        if live {
            // A ticket of an unknown login: count the try like any other.
            let mut tx = db.begin().await?;
            store::count_ticket_attempt(&mut tx, &hash).await?;
            tx.commit().await?;
        }
        return Err(refused().into());
    };
    let a = {
        let mut tx = db.begin().await?;
        load(&mut tx, &account_id).await?
    };
    // The new password is checked first: its problems are the person's to fix, and tell nothing.
    let new_hash = new_password_hash(db, idn, &a, &c.password).await?;
    let mut tx = db.begin().await?;
    // The document first: a wrong one must not use up the code.
    let document_ok = document_matches(&mut tx, secrets, &a.id, &c.document).await?;
    let code_ok = document_ok
        && matches!(
            codes::check(
                &mut tx,
                secrets,
                &idn.settings,
                &a.id,
                Purpose::Recovery,
                &c.code
            )
            .await?,
            Checked::Accepted
        );
    if !(code_ok && document_ok) {
        store::count_ticket_attempt(&mut tx, &hash).await?;
        audit::append(
            &mut tx,
            audit::Entry {
                actor: &a.actor(),
                action: "identity.recovery.failed",
                subject_type: "account",
                subject_id: &a.id,
                details: serde_json::json!({ "code_ok": code_ok, "document_ok": document_ok }),
            },
        )
        .await?;
        tx.commit().await?;
        return Err(refused().into());
    }
    store::use_recovery_ticket(&mut tx, now_ms(), &hash).await?;
    let ended = store_password(&mut tx, &a, &new_hash, None).await?;
    store::lift_throttle(&mut tx, &a.id).await?;
    let actor: Actor = a.actor();
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &actor,
            action: "identity.recovery.completed",
            subject_type: "account",
            subject_id: &a.id,
            details: serde_json::json!({ "sessions_ended": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `typed` is the СНИЛС or the passport number stored in the account's profile.
async fn document_matches(
    tx: &mut okno_kernel::Tx,
    secrets: &Secrets,
    account_id: &str,
    typed: &str,
) -> Result<bool> {
    let d = store::recovery_docs(tx, account_id).await?;
    let Some(d) = d else { return Ok(false) };
    let snils = Snils::parse(typed)
        .ok()
        .map(|s| secrets.index("snils", s.as_str()));
    let passport = PassportRf::parse(typed)
        .ok()
        .map(|p| crate::profile::passport_index(secrets, &p));
    Ok((snils.is_some() && snils == d.snils_idx)
        || (passport.is_some() && passport == d.passport_idx))
}
