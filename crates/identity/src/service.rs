//! Use cases of the identity part, each one transaction with its audit records and outbox events:
//! registration, contact confirmation, sign-in with lockout and a second factor, TOTP enrolment,
//! password change, sessions. The API, the pages and other parts call only these.

use std::sync::Arc;

use okno_kernel::actor::{Actor, ActorKind, Role};
use okno_kernel::auth::{self, SessionPolicy, SessionSubject};
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, FieldError, Problem, Result};
use okno_kernel::pii::Secrets;
use okno_kernel::{audit, q_all, q_exec, q_one, q_opt, q_scalar};
use rand::RngCore;
use serde::Serialize;

use crate::codes::{self, Checked, Purpose};
use crate::model::{mask_phone, normalise_email, Level, Login, SecondFactor};
use crate::password::{self, Hasher, Policy};
use crate::totp;

/// Settings of the identity part (`okno serve --help` lists them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Failed sign-ins in a row that lock the account.
    pub lockout_after: i64,
    /// The first lockout; each next one lasts twice as long (at most a day).
    pub lockout_ms: i64,
    pub code_ttl_ms: i64,
    pub code_attempts: i64,
    pub code_resend_ms: i64,
    pub codes_per_hour: i64,
    pub session: SessionPolicy,
    /// Absolute lifetime of a «remember me» session.
    pub remember_ms: i64,
    /// Idle timeout on a public terminal.
    pub terminal_idle_ms: i64,
    /// How long a password stays accepted while the second factor is awaited.
    pub challenge_ttl_ms: i64,
    /// Cookies get `Secure`.
    pub secure_cookies: bool,
    /// The issuer name shown in authenticator apps.
    pub issuer: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lockout_after: 5,
            lockout_ms: 15 * 60_000,
            code_ttl_ms: 5 * 60_000,
            code_attempts: 3,
            code_resend_ms: 60_000,
            codes_per_hour: 5,
            session: SessionPolicy {
                idle_ms: 30 * 60_000,
                absolute_ms: 12 * 3_600_000,
            },
            remember_ms: 30 * 86_400_000,
            terminal_idle_ms: 5 * 60_000,
            challenge_ttl_ms: 5 * 60_000,
            secure_cookies: false,
            issuer: "Окно".into(),
        }
    }
}

/// The identity part's state: the password hasher (a bounded pool), the policy and settings.
#[derive(Debug, Clone)]
pub struct Identity {
    pub hasher: Hasher,
    pub policy: Policy,
    pub settings: Arc<Settings>,
    /// The adapter to the state registries that checks profiles.
    pub registry: Arc<dyn crate::registry::Registry>,
    /// The WebAuthn relying party for passkeys.
    pub passkeys: crate::passkeys::RelyingParty,
}

/// Where a request comes from.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The long-lived device cookie, when the browser has one.
    pub device: Option<String>,
    /// A public terminal (kiosk): short idle timeout, no «remember me».
    pub terminal: bool,
}

/// A person signed in: the session secret (cookie or bearer) and the device id to keep.
#[derive(Debug)]
pub struct SignedIn {
    pub account_id: String,
    pub session: String,
    /// Persistent session (cookie with Max-Age) when «remember me» was chosen.
    pub persistent_ms: Option<i64>,
    pub device: String,
    pub must_change_password: bool,
}

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

pub(crate) const ACCOUNT_COLS: &str = "id, kind, status, level, display_name, phone, email, phone_confirmed_at, \
    email_confirmed_at, password_hash, must_change_password, password_expires_at, second_factor, roles, created_at";

#[derive(Debug, Clone, serde::Deserialize, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub level: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub phone_confirmed_at: Option<i64>,
    pub email_confirmed_at: Option<i64>,
    pub password_hash: String,
    pub must_change_password: i64,
    pub password_expires_at: Option<i64>,
    pub second_factor: String,
    pub roles: String,
    pub created_at: i64,
}

impl AccountRow {
    pub(crate) fn level(&self) -> Level {
        Level::parse(&self.level).unwrap_or(Level::Registered)
    }

    fn roles(&self) -> Vec<Role> {
        self.roles.split(',').filter_map(Role::parse).collect()
    }

    /// The account as an actor. Until a temporary password is replaced, it holds none of its
    /// roles: changing the password is all it can do.
    pub(crate) fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::Account,
            id: Some(self.id.clone()),
            name: self.display_name.clone(),
            roles: if self.must_change_password != 0 {
                Vec::new()
            } else {
                self.roles()
            },
            on_behalf_of: None,
            device: None,
        }
    }

    fn is_staff(&self) -> bool {
        self.kind == "staff"
    }
}

fn invalid(errors: Vec<FieldError>) -> Error {
    Problem::invalid_fields(errors).into()
}

pub(crate) fn field(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    }
}

