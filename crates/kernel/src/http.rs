//! What HTTP handlers of every part share: the acting user and page chrome put on the request by the
//! web shell's middleware, a JSON extractor whose errors name the offending field, and the error type
//! of HTML pages (rendered by the shell as a Russian error page).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::actor::Actor;
use crate::error::{Error, Problem};

/// The acting user of this request (anonymous when nobody signed in).
#[derive(Debug, Clone)]
pub struct CurrentActor(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for CurrentActor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CurrentActor>()
            .cloned()
            .unwrap_or(CurrentActor(Actor::anonymous())))
    }
}

/// What every page's layout needs: the CSRF token for its forms, who is signed in, where we are.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// Put in every form as `<input type="hidden" name="csrf_token">`.
    pub csrf_token: String,
    /// The signed-in actor's display name, if any.
    pub user: Option<String>,
    /// The signed-in actor is a person's account (its cabinet is `/account`), not a staff token.
    pub account: bool,
    /// The current path, for navigation highlighting.
    pub path: String,
    /// Kiosk (public terminal) mode: larger targets, no «remember me».
    pub kiosk: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut c = parts
            .extensions
            .get::<Chrome>()
            .cloned()
            .unwrap_or_default();
        c.path = parts.uri.path().to_string();
        Ok(c)
    }
}

/// A page handler's error. The web shell renders it inside the layout as a Russian error page.
#[derive(Debug)]
pub struct PageError(pub Problem);

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        PageError(e.to_problem())
    }
}

impl From<Problem> for PageError {
    fn from(p: Problem) -> PageError {
        PageError(p)
    }
}

/// The guard of an administrator's page: someone not signed in is sent to `/admin/login` (the
/// `Some` answer), anyone without `permission` gets the refusal page; `None` lets the page go on.
pub fn admin_page(
    actor: &Actor,
    permission: crate::actor::Permission,
) -> Result<Option<Response>, PageError> {
    if actor.is_anonymous() {
        return Ok(Some(
            axum::response::Redirect::to("/admin/login").into_response(),
        ));
    }
    actor.require(permission)?;
    Ok(None)
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> PageError {
        PageError(Error::Db(e).to_problem())
    }
}

pub use crate::error::RenderErrorPage;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut r = self.0.status_code().into_response();
        r.extensions_mut().insert(RenderErrorPage(self.0));
        r
    }
}

/// Renders an askama template into an HTML response, or a 500 error page when rendering fails.
pub fn render(t: &impl askama::Template) -> Response {
    match t.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => PageError(Error::internal(format!("template: {e}")).to_problem()).into_response(),
    }
}

/// A JSON body whose errors are problems naming the offending field:
/// `{"code": "request.invalid_json", "errors": [{"field": "address.city", …}]}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let ct = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                ct == "application/json" || ct.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE.as_u16(),
                "request.unsupported_media_type",
                "Неподдерживаемый формат запроса",
            )
            .with_detail(
                "Тело запроса должно быть в формате JSON (Content-Type: application/json).",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    Problem::new(400, "request.unreadable", "Не удалось прочитать запрос")
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// 413 problem for bodies over the limit.
pub fn too_large() -> Problem {
    Problem::new(413, "request.too_large", "Слишком большой запрос")
        .with_detail("Размер тела запроса превышает допустимый предел.")
}

/// Reads an uploaded file's body, one byte past [`crate::files::MAX_FILE`] so a larger file is
/// told apart from one at the limit (`413 attachment.too_large`).
pub async fn read_upload(body: axum::body::Body) -> Result<axum::body::Bytes, Problem> {
    axum::body::to_bytes(body, crate::files::MAX_FILE + 1)
        .await
        .map_err(|_| crate::files::too_large())
}

/// A stored file to download: its type, an ASCII file name (other characters become `_`), and
/// never cached on the way (files of people's cases are personal).
pub fn download(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Parses JSON, naming the field where it went wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let e = match serde_path_to_error::deserialize(de) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    // JSON has one kind of number, and to JSON Schema `5.0` is the integer 5: a whole number
    // written with a fraction is read as that integer (only on this error path, so a body that
    // parses as it is never pays for it).
    if e.inner().to_string().contains("floating point") {
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(bytes) {
            if whole_numbers_as_integers(&mut v) {
                if let Ok(t) = serde_json::from_value(v) {
                    return Ok(t);
                }
            }
        }
    }
    Err({
        let e: serde_path_to_error::Error<serde_json::Error> = e;
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." { String::new() } else { path };
        let message = describe_json_error(&inner);
        let detail = if field.is_empty() {
            format!("Некорректный JSON: {message}")
        } else {
            format!("Поле «{field}»: {message}")
        };
        let mut p = Problem::new(400, "request.invalid_json", "Некорректный JSON в запросе")
            .with_detail(detail);
        if !field.is_empty() {
            p = p.with_field(field, "json.invalid", message);
        }
        p
    })
}

/// Rewrites every number with a zero fraction (`5.0`, `1e2`) as the integer it is; whether any was.
fn whole_numbers_as_integers(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                *v = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => {
            let mut any = false;
            for i in items {
                any |= whole_numbers_as_integers(i);
            }
            any
        }
        Value::Object(map) => {
            let mut any = false;
            for i in map.values_mut() {
                any |= whole_numbers_as_integers(i);
            }
            any
        }
        _ => false,
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let raw = e.to_string();
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!(
                "синтаксическая ошибка в строке {}, позиция {}",
                e.line(),
                e.column()
            )
        }
        Category::Data => {
            if let Some(rest) = raw.strip_prefix("missing field `") {
                let name = rest.split('`').next().unwrap_or("");
                format!("отсутствует обязательное поле «{name}»")
            } else if raw.starts_with("invalid type") {
                "значение неверного типа".into()
            } else if raw.starts_with("unknown field") {
                "неизвестное поле".into()
            } else {
                "недопустимое значение".into()
            }
        }
        Category::Io => "ошибка чтения".into(),
    }
}

