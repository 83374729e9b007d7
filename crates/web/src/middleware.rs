//! The shell's middleware: request id and tracing span, metrics, security headers, the actor of the
//! request (bearer token or session cookie), CSRF protection of forms, and the rule that every error
//! is problem+json under `/api` and a Russian page everywhere else.

use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use okno_kernel::actor::ActorKind;
use okno_kernel::http::{Chrome, CurrentActor, RenderErrorPage};
use okno_kernel::{auth, Actor, Platform, Problem};
use rand::RngCore;
use sha2::Sha256;
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::WebSettings;

/// What the middleware needs.
#[derive(Clone)]
pub struct Shell {
    pub platform: Platform,
    pub settings: Arc<WebSettings>,
    pub metrics: Arc<Metrics>,
    /// `(METHOD, /path/{template})` of the API operations that require credentials.
    pub secured: Arc<std::collections::HashSet<(String, String)>>,
}

pub use okno_kernel::http::SESSION_COOKIE;
pub const CSRF_COOKIE: &str = "okno_csrf";
pub const KIOSK_COOKIE: &str = "okno_kiosk";
pub use okno_kernel::http::DESK_COOKIE;
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Machine endpoints: errors there are problem+json, never pages.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/open311/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Request id (accepted from a proxy when sane, else new), one tracing span per request, metrics.
pub async fn request_context(State(shell): State<Shell>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut resp =
        okno_kernel::ctx::with_request_id(id.clone(), next.run(req).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = resp.status();
    shell.metrics.observe(
        method.as_str(),
        &route,
        status.as_u16(),
        elapsed.as_secs_f64(),
    );
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                ms = elapsed.as_millis() as u64,
                "request failed"
            );
        } else {
            tracing::debug!(
                status = status.as_u16(),
                ms = elapsed.as_millis() as u64,
                "request"
            );
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    resp
}

/// Security headers on every response; HSTS only when served over TLS.
pub async fn security_headers(State(shell): State<Shell>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    // A page may widen where its forms go (the acquirer's form); everything else stays.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&okno_kernel::http::content_security_policy(&[])) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(self), payment=()"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if shell.settings.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    resp
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    title: String,
    detail: String,
    errors: Vec<String>,
    request_id: Option<String>,
}

/// The problem for a bare error status from a layer or the router (404, 405, 408, 413, 415, …).
pub fn problem_for_status(status: StatusCode) -> Problem {
    match status {
        StatusCode::NOT_FOUND => Problem::new(404, "not_found", "Страница не найдена")
            .with_detail("Такой страницы нет. Проверьте адрес или начните с главной страницы."),
        StatusCode::METHOD_NOT_ALLOWED => {
            Problem::new(405, "request.method_not_allowed", "Метод не поддерживается")
                .with_detail("Этот адрес не принимает такой метод запроса.")
        }
        StatusCode::REQUEST_TIMEOUT => {
            Problem::new(408, "request.timeout", "Время ожидания истекло")
                .with_detail("Запрос обрабатывался слишком долго. Повторите попытку.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => okno_kernel::http::too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(
            415,
            "request.unsupported_media_type",
            "Неподдерживаемый формат запроса",
        )
        .with_detail("Тело запроса должно быть в формате JSON (Content-Type: application/json)."),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            Problem::new(status.as_u16(), "request.invalid", "Некорректный запрос")
                .with_detail("Запрос составлен неверно. Проверьте введённые данные.")
        }
        StatusCode::TOO_MANY_REQUESTS => {
            Problem::new(429, "request.rate_limited", "Слишком много запросов")
                .with_detail("Слишком много запросов подряд. Подождите немного и повторите.")
        }
        s if s.is_server_error() => {
            let mut p = Problem::internal();
            p.status = s.as_u16();
            p
        }
        s => Problem::new(s.as_u16(), "request.failed", "Запрос не выполнен")
            .with_detail("Запрос не может быть выполнен."),
    }
}

fn is_problem_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