/// The password's failed rules as field errors on `field_name`, all at once.
fn password_errors(
    policy: &Policy,
    field_name: &str,
    password: &str,
    personal: &[&str],
) -> Vec<FieldError> {
    password::check(policy, password, personal)
        .into_iter()
        .map(|w| field(field_name, w.code(), w.message(policy)))
        .collect()
}

/// The account id of a signed-in person, or 401.
pub(crate) fn own_account(actor: &Actor) -> Result<&str> {
    match (&actor.kind, &actor.id) {
        (ActorKind::Account, Some(id)) => Ok(id),
        _ => Err(Problem::unauthenticated().into()),
    }
}

pub(crate) async fn load(tx: &mut Tx, id: &str) -> Result<AccountRow> {
    q_opt!(
        tx,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        id
    )?
    .ok_or_else(|| Problem::not_found("Учётная запись не найдена.").into())
}

pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What a person fills in to register.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// Фамилия, имя, отчество (if any).
    pub full_name: String,
    pub phone: String,
    pub email: String,
    pub password: String,
    /// Consent to the processing of personal data (152-ФЗ), text version [`CONSENT_VERSION`].
    pub consent: bool,
}

/// The version of the consent text shown at registration.
pub const CONSENT_VERSION: &str = "2026-11-1";

fn check_full_name(name: &str) -> Option<FieldError> {
    let n = name.trim();
    let ok = n.chars().count() >= 2
        && n.chars().count() <= 200
        && n.chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.')
        && n.chars().any(char::is_alphabetic);
    (!ok).then(|| {
        field(
            "full_name",
            "account.full_name_invalid",
            "Укажите фамилию, имя и отчество буквами (дефис и пробел допустимы).",
        )
    })
}

/// Registers a person: the account starts unconfirmed, codes go to the phone and the e-mail, and
/// the person is signed in to enter them.
pub async fn register(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    r: Registration,
    client: &Client,
) -> Result<SignedIn> {
    let mut errors = Vec::new();
    if let Some(e) = check_full_name(&r.full_name) {
        errors.push(e);
    }
    let phone = match okno_rules::Phone::parse(&r.phone) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(field("phone", e.code(), e.to_string()));
            None
        }
    };
    let email = normalise_email(&r.email);
    if email.is_none() {
        errors.push(field(
            "email",
            "account.email_invalid",
            "Укажите адрес электронной почты вида name@example.ru.",
        ));
    }
    let name_parts: Vec<&str> = r.full_name.split_whitespace().collect();
    let mut personal: Vec<&str> = name_parts.clone();
    personal.push(&r.phone);
    personal.push(&r.email);
    errors.extend(password_errors(
        &idn.policy,
        "password",
        &r.password,
        &personal,
    ));
    if !r.consent {
        errors.push(field(
            "consent",
            "account.consent_required",
            "Без согласия на обработку персональных данных зарегистрироваться нельзя.",
        ));
    }
    let (Some(phone), Some(email), true) = (phone, email, errors.is_empty()) else {
        return Err(invalid(errors));
    };
    let hash = idn
        .hasher
        .hash(&r.password)
        .await
        .map_err(Error::internal)?;
    let now = now_ms();
    let id = new_id();
    let full_name = r.full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tx = db.begin().await?;
    let taken = q_opt!(
        &mut tx,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE phone = $1 OR email = $2"),
        phone.as_str(),
        &email
    )?;
    if let Some(t) = taken {
        let mut errors = Vec::new();
        if t.phone.as_deref() == Some(phone.as_str()) {
            errors.push(field(
                "phone",
                "account.phone_taken",
                "Этот телефон уже зарегистрирован. Войдите или восстановите доступ.",
            ));
        }
        if t.email.as_deref() == Some(email.as_str()) {
            errors.push(field(
                "email",
                "account.email_taken",
                "Эта почта уже зарегистрирована. Войдите или восстановите доступ.",
            ));
        }
        return Err(Problem::invalid_fields(errors).into());
    }
    q_exec!(
        &mut tx,
        "INSERT INTO accounts (id, kind, status, level, display_name, phone, email, password_hash, password_changed_at, roles, created_at, consent_version, consent_at)
         VALUES ($1, 'person', 'active', 'registered', $2, $3, $4, $5, $6, 'citizen', $6, $7, $6)",
        &id,
        &full_name,
        phone.as_str(),
        &email,
        &hash,
        now,
        CONSENT_VERSION
    )?;
    q_exec!(
        &mut tx,
        "INSERT INTO password_history (account_id, password_hash, created_at) VALUES ($1, $2, $3)",
        &id,
        &hash,
        now
    )?;
    let s = &idn.settings;
    codes::issue(
        &mut tx,
        secrets,
        s,
        &id,
        Purpose::ConfirmPhone,
        phone.as_str(),
    )
    .await?;
    codes::issue(&mut tx, secrets, s, &id, Purpose::ConfirmEmail, &email).await?;
    let account = load(&mut tx, &id).await?;
    let actor = account.actor();
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &actor,
            action: "identity.account.registered",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "consent_version": CONSENT_VERSION, "level": "registered" }),
        },
    )
    .await?;
    let signed = open_session(&mut tx, secrets, idn, &account, false, client, false).await?;
    tx.commit().await?;
    Ok(signed)
}

