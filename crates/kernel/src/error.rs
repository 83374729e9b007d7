//! The error type of every use case and its RFC 9457 `application/problem+json` form: a stable
//! English machine `code`, a Russian `title` and `detail`, and per-field errors for forms.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name as the client sent it (JSON pointer-like: `address.city`).
    pub field: String,
    /// Stable machine code, e.g. `snils.checksum`.
    pub code: String,
    /// Russian message for people.
    pub message: String,
}

/// An RFC 9457 problem. Built by use cases; rendered as problem+json by the API and as a Russian
/// page by the HTML handlers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/api/problems/{code}`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short Russian summary of the problem type.
    pub title: Cow<'static, str>,
    /// HTTP status code.
    pub status: u16,
    /// Russian explanation of this occurrence.
    pub detail: String,
    /// Stable machine code (English, `snake.case`).
    pub code: Cow<'static, str>,
    /// Invalid fields, when the request did not validate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The id of the request, to quote to support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, title: &'static str) -> Problem {
        let code = code.into();
        Problem {
            type_uri: format!("/api/problems/{code}"),
            title: Cow::Borrowed(title),
            status,
            detail: title.to_string(),
            code,
            errors: Vec::new(),
            request_id: crate::ctx::request_id(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = detail.into();
        self
    }

    pub fn with_field(
        mut self,
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
        self
    }

    /// 400 with one invalid field; `code` is the field error's code.
    pub fn invalid_field(field: &str, code: &str, message: impl Into<String>) -> Problem {
        let message = message.into();
        Problem::new(400, "validation.failed", "Данные заполнены с ошибками")
            .with_detail(format!("Поле «{field}»: {message}"))
            .with_field(field, code, message)
    }

    /// A whole-number query parameter that must lie in `range`: `None` gives `default`, a value
    /// outside the range a 400 naming the field (`request.out_of_range`), never a silent clamp.
    pub fn in_range(
        field: &str,
        value: Option<i64>,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, Problem> {
        match value {
            None => Ok(default),
            Some(v) if range.contains(&v) => Ok(v),
            Some(_) => Err(Problem::invalid_field(
                field,
                "request.out_of_range",
                format!("Укажите число от {} до {}.", range.start(), range.end()),
            )),
        }
    }

    /// 400 for several invalid fields at once (all problems of a form shown together).
    pub fn invalid_fields(errors: Vec<FieldError>) -> Problem {
        let detail = errors
            .iter()
            .map(|e| format!("«{}»: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Problem::new(400, "validation.failed", "Данные заполнены с ошибками")
            .with_detail(detail);
        p.errors = errors;
        p
    }

    /// 404 with a whole Russian sentence: `Problem::not_found("Услуга не найдена.")`.
    pub fn not_found(detail: &str) -> Problem {
        Problem::new(404, "not_found", "Не найдено").with_detail(detail)
    }

    pub fn unauthenticated() -> Problem {
        Problem::new(401, "auth.required", "Требуется вход")
            .with_detail("Войдите в систему, чтобы выполнить это действие.")
    }

    pub fn forbidden(permission: &str) -> Problem {
        Problem::new(403, "auth.forbidden", "Недостаточно прав")
            .with_detail(format!("Для этого действия нужно право «{permission}»."))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Problem {
        Problem::new(409, code, "Конфликт с текущим состоянием").with_detail(detail)
    }

    pub fn internal() -> Problem {
        Problem::new(500, "internal", "Внутренняя ошибка").with_detail(
            "Произошла внутренняя ошибка. Мы уже знаем о ней; повторите попытку позже и сообщите номер запроса в поддержку.",
        )
    }

    pub fn unavailable() -> Problem {
        Problem::new(503, "unavailable", "Сервис временно недоступен")
            .with_detail("Сервис временно недоступен. Повторите попытку через минуту.")
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // On a page route the web shell shows the same problem as a Russian page.
        resp.extensions_mut().insert(RenderErrorPage(self));
        resp
    }
}

/// Marks a response whose body the shell must replace by an error page showing this problem
/// (the shell knows pages; a problem only says it should be shown as one).
#[derive(Debug, Clone)]
pub struct RenderErrorPage(pub Problem);

/// A transition or rule a part's model refuses: a stable code and a Russian sentence. Shown as
/// `409 Conflict` with that code (the request was understood; the state does not allow it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

/// A status with transitions: each is one line, `self.step(allowed, to, what)`, and a forbidden one
/// is the status's own [`Refusal`] naming what could not be done.
pub trait Transitions: Copy {
    /// The refusal of doing `what` (a Russian verb phrase) in this status.
    fn refuse(self, what: &str) -> Refusal;

    /// `to` when `allowed`, else the refusal of `what`.
    fn step(self, allowed: bool, to: Self, what: &str) -> Result<Self, Refusal> {
        if allowed {
            Ok(to)
        } else {
            Err(self.refuse(what))
        }
    }
}

impl From<Refusal> for Problem {
    fn from(r: Refusal) -> Problem {
        Problem::conflict(r.code, r.message)
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Problem::from(r).into()
    }
}

/// The error of a use case: a problem to show, or an infrastructure failure to log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {}", .0.code, .0.detail)]
    Problem(Box<Problem>),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn internal(msg: impl std::fmt::Display) -> Error {
        Error::Internal(msg.to_string())
    }

    /// The problem to show a client. Infrastructure errors are logged here with the request id and
    /// shown as a generic 500/503 that leaks nothing.
    pub fn to_problem(&self) -> Problem {
        match self {
            Error::Problem(p) => (**p).clone(),
            Error::Db(e) => {
                tracing::error!(error = %e, "database error");
                match e {
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                        Problem::unavailable()
                    }
                    _ => Problem::internal(),
                }
            }
            Error::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Problem::internal()
            }
        }
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Error {
        Error::Problem(Box::new(p))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Internal(format!("json: {e}"))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.to_problem().into_response()
    }
}

/// A rule violation (СНИЛС checksum, …) becomes an invalid-field problem.
pub trait RuleErrorExt<T> {
    fn field(self, field: &str) -> Result<T, Problem>;
}

impl<T> RuleErrorExt<T> for Result<T, okno_rules::RuleError> {
    fn field(self, field: &str) -> Result<T, Problem> {
        self.map_err(|e| Problem::invalid_field(field, e.code(), e.to_string()))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_serialise_as_rfc9457_with_a_code() {
        let p = Problem::invalid_field("snils", "snils.checksum", "Контрольное число не совпадает");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "/api/problems/validation.failed");
        assert_eq!(v["status"], 400);
        assert_eq!(v["code"], "validation.failed");
        assert_eq!(v["errors"][0]["field"], "snils");
        assert!(v["title"].as_str().unwrap().contains("ошибками"));
    }

    #[test]
    fn a_number_outside_its_range_is_refused_not_clamped() {
        assert_eq!(Problem::in_range("limit", None, 50, 1..=200).unwrap(), 50);
        assert_eq!(Problem::in_range("limit", Some(1), 50, 1..=200).unwrap(), 1);
        assert_eq!(
            Problem::in_range("limit", Some(200), 50, 1..=200).unwrap(),
            200
        );
        for bad in [0, -1, 201, i64::MIN, i64::MAX] {
            let p = Problem::in_range("limit", Some(bad), 50, 1..=200).unwrap_err();
            assert_eq!(p.status, 400);
            assert_eq!(p.errors[0].field, "limit");
            assert_eq!(p.errors[0].code, "request.out_of_range");
            assert!(p.errors[0].message.contains("от 1 до 200"));
        }
    }

    #[test]
    fn database_failures_leak_nothing_to_the_client() {
        let e = Error::Db(sqlx::Error::RowNotFound);
        let p = e.to_problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("RowNotFound"));
    }
}
