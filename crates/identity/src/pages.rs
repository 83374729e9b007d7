//! Russian pages of the identity part: registration, sign-in and its second step, the account with
//! contact confirmation, and security (password, authenticator app, second factor, sessions).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use okno_kernel::error::{Error, FieldError, Problem};
use okno_kernel::http::{
    cookie, render, set_cookie, Chrome, CurrentActor, PageError, SESSION_COOKIE,
};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::account::AccountView;
use crate::api::{Caller, CHALLENGE_COOKIE};
use crate::contacts::Contact;
use crate::limits::{Action, Limiter};
use crate::model::Method;
use crate::model::SecondFactor;
use crate::register::Registration;
use crate::second_factor::TotpEnrolment;
use crate::sessions::{SessionInfo, SignedIn};
use crate::settings::Identity;
use crate::sign_in::SignIn;

/// A long-lived random device id, so a known device is recognised.
pub const DEVICE_COOKIE: &str = "okno_device";

pub fn routes(identity: Arc<Identity>, limiter: Arc<Limiter>) -> Router<Platform> {
    Router::new()
        .route("/register", get(register_form).post(register))
        .route("/login", get(login_form).post(login))
        .route("/login/link/{code}", get(link_form).post(link_sign_in))
        .route("/login/code", get(code_form).post(code))
        .route("/recover", get(recover_form).post(recover_start))
        .route("/recover/complete", post(recover_complete))
        .route("/login/code/sms", post(code_sms))
        .route("/account", get(account))
        .route("/account/confirm", post(confirm))
        .route("/account/resend", post(resend))
        .route("/account/profile", get(profile_form).post(profile_save))
        .route(
            "/account/notifications",
            get(notifications_form).post(notifications_save),
        )
        .route("/account/export", get(export_download))
        .route(
            "/account/representatives",
            get(powers_page).post(powers_grant),
        )
        .route("/account/representatives/{id}/revoke", post(powers_revoke))
        .route("/account/acting", post(acting))
        .route("/account/security", get(security))
        .route("/account/security/password", post(password))
        .route("/account/security/totp", post(totp_begin))
        .route("/account/security/totp/confirm", post(totp_confirm))
        .route("/account/security/second-factor", post(second_factor))
        .route("/account/security/passkeys", post(passkey_no_script))
        .route(
            "/account/security/passkeys/{id}/delete",
            post(passkey_remove),
        )
        .route(
            "/account/security/sign-out-everywhere",
            post(sign_out_everywhere),
        )
        .layer(Extension(identity))
        .layer(Extension(limiter))
}

/// Field errors by name, for the templates.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    fn of(e: &Error) -> (Errors, Option<String>) {
        let p = e.to_problem();
        if p.errors.is_empty() {
            (Errors::default(), Some(p.detail))
        } else {
            (Errors(p.errors), None)
        }
    }

    /// Every message for `field`.
    pub fn on(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

fn status_of(e: &Error) -> StatusCode {
    e.to_problem().status_code()
}

fn signed_in_response(idn: &Identity, s: SignedIn, to: &str) -> Response {
    let secure = idn.settings.secure_cookies;
    let mut r = Redirect::to(if s.must_change_password {
        "/account/security"
    } else {
        to
    })
    .into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &s.session,
            s.persistent_ms.map(|ms| ms / 1000),
            secure,
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(DEVICE_COOKIE, &s.device, Some(400 * 86_400), secure),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(CHALLENGE_COOKIE, "", Some(0), secure),
    );
    r
}

#[derive(Template)]
#[template(path = "identity_register.html")]
struct RegisterPage {
    chrome: Chrome,
    full_name: String,
    phone: String,
    email: String,
    consent: bool,
    consent_version: &'static str,
    errors: Errors,
    error: Option<String>,
    min_length: usize,
}

async fn register_form(chrome: Chrome, Extension(idn): Extension<Arc<Identity>>) -> Response {
    render(&RegisterPage {
        chrome,
        full_name: String::new(),
        phone: String::new(),
        email: String::new(),
        consent: false,
        consent_version: crate::register::CONSENT_VERSION,
        errors: Errors::default(),
        error: None,
        min_length: idn.policy.min_length,
    })
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
    #[serde(default)]
    consent: Option<String>,
}