fn is_html(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Under `/api` every error becomes problem+json; elsewhere a Russian error page in the layout.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let open311 = req.uri().path().starts_with("/open311/");
    let resp = next.run(req).await;
    // Open311 answers its errors in the GeoReport v2 format (an array of {code, description}, in
    // XML or JSON); only errors its handlers did not write become problem+json.
    if open311 && resp.headers().contains_key(header::CONTENT_TYPE) {
        return resp;
    }
    // Put there by `authenticate`, which runs inside this layer.
    let chrome = resp.extensions().get::<Chrome>().cloned();
    let status = resp.status();
    if api {
        if (status.is_client_error() || status.is_server_error()) && !is_problem_json(&resp) {
            let problem = match resp.extensions().get::<RenderErrorPage>() {
                Some(RenderErrorPage(p)) => p.clone(),
                None => problem_for_status(status),
            };
            return with_headers_of(problem.into_response(), &resp);
        }
        return resp;
    }
    let problem = match resp.extensions().get::<RenderErrorPage>() {
        Some(RenderErrorPage(p)) => p.clone(),
        None if (status.is_client_error() || status.is_server_error()) && !is_html(&resp) => {
            problem_for_status(status)
        }
        None => return resp,
    };
    let page = ErrorPage {
        chrome: chrome.unwrap_or_default(),
        status: problem.status,
        title: problem.title.to_string(),
        detail: problem.detail.clone(),
        errors: problem.errors.iter().map(|e| e.message.clone()).collect(),
        request_id: problem
            .request_id
            .clone()
            .or_else(okno_kernel::ctx::request_id),
    };
    let html = page.render().unwrap_or_else(|_| "Ошибка".into());
    let mut out = (
        problem.status_code(),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    copy_header(&resp, &mut out, header::SET_COOKIE);
    copy_header(&resp, &mut out, header::ALLOW);
    out
}

fn copy_header(from: &Response, to: &mut Response, name: HeaderName) {
    for v in from.headers().get_all(&name) {
        to.headers_mut().append(name.clone(), v.clone());
    }
}

fn with_headers_of(mut out: Response, from: &Response) -> Response {
    copy_header(from, &mut out, header::SET_COOKIE);
    copy_header(from, &mut out, header::ALLOW);
    copy_header(from, &mut out, header::WWW_AUTHENTICATE);
    out
}

/// A panic in a handler: logged with the request id, answered with a 500 problem (or page).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %what, request_id = ?okno_kernel::ctx::request_id(), "handler panicked");
    Problem::internal().into_response()
}

/// The value of cookie `name`.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    okno_kernel::http::cookie(req.headers(), name)
}

pub use okno_kernel::http::set_cookie;

