//! The second step of signing in (a TOTP, SMS or recovery code), and setting up the authenticator
//! app and when the second factor is asked for.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth::{self};
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;
use rand::RngCore;
use serde::Serialize;

use crate::codes::{self, Checked, Purpose};
use crate::lockout::{clear_failures, count_failure, lock_of, locked_problem, Failure};
use crate::model::{challenge_gone, mask_phone, own_account, Method, SecondFactor};
use crate::privacy::alert;
use crate::sessions::{open_session, Client, SignedIn};
use crate::settings::{Identity, Settings};
use crate::store::{self, load, AccountRow};
use crate::totp;

/// Sends the sign-in code by SMS for a challenge (when the person picks SMS over the app).
pub async fn send_sign_in_sms(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    challenge: &str,
) -> Result<String> {
    let mut tx = db.begin().await?;
    let c = store::challenge(&mut tx, &auth::secret_hash(challenge))
        .await?
        .filter(|c| c.used_at.is_none() && c.expires_at > now_ms())
        .ok_or_else(challenge_gone)?;
    let a = load(&mut tx, &c.account_id).await?;
    let phone = match (&a.phone, a.phone_confirmed_at) {
        (Some(p), Some(_)) => p.clone(),
        _ => {
            return Err(Problem::conflict(
                "auth.no_phone",
                "Телефон не подтверждён: используйте приложение или резервный код.",
            )
            .into())
        }
    };
    codes::issue(
        &mut tx,
        secrets,
        &idn.settings,
        &a.id,
        Purpose::SignIn,
        &phone,
    )
    .await?;
    tx.commit().await?;
    Ok(mask_phone(&phone))
}

/// The second step of signing in: a TOTP code, an SMS code or a recovery code.
pub async fn complete_second_factor(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    challenge: &str,
    method: Method,
    code: &str,
    client: &Client,
) -> Result<SignedIn> {
    let s = &idn.settings;
    let hash = auth::secret_hash(challenge);
    let mut tx = db.begin().await?;
    let c = store::challenge(&mut tx, &hash)
        .await?
        .filter(|c| c.used_at.is_none() && c.expires_at > now_ms() && c.attempts < s.lockout_after)
        .ok_or_else(challenge_gone)?;
    let account = load(&mut tx, &c.account_id).await?;
    // While the account is locked no factor is checked, as no password is.
    let now = now_ms();
    if let Some(until) = lock_of(&mut tx, &account.id, now).await? {
        return Err(locked_problem(until, now).into());
    }
    let factor = Factor {
        hash: &hash,
        method,
        code,
    };
    if let Some(p) = check_factor(&mut tx, secrets, idn, &account, &factor).await? {
        let locked = count_refusal(&mut tx, s, &account, &factor, client).await?;
        tx.commit().await?;
        return Err(match locked {
            Some(until) => locked_problem(until, now_ms()),
            None => p,
        }
        .into());
    }
    store::mark_challenge_used(&mut tx, now_ms(), &hash).await?;
    clear_failures(&mut tx, &account.id).await?;
    let client = Client {
        terminal: client.terminal || c.terminal != 0,
        ..client.clone()
    };
    let signed = open_session(
        &mut tx,
        secrets,
        idn,
        &account,
        c.remember != 0,
        &client,
        true,
    )
    .await?;
    tx.commit().await?;
    Ok(signed)
}

/// The second factor a person gave for the challenge (its hash).
struct Factor<'a> {
    hash: &'a str,
    method: Method,
    code: &'a str,
}

/// Checks the second factor; `None` when accepted (a TOTP step, an SMS code or a recovery code is
/// used up), the refusal otherwise.
async fn check_factor(
    tx: &mut Tx,
    secrets: &Secrets,
    idn: &Identity,
    account: &AccountRow,
    f: &Factor<'_>,
) -> Result<Option<Problem>> {
    Ok(match f.method {
        Method::Totp => check_totp(tx, secrets, account, f.code).await?,
        Method::Sms => {
            let s = &idn.settings;
            match codes::check(tx, secrets, s, &account.id, Purpose::SignIn, f.code).await? {
                Checked::Accepted => None,
                Checked::Refused(p) => Some(p),
            }
        }
        Method::Recovery => {
            let typed: String = f
                .code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase();
            let hash = secrets.index("recovery-code", &format!("{}:{typed}", account.id));
            let used = store::use_recovery_code(tx, now_ms(), &account.id, &hash).await?;
            (!used).then(wrong_code)
        }
        Method::Passkey => {
            crate::passkeys::check_assertion(tx, idn, f.hash, &account.id, f.code).await?
        }
    })
}

/// Checks a code of the authenticator app: a step later than the last one accepted.
async fn check_totp(
    tx: &mut Tx,
    secrets: &Secrets,
    account: &AccountRow,
    code: &str,
) -> Result<Option<Problem>> {
    let Some(row) = store::confirmed_totp(tx, &account.id).await? else {
        return Ok(Some(Problem::conflict(
            "auth.no_totp",
            "Приложение-аутентификатор не подключено.",
        )));
    };
    let secret = hex::decode(secrets.decrypt(&row.secret_enc).map_err(Error::internal)?)
        .map_err(Error::internal)?;
    match totp::check(&secret, code, unix_now()) {
        Some(step) if (step as i64) > row.last_step => {
            store::set_totp_step(tx, step as i64, &account.id).await?;
            Ok(None)
        }
        _ => Ok(Some(wrong_code())),
    }
}