async fn register(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    chrome: Chrome,
    caller: Caller,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let again = |errors: Errors, error: Option<String>, status: StatusCode| {
        with_status(
            render(&RegisterPage {
                chrome: chrome.clone(),
                full_name: f.full_name.clone(),
                phone: f.phone.clone(),
                email: f.email.clone(),
                consent: f.consent.is_some(),
                consent_version: crate::register::CONSENT_VERSION,
                errors,
                error,
                min_length: idn.policy.min_length,
            }),
            status,
        )
    };
    if f.password != f.password_repeat {
        return Ok(again(
            Errors(vec![FieldError {
                field: "password_repeat".into(),
                code: "password.mismatch".into(),
                message: "Пароли не совпадают.".into(),
            }]),
            None,
            StatusCode::BAD_REQUEST,
        ));
    }
    if let Err(p) = limiter.check(Action::Register, caller.ip.as_deref()) {
        return Ok(again(
            Errors::default(),
            Some(p.detail),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let r = Registration {
        full_name: f.full_name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        password: f.password.clone(),
        consent: f.consent.is_some(),
    };
    let client = caller.client(None, chrome.kiosk);
    match crate::register::register(&p.db, &p.secrets, &idn, r, &client).await {
        Ok(s) => Ok(signed_in_response(&idn, s, "/account")),
        Err(e @ Error::Problem(_)) => {
            let (errors, error) = Errors::of(&e);
            Ok(again(errors, error, status_of(&e)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity_login.html")]
struct LoginPage {
    chrome: Chrome,
    login: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn login_form(chrome: Chrome) -> Response {
    render(&LoginPage {
        chrome,
        login: String::new(),
        error: None,
        notice: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    remember: Option<String>,
}

async fn login(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    chrome: Chrome,
    caller: Caller,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let again = |error: String, status: StatusCode| {
        with_status(
            render(&LoginPage {
                chrome: chrome.clone(),
                login: f.login.clone(),
                error: Some(error),
                notice: None,
            }),
            status,
        )
    };
    if let Err(p) = limiter.check(Action::SignIn, caller.ip.as_deref()) {
        return Ok(again(p.detail, StatusCode::TOO_MANY_REQUESTS));
    }
    let device = cookie(&headers, DEVICE_COOKIE).map(str::to_string);
    let client = caller.client(device, chrome.kiosk);
    let remember = f.remember.is_some() && !chrome.kiosk;
    match crate::sign_in::sign_in(
        &p.db,
        &p.secrets,
        &idn,
        &f.login,
        &f.password,
        remember,
        &client,
    )
    .await
    {
        Ok(SignIn::Done(s)) => Ok(signed_in_response(&idn, s, "/account")),
        Ok(SignIn::SecondFactor { challenge, .. }) => {
            let mut r = Redirect::to("/login/code").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    CHALLENGE_COOKIE,
                    &challenge,
                    Some(idn.settings.challenge_ttl_ms / 1000),
                    idn.settings.secure_cookies,
                ),
            );
            Ok(r)
        }
        Err(e @ Error::Problem(_)) => Ok(again(e.to_problem().detail, status_of(&e))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity_link.html")]
struct LinkPage {
    chrome: Chrome,
    code: String,
    error: Option<String>,
}

/// The page a one-time QR code opens: a button, so that a link preview or a scanner's prefetch
/// does not spend the code.
async fn link_form(chrome: Chrome, Path(code): Path<String>) -> Response {
    render(&LinkPage {
        chrome,
        code,
        error: None,
    })
}

async fn link_sign_in(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    chrome: Chrome,
    caller: Caller,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let device = cookie(&headers, DEVICE_COOKIE).map(str::to_string);
    let client = caller.client(device, chrome.kiosk);
    match crate::sign_in::sign_in_by_link(&p.db, &p.secrets, &idn, &code, &client).await {
        Ok(s) => Ok(signed_in_response(&idn, s, "/account")),
        Err(e @ Error::Problem(_)) => Ok(with_status(
            render(&LinkPage {
                chrome,
                code,
                error: Some(e.to_problem().detail),
            }),
            status_of(&e),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity_code.html")]
struct CodePage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    /// The account has a passkey to offer.
    passkey: bool,
}

async fn code_form(
    State(p): State<Platform>,
    chrome: Chrome,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(challenge) = cookie(&headers, CHALLENGE_COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let passkey = crate::passkeys::challenge_offers_passkey(&p.db, challenge).await?;
    Ok(render(&CodePage {
        chrome,
        error: None,
        notice: None,
        passkey,
    }))
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    code: String,
}

async fn code(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    chrome: Chrome,
    caller: Caller,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let Some(challenge) = cookie(&headers, CHALLENGE_COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let passkey = crate::passkeys::challenge_offers_passkey(&p.db, challenge).await?;
    let again = |error: String, status: StatusCode| {
        with_status(
            render(&CodePage {
                chrome: chrome.clone(),
                error: Some(error),
                notice: None,
                passkey,
            }),
            status,
        )
    };
    if let Err(p) = limiter.check(Action::SignIn, caller.ip.as_deref()) {
        return Ok(again(p.detail, StatusCode::TOO_MANY_REQUESTS));
    }
    let method = match f.method.as_str() {
        "sms" => Method::Sms,
        "recovery" => Method::Recovery,
        "passkey" => Method::Passkey,
        _ => Method::Totp,
    };
    let device = cookie(&headers, DEVICE_COOKIE).map(str::to_string);
    let client = caller.client(device, chrome.kiosk);
    match crate::second_factor::complete_second_factor(
        &p.db, &p.secrets, &idn, challenge, method, &f.code, &client,
    )
    .await
    {
        Ok(s) => Ok(signed_in_response(&idn, s, "/account")),
        Err(e @ Error::Problem(_)) => Ok(again(e.to_problem().detail, status_of(&e))),
        Err(e) => Err(e.into()),
    }
}

async fn code_sms(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    chrome: Chrome,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(challenge) = cookie(&headers, CHALLENGE_COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let outcome = match limiter.check(Action::Code, caller.ip.as_deref()) {
        Err(p) => Err(Error::from(p)),
        Ok(()) => crate::second_factor::send_sign_in_sms(&p.db, &p.secrets, &idn, challenge).await,
    };
    let (error, notice) = match outcome {
        Ok(to) => (None, Some(format!("Код отправлен на номер {to}."))),
        Err(e @ Error::Problem(_)) => (Some(e.to_problem().detail), None),
        Err(e) => return Err(e.into()),
    };
    let passkey = crate::passkeys::challenge_offers_passkey(&p.db, challenge).await?;
    Ok(render(&CodePage {
        chrome,
        error,
        notice,
        passkey,
    }))
}

#[derive(Template)]
#[template(path = "identity_account.html")]
struct AccountPage {
    chrome: Chrome,
    a: AccountView,
    /// The contact whose form shows `error` or `notice`.
    about: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn account_page(
    p: &Platform,
    actor: &okno_kernel::Actor,
    chrome: Chrome,
    about: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let a = crate::account::account(&p.db, actor).await?;
    Ok(render(&AccountPage {
        chrome,
        a,
        about: about.into(),
        error,
        notice,
    }))
}

async fn account(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    account_page(&p, &actor, chrome, "", None, None).await
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    contact: String,
    #[serde(default)]
    code: String,
}

fn contact_of(s: &str) -> Contact {
    if s == "email" {
        Contact::Email
    } else {
        Contact::Phone
    }
}

async fn confirm(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let contact = contact_of(&f.contact);
    match crate::contacts::confirm_contact(&p.db, &p.secrets, &idn, &actor, contact, &f.code).await
    {
        Ok(_) => Ok(Redirect::to("/account").into_response()),
        Err(e @ Error::Problem(_)) => {
            let status = status_of(&e);
            let r = account_page(
                &p,
                &actor,
                chrome,
                &f.contact,
                Some(e.to_problem().detail),
                None,
            )
            .await?;
            Ok(with_status(r, status))
        }
        Err(e) => Err(e.into()),
    }
}

async fn resend(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    caller: Caller,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let contact = contact_of(&f.contact);
    let outcome = match limiter.check(Action::Code, caller.ip.as_deref()) {
        Err(p) => Err(Error::from(p)),
        Ok(()) => crate::contacts::resend_code(&p.db, &p.secrets, &idn, &actor, contact).await,
    };
    match outcome {
        Ok(()) => {
            account_page(
                &p,
                &actor,
                chrome,
                &f.contact,
                None,
                Some("Новый код отправлен.".into()),
            )
            .await
        }
        Err(e @ Error::Problem(_)) => {
            account_page(
                &p,
                &actor,
                chrome,
                &f.contact,
                Some(e.to_problem().detail),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity_security.html")]
struct SecurityPage {
    chrome: Chrome,
    a: AccountView,
    sessions: Vec<SessionRow>,
    errors: Errors,
    error: Option<String>,
    notice: Option<String>,
    enrolment: Option<TotpEnrolment>,
    recovery_codes: Vec<String>,
    min_length: usize,
    passkeys: Vec<PasskeyRow>,
}

pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub added: String,
    pub used: String,
}

pub struct SessionRow {
    pub device: String,
    pub ip: String,
    pub since: String,
    pub current: bool,
}

fn session_rows(s: Vec<SessionInfo>) -> Vec<SessionRow> {
    s.into_iter()
        .map(|s| SessionRow {
            device: s
                .user_agent
                .as_deref()
                .map(crate::sessions::short_agent)
                .unwrap_or("неизвестное устройство")
                .to_string(),
            ip: s.ip.unwrap_or_default(),
            since: okno_notify::pages::short_time(s.created_at),
            current: s.current,
        })
        .collect()
}

#[derive(Default)]
struct SecurityExtras {
    errors: Errors,
    error: Option<String>,
    notice: Option<String>,
    enrolment: Option<TotpEnrolment>,
    recovery_codes: Vec<String>,
}

async fn security_page(
    p: &Platform,
    idn: &Identity,
    actor: &okno_kernel::Actor,
    chrome: Chrome,
    headers: &HeaderMap,
    x: SecurityExtras,
) -> Result<Response, PageError> {
    let a = crate::account::account(&p.db, actor).await?;
    let sessions = session_rows(
        crate::sessions::sessions(&p.db, actor, cookie(headers, SESSION_COOKIE)).await?,
    );
    let passkeys = crate::passkeys::list(&p.db, actor)
        .await?
        .into_iter()
        .map(|k| PasskeyRow {
            id: k.id,
            name: k.name,
            added: okno_notify::pages::short_time(k.created_at),
            used: k.last_used_at.map_or_else(
                || "ещё не использовался".into(),
                okno_notify::pages::short_time,
            ),
        })
        .collect();
    Ok(render(&SecurityPage {
        chrome,
        a,
        sessions,
        errors: x.errors,
        error: x.error,
        notice: x.notice,
        enrolment: x.enrolment,
        recovery_codes: x.recovery_codes,
        min_length: idn.policy.min_length,
        passkeys,
    }))
}

async fn security(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SecurityQuery>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let notice = (q.passkey.as_deref() == Some("added"))
        .then(|| "Ключ доступа добавлен. Теперь им можно подтверждать вход.".to_string());
    security_page(
        &p,
        &idn,
        &actor,
        chrome,
        &headers,
        SecurityExtras {
            notice,
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct SecurityQuery {
    #[serde(default)]
    passkey: Option<String>,
}

/// Without script the browser cannot talk to an authenticator: say so.
async fn passkey_no_script(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let r = Err(Problem::new(400, "passkey.unsupported", "Браузер не поддерживает ключи доступа")
        .with_detail("Чтобы добавить ключ доступа, нужен браузер с поддержкой ключей доступа (WebAuthn) и включённым JavaScript.")
        .into());
    outcome(&p, &idn, &actor, chrome, &headers, r).await
}

async fn passkey_remove(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    let r = crate::passkeys::remove(&p.db, &actor, &id)
        .await
        .map(|()| SecurityExtras {
            notice: Some("Ключ доступа удалён.".into()),
            ..Default::default()
        });
    outcome(&p, &idn, &actor, chrome, &headers, r).await
}

/// Renders the security page with the outcome of an action.
async fn outcome(
    p: &Platform,
    idn: &Identity,
    actor: &okno_kernel::Actor,
    chrome: Chrome,
    headers: &HeaderMap,
    r: Result<SecurityExtras, Error>,
) -> Result<Response, PageError> {
    match r {
        Ok(x) => security_page(p, idn, actor, chrome, headers, x).await,
        Err(e @ Error::Problem(_)) => {
            let status = status_of(&e);
            let (errors, error) = Errors::of(&e);
            let page = security_page(
                p,
                idn,
                actor,
                chrome,
                headers,
                SecurityExtras {
                    errors,
                    error,
                    ..Default::default()
                },
            )
            .await?;
            Ok(with_status(page, status))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

async fn password(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let r = if f.password != f.password_repeat {
        Err(Problem::invalid_field(
            "password_repeat",
            "password.mismatch",
            "Пароли не совпадают.",
        )
        .into())
    } else {
        crate::password_change::change_password(
            &p.db,
            &idn,
            &actor,
            &f.current,
            &f.password,
            cookie(&headers, SESSION_COOKIE),
        )
        .await
        .map(|()| SecurityExtras {
            notice: Some("Пароль изменён. Сеансы на других устройствах завершены.".into()),
            ..Default::default()
        })
    };
    outcome(&p, &idn, &actor, chrome, &headers, r).await
}

async fn totp_begin(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let r = crate::second_factor::totp_begin(&p.db, &p.secrets, &idn, &actor)
        .await
        .map(|e| SecurityExtras {
            enrolment: Some(e),
            ..Default::default()
        });
    outcome(&p, &idn, &actor, chrome, &headers, r).await
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    code: String,
}

async fn totp_confirm(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
    Form(f): Form<TotpForm>,
) -> Result<Response, PageError> {
    let r = crate::second_factor::totp_confirm(&p.db, &p.secrets, &actor, &f.code)
        .await
        .map(|codes| SecurityExtras {
            notice: Some(
                "Приложение-аутентификатор подключено. Теперь при входе понадобится код из него."
                    .into(),
            ),
            recovery_codes: codes,
            ..Default::default()
        });
    outcome(&p, &idn, &actor, chrome, &headers, r).await
}

#[derive(Deserialize)]
struct ModeForm {
    #[serde(default)]
    mode: String,
}

async fn second_factor(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    headers: HeaderMap,
    Form(f): Form<ModeForm>,
) -> Result<Response, PageError> {
    let r = match SecondFactor::parse(&f.mode) {
        None => Err(Problem::invalid_field(
            "mode",
            "second_factor.unknown",
            "Выберите один из вариантов.",
        )
        .into()),
        Some(mode) => crate::second_factor::set_second_factor(&p.db, &actor, mode)
            .await
            .map(|()| SecurityExtras {
                notice: Some("Настройка сохранена.".into()),
                ..Default::default()
            }),
    };
    outcome(&p, &idn, &actor, chrome, &headers, r).await
}

async fn sign_out_everywhere(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
) -> Result<Response, PageError> {
    crate::sessions::sign_out_everywhere(&p.db, &actor).await?;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), idn.settings.secure_cookies),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "identity_profile.html")]
struct ProfilePage {
    chrome: Chrome,
    /// What is stored (documents masked), shown as hints.
    stored: crate::profile::ProfileView,
    /// What the form shows in its fields.
    form: ProfileForm,
    errors: Errors,
    error: Option<String>,
    outcome: Option<crate::profile::ProfileOutcome>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ProfileForm {
    last_name: String,
    first_name: String,
    middle_name: String,
    birth_date: String,
    sex: String,
    passport: String,
    snils: String,
    inn: String,
}

async fn profile_form(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let stored = crate::profile::view(&p.db, &p.secrets, &actor).await?;
    // Names and dates are filled in again; documents are typed anew (only masked forms are kept).
    let form = ProfileForm {
        last_name: stored.last_name.clone(),
        first_name: stored.first_name.clone(),
        middle_name: stored.middle_name.clone(),
        birth_date: stored.birth_date.clone(),
        sex: stored.sex.clone(),
        ..Default::default()
    };
    Ok(render(&ProfilePage {
        chrome,
        stored,
        form,
        errors: Errors::default(),
        error: None,
        outcome: None,
    }))
}

async fn profile_save(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Form(f): Form<ProfileForm>,
) -> Result<Response, PageError> {
    let profile = crate::profile::Profile {
        last_name: f.last_name.clone(),
        first_name: f.first_name.clone(),
        middle_name: Some(f.middle_name.clone()),
        birth_date: f.birth_date.clone(),
        sex: f.sex.clone(),
        passport: f.passport.clone(),
        snils: f.snils.clone(),
        inn: Some(f.inn.clone()),
    };
    let r = crate::profile::update(&p.db, &p.secrets, &idn, &actor, profile).await;
    let stored = crate::profile::view(&p.db, &p.secrets, &actor).await?;
    match r {
        Ok(outcome) => Ok(render(&ProfilePage {
            chrome,
            stored,
            form: f,
            errors: Errors::default(),
            error: None,
            outcome: Some(outcome),
        })),
        Err(e @ Error::Problem(_)) => {
            let status = status_of(&e);
            let (errors, error) = Errors::of(&e);
            Ok(with_status(
                render(&ProfilePage {
                    chrome,
                    stored,
                    form: f,
                    errors,
                    error,
                    outcome: None,
                }),
                status,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity_recover.html")]
struct RecoverPage {
    chrome: Chrome,
    /// Step 2 when set.
    ticket: Option<String>,
    login: String,
    notice: Option<String>,
    errors: Errors,
    error: Option<String>,
    min_length: usize,
}

async fn recover_form(chrome: Chrome, Extension(idn): Extension<Arc<Identity>>) -> Response {
    render(&RecoverPage {
        chrome,
        ticket: None,
        login: String::new(),
        notice: None,
        errors: Errors::default(),
        error: None,
        min_length: idn.policy.min_length,
    })
}

#[derive(Deserialize)]
struct RecoverStartForm {
    #[serde(default)]
    login: String,
}

async fn recover_start(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    chrome: Chrome,
    caller: Caller,
    Form(f): Form<RecoverStartForm>,
) -> Result<Response, PageError> {
    let outcome = match limiter.check(Action::Code, caller.ip.as_deref()) {
        Err(p) => Err(Error::from(p)),
        Ok(()) => crate::recovery::start(&p.db, &p.secrets, &idn, &f.login).await,
    };
    let page = |ticket, notice, error| RecoverPage {
        chrome: chrome.clone(),
        ticket,
        login: f.login.clone(),
        notice,
        errors: Errors::default(),
        error,
        min_length: idn.policy.min_length,
    };
    match outcome {
        Ok(t) => Ok(render(&page(
            Some(t.ticket),
            Some(t.message.to_string()),
            None,
        ))),
        Err(e @ Error::Problem(_)) => Ok(with_status(
            render(&page(None, None, Some(e.to_problem().detail))),
            status_of(&e),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RecoverCompleteForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

async fn recover_complete(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    chrome: Chrome,
    caller: Caller,
    Form(f): Form<RecoverCompleteForm>,
) -> Result<Response, PageError> {
    let outcome = if f.password != f.password_repeat {
        Err(Problem::invalid_field(
            "password_repeat",
            "password.mismatch",
            "Пароли не совпадают.",
        )
        .into())
    } else if let Err(p) = limiter.check(Action::SignIn, caller.ip.as_deref()) {
        Err(Error::from(p))
    } else {
        crate::recovery::complete(
            &p.db,
            &p.secrets,
            &idn,
            crate::recovery::Completion {
                ticket: f.ticket.clone(),
                code: f.code.clone(),
                document: f.document.clone(),
                password: f.password.clone(),
            },
        )
        .await
    };
    match outcome {
        Ok(()) => Ok(render(&LoginPage {
            chrome,
            login: String::new(),
            error: None,
            notice: Some("Пароль изменён, все сеансы завершены. Войдите с новым паролем.".into()),
        })),
        Err(e @ Error::Problem(_)) => {
            let status = status_of(&e);
            let (errors, error) = Errors::of(&e);
            Ok(with_status(
                render(&RecoverPage {
                    chrome,
                    ticket: Some(f.ticket.clone()),
                    login: String::new(),
                    notice: None,
                    errors,
                    error,
                    min_length: idn.policy.min_length,
                }),
                status,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity_notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    rows: Vec<TopicRow>,
    notice: Option<String>,
}

pub struct TopicRow {
    pub topic: &'static str,
    pub title: &'static str,
    pub email: bool,
    pub sms: bool,
}

fn topic_rows(prefs: &[crate::privacy::Preference]) -> Vec<TopicRow> {
    use okno_notify::Channel;
    crate::privacy::Topic::ALL
        .into_iter()
        .map(|t| {
            let on = |c: Channel| {
                prefs
                    .iter()
                    .any(|p| p.topic == t && p.channel == c && p.enabled)
            };
            TopicRow {
                topic: t.as_str(),
                title: t.title(),
                email: on(Channel::Email),
                sms: on(Channel::Sms),
            }
        })
        .collect()
}

async fn notifications_form(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let prefs = crate::privacy::preferences(&p.db, &actor).await?;
    Ok(render(&NotificationsPage {
        chrome,
        rows: topic_rows(&prefs),
        notice: None,
    }))
}

async fn notifications_save(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    use okno_notify::Channel;
    // Checkboxes: `email.security=on`, `sms.appeals=on`, …; an absent box is off.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let checked = |c: &str, t: &str| pairs.iter().any(|(k, _)| k == &format!("{c}.{t}"));
    let mut prefs = Vec::new();
    for t in crate::privacy::Topic::ALL {
        for c in [Channel::Email, Channel::Sms] {
            prefs.push(crate::privacy::Preference {
                topic: t,
                channel: c,
                enabled: checked(c.as_str(), t.as_str()),
            });
        }
    }
    crate::privacy::set_preferences(&p.db, &actor, prefs).await?;
    let prefs = crate::privacy::preferences(&p.db, &actor).await?;
    Ok(render(&NotificationsPage {
        chrome,
        rows: topic_rows(&prefs),
        notice: Some("Настройки уведомлений сохранены.".into()),
    }))
}

async fn export_download(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    let doc = crate::data_export::export(&p.db, &p.secrets, &actor).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(Error::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"okno-personal-data.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "identity_representatives.html")]
struct PowersPage {
    chrome: Chrome,
    granted: Vec<crate::representation::PowerView>,
    received: Vec<crate::representation::PowerView>,
    acting_for: Option<String>,
    topics: Vec<(&'static str, &'static str)>,
    form_snils: String,
    form_until: String,
    errors: Errors,
    error: Option<String>,
    notice: Option<String>,
}

fn scope_titles(p: &crate::representation::PowerView) -> String {
    p.scope
        .iter()
        .map(|t| t.title())
        .collect::<Vec<_>>()
        .join("; ")
}

async fn powers_render(
    p: &Platform,
    actor: &okno_kernel::Actor,
    chrome: Chrome,
    form: (String, String),
    errors: Errors,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let (granted, received) = crate::representation::list(&p.db, actor).await?;
    Ok(render(&PowersPage {
        chrome,
        granted,
        received,
        acting_for: actor.on_behalf_of.as_ref().map(|p| p.name.clone()),
        topics: crate::privacy::Topic::ALL
            .into_iter()
            .filter(|t| *t != crate::privacy::Topic::Security)
            .map(|t| (t.as_str(), t.title()))
            .collect(),
        form_snils: form.0,
        form_until: form.1,
        errors,
        error,
        notice,
    }))
}

async fn powers_page(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login").into_response());
    }
    powers_render(
        &p,
        &actor,
        chrome,
        Default::default(),
        Errors::default(),
        None,
        None,
    )
    .await
}

async fn powers_grant(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let scope = pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .filter_map(|(_, v)| crate::privacy::Topic::parse(v))
        .collect();
    let grant = crate::representation::Grant {
        representative_snils: value("representative_snils"),
        scope,
        valid_until: value("valid_until"),
    };
    let form = (
        grant.representative_snils.clone(),
        grant.valid_until.clone(),
    );
    match crate::representation::grant(&p.db, &p.secrets, &actor, grant).await {
        Ok(v) => {
            let notice = format!("Доверенность на имя {} выдана.", v.representative_name);
            powers_render(
                &p,
                &actor,
                chrome,
                Default::default(),
                Errors::default(),
                None,
                Some(notice),
            )
            .await
        }
        Err(e @ Error::Problem(_)) => {
            let status = status_of(&e);
            let (errors, error) = Errors::of(&e);
            let page = powers_render(&p, &actor, chrome, form, errors, error, None).await?;
            Ok(with_status(page, status))
        }
        Err(e) => Err(e.into()),
    }
}

async fn powers_revoke(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    crate::representation::revoke(&p.db, &actor, &id).await?;
    Ok(Redirect::to("/account/representatives").into_response())
}

#[derive(Deserialize)]
struct ActingForm {
    #[serde(default)]
    principal_id: String,
}

async fn acting(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    Form(f): Form<ActingForm>,
) -> Result<Response, PageError> {
    let Some(session) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let principal = Some(f.principal_id.as_str()).filter(|s| !s.is_empty());
    crate::representation::act_as(&p.db, &actor, session, principal).await?;
    Ok(Redirect::to("/account/representatives").into_response())
}