/// The CSRF token that goes with a CSRF cookie value and the session cookie (empty when there is
/// none): signing in or out changes the session, and so the token, so a token seen before sign-in
/// is worth nothing after it.
pub fn csrf_token(key: &[u8; 32], cookie_value: &str, session: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(b"csrf:v2:");
    mac.update(cookie_value.as_bytes());
    mac.update(b":");
    mac.update(auth::secret_hash(session).as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// Whether an `Origin` header names this site: its host and port are the request's `Host`.
/// `null` (a sandboxed or privacy-stripped origin) is not this site.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    if !matches!(scheme, "http" | "https") {
        return false;
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let strip = |a: &str| {
        a.strip_suffix(default_port)
            .unwrap_or(a)
            .to_ascii_lowercase()
    };
    strip(authority) == strip(host)
}

/// The answer to a protected API operation asked without credentials.
fn credentials_required() -> Response {
    let mut r = Problem::unauthenticated()
        .with_detail(
            "Для этого запроса нужен токен доступа (Authorization: Bearer …) или вход в систему.",
        )
        .into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

fn csrf_refused() -> Response {
    // A refused form is shown as a page; the shell adds the layout.
    okno_kernel::http::PageError(
        Problem::new(403, "csrf.invalid", "Форма устарела")
            .with_detail("Не удалось подтвердить, что форму отправили вы. Обновите страницу и отправьте форму ещё раз."),
    )
    .into_response()
}

const FORM_LIMIT: usize = 1024 * 1024;

/// Resolves the actor (bearer token, else session cookie), checks CSRF on state-changing requests
/// that a browser could forge, and puts [`CurrentActor`] and [`Chrome`] on the request.
pub async fn authenticate(State(shell): State<Shell>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let api = is_api(&path);
    let bearer = okno_kernel::http::bearer(req.headers());
    let Resolved {
        mut actor,
        via_cookie,
        password_change_pending,
    } = match resolve_actor(&shell, bearer, cookie(&req, SESSION_COOKIE)).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let csrf = Csrf::of(&shell, &req);
    // A protected operation asked with no credentials learns nothing else: not its media type,
    // not its parameters' rules.
    if api && actor.kind == ActorKind::Anonymous && is_secured(&shell, &req) {
        return credentials_required();
    }
    let kiosk = cookie(&req, KIOSK_COOKIE) == Some("1");
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method && (!api || via_cookie) {
        req = match check_csrf(req, &path, &csrf).await {
            Ok(req) => req,
            Err(refused) => return refused,
        };
    }
    // Until a temporary password is replaced the account holds no rights: setting the new
    // password (and signing out) is all it can do.
    if password_change_pending && !open_while_password_pending(req.method(), &path) {
        return password_change_first(api);
    }
    let chrome = chrome_of(&actor, csrf.token.clone(), path, kiosk);
    actor.device = device_credential(&req);
    req.extensions_mut().insert(CurrentActor(actor));
    req.extensions_mut().insert(chrome.clone());
    let mut resp = next.run(req).await;
    // Pages (and error pages) carry the token, so the cookie goes with them only.
    if csrf.fresh
        && !api
        && (is_html(&resp) || resp.extensions().get::<RenderErrorPage>().is_some())
    {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                CSRF_COOKIE,
                &csrf.value,
                None,
                shell.settings.secure_cookies,
            ),
        );
    }
    resp.extensions_mut().insert(chrome);
    resp
}

/// Who asks, as [`resolve_actor`] found it.
struct Resolved {
    actor: Actor,
    /// By the session cookie (which needs the CSRF check).
    via_cookie: bool,
    /// The account must set a new password before anything else.
    password_change_pending: bool,
}

impl Resolved {
    /// Found without the session cookie (so with no CSRF check to make).
    fn without_cookie((actor, password_change_pending): (Actor, bool)) -> Resolved {
        Resolved {
            actor,
            via_cookie: false,
            password_change_pending,
        }
    }
}

/// The request's actor: a bearer session secret, else a bearer API token, else the session
/// cookie, else anonymous. A bearer that resolves to nobody is refused at once.
async fn resolve_actor(
    shell: &Shell,
    bearer: Option<&str>,
    session_cookie: Option<&str>,
) -> Result<Resolved, Response> {
    // A bearer that is no API token (`okno_…`) is a session secret given to an API client at
    // sign-in; it is not sent by browsers on their own, so it needs no CSRF check.
    if let Some(sid) = bearer.filter(|b| !b.starts_with("okno_")) {
        return bearer_session(shell, sid)
            .await
            .map(Resolved::without_cookie);
    }
    if let Some(token) = bearer {
        return api_token(shell, token)
            .await
            .map(|a| Resolved::without_cookie((a, false)));
    }
    let found = match session_cookie {
        Some(sid) => session_actor(shell, sid)
            .await
            .map_err(|e| e.into_response())?,
        None => None,
    };
    Ok(match found {
        Some((actor, password_change_pending)) => Resolved {
            actor,
            via_cookie: true,
            password_change_pending,
        },
        None => Resolved::without_cookie((Actor::anonymous(), false)),
    })
}

/// What an account that must set a new password may still ask for: the page and the calls that
/// set it, what the account is (so that a client learns it must set one), signing out, and the
/// static files the page needs.
fn open_while_password_pending(method: &Method, path: &str) -> bool {
    let read = matches!(*method, Method::GET | Method::HEAD);
    match path {
        "/account/security" | "/api/v1/identity/me" => read,
        "/account/security/password"
        | "/api/v1/identity/password"
        | "/logout"
        | "/admin/logout" => !read,
        _ => path.starts_with("/static/"),
    }
}

