//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at `/open311/v2`: discovery,
//! services (the subcategories of the tree), service definitions, service requests (problem
//! reports) filed by registered apps with an `api_key` and read back, and tokens. Every resource
//! answers in XML (the specification's required format) or JSON, chosen by the `.xml`/`.json`
//! suffix; errors are the specification's array of `{code, description}`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::Router;
use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::clock::rfc3339;
use okno_kernel::error::Error;
use okno_kernel::Platform;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use crate::model::{Kind, Status};
use crate::service::{self, Author, NewAppeal, Settings};
use crate::store;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_requests))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
        .route("/appeals/reports/{id}/photos/{file}", get(photo))
}

/// The `jurisdiction_id` parameter: optional, as the specification has it for an endpoint of one
/// jurisdiction; when given it must be a region this platform serves (a region's code of the
/// appeal territories, e.g. `71`). Gives the error answer for any other.
async fn unknown_jurisdiction(
    p: &Platform,
    f: Format,
    q: &BTreeMap<String, String>,
) -> Option<Response> {
    let j = q
        .get("jurisdiction_id")
        .map(|j| j.trim())
        .filter(|j| !j.is_empty())?;
    let known = match p.db.read().await {
        Ok(mut c) => store::territories(&mut c).await.map_err(Error::from),
        Err(e) => Err(Error::from(e)),
    };
    match known {
        Ok(t) if t.iter().any(|t| t.region_code.is_none() && t.code == j) => None,
        Ok(_) => Some(error(
            f,
            StatusCode::NOT_FOUND,
            &format!("jurisdiction_id «{j}» здесь не обслуживается"),
        )),
        Err(e) => Some(internal(f, e)),
    }
}

/// A photo the author attached to a published problem report (Open311's `media_url`); nothing
/// else of an appeal's files is public.
async fn photo(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let found = match p.db.read().await {
        Ok(mut c) => store::published_photo(&mut c, &id, &file)
            .await
            .map_err(Error::from),
        Err(e) => Err(Error::from(e)),
    };
    let row = match found {
        Ok(Some(r)) => r,
        Ok(None) => return (StatusCode::NOT_FOUND, "Фотография не найдена").into_response(),
        Err(e) => return internal(Format::Xml, e),
    };
    match settings.files().get(&row.sha256).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, row.content_type),
                (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => internal(Format::Xml, e),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
}