/// Opens a session for an account that passed every check, records the device, and alerts the
/// person when the device is new (except at registration, the very first one).
async fn open_session(
    tx: &mut Tx,
    secrets: &Secrets,
    idn: &Identity,
    account: &AccountRow,
    remember: bool,
    client: &Client,
    alert_new_device: bool,
) -> Result<SignedIn> {
    let s = &idn.settings;
    let remember = remember && !client.terminal;
    let policy = SessionPolicy {
        idle_ms: if client.terminal {
            s.terminal_idle_ms
        } else {
            s.session.idle_ms
        },
        absolute_ms: if remember {
            s.remember_ms
        } else {
            s.session.absolute_ms
        },
    };
    let subject = SessionSubject {
        kind: "account".into(),
        id: account.id.clone(),
        acting_for: None,
    };
    let session = auth::open_session(
        tx,
        &subject,
        policy,
        client.user_agent.as_deref(),
        client.ip.as_deref(),
    )
    .await?;
    let device = client.device.clone().unwrap_or_else(random_token);
    let device_hash = secrets.index("device", &device);
    let now = now_ms();
    let known = q_exec!(
        tx,
        "UPDATE known_devices SET last_seen_at = $1 WHERE account_id = $2 AND device_hash = $3",
        now,
        &account.id,
        &device_hash
    )?;
    let new_network = match client.ip.as_deref().and_then(network_of) {
        Some(net) => {
            let hash = secrets.index("network", &net);
            let seen = q_exec!(
                tx,
                "UPDATE known_networks SET last_seen_at = $1 WHERE account_id = $2 AND network_hash = $3",
                now,
                &account.id,
                &hash
            )?;
            if seen == 0 {
                q_exec!(
                    tx,
                    "INSERT INTO known_networks (account_id, network_hash, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)",
                    &account.id,
                    &hash,
                    now
                )?;
            }
            seen == 0
        }
        None => false,
    };
    if known != 0 && new_network && alert_new_device {
        alert(
            tx,
            account,
            "Вход из новой сети",
            "Выполнен вход в вашу учётную запись с известного устройства, но из новой сети. Если это были не вы, смените пароль и завершите все сеансы в разделе «Безопасность».",
        )
        .await?;
    }
    if known == 0 {
        q_exec!(
            tx,
            "INSERT INTO known_devices (account_id, device_hash, first_seen_at, last_seen_at, user_agent) VALUES ($1, $2, $3, $3, $4)",
            &account.id,
            &device_hash,
            now,
            client.user_agent.as_deref().map(|u| u.chars().take(300).collect::<String>())
        )?;
        if alert_new_device {
            let text = format!(
                "Выполнен вход в вашу учётную запись с нового устройства ({}). Если это были не вы, смените пароль и завершите все сеансы в разделе «Безопасность».",
                client.user_agent.as_deref().map(short_agent).unwrap_or("неизвестное устройство")
            );
            alert(tx, account, "Вход с нового устройства", &text).await?;
        }
    }
    audit::append(
        tx,
        audit::Entry {
            actor: &account.actor(),
            action: "identity.session.opened",
            subject_type: "account",
            subject_id: &account.id,
            details: serde_json::json!({ "terminal": client.terminal, "remember": remember, "new_device": known == 0, "new_network": new_network }),
        },
    )
    .await?;
    Ok(SignedIn {
        account_id: account.id.clone(),
        session,
        persistent_ms: remember.then_some(s.remember_ms),
        device,
        must_change_password: account.must_change_password != 0,
    })
}

/// The network of an address, as far as a sign-in alert cares: the /24 of IPv4, the /64 of IPv6
/// (a home or office network, a mobile operator's pool).
pub fn network_of(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
        }
    }
}

/// The browser's name from a user agent, for alerts and the sessions page.
pub fn short_agent(ua: &str) -> &'static str {
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    let browser = if ua.contains("YaBrowser") {
        "Яндекс Браузер"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox") {
        "Firefox"
    } else if ua.contains("Chrome") || ua.contains("Chromium") {
        "Chrome"
    } else if ua.contains("Safari") {
        "Safari"
    } else {
        "браузер"
    };
    match (browser, os) {
        ("Chrome", "Linux") => "Chrome, Linux",
        ("Chrome", "Windows") => "Chrome, Windows",
        ("Chrome", "Android") => "Chrome, Android",
        ("Chrome", "macOS") => "Chrome, macOS",
        ("Firefox", "Linux") => "Firefox, Linux",
        ("Firefox", "Windows") => "Firefox, Windows",
        ("Safari", "iOS") => "Safari, iOS",
        ("Safari", "macOS") => "Safari, macOS",
        ("Яндекс Браузер", _) => "Яндекс Браузер",
        ("Edge", _) => "Edge",
        (b, _) => b,
    }
}

