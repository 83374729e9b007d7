//! The second step of signing in (a TOTP, SMS or recovery code), and setting up the authenticator
//! app and when the second factor is asked for.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth::{self};
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;
use rand::RngCore;
use serde::Serialize;

use crate::codes::{self, Checked, Purpose};
use crate::lockout::{clear_failures, count_failure, lock_of, locked_problem, Failure};
use crate::model::{challenge_gone, mask_phone, own_account, Method, SecondFactor};
use crate::privacy::alert;
use crate::sessions::{open_session, Client, SignedIn};
use crate::settings::Identity;
use crate::store::{self, load};
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
    let refused = match method {
        Method::Totp => {
            let row = store::confirmed_totp(&mut tx, &account.id).await?;
            match row {
                None => Some(Problem::conflict(
                    "auth.no_totp",
                    "Приложение-аутентификатор не подключено.",
                )),
                Some(row) => {
                    let secret =
                        hex::decode(secrets.decrypt(&row.secret_enc).map_err(Error::internal)?)
                            .map_err(Error::internal)?;
                    match totp::check(&secret, code, unix_now()) {
                        Some(step) if (step as i64) > row.last_step => {
                            store::set_totp_step(&mut tx, step as i64, &account.id).await?;
                            None
                        }
                        _ => Some(wrong_code()),
                    }
                }
            }
        }
        Method::Sms => {
            match codes::check(&mut tx, secrets, s, &account.id, Purpose::SignIn, code).await? {
                Checked::Accepted => None,
                Checked::Refused(p) => Some(p),
            }
        }
        Method::Recovery => {
            let typed: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase();
            let hash = secrets.index("recovery-code", &format!("{}:{typed}", account.id));
            let used = store::use_recovery_code(&mut tx, now_ms(), &account.id, &hash).await?;
            (!used).then(wrong_code)
        }
        Method::Passkey => {
            crate::passkeys::check_assertion(&mut tx, idn, &hash, &account.id, code).await?
        }
    };
    if let Some(p) = refused {
        store::count_challenge_attempt(&mut tx, &hash).await?;
        let locked = match count_failure(&mut tx, s, &account.id).await? {
            // Locked since the check above: refused like the lock, nothing counted.
            Failure::AlreadyLocked(until) => return Err(locked_problem(until, now_ms()).into()),
            Failure::Locked(until) => Some(until),
            Failure::Counted => None,
        };
        audit::append(
            &mut tx,
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
                &mut tx,
                &account,
                "Вход заблокирован",
                "После нескольких неверных кодов подтверждения вход в вашу учётную запись временно заблокирован. Неверные коды вводили после верного пароля: смените пароль после разблокировки.",
            )
            .await?;
        }
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