/// The answer to anything else: the API's problem, or the page where the password is set.
fn password_change_first(api: bool) -> Response {
    if api {
        Problem::new(
            403,
            "auth.password_change_required",
            "Сначала задайте новый пароль",
        )
        .with_detail("Учётная запись получит свои права, когда вы зададите новый пароль вместо временного: POST /api/v1/identity/password.")
        .into_response()
    } else {
        axum::response::Redirect::to("/account/security").into_response()
    }
}

/// The actor of a session secret sent as a bearer.
async fn bearer_session(shell: &Shell, sid: &str) -> Result<(Actor, bool), Response> {
    match session_actor(shell, sid).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(invalid_token(
            "Сессия не найдена, завершена или истекла. Войдите снова.",
        )),
        Err(e) => Err(e.into_response()),
    }
}

/// The actor of an API token (`okno_…`) sent as a bearer.
async fn api_token(shell: &Shell, token: &str) -> Result<Actor, Response> {
    let found = match shell.platform.db.read().await {
        Ok(mut c) => auth::authenticate_token(&mut c, token).await,
        Err(e) => Err(e.into()),
    };
    match found {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(invalid_token("Токен доступа не найден, отозван или истёк.")),
        Err(e) => Err(e.into_response()),
    }
}

/// The answer to a bearer that resolves to nobody.
fn invalid_token(detail: &str) -> Response {
    let mut r = Problem::new(401, "auth.invalid_token", "Недействительный токен")
        .with_detail(detail)
        .into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// The request's CSRF cookie value (its own when well-formed, else a fresh one) and the token
/// forms and headers must carry, tied to the cookie and the session.
struct Csrf {
    value: String,
    fresh: bool,
    token: String,
}

impl Csrf {
    fn of(shell: &Shell, req: &Request) -> Csrf {
        let existing = cookie(req, CSRF_COOKIE)
            .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_string);
        let fresh = existing.is_none();
        let value = existing.unwrap_or_else(|| {
            let mut b = [0u8; 16];
            rand::rngs::OsRng.fill_bytes(&mut b);
            hex::encode(b)
        });
        let token = csrf_token(
            shell.platform.secrets.csrf_key(),
            &value,
            cookie(req, SESSION_COOKIE).unwrap_or(""),
        );
        Csrf {
            value,
            fresh,
            token,
        }
    }
}

/// Whether the matched API operation is one the OpenAPI document marks secured.
fn is_secured(shell: &Shell, req: &Request) -> bool {
    let Some(template) = req.extensions().get::<MatchedPath>() else {
        return false;
    };
    let key = (
        req.method().as_str().to_string(),
        template.as_str().to_string(),
    );
    shell.secured.contains(&key)
}

/// The CSRF check of a state-changing request a browser could forge: not cross-site, from this
/// site's origin, and carrying the token (header, form field, or a file form's action URL). Gives
/// the request back (its form body read and put back) or the refusal.
async fn check_csrf(req: Request, path: &str, csrf: &Csrf) -> Result<Request, Response> {
    if req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        == Some("cross-site")
    {
        return Err(csrf_refused());
    }
    // Browsers send `Origin` with every state-changing request: another site's is refused.
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        if !origin.to_str().is_ok_and(|o| same_origin(o, host)) {
            tracing::warn!(path = %path, "request from another origin refused");
            return Err(csrf_refused());
        }
    }
    let (ok, req) = if csrf.fresh {
        (false, req)
    } else {
        token_sent(req, &csrf.token).await?
    };
    if !ok {
        tracing::warn!(path = %path, "CSRF check failed");
        return Err(csrf_refused());
    }
    Ok(req)
}

/// Whether the request carries `token`: in the `X-CSRF-Token` header, else in a file form's
/// action URL, else in an urlencoded form's body (read, then put back for the handler).
async fn token_sent(req: Request, token: &str) -> Result<(bool, Request), Response> {
    let header_token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(h) = header_token {
        return Ok((constant_time_eq(&h, token), req));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if content_type.starts_with("multipart/form-data") {
        // A file form without JavaScript: the body may be megabytes of a file, so the
        // token rides in the form's action URL instead (as Spring Security's guidance for
        // multipart forms allows); it is tied to the session's cookie all the same.
        let ok = req
            .uri()
            .query()
            .and_then(|q| form_field(q.as_bytes(), "csrf_token"))
            .is_some_and(|s| constant_time_eq(&s, token));
        Ok((ok, req))
    } else if is_form {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
            Ok(b) => b,
            Err(_) => return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
        };
        let sent = form_field(&bytes, "csrf_token");
        let req = Request::from_parts(parts, Body::from(bytes));
        Ok((sent.is_some_and(|s| constant_time_eq(&s, token)), req))
    } else {
        Ok((false, req))
    }
}

