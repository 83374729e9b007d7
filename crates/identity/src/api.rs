//! JSON API of the identity part under `/api/v1/identity`: registration, contact confirmation,
//! sign-in with a second factor, the account, TOTP, password, sessions. Thin: parse, call, answer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{bearer, cookie, ApiJson, CurrentActor, SESSION_COOKIE};
use okno_kernel::Platform;
use serde::{Deserialize, Serialize};

use crate::account::AccountView;
use crate::contacts::Contact;
use crate::limits::{Action, Limiter};
use crate::model::Method;
use crate::model::{Level, SecondFactor};
use crate::register::Registration;
use crate::second_factor::TotpEnrolment;
use crate::sessions::{Client, SessionInfo, SignedIn};
use crate::settings::Identity;
use crate::sign_in::SignIn;

/// The pending second step of a sign-in.
pub(crate) const CHALLENGE_COOKIE: &str = "okno_challenge";

pub fn routes(identity: Arc<Identity>, limiter: Arc<Limiter>) -> Router<Platform> {
    Router::new()
        .route("/api/v1/identity/register", post(register))
        .route("/api/v1/identity/codes", post(resend))
        .route("/api/v1/identity/confirm", post(confirm))
        .route("/api/v1/identity/sign-in", post(sign_in))
        .route("/api/v1/identity/sign-in/sms", post(sign_in_sms))
        .route("/api/v1/identity/sign-in/passkey", post(sign_in_passkey))
        .route(
            "/api/v1/identity/passkeys",
            get(passkeys_list).post(passkeys_add),
        )
        .route(
            "/api/v1/identity/passkeys/registration",
            post(passkeys_begin),
        )
        .route(
            "/api/v1/identity/passkeys/{id}",
            axum::routing::delete(passkeys_remove),
        )
        .route(
            "/api/v1/identity/sign-in/second-factor",
            post(second_factor),
        )
        .route("/api/v1/identity/recovery", post(recovery_start))
        .route(
            "/api/v1/identity/recovery/complete",
            post(recovery_complete),
        )
        .route("/api/v1/identity/me", get(me))
        .route("/api/v1/identity/staff", post(staff_create))
        .route("/api/v1/identity/bank-confirmations", post(confirm_by_bank))
        .route(
            "/api/v1/identity/powers",
            get(powers_list).post(powers_grant),
        )
        .route("/api/v1/identity/powers/{id}/revoke", post(powers_revoke))
        .route("/api/v1/identity/acting", post(acting))
        .route("/api/v1/identity/acting/scope/{topic}", get(acting_scope))
        .route(
            "/api/v1/identity/preferences",
            get(prefs_get).put(prefs_put),
        )
        .route("/api/v1/identity/export", get(export))
        .route(
            "/api/v1/identity/profile",
            get(profile_get).put(profile_put),
        )
        .route("/api/v1/identity/totp", post(totp_begin))
        .route("/api/v1/identity/totp/confirm", post(totp_confirm))
        .route("/api/v1/identity/second-factor", put(set_second_factor))
        .route("/api/v1/identity/password", post(change_password))
        .route("/api/v1/identity/sessions", get(sessions))
        .route("/api/v1/identity/sessions/revoke-all", post(revoke_all))
        .layer(Extension(identity))
        .layer(Extension(limiter))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(register, resend, confirm, sign_in, sign_in_sms, sign_in_passkey, second_factor, passkeys_list, passkeys_begin, passkeys_add, passkeys_remove, recovery_start, recovery_complete, me, staff_create, confirm_by_bank, powers_list, powers_grant, powers_revoke, acting, acting_scope, prefs_get, prefs_put, export, profile_get, profile_put, totp_begin, totp_confirm, set_second_factor, change_password, sessions, revoke_all),
    components(schemas(crate::confirmation::ByBank, crate::confirmation::BankOutcome, crate::passkeys::PasskeyView, crate::passkeys::RegistrationStart, PasskeyRequest, PasskeyAdd, crate::confirmation::InPerson, crate::model::Refusal, crate::staff::NewStaff, crate::staff::Created, crate::representation::Grant, crate::representation::PowerView, Powers, ActingRequest, crate::privacy::Preference, crate::privacy::Topic, RecoveryRequest, crate::recovery::Ticket, crate::recovery::Completion, crate::profile::Profile, crate::profile::ProfileOutcome, crate::profile::ProfileView, Registration, Session, Challenge, ContactRequest, CodeRequest, LevelAnswer, SignInRequest, SmsRequest, SecondFactorRequest, AccountView, TotpEnrolment, TotpCode, RecoveryCodes, ModeRequest, PasswordRequest, SessionInfo, Revoked, Level, SecondFactor, Contact, Method)),
    tags((name = "identity", description = "Учётные записи: регистрация, вход, второй фактор, сеансы"))
)]
pub struct IdentityApi;