/// A wrong second factor: counted on the challenge and as a failed sign-in (which may lock the
/// account), audited, and the person alerted when it locked. Gives the end of the lock it set, if
/// it did; refuses at once (nothing to commit) when the account was locked meanwhile.
async fn count_refusal(
    tx: &mut Tx,
    s: &Settings,
    account: &AccountRow,
    f: &Factor<'_>,
    client: &Client,
) -> Result<Option<i64>> {
    store::count_challenge_attempt(tx, f.hash).await?;
    let locked = match count_failure(tx, s, &account.id).await? {
        // Locked since the check above: refused like the lock, nothing counted.
        Failure::AlreadyLocked(until) => return Err(locked_problem(until, now_ms()).into()),
        Failure::Locked(until) => Some(until),
        Failure::Counted => None,
    };
    let method = f.method;
    audit::append(
        tx,
        audit::Entry {
            actor: &account.actor(),
            action: if locked.is_some() { "identity.account.locked" } else { "identity.second_factor.failed" },
            subject_type: "account",
            subject_id: &account.id,
            details: serde_json::json!({ "method": format!("{method:?}").to_lowercase(), "ip": client.ip, "locked_until": locked }),
        },
    )
    .await?;
    if locked.is_some() {
        // Whoever failed here knew the password.
        alert(
            tx,
            account,
            "Вход заблокирован",
            "После нескольких неверных кодов подтверждения вход в вашу учётную запись временно заблокирован. Неверные коды вводили после верного пароля: смените пароль после разблокировки.",
        )
        .await?;
    }
    Ok(locked)
}

fn wrong_code() -> Problem {
    Problem::new(400, "code.wrong", "Неверный код")
        .with_detail(
            "Код неверный или уже использован. Проверьте время на телефоне и введите новый код.",
        )
        .with_field("code", "code.wrong", "Код неверный.")
}

fn unix_now() -> u64 {
    (now_ms() / 1000).max(0) as u64
}

/// What a person needs to add the account to an authenticator app.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// The secret in base32, to type by hand.
    pub secret: String,
    /// `otpauth://totp/…`
    pub uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

/// Starts adding an authenticator app: a new secret, not active until a code confirms it.
pub async fn totp_begin(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
) -> Result<TotpEnrolment> {
    let id = own_account(actor)?;
    let secret = totp::new_secret();
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    let label = a
        .email
        .clone()
        .or(a.phone.clone())
        .unwrap_or_else(|| a.id.clone());
    store::drop_pending_totp(&mut tx, id).await?;
    let secret_enc = secrets.encrypt(&hex::encode(&secret));
    if !store::insert_totp(&mut tx, id, &secret_enc, now_ms()).await? {
        return Err(Problem::conflict(
            "totp.already_enabled",
            "Приложение-аутентификатор уже подключено. Сначала отключите его.",
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.totp.enrolment_started",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    let uri = totp::provisioning_uri(&secret, &idn.settings.issuer, &label);
    Ok(TotpEnrolment {
        secret: totp::secret_base32(&secret),
        qr_svg: totp::qr_svg(&uri).map_err(Error::internal)?,
        uri,
    })
}

/// Confirms the app with a code it shows; returns 10 single-use recovery codes (shown once).
/// A person whose second factor was off now gets it at every sign-in.
pub async fn totp_confirm(
    db: &Db,
    secrets: &Secrets,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let row = store::pending_totp(&mut tx, id).await?.ok_or_else(|| {
        Problem::conflict(
            "totp.not_started",
            "Сначала начните подключение приложения.",
        )
    })?;
    let secret = hex::decode(secrets.decrypt(&row.secret_enc).map_err(Error::internal)?)
        .map_err(Error::internal)?;
    let Some(step) = totp::check(&secret, code, unix_now()) else {
        return Err(wrong_code().into());
    };
    let now = now_ms();
    store::confirm_totp(&mut tx, now, step as i64, id).await?;
    store::drop_recovery_codes(&mut tx, id).await?;
    let mut out = Vec::with_capacity(10);
    for _ in 0..10 {
        let mut b = [0u8; 5];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let raw = hex::encode(b);
        let hash = secrets.index("recovery-code", &format!("{id}:{raw}"));
        store::insert_recovery_code(&mut tx, id, &hash, now).await?;
        out.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    store::second_factor_on(&mut tx, id).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.totp.enabled",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "recovery_codes": 10 }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// When the second factor is asked for.
pub async fn set_second_factor(db: &Db, actor: &Actor, mode: SecondFactor) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    if a.is_staff() && mode != SecondFactor::Always {
        return Err(Problem::conflict(
            "auth.staff_second_factor",
            "Сотрудники входят со вторым фактором всегда.",
        )
        .into());
    }
    store::set_second_factor(&mut tx, mode.as_str(), id).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.second_factor.changed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "mode": mode.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