/// `requests.json` → (`requests`, JSON). A name without a known suffix is XML, the default.
fn split(file: &str) -> (&str, Format) {
    if let Some(s) = file.strip_suffix(".json") {
        (s, Format::Json)
    } else if let Some(s) = file.strip_suffix(".xml") {
        (s, Format::Xml)
    } else {
        (file, Format::Xml)
    }
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

/// One value as XML children of an element named `name`: objects become elements, arrays repeat
/// `item` (the specification's element for the list's members), nulls are empty elements.
fn xml_value(name: &str, v: &Value, item: &str, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push_str(&format!("<{name}>"));
            for (k, x) in m {
                xml_value(k, x, item_of(k), out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Array(a) => {
            out.push_str(&format!("<{name}>"));
            for x in a {
                xml_value(item, x, "item", out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// The element of a list's members, as the specification's XML examples name them.
fn item_of(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        "keywords" => "keyword",
        _ => "item",
    }
}

/// A JSON document, or the same as XML under `root`.
fn answer(status: StatusCode, f: Format, root: &str, v: Value) -> Response {
    match f {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            v.to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            xml_value(root, &v, item_of(root), &mut s);
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                s,
            )
                .into_response()
        }
    }
}

/// The specification's error: an array of `{code, description}` with the HTTP status as code.
fn error(f: Format, status: StatusCode, description: &str) -> Response {
    answer(
        status,
        f,
        "errors",
        json!([{ "code": status.as_u16(), "description": description }]),
    )
}

fn internal(f: Format, e: Error) -> Response {
    tracing::error!(error = %e, "open311");
    error(f, StatusCode::INTERNAL_SERVER_ERROR, "Внутренняя ошибка")
}

async fn services_list(p: &Platform) -> Result<Value, Error> {
    let mut out = Vec::new();
    for c in service::categories(&p.db).await? {
        for s in c.subcategories {
            out.push(json!({
                "service_code": s.code, "service_name": s.title, "description": format!("{}: {}", c.title, s.title),
                "metadata": false, "type": "realtime", "keywords": c.code, "group": c.title,
            }));
        }
    }
    Ok(Value::Array(out))
}

async fn top(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    Path(file): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (name, f) = split(&file);
    if name != "discovery" {
        if let Some(r) = unknown_jurisdiction(&p, f, &q).await {
            return r;
        }
    }
    match name {
        "discovery" => answer(
            StatusCode::OK,
            f,
            "discovery",
            json!({
                "changeset": "2026-12-01T00:00:00Z",
                "contact": "Платформа обратной связи «Окно»",
                "key_service": "Ключ api_key выдаёт администратор платформы (API-токен зарегистрированного приложения).",
                "endpoints": [
                    { "specification": "http://wiki.open311.org/GeoReport_v2", "url": "/open311/v2",
                      "changeset": "2026-12-01T00:00:00Z", "type": "production",
                      "formats": ["text/xml", "application/json"] }
                ],
            }),
        ),
        "services" => match services_list(&p).await {
            Ok(v) => answer(StatusCode::OK, f, "services", v),
            Err(e) => internal(f, e),
        },
        "requests" if bad_date(&q).is_some() => error(
            f,
            StatusCode::BAD_REQUEST,
            &format!(
                "{} должна быть датой и временем в формате W3C (ISO 8601), например 2026-12-01T00:00:00Z",
                bad_date(&q).unwrap_or_default()
            ),
        ),
        "requests" => match requests(&p, &settings.public_url, &q).await {
            Ok(v) => answer(StatusCode::OK, f, "service_requests", Value::Array(v)),
            Err(e) => internal(f, e),
        },
        _ => error(f, StatusCode::NOT_FOUND, "Ресурс не найден"),
    }
}

async fn service_definition(
    State(p): State<Platform>,
    Path(file): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (code, f) = split(&file);
    if let Some(r) = unknown_jurisdiction(&p, f, &q).await {
        return r;
    }
    match services_list(&p).await {
        Ok(Value::Array(list)) if list.iter().any(|s| s["service_code"] == code) => answer(
            StatusCode::OK,
            f,
            "service_definition",
            json!({ "service_code": code, "attributes": [] }),
        ),
        Ok(_) => error(f, StatusCode::NOT_FOUND, "Услуга (тема) не найдена"),
        Err(e) => internal(f, e),
    }
}

/// A service request as GeoReport v2 names its fields; personal data never leaves.
fn request_json(
    a: &store::AppealRow,
    titles: &BTreeMap<String, String>,
    bodies: &BTreeMap<String, String>,
    notes: Option<String>,
    media: Option<String>,
) -> Value {
    let status = Status::parse(&a.status).unwrap_or(Status::New);
    let closed = matches!(status, Status::Answered | Status::Closed | Status::Rejected);
    let mut m = Map::new();
    m.insert("service_request_id".into(), json!(a.number));
    m.insert(
        "status".into(),
        json!(if closed { "closed" } else { "open" }),
    );
    m.insert("status_notes".into(), json!(notes));
    m.insert(
        "service_name".into(),
        json!(titles.get(&a.category_code).cloned().unwrap_or_default()),
    );
    m.insert("service_code".into(), json!(a.category_code));
    m.insert("description".into(), json!(service::depersonalise(&a.text)));
    m.insert(
        "agency_responsible".into(),
        json!(a.body_code.as_ref().and_then(|b| bodies.get(b)).cloned()),
    );
    m.insert("service_notice".into(), json!(status.title()));
    m.insert("requested_datetime".into(), json!(rfc3339(a.created_at)));
    m.insert("updated_datetime".into(), json!(rfc3339(a.updated_at)));
    m.insert("expected_datetime".into(), Value::Null);
    m.insert(
        "address".into(),
        json!(a.address.as_deref().map(service::depersonalise)),
    );
    m.insert("address_id".into(), Value::Null);
    m.insert("zipcode".into(), Value::Null);
    m.insert("lat".into(), json!(a.lat_micro.map(|v| v as f64 / 1e6)));
    m.insert("long".into(), json!(a.lon_micro.map(|v| v as f64 / 1e6)));
    m.insert("media_url".into(), json!(media));
    Value::Object(m)
}

/// The first of `start_date`, `end_date` that is given but is no W3C date-time.
fn bad_date(q: &BTreeMap<String, String>) -> Option<&'static str> {
    ["start_date", "end_date"].into_iter().find(|k| {
        q.get(*k)
            .is_some_and(|v| okno_kernel::clock::parse_instant(v).is_none())
    })
}

/// Published problem reports, filtered as GeoReport v2 allows (`service_request_id` list,
/// `service_code`, `status`, `start_date`, `end_date`), newest first, at most 1000.
async fn requests(
    p: &Platform,
    public_url: &str,
    q: &BTreeMap<String, String>,
) -> Result<Vec<Value>, Error> {
    let mut c = p.db.read().await?;
    let rows = store::published(&mut c, 1000).await?;
    let photos: BTreeMap<String, String> = store::first_photos(&mut c).await?.into_iter().collect();
    let base = public_url.trim_end_matches('/');
    let titles: BTreeMap<String, String> = store::categories(&mut c)
        .await?
        .into_iter()
        .map(|r| (r.code, r.title))
        .collect();
    let bodies: BTreeMap<String, String> = store::bodies(&mut c)
        .await?
        .into_iter()
        .map(|b| (b.code, b.short_name))
        .collect();
    let ids: Option<Vec<&str>> = q
        .get("service_request_id")
        .map(|s| s.split(',').map(str::trim).collect());
    let codes: Option<Vec<&str>> = q
        .get("service_code")
        .map(|s| s.split(',').map(str::trim).collect());
    let start = q
        .get("start_date")
        .and_then(|s| okno_kernel::clock::parse_instant(s));
    let end = q
        .get("end_date")
        .and_then(|s| okno_kernel::clock::parse_instant(s));
    let mut out = Vec::new();
    for a in rows {
        let media = photos
            .get(&a.id)
            .map(|f| format!("{base}/appeals/reports/{}/photos/{f}", a.id));
        let v = request_json(
            &a,
            &titles,
            &bodies,
            final_answer(&mut c, &a.id).await?,
            media,
        );
        if ids
            .as_ref()
            .is_some_and(|l| !l.contains(&a.number.as_str()))
            || codes
                .as_ref()
                .is_some_and(|l| !l.contains(&a.category_code.as_str()))
            || q.get("status").is_some_and(|s| v["status"] != s.as_str())
            || start.is_some_and(|s| a.created_at < s)
            || end.is_some_and(|e| a.created_at > e)
        {
            continue;
        }
        out.push(v);
    }
    Ok(out)
}

async fn final_answer(c: &mut okno_kernel::db::Conn, id: &str) -> Result<Option<String>, Error> {
    Ok(store::messages(c, id)
        .await?
        .into_iter()
        .rfind(|m| m.kind == "final")
        .map(|m| service::depersonalise(&m.text)))
}

async fn one_request(
    State(p): State<Platform>,
    Extension(settings): Extension<Arc<Settings>>,
    Path(file): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let (id, f) = split(&file);
    if let Some(r) = unknown_jurisdiction(&p, f, &params).await {
        return r;
    }
    let q = BTreeMap::from([("service_request_id".to_string(), id.to_string())]);
    match requests(&p, &settings.public_url, &q).await {
        Ok(v) if !v.is_empty() => answer(StatusCode::OK, f, "service_requests", Value::Array(v)),
        Ok(_) => error(
            f,
            StatusCode::NOT_FOUND,
            "Обращение не найдено или не опубликовано",
        ),
        Err(e) => internal(f, e),
    }
}

async fn token(State(p): State<Platform>, Path(file): Path<String>) -> Response {
    let (t, f) = split(&file);
    let found = match p.db.read().await {
        Ok(mut c) => store::appeal(&mut c, t).await.map_err(Error::from),
        Err(e) => Err(Error::from(e)),
    };
    match found {
        Ok(Some(a)) if a.via_app.is_some() => answer(
            StatusCode::OK,
            f,
            "service_requests",
            json!([{ "service_request_id": a.number, "token": a.id }]),
        ),
        Ok(_) => error(f, StatusCode::NOT_FOUND, "Токен не найден"),
        Err(e) => internal(f, e),
    }
}

/// POST requests: a registered app (its `api_key` is an API token) files a problem report. The
/// body is form-encoded as the specification has it.
async fn post_requests(
    State(p): State<Platform>,
    Path(file): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (name, f) = split(&file);
    if name != "requests" {
        return error(f, StatusCode::NOT_FOUND, "Ресурс не найден");
    }
    let form: BTreeMap<String, String> = url_decode(&body);
    if let Some(r) = unknown_jurisdiction(&p, f, &form).await {
        return r;
    }
    let app = match registered_app(&p, f, &form).await {
        Ok(app) => app,
        Err(r) => return r,
    };
    let Some(code) = form.get("service_code").filter(|c| !c.is_empty()) else {
        return error(f, StatusCode::BAD_REQUEST, "Не указан service_code");
    };
    let n = match report(f, &form, code) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let author = reporter(&form, &app);
    filed(f, service::file_as(&p, &app, author, n).await)
}

/// The app whose `api_key` the form carries, or the answer that refuses it.
async fn registered_app(
    p: &Platform,
    f: Format,
    form: &BTreeMap<String, String>,
) -> Result<Actor, Response> {
    let Some(key) = form.get("api_key").filter(|k| !k.is_empty()) else {
        return Err(error(
            f,
            StatusCode::FORBIDDEN,
            "Нужен api_key зарегистрированного приложения",
        ));
    };
    let app = match p.db.read().await {
        Ok(mut c) => okno_kernel::auth::authenticate_token(&mut c, key).await,
        Err(e) => Err(e.into()),
    };
    match app {
        Ok(Some(a)) if a.kind == ActorKind::Token => Ok(a),
        Ok(_) => Err(error(f, StatusCode::FORBIDDEN, "Неверный api_key")),
        Err(e) => Err(internal(f, e)),
    }
}

/// The problem report the form describes: a place (coordinates or an address), the description
/// and the app's media link; or the answer that refuses it.
fn report(f: Format, form: &BTreeMap<String, String>, code: &str) -> Result<NewAppeal, Response> {
    let coords = |k: &str| form.get(k).and_then(|v| v.trim().parse::<f64>().ok());
    let (lat, lon) = (coords("lat"), coords("long"));
    let address = form
        .get("address_string")
        .cloned()
        .filter(|s| !s.is_empty());
    if lat.is_none() && address.is_none() && !form.contains_key("address_id") {
        return Err(error(
            f,
            StatusCode::BAD_REQUEST,
            "Укажите место: lat и long или address_string",
        ));
    }
    // The app's own media (the specification's `media_url`) is a link the moderator and the body
    // follow; the platform does not fetch it (no requests to addresses a client chose).
    let mut text = form.get("description").cloned().unwrap_or_default();
    if let Some(url) = form
        .get("media_url")
        .map(|u| u.trim())
        .filter(|u| !u.is_empty())
    {
        match media_link(url) {
            Some(u) => text.push_str(&format!("\n\nФото или видео от приложения: {u}")),
            None => {
                return Err(error(
                    f,
                    StatusCode::BAD_REQUEST,
                    "media_url должен быть адресом http:// или https:// не длиннее 2000 символов",
                ))
            }
        }
    }
    Ok(NewAppeal {
        kind: Kind::Message,
        category: code.to_string(),
        text,
        address,
        lat,
        lon,
        municipality: None,
        publish: true,
        reply_address: form.get("email").cloned().filter(|s| !s.is_empty()),
    })
}

/// The report's author: the reporter the form names, on behalf of the app (or the app itself).
fn reporter(form: &BTreeMap<String, String>, app: &Actor) -> Author {
    let reporter = [form.get("first_name"), form.get("last_name")]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    Author {
        id: format!("app:{}", app.id.clone().unwrap_or_default()),
        name: if reporter.is_empty() {
            app.name.clone()
        } else {
            reporter
        },
        via_app: app.id.clone(),
    }
}

/// The specification's answer to a filed report, or to its refusal (an unknown category is the
/// unknown service's `404`).
fn filed(f: Format, r: Result<service::AppealView, Error>) -> Response {
    match r {
        Ok(a) => answer(
            StatusCode::CREATED,
            f,
            "service_requests",
            json!([{ "service_request_id": a.number, "token": a.id,
                     "service_notice": "Сообщение зарегистрировано и будет проверено модератором", "account_id": null }]),
        ),
        Err(Error::Problem(pr)) if pr.code == "validation.failed" => {
            let field = pr.errors.first().map(|e| e.field.as_str()).unwrap_or("");
            let (status, d) = if field == "category" {
                (
                    StatusCode::NOT_FOUND,
                    "Услуга (тема) с таким service_code не найдена".to_string(),
                )
            } else {
                (StatusCode::BAD_REQUEST, pr.detail.clone())
            };
            error(f, status, &d)
        }
        Err(e) => internal(f, e),
    }
}

/// A client's `media_url` as a link to keep: an absolute http(s) address without spaces.
fn media_link(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    (url.len() <= 2000
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control()))
    .then_some(url)
}

/// Decodes `application/x-www-form-urlencoded` (the last of a repeated key wins).
fn url_decode(body: &[u8]) -> BTreeMap<String, String> {
    fn unescape(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    match std::str::from_utf8(&bytes[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (unescape(k), unescape(v)),
            None => (unescape(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_choose_the_format() {
        assert!(split("services.json") == ("services", Format::Json));
        assert!(split("services.xml") == ("services", Format::Xml));
        assert!(split("services") == ("services", Format::Xml));
    }

    #[test]
    fn errors_have_the_specifications_shape_in_xml() {
        let mut s = String::new();
        xml_value(
            "errors",
            &json!([{"code": 403, "description": "Invalid api_key <x>"}]),
            "error",
            &mut s,
        );
        assert_eq!(
            s,
            "<errors><error><code>403</code><description>Invalid api_key &lt;x&gt;</description></error></errors>"
        );
    }

    #[test]
    fn only_absolute_web_links_are_kept_as_media() {
        assert_eq!(
            media_link("https://img.example.ru/p/1.jpg"),
            Some("https://img.example.ru/p/1.jpg")
        );
        assert!(media_link("http://example.ru/a b.jpg").is_none());
        assert!(media_link("javascript:alert(1)").is_none());
        assert!(media_link("file:///etc/passwd").is_none());
        assert!(media_link("https://").is_none());
        assert!(media_link(&format!("https://e.ru/{}", "a".repeat(2000))).is_none());
    }

    #[test]
    fn form_bodies_decode() {
        let m = url_decode(b"api_key=okno_1&description=%D0%AF%D0%BC%D0%B0+big&lat=54.1");
        assert_eq!(m["description"], "Яма big");
        assert_eq!(m["lat"], "54.1");
        assert_eq!(url_decode(b"a=%zz")["a"], "%zz");
    }
}