/// Who is calling: the peer's address (as the server accepted the connection; a forwarded-for
/// header is not trusted) and the user agent.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Caller {
    pub fn client(&self, device: Option<String>, terminal: bool) -> Client {
        Client {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            device,
            terminal,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Ok(Caller {
            ip: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(300).collect()),
        })
    }
}

/// A session opened: use `session` as a bearer token (`Authorization: Bearer …`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub account_id: String,
    pub session: String,
    /// Keep it and send it back as `device` at the next sign-in, so the device is recognised.
    pub device: String,
    pub must_change_password: bool,
}

impl From<SignedIn> for Session {
    fn from(s: SignedIn) -> Session {
        Session {
            account_id: s.account_id,
            session: s.session,
            device: s.device,
            must_change_password: s.must_change_password,
        }
    }
}

/// The password was right; send a code of one of `methods` with `challenge`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Challenge {
    pub challenge: String,
    pub methods: Vec<&'static str>,
    /// Where an SMS code went, masked, when one was sent.
    pub sms_sent_to: Option<String>,
}

/// Register a person: codes go to the phone and e-mail; the answer is a session.
#[utoipa::path(post, path = "/api/v1/identity/register", tag = "identity", request_body = Registration,
    responses((status = 201, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn register(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Session>)> {
    let client = caller.client(None, false);
    limiter.check(Action::Register, client.ip.as_deref())?;
    let s = crate::register::register(&p.db, &p.secrets, &idn, body, &client).await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub contact: Contact,
}

/// Send a new confirmation code to the phone or e-mail.
#[utoipa::path(post, path = "/api/v1/identity/codes", tag = "identity", request_body = ContactRequest,
    responses((status = 202), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn resend(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<ContactRequest>,
) -> Result<StatusCode> {
    limiter.check(Action::Code, caller.ip.as_deref())?;
    crate::contacts::resend_code(&p.db, &p.secrets, &idn, &actor, body.contact).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub contact: Contact,
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LevelAnswer {
    pub level: Level,
    pub level_title: &'static str,
}

/// Confirm the phone or e-mail with its code.
#[utoipa::path(post, path = "/api/v1/identity/confirm", tag = "identity", request_body = CodeRequest,
    responses((status = 200, body = LevelAnswer), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn confirm(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Json<LevelAnswer>> {
    let level =
        crate::contacts::confirm_contact(&p.db, &p.secrets, &idn, &actor, body.contact, &body.code)
            .await?;
    Ok(Json(LevelAnswer {
        level,
        level_title: level.title(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// Phone, e-mail, СНИЛС or ИНН.
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub remember: bool,
    /// The `device` of an earlier session on this device.
    #[serde(default)]
    pub device: Option<String>,
}

/// Sign in: 200 with a session, or 202 with a challenge for the second factor.
#[utoipa::path(post, path = "/api/v1/identity/sign-in", tag = "identity", request_body = SignInRequest,
    responses((status = 200, body = Session), (status = 202, body = Challenge),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn sign_in(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    ApiJson(body): ApiJson<SignInRequest>,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let client = caller.client(body.device.clone(), false);
    limiter.check(Action::SignIn, client.ip.as_deref())?;
    match crate::sign_in::sign_in(
        &p.db,
        &p.secrets,
        &idn,
        &body.login,
        &body.password,
        body.remember,
        &client,
    )
    .await?
    {
        SignIn::Done(s) => Ok(Json(Session::from(s)).into_response()),
        SignIn::SecondFactor {
            challenge,
            methods,
            sms_sent_to,
        } => Ok((
            StatusCode::ACCEPTED,
            Json(Challenge {
                challenge,
                methods,
                sms_sent_to,
            }),
        )
            .into_response()),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsRequest {
    pub challenge: String,
}

/// Send the sign-in code by SMS instead of using the app.
#[utoipa::path(post, path = "/api/v1/identity/sign-in/sms", tag = "identity", request_body = SmsRequest,
    responses((status = 429, description = "request.rate_limited", body = Problem, content_type = "application/problem+json"), (status = 202), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn sign_in_sms(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    ApiJson(body): ApiJson<SmsRequest>,
) -> Result<StatusCode> {
    limiter.check(Action::Code, caller.ip.as_deref())?;
    crate::second_factor::send_sign_in_sms(&p.db, &p.secrets, &idn, &body.challenge).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    pub challenge: String,
    pub method: Method,
    /// The code; with `passkey`, the credential JSON as a string (or send `credential` instead).
    #[serde(default)]
    pub code: String,
    /// With `passkey`: the `PublicKeyCredential` from `navigator.credentials.get()`, binary fields
    /// in base64url.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

/// Complete the sign-in with a TOTP, SMS or recovery code.
#[utoipa::path(post, path = "/api/v1/identity/sign-in/second-factor", tag = "identity", request_body = SecondFactorRequest,
    responses((status = 429, description = "request.rate_limited", body = Problem, content_type = "application/problem+json"), (status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn second_factor(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    ApiJson(body): ApiJson<SecondFactorRequest>,
) -> Result<Json<Session>> {
    let client = caller.client(None, false);
    limiter.check(Action::SignIn, client.ip.as_deref())?;
    let code = match &body.credential {
        Some(c) => c.to_string(),
        None => body.code.clone(),
    };
    let s = crate::second_factor::complete_second_factor(
        &p.db,
        &p.secrets,
        &idn,
        &body.challenge,
        body.method,
        &code,
        &client,
    )
    .await?;
    Ok(Json(s.into()))
}

/// The signed-in person's account: level, contacts, second factor.
#[utoipa::path(get, path = "/api/v1/identity/me", tag = "identity",
    responses((status = 200, body = AccountView), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn me(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<AccountView>> {
    Ok(Json(crate::account::account(&p.db, &actor).await?))
}

/// Start adding an authenticator app: the secret and its QR code.
#[utoipa::path(post, path = "/api/v1/identity/totp", tag = "identity",
    responses((status = 200, body = TotpEnrolment), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn totp_begin(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<TotpEnrolment>> {
    Ok(Json(
        crate::second_factor::totp_begin(&p.db, &p.secrets, &idn, &actor).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, shown only now.
    pub recovery_codes: Vec<String>,
}

/// Confirm the app with a code it shows; the answer holds the recovery codes.
#[utoipa::path(post, path = "/api/v1/identity/totp/confirm", tag = "identity", request_body = TotpCode,
    responses((status = 200, body = RecoveryCodes), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn totp_confirm(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<TotpCode>,
) -> Result<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes {
        recovery_codes: crate::second_factor::totp_confirm(&p.db, &p.secrets, &actor, &body.code)
            .await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeRequest {
    pub mode: SecondFactor,
}

/// When the second factor is asked for: `off`, `always`, `new_device`.
#[utoipa::path(put, path = "/api/v1/identity/second-factor", tag = "identity", request_body = ModeRequest,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn set_second_factor(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<ModeRequest>,
) -> Result<StatusCode> {
    crate::second_factor::set_second_factor(&p.db, &actor, body.mode).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current: String,
    pub password: String,
}

/// Change the password; every other session ends.
#[utoipa::path(post, path = "/api/v1/identity/password", tag = "identity", request_body = PasswordRequest,
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn change_password(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<StatusCode> {
    let current = bearer(&headers);
    crate::password_change::change_password(
        &p.db,
        &idn,
        &actor,
        &body.current,
        &body.password,
        current,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's live sessions; `current` marks the one this request came with (its bearer
/// session secret, or the browser's session cookie).
#[utoipa::path(get, path = "/api/v1/identity/sessions", tag = "identity",
    responses((status = 200, body = Vec<SessionInfo>)), security(("bearer" = [])))]
async fn sessions(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
) -> Result<Json<Vec<SessionInfo>>> {
    let current = bearer(&headers).or_else(|| cookie(&headers, SESSION_COOKIE));
    Ok(Json(
        crate::sessions::sessions(&p.db, &actor, current).await?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revoked {
    pub sessions: u64,
}

/// Sign out on every device, this one too.
#[utoipa::path(post, path = "/api/v1/identity/sessions/revoke-all", tag = "identity",
    responses((status = 200, body = Revoked)), security(("bearer" = [])))]
async fn revoke_all(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Revoked>> {
    Ok(Json(Revoked {
        sessions: crate::sessions::sign_out_everywhere(&p.db, &actor).await?,
    }))
}

/// The person's profile; documents are masked.
#[utoipa::path(get, path = "/api/v1/identity/profile", tag = "identity",
    responses((status = 200, body = crate::profile::ProfileView), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn profile_get(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<crate::profile::ProfileView>> {
    Ok(Json(crate::profile::view(&p.db, &p.secrets, &actor).await?))
}

/// Save the profile and check it against the state registries: a match raises «упрощённая» to
/// «стандартная»; a mismatch names the field.
#[utoipa::path(put, path = "/api/v1/identity/profile", tag = "identity", request_body = crate::profile::Profile,
    responses((status = 200, body = crate::profile::ProfileOutcome), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn profile_put(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<crate::profile::Profile>,
) -> Result<Json<crate::profile::ProfileOutcome>> {
    Ok(Json(
        crate::profile::update(&p.db, &p.secrets, &idn, &actor, body).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    /// The phone or e-mail of the account.
    pub login: String,
}

/// Start recovering access: a code goes to the confirmed phone or e-mail. The answer is the same
/// whether the account exists or not.
#[utoipa::path(post, path = "/api/v1/identity/recovery", tag = "identity", request_body = RecoveryRequest,
    responses((status = 202, body = crate::recovery::Ticket), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn recovery_start(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    ApiJson(body): ApiJson<RecoveryRequest>,
) -> Result<(StatusCode, Json<crate::recovery::Ticket>)> {
    limiter.check(Action::Code, caller.ip.as_deref())?;
    let t = crate::recovery::start(&p.db, &p.secrets, &idn, &body.login).await?;
    Ok((StatusCode::ACCEPTED, Json(t)))
}

/// Finish recovering access with the code, the СНИЛС or passport number of the profile and a new
/// password. Every session ends; the person is told.
#[utoipa::path(post, path = "/api/v1/identity/recovery/complete", tag = "identity", request_body = crate::recovery::Completion,
    responses((status = 429, description = "request.rate_limited", body = Problem, content_type = "application/problem+json"), (status = 204), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn recovery_complete(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    ApiJson(body): ApiJson<crate::recovery::Completion>,
) -> Result<StatusCode> {
    limiter.check(Action::SignIn, caller.ip.as_deref())?;
    crate::recovery::complete(&p.db, &p.secrets, &idn, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Notification preferences: every topic × channel (the inbox is always on).
#[utoipa::path(get, path = "/api/v1/identity/preferences", tag = "identity",
    responses((status = 200, body = Vec<crate::privacy::Preference>)), security(("bearer" = [])))]
async fn prefs_get(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<crate::privacy::Preference>>> {
    Ok(Json(crate::privacy::preferences(&p.db, &actor).await?))
}

/// Change notification preferences; the answer is every switch as it applies now.
#[utoipa::path(put, path = "/api/v1/identity/preferences", tag = "identity", request_body = Vec<crate::privacy::Preference>,
    responses((status = 200, body = Vec<crate::privacy::Preference>), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn prefs_put(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<Vec<crate::privacy::Preference>>,
) -> Result<Json<Vec<crate::privacy::Preference>>> {
    crate::privacy::set_preferences(&p.db, &actor, body).await?;
    Ok(Json(crate::privacy::preferences(&p.db, &actor).await?))
}

/// All data the platform holds about the signed-in person, as one JSON document (152-ФЗ).
#[utoipa::path(get, path = "/api/v1/identity/export", tag = "identity",
    responses((status = 200, description = "okno-personal-data/1")), security(("bearer" = [])))]
async fn export(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let doc = crate::data_export::export(&p.db, &p.secrets, &actor).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"okno-personal-data.json\"",
        )],
        Json(doc),
    )
        .into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Powers {
    /// Granted by the signed-in person.
    pub granted: Vec<crate::representation::PowerView>,
    /// Granted to the signed-in person.
    pub received: Vec<crate::representation::PowerView>,
}

/// Powers of attorney granted and received.
#[utoipa::path(get, path = "/api/v1/identity/powers", tag = "identity",
    responses((status = 200, body = Powers)), security(("bearer" = [])))]
async fn powers_list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Powers>> {
    let (granted, received) = crate::representation::list(&p.db, &actor).await?;
    Ok(Json(Powers { granted, received }))
}

/// Grant a power of attorney (the principal's account must be «подтверждённая»).
#[utoipa::path(post, path = "/api/v1/identity/powers", tag = "identity", request_body = crate::representation::Grant,
    responses((status = 201, body = crate::representation::PowerView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn powers_grant(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<crate::representation::Grant>,
) -> Result<(StatusCode, Json<crate::representation::PowerView>)> {
    let v = crate::representation::grant(&p.db, &p.secrets, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Revoke (principal) or renounce (representative) a power of attorney.
#[utoipa::path(post, path = "/api/v1/identity/powers/{id}/revoke", tag = "identity",
    params(("id" = String, Path, description = "Идентификатор")),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn powers_revoke(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode> {
    crate::representation::revoke(&p.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActingRequest {
    /// The principal to act for; `null` to act for oneself again.
    pub principal_id: Option<String>,
}

/// Make this session act on a principal's behalf (or for oneself again).
#[utoipa::path(post, path = "/api/v1/identity/acting", tag = "identity", request_body = ActingRequest,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn acting(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActingRequest>,
) -> Result<StatusCode> {
    let session = bearer(&headers).ok_or_else(Problem::unauthenticated)?;
    crate::representation::act_as(&p.db, &actor, session, body.principal_id.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the session may act in `topic` (`applications`, `appeals`, `payments`,
/// `appointments`): 204 for oneself or under a power of attorney that covers it, 403 otherwise.
#[utoipa::path(get, path = "/api/v1/identity/acting/scope/{topic}", tag = "identity",
    params(("topic" = String, Path, description = "Тема полномочий")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn acting_scope(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    axum::extract::Path(topic): axum::extract::Path<String>,
) -> Result<StatusCode> {
    let topic = crate::privacy::Topic::parse(&topic)
        .ok_or_else(|| Problem::not_found("Такого раздела нет."))?;
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    crate::representation::require_scope(&p.db, &actor, topic).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create a staff account (administrator): the answer holds its temporary password, valid 24 hours
/// and shown only now. Nobody grants a role they do not hold.
#[utoipa::path(post, path = "/api/v1/identity/staff", tag = "identity", request_body = crate::staff::NewStaff,
    responses((status = 201, body = crate::staff::Created), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn staff_create(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<crate::staff::NewStaff>,
) -> Result<(StatusCode, Json<crate::staff::Created>)> {
    let c = crate::staff::create(&p.db, &idn, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRequest {
    /// The sign-in challenge; pages leave it out and the `okno_challenge` cookie is used.
    #[serde(default)]
    pub challenge: Option<String>,
}

/// Options for `navigator.credentials.get()` for a sign-in waiting for its second factor; send the
/// result to `/api/v1/identity/sign-in/second-factor` with `method: "passkey"`.
#[utoipa::path(post, path = "/api/v1/identity/sign-in/passkey", tag = "identity", request_body = PasskeyRequest,
    responses((status = 429, description = "request.rate_limited", body = Problem, content_type = "application/problem+json"), (status = 200, description = "`PublicKeyCredentialRequestOptions` under `publicKey`", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn sign_in_passkey(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    Extension(limiter): Extension<Arc<Limiter>>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasskeyRequest>,
) -> Result<Json<webauthn_rs::prelude::RequestChallengeResponse>> {
    limiter.check(Action::SignIn, caller.ip.as_deref())?;
    let challenge = body
        .challenge
        .or_else(|| okno_kernel::http::cookie(&headers, CHALLENGE_COOKIE).map(str::to_string))
        .filter(|c| !c.is_empty())
        .ok_or_else(crate::model::challenge_gone)?;
    Ok(Json(
        crate::passkeys::sign_in_options(&p.db, &idn, &challenge).await?,
    ))
}

/// The signed-in person's passkeys.
#[utoipa::path(get, path = "/api/v1/identity/passkeys", tag = "identity",
    responses((status = 200, body = Vec<crate::passkeys::PasskeyView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn passkeys_list(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<crate::passkeys::PasskeyView>>> {
    Ok(Json(crate::passkeys::list(&p.db, &actor).await?))
}

/// Begin adding a passkey: options for `navigator.credentials.create()`.
#[utoipa::path(post, path = "/api/v1/identity/passkeys/registration", tag = "identity",
    responses((status = 200, body = crate::passkeys::RegistrationStart), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn passkeys_begin(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<crate::passkeys::RegistrationStart>> {
    Ok(Json(
        crate::passkeys::registration_begin(&p.db, &idn, &actor).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAdd {
    pub ceremony: String,
    /// A name to tell the passkeys apart, e.g. «Телефон».
    #[serde(default)]
    pub name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create()`, binary fields in base64url.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Finish adding a passkey with the authenticator's answer.
#[utoipa::path(post, path = "/api/v1/identity/passkeys", tag = "identity", request_body = PasskeyAdd,
    responses((status = 201, body = crate::passkeys::PasskeyView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn passkeys_add(
    State(p): State<Platform>,
    Extension(idn): Extension<Arc<Identity>>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<PasskeyAdd>,
) -> Result<(StatusCode, Json<crate::passkeys::PasskeyView>)> {
    let v = crate::passkeys::registration_finish(
        &p.db,
        &idn,
        &actor,
        &body.ceremony,
        &body.name,
        &body.credential,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Remove a passkey.
#[utoipa::path(delete, path = "/api/v1/identity/passkeys/{id}", tag = "identity",
    params(("id" = String, Path, description = "Идентификатор")),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn passkeys_remove(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode> {
    crate::passkeys::remove(&p.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The bank adapter: a partner bank confirms a client it identified in person. The account (found
/// by СНИЛС, already «стандартная») becomes «подтверждённая» when the passport, the full name and
/// the date of birth all match. A token with the `bank` role only.
#[utoipa::path(post, path = "/api/v1/identity/bank-confirmations", tag = "identity", request_body = crate::confirmation::ByBank,
    responses((status = 200, body = crate::confirmation::BankOutcome),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn confirm_by_bank(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<crate::confirmation::ByBank>,
) -> Result<Json<crate::confirmation::BankOutcome>> {
    Ok(Json(
        crate::confirmation::by_bank(&p.db, &p.secrets, &actor, body).await?,
    ))
}