/// What the layout shows of the request: its CSRF token, who is signed in (and for whom they
/// act), the path and whether it is a kiosk.
fn chrome_of(actor: &Actor, csrf_token: String, path: String, kiosk: bool) -> Chrome {
    Chrome {
        csrf_token,
        user: (actor.kind != ActorKind::Anonymous).then(|| match &actor.on_behalf_of {
            Some(p) => format!("{} — от имени {}", actor.name, p.name),
            None => actor.name.clone(),
        }),
        account: actor.kind == ActorKind::Account,
        path,
        kiosk,
    }
}

/// A registered desk or kiosk presents its credential (header or cookie); the offices part
/// checks it.
fn device_credential(req: &Request) -> Option<okno_kernel::actor::DeviceCredential> {
    req.headers()
        .get("x-okno-device")
        .and_then(|v| v.to_str().ok())
        .or_else(|| cookie(req, DESK_COOKIE))
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(|v| okno_kernel::actor::DeviceCredential(v.to_string()))
}

/// The actor of a live session (a token holder's or a person's account), and whether it must set
/// a new password first.
async fn session_actor(shell: &Shell, secret: &str) -> okno_kernel::Result<Option<(Actor, bool)>> {
    let db = &shell.platform.db;
    let Some(subject) = auth::resume_session(db, secret).await? else {
        return Ok(None);
    };
    match subject.kind.as_str() {
        "token" => {
            let mut c = db.read().await?;
            Ok(auth::token_session_actor(&mut c, &subject.id)
                .await?
                .map(|a| (a, false)))
        }
        "account" => {
            okno_identity::representation::session_actor(
                db,
                &subject.id,
                subject.acting_for.as_deref(),
            )
            .await
        }
        _ => Ok(None),
    }
}

/// One field of an urlencoded form body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_depend_on_key_cookie_and_session() {
        let a = csrf_token(&[1; 32], "c1", "");
        assert_eq!(a.len(), 32);
        assert_eq!(a, csrf_token(&[1; 32], "c1", ""));
        assert_ne!(a, csrf_token(&[2; 32], "c1", ""));
        assert_ne!(a, csrf_token(&[1; 32], "c2", ""));
        assert_ne!(
            a,
            csrf_token(&[1; 32], "c1", "session"),
            "rotated at sign-in"
        );
    }

    #[test]
    fn an_origin_is_this_site_only_with_the_same_host_and_port() {
        assert!(same_origin("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(same_origin(
            "https://okno.example.ru",
            Some("okno.example.ru:443")
        ));
        assert!(same_origin(
            "https://OKNO.example.ru",
            Some("okno.example.ru")
        ));
        assert!(!same_origin(
            "http://127.0.0.1:8081",
            Some("127.0.0.1:8080")
        ));
        assert!(!same_origin(
            "https://evil.example",
            Some("okno.example.ru")
        ));
        assert!(!same_origin("null", Some("okno.example.ru")));
        assert!(!same_origin("http://a", None));
    }

    #[test]
    fn form_fields_are_found_after_decoding() {
        assert_eq!(
            form_field(b"a=1&csrf_token=ab%2Bc&b=2", "csrf_token").as_deref(),
            Some("ab+c")
        );
        assert_eq!(form_field(b"a=1", "csrf_token"), None);
    }

    #[test]
    fn cookies_are_secure_under_tls_only() {
        let v = set_cookie("okno_session", "x", Some(60), true);
        let s = v.to_str().unwrap();
        assert!(s.contains("HttpOnly") && s.contains("Secure") && s.contains("Max-Age=60"));
        assert!(!set_cookie("a", "b", None, false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