/// The cookie that carries a web session's secret (staff and people alike).
pub const SESSION_COOKIE: &str = "okno_session";
/// The credential of a registered desk terminal or kiosk, set once on that machine.
pub const DESK_COOKIE: &str = "okno_desk";

/// The secret of an `Authorization: Bearer …` header.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// The value of cookie `name` among the request's headers (as sent, not unquoted).
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// A `Set-Cookie` value with the platform's defaults: HttpOnly, SameSite=Lax, Secure under TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
) -> axum::http::HeaderValue {
    let mut c = cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure);
    if let Some(a) = max_age {
        // The cookie crate takes its own re-exported `time` duration; the workspace uses jiff.
        c = c.max_age(cookie::time::Duration::seconds(a));
    }
    axum::http::HeaderValue::from_str(&c.build().to_string())
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static(""))
}

/// The Content-Security-Policy of every page, with `form-action` widened by `form_targets`
/// (origins a page's form may send the browser to: the acquirer's payment form after «Оплатить
/// картой»). The web shell sets it with no extra targets where a handler set none.
pub fn content_security_policy(form_targets: &[&str]) -> String {
    let mut form_action = String::from("'self'");
    for t in form_targets {
        form_action.push(' ');
        form_action.push_str(t);
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_several_headers_and_pairs() {
        let mut h = axum::http::HeaderMap::new();
        h.append(header::COOKIE, "a=1; okno_csrf=x".parse().unwrap());
        h.append(header::COOKIE, "okno_session=abc-_=; b=2".parse().unwrap());
        assert_eq!(cookie(&h, "okno_session"), Some("abc-_="));
        assert_eq!(cookie(&h, "okno_csrf"), Some("x"));
        assert_eq!(cookie(&h, "okno"), None);
        let set = set_cookie("okno_session", "v", Some(60), false);
        let set = set.to_str().unwrap();
        assert!(set.starts_with("okno_session=v;"), "{set}");
        for part in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=60"] {
            assert!(set.contains(part), "{part} in {set}");
        }
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_read_as_the_integer() {
        #[derive(serde::Deserialize, Debug)]
        struct Rated {
            rating: i64,
            at: f64,
        }
        let r: Rated = parse_json(br#"{"rating": 5.0, "at": 1.5}"#).unwrap();
        assert_eq!((r.rating, r.at), (5, 1.5));
        let r: Rated = parse_json(br#"{"rating": 4, "at": 2}"#).unwrap();
        assert_eq!((r.rating, r.at), (4, 2.0));
        let e = parse_json::<Rated>(br#"{"rating": 4.5, "at": 1}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "rating");
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        address: Address,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Address {
        house: u32,
    }

    #[test]
    fn a_wrong_type_deep_in_the_body_names_its_field() {
        let p = parse_json::<Body>(r#"{"name":"x","address":{"house":"пять"}}"#.as_bytes())
            .unwrap_err();
        assert_eq!(p.code, "request.invalid_json");
        assert_eq!(p.errors[0].field, "address.house");
    }

    #[test]
    fn a_missing_field_is_named_in_russian() {
        let p = parse_json::<Body>(br#"{"address":{"house":5}}"#).unwrap_err();
        assert!(p.detail.contains("«name»"), "{}", p.detail);
    }

    #[test]
    fn broken_syntax_says_where() {
        let p = parse_json::<Body>(b"{\"name\": ").unwrap_err();
        assert!(p.detail.contains("строке 1"), "{}", p.detail);
    }
}
