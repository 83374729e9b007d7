//! The password step of signing in (and signing in with a one-time link from a desk).

use okno_kernel::audit;
use okno_kernel::auth::{self};
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;

use crate::codes::{self, Purpose};
use crate::lockout::{
    bad_credentials, clear_failures, count_failure, lock_of, locked_problem, Failure,
};
use crate::model::{mask_phone, random_token, Login, SecondFactor};
use crate::privacy::alert;
use crate::sessions::{open_session, Client, SignedIn};
use crate::settings::{Identity, Settings};
use crate::store::{self, load, AccountRow};

/// The outcome of the password step.
#[derive(Debug)]
pub enum SignIn {
    Done(SignedIn),
    /// The password is right; a second factor is needed. `challenge` goes back with the code.
    SecondFactor {
        challenge: String,
        methods: Vec<&'static str>,
        sms_sent_to: Option<String>,
    },
}

/// The password step of signing in with a phone, e-mail, СНИЛС or ИНН. The error never tells
/// whether the login exists: an unknown login costs the same hashing and is throttled the same way.
pub async fn sign_in(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    login: &str,
    password: &str,
    remember: bool,
    client: &Client,
) -> Result<SignIn> {
    let s = &idn.settings;
    let parsed = Login::parse(login);
    let account = match &parsed {
        Some(l) => find_account(db, secrets, l).await?,
        None => None,
    };
    let subject = match (&account, &parsed) {
        (Some(a), _) => a.id.clone(),
        (None, Some(l)) => format!("login:{}", secrets.index("login", &l.key())),
        (None, None) => format!("login:{}", secrets.index("login", login.trim())),
    };
    let now = now_ms();
    {
        let mut c = db.read().await?;
        if let Some(until) = lock_of(&mut c, &subject, now).await? {
            return Err(locked_problem(until, now).into());
        }
    }
    let (ok, rehash) = check_password(idn, account.as_ref(), password).await?;
    let mut tx = db.begin().await?;
    let account = match account {
        Some(a) if ok => a,
        known => {
            return failed_sign_in(tx, s, &subject, known.as_ref(), client).await;
        }
    };
    // The lock may have fallen while the password was being verified: it wins. Every refusal
    // below rolls this back.
    clear_failures(&mut tx, &subject).await?;
    may_enter(&account, now)?;
    if let Some(hash) = &rehash {
        store::set_password_hash(&mut tx, &account.id, hash).await?;
    }
    if let Some(available) = second_factor_needed(&mut tx, secrets, &account, client).await? {
        let asked =
            ask_second_factor(&mut tx, secrets, s, &account, available, (remember, client)).await?;
        tx.commit().await?;
        return Ok(asked);
    }
    if account.is_staff() {
        return Err(Problem::new(403, "auth.second_factor_required", "Нужен второй фактор")
            .with_detail("Сотрудникам вход без второго фактора запрещён. Обратитесь к администратору, чтобы подключить приложение-аутентификатор.")
            .into());
    }
    let signed = open_session(&mut tx, secrets, idn, &account, remember, client, true).await?;
    tx.commit().await?;
    Ok(SignIn::Done(signed))
}

/// The account a login names: by e-mail, phone, or the blind index of its СНИЛС or ИНН.
async fn find_account(db: &Db, secrets: &Secrets, l: &Login) -> Result<Option<AccountRow>> {
    let mut c = db.read().await?;
    let snils_idx = l.snils.as_ref().map(|v| secrets.index("snils", v.as_str()));
    let inn_idx = l.inn.as_ref().map(|v| secrets.index("inn", v.as_str()));
    let phone = l.phone.as_ref().map(|p| p.as_str());
    let mut rows = store::accounts_by_login(
        &mut c,
        l.email.as_deref(),
        phone,
        snils_idx.as_deref(),
        inn_idx.as_deref(),
    )
    .await?;
    // An 11-digit login may be a phone of one account and a СНИЛС of another: the phone wins.
    rows.sort_by_key(|r| r.phone.as_deref() != phone);
    Ok(rows.into_iter().next())
}

/// Whether `password` is the account's, and a fresh hash when the hashing parameters were raised
/// since the stored one was made. An unknown login costs the same hashing.
async fn check_password(
    idn: &Identity,
    account: Option<&AccountRow>,
    password: &str,
) -> Result<(bool, Option<String>)> {
    let Some(a) = account else {
        idn.hasher.verify_dummy(password).await;
        return Ok((false, None));
    };
    let ok = idn
        .hasher
        .verify(&a.password_hash, password)
        .await
        .map_err(Error::internal)?;
    let rehash = if ok && idn.hasher.needs_rehash(&a.password_hash) {
        Some(idn.hasher.hash(password).await.map_err(Error::internal)?)
    } else {
        None
    };
    Ok((ok, rehash))
}

/// A right password still does not let in a blocked account or an expired temporary password.
fn may_enter(account: &AccountRow, now: i64) -> Result<()> {
    if account.status == "blocked" {
        return Err(
            Problem::new(403, "auth.account_blocked", "Учётная запись заблокирована")
                .with_detail(
                    "Учётная запись заблокирована. Обратитесь в центр обслуживания с паспортом.",
                )
                .into(),
        );
    }
    if account.password_expires_at.is_some_and(|e| e <= now) {
        return Err(Problem::new(401, "auth.temporary_password_expired", "Временный пароль истёк")
            .with_detail("Временный пароль действует 24 часа. Получите новый в центре обслуживания или восстановите доступ.")
            .into());
    }
    Ok(())
}

/// The second factors an account can use now.
struct Available {
    totp: bool,
    passkey: bool,
    sms: bool,
}

