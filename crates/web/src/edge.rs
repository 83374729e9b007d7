//! The edge check of text: a control character (NUL above all) in a path parameter, a query
//! parameter, a JSON field or an urlencoded form field is refused with 400 and the field's name
//! before any handler runs, so both engines answer alike (see `okno_kernel::text`). Multipart
//! forms are checked where their text fields are read.

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use okno_kernel::error::FieldError;
use okno_kernel::http::PageError;
use okno_kernel::text::{refused_char, refused_message, CONTROL_CODE};
use okno_kernel::Problem;
use serde_json::Value;

use crate::middleware::Shell;

/// Refuses a request with a control character in any text it carries (see the module docs).
pub async fn refuse_control_characters(
    State(shell): State<Shell>,
    req: Request,
    next: Next,
) -> Response {
    let mut errors = Vec::new();
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    path_errors(req.uri().path(), template.as_deref(), &mut errors);
    if let Some(q) = req.uri().query() {
        pairs_errors(q.as_bytes(), &mut errors);
    }
    let kind = body_kind(&req);
    let req = if kind == BodyKind::Other || matches!(*req.method(), Method::GET | Method::HEAD) {
        req
    } else {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, shell.settings.body_limit).await {
            Ok(b) => b,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        body_errors(kind, &bytes, &mut errors);
        Request::from_parts(parts, Body::from(bytes))
    };
    if errors.is_empty() {
        return next.run(req).await;
    }
    let problem = Problem::invalid_fields(errors);
    if req.uri().path().starts_with("/open311/") {
        // GeoReport v2 clients read the specification's error array.
        let description = problem
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!([{ "code": 400, "description": description }]).to_string(),
        )
            .into_response();
    }
    PageError(problem).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(req: &Request) -> BodyKind {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence == "application/json" || essence.ends_with("+json") {
        BodyKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}

fn push(errors: &mut Vec<FieldError>, field: String, c: char) {
    if errors.iter().any(|e| e.field == field) {
        return;
    }
    errors.push(FieldError {
        field,
        code: CONTROL_CODE.into(),
        message: refused_message(c),
    });
}

/// Path segments are single-line; a segment that fills a `{name}` of the route is named so.
fn path_errors(path: &str, template: Option<&str>, errors: &mut Vec<FieldError>) {
    if !path.contains('%') {
        // A raw control character cannot be in a parsed URI; only escapes can bring one.
        return;
    }
    let names: Vec<&str> = template.map(|t| t.split('/').collect()).unwrap_or_default();
    for (i, seg) in path.split('/').enumerate() {
        let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
        if let Some(c) = refused_char(&decoded, true) {
            let name = names
                .get(i)
                .and_then(|n| n.strip_prefix('{'))
                .and_then(|n| n.strip_suffix('}'))
                .map(|n| n.trim_start_matches('*').to_string())
                .unwrap_or_else(|| "path".to_string());
            push(errors, name, c);
        }
    }
}

/// Query parameters are single-line; form fields may hold several lines.
fn pairs_errors(query: &[u8], errors: &mut Vec<FieldError>) {
    for (k, v) in form_urlencoded::parse(query) {
        if let Some(c) = refused_char(&k, true).or_else(|| refused_char(&v, true)) {
            push(errors, k.into_owned(), c);
        }
    }
}

fn body_errors(kind: BodyKind, bytes: &Bytes, errors: &mut Vec<FieldError>) {
    match kind {
        BodyKind::Json => {
            // JSON text cannot hold a raw control character: only a `\u00XX` escape brings one,
            // so most bodies are passed after one scan, without parsing.
            if !has_control_escape(bytes) {
                return;
            }
            if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
                json_errors(&v, &mut String::new(), errors);
            }
        }
        BodyKind::Form => {
            if !has_control_percent(bytes) {
                return;
            }
            for (k, v) in form_urlencoded::parse(bytes) {
                if let Some(c) = refused_char(&k, true).or_else(|| refused_char(&v, false)) {
                    push(errors, k.into_owned(), c);
                }
            }
        }
        BodyKind::Other => {}
    }
}

/// Whether the JSON text has an escape `\u0000`–`\u001F` or `\u007F` (any case).
fn has_control_escape(b: &[u8]) -> bool {
    b.windows(6).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2] == b'0'
            && w[3] == b'0'
            && (matches!(w[4], b'0' | b'1') && w[5].is_ascii_hexdigit()
                || w[4] == b'7' && matches!(w[5], b'f' | b'F'))
    })
}

/// Whether the urlencoded text has an escape `%00`–`%1F` or `%7F` (any case), or a raw control.
fn has_control_percent(b: &[u8]) -> bool {
    b.iter().any(|c| *c < 0x20 || *c == 0x7f)
        || b.windows(3).any(|w| {
            w[0] == b'%'
                && (matches!(w[1], b'0' | b'1') && w[2].is_ascii_hexdigit()
                    || w[1] == b'7' && matches!(w[2], b'f' | b'F'))
        })
}

/// Walks a JSON value; fields are named `a.b[0].c`. Keys are single-line, strings may hold lines.
fn json_errors(v: &Value, at: &mut String, errors: &mut Vec<FieldError>) {
    match v {
        Value::String(s) => {
            if let Some(c) = refused_char(s, false) {
                let field = if at.is_empty() {
                    "body".to_string()
                } else {
                    at.clone()
                };
                push(errors, field, c);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                json_errors(item, at, errors);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                if let Some(c) = refused_char(k, true) {
                    at.push_str(&k.replace(char::is_control, "?"));
                    push(errors, at.clone(), c);
                    at.truncate(len);
                    continue;
                }
                at.push_str(k);
                json_errors(item, at, errors);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_nul_deep_in_json_is_named_by_its_path() {
        let body = Bytes::from_static(
            br#"{"messages":[{"to":"+79161234567","text":"ok"},{"to":"x","text":"a\u0000b"}],"note":"\u001B"}"#,
        );
        let mut e = Vec::new();
        body_errors(BodyKind::Json, &body, &mut e);
        assert_eq!(fields(&e), ["messages[1].text", "note"]);
        assert_eq!(e[0].code, CONTROL_CODE);
    }

    #[test]
    fn json_line_breaks_tabs_and_an_escaped_backslash_u_pass() {
        let body = Bytes::from_static(br#"{"text":"line\nline\ttab","lit":"\\u0000"}"#);
        let mut e = Vec::new();
        body_errors(BodyKind::Json, &body, &mut e);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn query_and_form_fields_are_decoded_before_the_check() {
        let mut e = Vec::new();
        pairs_errors(b"city=%00&kind=mfc&q=a%0Ab", &mut e);
        assert_eq!(
            fields(&e),
            ["city", "q"],
            "a line feed is refused in a query"
        );
        let mut e = Vec::new();
        body_errors(
            BodyKind::Form,
            &Bytes::from_static(b"text=two%0D%0Alines&login=a%00"),
            &mut e,
        );
        assert_eq!(fields(&e), ["login"], "a form's text may hold lines");
    }

    #[test]
    fn a_path_parameter_is_named_after_the_routes_placeholder() {
        let mut e = Vec::new();
        path_errors(
            "/api/v1/agencies/%00x",
            Some("/api/v1/agencies/{code}"),
            &mut e,
        );
        assert_eq!(fields(&e), ["code"]);
        let mut e = Vec::new();
        path_errors("/api/v1/agencies/%D0%9C%D0%A4%D0%A6", None, &mut e);
        assert!(e.is_empty());
        path_errors("/nowhere/%7f", None, &mut e);
        assert_eq!(fields(&e), ["path"]);
    }
}