/// Tells the account's owner about a security event, on the channels they keep for security.
pub(crate) async fn alert(
    tx: &mut Tx,
    account: &AccountRow,
    subject: &str,
    text: &str,
) -> Result<()> {
    crate::privacy::notify_person(tx, account, crate::privacy::Topic::Security, subject, text).await
}

/// Which contact a code confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    Phone,
    Email,
}

impl Contact {
    fn purpose(self) -> Purpose {
        match self {
            Contact::Phone => Purpose::ConfirmPhone,
            Contact::Email => Purpose::ConfirmEmail,
        }
    }
}

/// Sends a new confirmation code to the person's phone or e-mail.
pub async fn resend_code(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    contact: Contact,
) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    let (target, confirmed) = match contact {
        Contact::Phone => (a.phone.clone(), a.phone_confirmed_at),
        Contact::Email => (a.email.clone(), a.email_confirmed_at),
    };
    let Some(target) = target else {
        return Err(Problem::conflict("account.no_contact", "Этот контакт не указан.").into());
    };
    if confirmed.is_some() {
        return Err(Problem::conflict(
            "account.already_confirmed",
            "Этот контакт уже подтверждён.",
        )
        .into());
    }
    codes::issue(
        &mut tx,
        secrets,
        &idn.settings,
        id,
        contact.purpose(),
        &target,
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.code.sent",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "purpose": contact.purpose().as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms the phone or e-mail with its code; when both are confirmed the account reaches
/// «упрощённая». Returns the level after.
pub async fn confirm_contact(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    contact: Contact,
    code: &str,
) -> Result<Level> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    let already = match contact {
        Contact::Phone => a.phone_confirmed_at,
        Contact::Email => a.email_confirmed_at,
    };
    if already.is_some() {
        return Err(Problem::conflict(
            "account.already_confirmed",
            "Этот контакт уже подтверждён.",
        )
        .into());
    }
    match codes::check(&mut tx, secrets, &idn.settings, id, contact.purpose(), code).await? {
        Checked::Refused(p) => {
            // The used try must stay counted.
            tx.commit().await?;
            return Err(p.into());
        }
        Checked::Accepted => {}
    }
    let now = now_ms();
    let sql = match contact {
        Contact::Phone => "UPDATE accounts SET phone_confirmed_at = $1 WHERE id = $2",
        Contact::Email => "UPDATE accounts SET email_confirmed_at = $1 WHERE id = $2",
    };
    q_exec!(&mut tx, sql, now, id)?;
    let a = load(&mut tx, id).await?;
    let mut level = a.level();
    if level == Level::Registered
        && a.phone_confirmed_at.is_some()
        && a.email_confirmed_at.is_some()
    {
        level = Level::Simplified;
        q_exec!(
            &mut tx,
            "UPDATE accounts SET level = $1 WHERE id = $2",
            level.as_str(),
            id
        )?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.contact.confirmed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "contact": match contact { Contact::Phone => "phone", Contact::Email => "email" }, "level": level.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(level)
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Throttle {
    failures: i64,
    lockouts: i64,
    locked_until: Option<i64>,
}

/// How long the lockout that follows `lockouts` earlier ones lasts: `lockout_ms`, doubled with
/// each earlier lockout, at most a day. The pure half of the guard; [`count_failure`] applies it.
pub(crate) fn lock_length(s: &Settings, lockouts: i64) -> i64 {
    let factor = 1i64 << lockouts.clamp(0, 20);
    s.lockout_ms.saturating_mul(factor).min(86_400_000)
}

/// What became of a failed sign-in (a wrong password, an unknown login, a wrong second factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Counted; not enough in a row to lock.
    Counted,
    /// Counted, and this very failure locked the subject until then.
    Locked(i64),
    /// The subject was already locked until then: not counted, no new lockout.
    AlreadyLocked(i64),
}

fn locked_problem(until: i64, now: i64) -> Problem {
    let minutes = ((until - now) + 59_999) / 60_000;
    Problem::new(429, "auth.locked", "Вход временно заблокирован").with_detail(format!(
        "Слишком много неудачных попыток входа. Повторите через {minutes} мин. или восстановите доступ."
    ))
}

fn bad_credentials() -> Problem {
    Problem::new(401, "auth.invalid_credentials", "Неверный логин или пароль").with_detail(
        "Неверный логин или пароль. Проверьте раскладку клавиатуры и Caps Lock: пароль чувствителен к регистру.",
    )
}

/// Counts a failed sign-in for `subject` and locks it after `lockout_after` in a row, exactly, also
/// when failures come at once. Checking the lock and counting are one conditional upsert: on a
/// locked row it changes nothing and returns no row. The upsert leaves the row locked to this
/// transaction (on PostgreSQL its row lock, on SQLite the writer's), so the lock is set by exactly
/// one failure and no other failure is counted in between.
pub(crate) async fn count_failure(tx: &mut Tx, s: &Settings, subject: &str) -> Result<Failure> {
    let now = now_ms();
    let counted = q_opt!(
        tx,
        Throttle,
        "INSERT INTO sign_in_throttle (subject, failures, lockouts, locked_until) VALUES ($1, 1, 0, NULL)
         ON CONFLICT (subject) DO UPDATE SET failures = sign_in_throttle.failures + 1
         WHERE sign_in_throttle.locked_until IS NULL OR sign_in_throttle.locked_until <= $2
         RETURNING failures, lockouts, locked_until",
        subject,
        now
    )?;
    let Some(t) = counted else {
        // Not updated, so locked; the upsert holds the row, so it is still locked now.
        let until = lock_of(tx, subject, now).await?.unwrap_or(now);
        return Ok(Failure::AlreadyLocked(until));
    };
    if t.failures < s.lockout_after {
        return Ok(Failure::Counted);
    }
    let until = now + lock_length(s, t.lockouts);
    q_exec!(
        tx,
        "UPDATE sign_in_throttle SET failures = 0, lockouts = lockouts + 1, locked_until = $1 WHERE subject = $2",
        until,
        subject
    )?;
    Ok(Failure::Locked(until))
}

/// The end of `subject`'s lock when it is locked at `now`, read in the caller's transaction.
async fn lock_of(tx: &mut Tx, subject: &str, now: i64) -> Result<Option<i64>> {
    let t = q_opt!(
        tx,
        Throttle,
        "SELECT failures, lockouts, locked_until FROM sign_in_throttle WHERE subject = $1 AND locked_until > $2",
        subject,
        now
    )?;
    Ok(t.and_then(|t| t.locked_until))
}

/// After a right password or second factor: forgets the failures of `subject` unless it is
/// locked, which refuses with `auth.locked` — a lock that fell while the password was being
/// verified wins. The delete is conditional, and the lock is read again after it: on PostgreSQL
/// (READ COMMITTED) the delete waits for a failure counting on the row and re-checks the row it
/// committed, and the next statement sees every lock committed before it; on SQLite the
/// transaction holds the writer throughout.
async fn clear_failures(tx: &mut Tx, subject: &str) -> Result<()> {
    let now = now_ms();
    q_exec!(
        tx,
        "DELETE FROM sign_in_throttle WHERE subject = $1 AND (locked_until IS NULL OR locked_until <= $2)",
        subject,
        now
    )?;
    match lock_of(tx, subject, now).await? {
        Some(until) => Err(locked_problem(until, now).into()),
        None => Ok(()),
    }
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
        Some(l) => {
            let mut c = db.read().await?;
            let snils_idx = l.snils.as_ref().map(|v| secrets.index("snils", v.as_str()));
            let inn_idx = l.inn.as_ref().map(|v| secrets.index("inn", v.as_str()));
            let rows = q_all!(
                &mut c,
                AccountRow,
                &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE email = $1 OR phone = $2 OR snils_idx = $3 OR inn_idx = $4"),
                l.email.as_deref(),
                l.phone.as_ref().map(|p| p.as_str()),
                snils_idx.as_deref(),
                inn_idx.as_deref()
            )?;
            // An 11-digit login may be a phone of one account and a СНИЛС of another: the phone wins.
            let phone = l.phone.as_ref().map(|p| p.as_str().to_string());
            let mut rows = rows;
            rows.sort_by_key(|r| r.phone != phone);
            rows.into_iter().next()
        }
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
        let t = q_opt!(
            &mut c,
            Throttle,
            "SELECT failures, lockouts, locked_until FROM sign_in_throttle WHERE subject = $1",
            &subject
        )?;
        if let Some(until) = t.and_then(|t| t.locked_until).filter(|u| *u > now) {
            return Err(locked_problem(until, now).into());
        }
    }
    let ok = match &account {
        Some(a) => idn
            .hasher
            .verify(&a.password_hash, password)
            .await
            .map_err(Error::internal)?,
        None => {
            idn.hasher.verify_dummy(password).await;
            false
        }
    };
    // Parameters raised since this hash was made: store a fresh one now that the password is known.
    let rehash = match &account {
        Some(a) if ok && idn.hasher.needs_rehash(&a.password_hash) => {
            Some(idn.hasher.hash(password).await.map_err(Error::internal)?)
        }
        _ => None,
    };
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
    if let Some(hash) = &rehash {
        q_exec!(
            &mut tx,
            "UPDATE accounts SET password_hash = $1 WHERE id = $2",
            hash,
            &account.id
        )?;
    }
    // A second factor: staff always; a person as they chose, if they have one to use.
    let factors = q_one!(
        &mut tx,
        Factors,
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL) AS totp,
                (SELECT CAST(COUNT(*) AS BIGINT) FROM passkeys WHERE account_id = $1) AS passkeys",
        &account.id
    )?;
    let (totp, passkey) = (factors.totp > 0, factors.passkeys > 0);
    let sms = account.phone.is_some() && account.phone_confirmed_at.is_some();
    let mode = SecondFactor::parse(&account.second_factor).unwrap_or(SecondFactor::Off);
    let device_known = match &client.device {
        Some(d) => {
            q_scalar!(
                &mut tx,
                i64,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM known_devices WHERE account_id = $1 AND device_hash = $2",
                &account.id,
                secrets.index("device", d)
            )? > 0
        }
        None => false,
    };
    let needed = account.is_staff()
        || mode == SecondFactor::Always
        || (mode == SecondFactor::NewDevice && !device_known);
    if needed && (totp || sms || passkey) {
        let challenge = random_token();
        q_exec!(
            &mut tx,
            "INSERT INTO sign_in_challenges (id_hash, account_id, created_at, expires_at, remember, terminal, device) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            auth::secret_hash(&challenge),
            &account.id,
            now,
            now + s.challenge_ttl_ms,
            remember as i64,
            client.terminal as i64,
            client.device.as_deref().unwrap_or("")
        )?;
        let mut methods = Vec::new();
        if passkey {
            methods.push("passkey");
        }
        if totp {
            methods.push("totp");
            methods.push("recovery");
        }
        let mut sms_sent_to = None;
        if sms {
            methods.push("sms");
            if !totp && !passkey {
                let phone = account.phone.clone().unwrap_or_default();
                codes::issue(&mut tx, secrets, s, &account.id, Purpose::SignIn, &phone).await?;
                sms_sent_to = Some(mask_phone(&phone));
            }
        }
        audit::append(
            &mut tx,
            audit::Entry {
                actor: &account.actor(),
                action: "identity.sign_in.password_accepted",
                subject_type: "account",
                subject_id: &account.id,
                details: serde_json::json!({ "second_factor": methods }),
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(SignIn::SecondFactor {
            challenge,
            methods,
            sms_sent_to,
        });
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

/// How long a one-time sign-in link (the QR code of an in-person recovery) is valid.
pub const SIGN_IN_LINK_MS: i64 = 5 * 60 * 1000;

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Link {
    account_id: String,
    expires_at: i64,
    used_at: Option<i64>,
}

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
    let link = q_opt!(
        &mut tx,
        Link,
        "SELECT account_id, expires_at, used_at FROM sign_in_links WHERE id_hash = $1",
        &hash
    )?
    .ok_or_else(invalid)?;
    if link.used_at.is_some() || link.expires_at <= now {
        return Err(invalid());
    }
    if q_exec!(
        &mut tx,
        "UPDATE sign_in_links SET used_at = $1 WHERE id_hash = $2 AND used_at IS NULL",
        now,
        &hash
    )? != 1
    {
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

/// The second factors an account has set up, read in one statement on the sign-in path.
#[derive(serde::Deserialize, sqlx::FromRow)]
struct Factors {
    totp: i64,
    passkeys: i64,
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

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Challenge {
    account_id: String,
    expires_at: i64,
    attempts: i64,
    used_at: Option<i64>,
    remember: i64,
    terminal: i64,
}

/// A second factor's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Totp,
    Sms,
    Recovery,
    /// `code` is the JSON of the `PublicKeyCredential` that `navigator.credentials.get()` returned
    /// for the options of `POST /api/v1/identity/sign-in/passkey`.
    Passkey,
}

pub(crate) fn challenge_gone() -> Problem {
    Problem::new(
        401,
        "auth.challenge_expired",
        "Время на подтверждение входа истекло",
    )
    .with_detail("Время на ввод кода истекло или вход уже подтверждён. Войдите снова.")
}

/// Sends the sign-in code by SMS for a challenge (when the person picks SMS over the app).
pub async fn send_sign_in_sms(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    challenge: &str,
) -> Result<String> {
    let mut tx = db.begin().await?;
    let c = q_opt!(
        &mut tx,
        Challenge,
        "SELECT account_id, expires_at, attempts, used_at, remember, terminal FROM sign_in_challenges WHERE id_hash = $1",
        auth::secret_hash(challenge)
    )?
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
    let c = q_opt!(
        &mut tx,
        Challenge,
        "SELECT account_id, expires_at, attempts, used_at, remember, terminal FROM sign_in_challenges WHERE id_hash = $1",
        &hash
    )?
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
            let row = q_opt!(
                &mut tx,
                TotpRow,
                "SELECT secret_enc, last_step FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL",
                &account.id
            )?;
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
                            q_exec!(
                                &mut tx,
                                "UPDATE totp_factors SET last_step = $1 WHERE account_id = $2",
                                step as i64,
                                &account.id
                            )?;
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
            let n = q_exec!(
                &mut tx,
                "UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL",
                now_ms(),
                &account.id,
                secrets.index("recovery-code", &format!("{}:{typed}", account.id))
            )?;
            (n == 0).then(wrong_code)
        }
        Method::Passkey => {
            crate::passkeys::check_assertion(&mut tx, idn, &hash, &account.id, code).await?
        }
    };
    if let Some(p) = refused {
        q_exec!(
            &mut tx,
            "UPDATE sign_in_challenges SET attempts = attempts + 1 WHERE id_hash = $1",
            &hash
        )?;
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
    q_exec!(
        &mut tx,
        "UPDATE sign_in_challenges SET used_at = $1 WHERE id_hash = $2",
        now_ms(),
        &hash
    )?;
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

#[derive(serde::Deserialize, sqlx::FromRow)]
struct TotpRow {
    secret_enc: String,
    last_step: i64,
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
    q_exec!(
        &mut tx,
        "DELETE FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NULL",
        id
    )?;
    let n = q_exec!(
        &mut tx,
        "INSERT INTO totp_factors (account_id, secret_enc, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING",
        id,
        secrets.encrypt(&hex::encode(&secret)),
        now_ms()
    )?;
    if n == 0 {
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
    let row = q_opt!(
        &mut tx,
        TotpRow,
        "SELECT secret_enc, last_step FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NULL",
        id
    )?
    .ok_or_else(|| Problem::conflict("totp.not_started", "Сначала начните подключение приложения."))?;
    let secret = hex::decode(secrets.decrypt(&row.secret_enc).map_err(Error::internal)?)
        .map_err(Error::internal)?;
    let Some(step) = totp::check(&secret, code, unix_now()) else {
        return Err(wrong_code().into());
    };
    let now = now_ms();
    q_exec!(
        &mut tx,
        "UPDATE totp_factors SET confirmed_at = $1, last_step = $2 WHERE account_id = $3",
        now,
        step as i64,
        id
    )?;
    q_exec!(
        &mut tx,
        "DELETE FROM recovery_codes WHERE account_id = $1",
        id
    )?;
    let mut out = Vec::with_capacity(10);
    for _ in 0..10 {
        let mut b = [0u8; 5];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let raw = hex::encode(b);
        q_exec!(
            &mut tx,
            "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)",
            id,
            secrets.index("recovery-code", &format!("{id}:{raw}")),
            now
        )?;
        out.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    q_exec!(
        &mut tx,
        "UPDATE accounts SET second_factor = 'always' WHERE id = $1 AND second_factor = 'off'",
        id
    )?;
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
    q_exec!(
        &mut tx,
        "UPDATE accounts SET second_factor = $1 WHERE id = $2",
        mode.as_str(),
        id
    )?;
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

#[derive(serde::Deserialize, sqlx::FromRow)]
struct HistoryRow {
    password_hash: String,
}

/// Checks a new password against the policy (with the person's own data) and the last 5, and
/// hashes it. Every failed rule is reported at once.
pub(crate) async fn new_password_hash(
    db: &Db,
    idn: &Identity,
    a: &AccountRow,
    new: &str,
) -> Result<String> {
    let mut personal: Vec<&str> = a.display_name.split_whitespace().collect();
    if let Some(p) = &a.phone {
        personal.push(p);
    }
    if let Some(e) = &a.email {
        personal.push(e);
    }
    let errors = password_errors(&idn.policy, "password", new, &personal);
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let history = {
        let mut c = db.read().await?;
        q_all!(
            &mut c,
            HistoryRow,
            "SELECT password_hash FROM password_history WHERE account_id = $1 ORDER BY created_at DESC LIMIT 5",
            &a.id
        )?
    };
    for h in &history {
        if idn
            .hasher
            .verify(&h.password_hash, new)
            .await
            .map_err(Error::internal)?
        {
            return Err(Problem::invalid_field("password", "password.reused", "Этот пароль уже использовался. Придумайте пароль, которого не было среди пяти последних.").into());
        }
    }
    idn.hasher.hash(new).await.map_err(Error::internal)
}

/// Stores a new password hash in the transaction, ends every session of the account but
/// `keep_session`, and tells the person. Returns how many sessions ended.
pub(crate) async fn store_password(
    tx: &mut Tx,
    a: &AccountRow,
    hash: &str,
    keep_session: Option<&str>,
) -> Result<u64> {
    let now = now_ms();
    q_exec!(
        tx,
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change_password = 0, password_expires_at = NULL WHERE id = $3",
        hash,
        now,
        &a.id
    )?;
    q_exec!(
        tx,
        "INSERT INTO password_history (account_id, password_hash, created_at) VALUES ($1, $2, $3)",
        &a.id,
        hash,
        now
    )?;
    let ended = auth::revoke_sessions(tx, "account", &a.id, keep_session, now).await?;
    alert(
        tx,
        a,
        "Пароль изменён",
        "Пароль от вашей учётной записи изменён. Если это были не вы, срочно восстановите доступ.",
    )
    .await?;
    Ok(ended)
}

/// Changes the password: the current one is checked, the new one must pass the policy and differ
/// from the last 5. Every other session of the account is ended, and the person is told.
pub async fn change_password(
    db: &Db,
    idn: &Identity,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> Result<()> {
    let id = own_account(actor)?;
    let a = {
        let mut tx = db.begin().await?;
        load(&mut tx, id).await?
    };
    if !idn
        .hasher
        .verify(&a.password_hash, current)
        .await
        .map_err(Error::internal)?
    {
        return Err(Problem::invalid_field(
            "current",
            "password.current_wrong",
            "Текущий пароль введён неверно.",
        )
        .into());
    }
    let hash = new_password_hash(db, idn, &a, new).await?;
    let mut tx = db.begin().await?;
    let ended = store_password(&mut tx, &a, &hash, keep_session).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.password.changed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "other_sessions_ended": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A session of the account as listed to its owner.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// This very session.
    #[serde(default)]
    pub current: bool,
}

/// The account's live sessions, newest first.
pub async fn sessions(db: &Db, actor: &Actor, current: Option<&str>) -> Result<Vec<SessionInfo>> {
    let id = own_account(actor)?;
    let now = now_ms();
    let mut c = db.read().await?;
    let current = current.map(auth::secret_hash);
    Ok(auth::live_sessions(&mut c, "account", id, now)
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            current: current.as_deref() == Some(s.id_hash.as_str()),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect())
}

/// «Выйти на всех устройствах»: ends every session of the account, this one too.
pub async fn sign_out_everywhere(db: &Db, actor: &Actor) -> Result<u64> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let n = auth::revoke_sessions(&mut tx, "account", id, None, now_ms()).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.sessions.revoked",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "sessions": n }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The actor of an account session (the web shell calls it for every request with one).
pub async fn session_actor(db: &Db, account_id: &str) -> Result<Option<Actor>> {
    let mut c = db.read().await?;
    let a = q_opt!(
        &mut c,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        account_id
    )?;
    Ok(a.filter(|a| a.status != "blocked").map(|a| a.actor()))
}

/// The account as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub full_name: String,
    pub level: Level,
    pub level_title: &'static str,
    pub level_allows: &'static str,
    pub next_step: Option<&'static str>,
    pub phone: Option<String>,
    pub phone_confirmed: bool,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub second_factor: SecondFactor,
    pub totp_enabled: bool,
    pub recovery_codes_left: i64,
    pub must_change_password: bool,
    pub roles: Vec<Role>,
}

pub async fn account(db: &Db, actor: &Actor) -> Result<AccountView> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    let a = q_opt!(
        &mut c,
        AccountRow,
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        id
    )?
    .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
    let totp_enabled = q_scalar!(
        &mut c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL",
        id
    )? > 0;
    let recovery_codes_left = q_scalar!(
        &mut c,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
        id
    )?;
    let level = a.level();
    Ok(AccountView {
        id: a.id.clone(),
        full_name: a.display_name.clone(),
        level,
        level_title: level.title(),
        level_allows: level.allows(),
        next_step: level.next_step(),
        phone: a.phone.clone(),
        phone_confirmed: a.phone_confirmed_at.is_some(),
        email: a.email.clone(),
        email_confirmed: a.email_confirmed_at.is_some(),
        second_factor: SecondFactor::parse(&a.second_factor).unwrap_or(SecondFactor::Off),
        totp_enabled,
        recovery_codes_left,
        must_change_password: a.must_change_password != 0,
        roles: a.roles(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_the_24_of_ipv4_and_the_64_of_ipv6() {
        assert_eq!(
            network_of("192.168.10.77").as_deref(),
            Some("192.168.10.0/24")
        );
        assert_eq!(network_of("192.168.10.1"), network_of("192.168.10.254"));
        assert_ne!(network_of("192.168.10.1"), network_of("192.168.11.1"));
        assert_eq!(
            network_of("2a02:6b8:0:1::1f").as_deref(),
            Some("2a02:6b8:0:1::/64")
        );
        assert_eq!(network_of("not an address"), None);
    }

    #[test]
    fn each_lockout_lasts_twice_the_last_up_to_a_day() {
        let s = Settings::default();
        let minutes: Vec<i64> = (0..9).map(|n| lock_length(&s, n) / 60_000).collect();
        assert_eq!(minutes, [15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
        assert_eq!(lock_length(&s, 10_000), 86_400_000, "no overflow");
        assert_eq!(lock_length(&s, -1), 15 * 60_000);
    }
}