/// The factors to ask for, when a second factor is needed and the account has one: staff always;
/// a person as they chose (always, or on a device not seen before).
async fn second_factor_needed(
    tx: &mut Tx,
    secrets: &Secrets,
    account: &AccountRow,
    client: &Client,
) -> Result<Option<Available>> {
    let counts = store::second_factors(tx, &account.id).await?;
    let available = Available {
        totp: counts.totp > 0,
        passkey: counts.passkeys > 0,
        sms: account.phone.is_some() && account.phone_confirmed_at.is_some(),
    };
    let mode = SecondFactor::parse(&account.second_factor).unwrap_or(SecondFactor::Off);
    let device_known = match &client.device {
        Some(d) => store::device_known(tx, &account.id, &secrets.index("device", d)).await?,
        None => false,
    };
    let needed = account.is_staff()
        || mode == SecondFactor::Always
        || (mode == SecondFactor::NewDevice && !device_known);
    let any = available.totp || available.sms || available.passkey;
    Ok((needed && any).then_some(available))
}

/// Keeps a sign-in challenge for the second step, sends the SMS code when SMS is the only factor,
/// audits the accepted password.
async fn ask_second_factor(
    tx: &mut Tx,
    secrets: &Secrets,
    s: &Settings,
    account: &AccountRow,
    available: Available,
    (remember, client): (bool, &Client),
) -> Result<SignIn> {
    let challenge = random_token();
    let now = now_ms();
    store::insert_sign_in_challenge(
        tx,
        &store::NewChallenge {
            id_hash: &auth::secret_hash(&challenge),
            account_id: &account.id,
            created_at: now,
            expires_at: now + s.challenge_ttl_ms,
            remember,
            terminal: client.terminal,
            device: client.device.as_deref().unwrap_or(""),
        },
    )
    .await?;
    let mut methods = Vec::new();
    if available.passkey {
        methods.push("passkey");
    }
    if available.totp {
        methods.push("totp");
        methods.push("recovery");
    }
    let mut sms_sent_to = None;
    if available.sms {
        methods.push("sms");
        if !available.totp && !available.passkey {
            let phone = account.phone.clone().unwrap_or_default();
            codes::issue(tx, secrets, s, &account.id, Purpose::SignIn, &phone).await?;
            sms_sent_to = Some(mask_phone(&phone));
        }
    }
    audit::append(
        tx,
        audit::Entry {
            actor: &account.actor(),
            action: "identity.sign_in.password_accepted",
            subject_type: "account",
            subject_id: &account.id,
            details: serde_json::json!({ "second_factor": methods }),
        },
    )
    .await?;
    Ok(SignIn::SecondFactor {
        challenge,
        methods,
        sms_sent_to,
    })
}

/// How long a one-time sign-in link (the QR code of an in-person recovery) is valid.
pub const SIGN_IN_LINK_MS: i64 = 5 * 60 * 1000;

/// Signs in with a one-time link: valid [`SIGN_IN_LINK_MS`], used once (also under concurrent
/// use), never for a blocked account. The session must change the password before anything else.
pub async fn sign_in_by_link(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    token: &str,
    client: &Client,
) -> Result<SignedIn> {
    let invalid = || {
        Error::from(
            Problem::new(401, "auth.link_invalid", "Код для входа недействителен").with_detail(
                "QR-код для входа действует 5 минут и только один раз. Получите новый в центре обслуживания.",
            ),
        )
    };
    let hash = auth::secret_hash(token);
    let now = now_ms();
    let mut tx = db.begin().await?;
    let link = store::sign_in_link(&mut tx, &hash)
        .await?
        .ok_or_else(invalid)?;
    if link.used_at.is_some() || link.expires_at <= now {
        return Err(invalid());
    }
    if !store::use_sign_in_link(&mut tx, now, &hash).await? {
        return Err(invalid());
    }
    let account = load(&mut tx, &link.account_id).await?;
    if account.status == "blocked" {
        return Err(invalid());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &account.actor(),
            action: "identity.sign_in.link",
            subject_type: "account",
            subject_id: &account.id,
            details: serde_json::json!({ "ip": client.ip }),
        },
    )
    .await?;
    let signed = open_session(&mut tx, secrets, idn, &account, false, client, true).await?;
    tx.commit().await?;
    Ok(signed)
}

/// A wrong password (or an unknown login): counted, audited and, on lockout, told to the owner,
/// in one transaction; the answer is the same whether the login exists or not.
async fn failed_sign_in(
    mut tx: Tx,
    s: &Settings,
    subject: &str,
    known: Option<&AccountRow>,
    client: &Client,
) -> Result<SignIn> {
    let locked = match count_failure(&mut tx, s, subject).await? {
        // Locked while the password was being verified: refused like the lock, not counted.
        Failure::AlreadyLocked(until) => return Err(locked_problem(until, now_ms()).into()),
        Failure::Locked(until) => Some(until),
        Failure::Counted => None,
    };
    if let Some(a) = known {
        audit::append(
            &mut tx,
            audit::Entry {
                actor: &a.actor(),
                action: if locked.is_some() {
                    "identity.account.locked"
                } else {
                    "identity.sign_in.failed"
                },
                subject_type: "account",
                subject_id: &a.id,
                details: serde_json::json!({ "ip": client.ip, "locked_until": locked }),
            },
        )
        .await?;
        if locked.is_some() {
            alert(
                &mut tx,
                a,
                "Вход заблокирован",
                "После нескольких неверных паролей вход в вашу учётную запись временно заблокирован. Если это были не вы, смените пароль после разблокировки.",
            )
            .await?;
        }
    }
    tx.commit().await?;
    Err(match locked {
        Some(until) => locked_problem(until, now_ms()),
        None => bad_credentials(),
    }
    .into())
}
