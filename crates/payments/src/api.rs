//! JSON API of the payments part: payees, charges loaded by agencies (one by one or as a CSV
//! file), a person's charges, and the public lookup of a charge by its УИН.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;

use crate::service::{
    self, Annulment, ChargeEdit, ChargeView, DiscountView, Loaded, NewCharge, NewPayee, PayeeView,
    PaymentView, PublicCharge, Settings,
};
use crate::store::Payee;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/payees", get(list_payees))
        .route("/api/v1/agencies/{code}/payee", put(put_payee))
        .route("/api/v1/charge-lookup/{uin}", get(lookup))
        .route("/api/v1/charges", get(mine).post(create))
        .route("/api/v1/charges/{uin}", get(one).patch(change))
        .route("/api/v1/charges/{uin}/annul", post(annul))
        .route("/api/v1/agencies/{code}/charges", get(of_agency))
        .route("/api/v1/agencies/{code}/charges/csv", post(load_csv))
        .route("/api/v1/charges/{uin}/payments", post(pay))
        .route("/api/v1/payments/{id}", get(payment))
        .route("/api/v1/payments/notifications", post(notification))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_payees, put_payee, lookup, mine, create, one, change, annul, of_agency, load_csv, pay, payment,
        notification),
    components(schemas(Payee, NewPayee, ChargeView, PublicCharge, PayeeView, DiscountView, NewCharge,
        ChargeEdit, Annulment, Loaded, PaymentView)),
    tags((name = "payments", description = "Платежи: получатели, начисления с УИН, госпошлины заявлений"))
)]
pub struct PaymentsApi;

/// Who receives each agency's payments.
#[utoipa::path(get, path = "/api/v1/payees", tag = "payments", responses((status = 200, body = Vec<Payee>)))]
async fn list_payees(State(p): State<Platform>) -> Result<Json<Vec<Payee>>> {
    Ok(Json(service::payees(&p.db).await?))
}

/// Set who receives an agency's payments (administrator).
#[utoipa::path(put, path = "/api/v1/agencies/{code}/payee", tag = "payments",
    params(("code" = String, Path, description = "Agency code")),
    request_body = NewPayee,
    responses((status = 200, body = Payee),
        (status = 400, description = "Ошибки в реквизитах", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Нет такого ведомства", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn put_payee(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewPayee>,
) -> Result<Json<Payee>> {
    Ok(Json(service::put_payee(&p.db, &actor, &code, body).await?))
}

/// Find a charge by its УИН, without signing in: what and how much to pay, to whom, and the
/// payment QR code's payload; nothing about the payer.
#[utoipa::path(get, path = "/api/v1/charge-lookup/{uin}", tag = "payments",
    params(("uin" = String, Path, description = "УИН, 20 or 25 digits")),
    responses((status = 200, body = PublicCharge),
        (status = 400, description = "uin.checksum, uin.length, uin.format", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn lookup(State(p): State<Platform>, Path(uin): Path<String>) -> Result<Json<PublicCharge>> {
    Ok(Json(service::find_public(&p, &uin).await?))
}

/// The signed-in person's charges: the fees of their applications and the charges for their
/// checked СНИЛС and ИНН.
#[utoipa::path(get, path = "/api/v1/charges", tag = "payments",
    responses((status = 200, body = Vec<ChargeView>),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn mine(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<ChargeView>>> {
    Ok(Json(service::mine(&p, &actor).await?))
}

/// Load one charge (an official of the agency).
#[utoipa::path(post, path = "/api/v1/charges", tag = "payments", request_body = NewCharge,
    responses((status = 201, body = ChargeView),
        (status = 400, description = "Ошибки в полях", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "charge.not_official", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Нет такого ведомства", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "charge.uin_taken, charge.no_payee", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewCharge>,
) -> Result<(StatusCode, Json<ChargeView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&p, &actor, body).await?),
    ))
}

/// One charge, for its payer or an official of its agency.
#[utoipa::path(get, path = "/api/v1/charges/{uin}", tag = "payments",
    params(("uin" = String, Path)),
    responses((status = 200, body = ChargeView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn one(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(uin): Path<String>,
) -> Result<Json<ChargeView>> {
    Ok(Json(service::charge(&p, &actor, &uin).await?))
}

/// Change the amount, the due date or the purpose of an unpaid charge, with a reason (an
/// official of its agency); the person is told.
#[utoipa::path(patch, path = "/api/v1/charges/{uin}", tag = "payments",
    params(("uin" = String, Path)), request_body = ChargeEdit,
    responses((status = 200, body = ChargeView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "charge.transition_forbidden, charge.changed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn change(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(uin): Path<String>,
    ApiJson(body): ApiJson<ChargeEdit>,
) -> Result<Json<ChargeView>> {
    Ok(Json(service::change(&p, &actor, &uin, body).await?))
}

/// Annul an unpaid charge, with a reason (an official of its agency); the person is told.
#[utoipa::path(post, path = "/api/v1/charges/{uin}/annul", tag = "payments",
    params(("uin" = String, Path)), request_body = Annulment,
    responses((status = 200, body = ChargeView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "charge.transition_forbidden, charge.changed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn annul(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(uin): Path<String>,
    ApiJson(body): ApiJson<Annulment>,
) -> Result<Json<ChargeView>> {
    Ok(Json(service::annul(&p, &actor, &uin, body).await?))
}

/// An agency's charges, newest first (its officials).
#[utoipa::path(get, path = "/api/v1/agencies/{code}/charges", tag = "payments",
    params(("code" = String, Path, description = "Agency code")),
    responses((status = 200, body = Vec<ChargeView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn of_agency(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
) -> Result<Json<Vec<ChargeView>>> {
    Ok(Json(service::agency_charges(&p, &actor, &code).await?))
}

/// Load an agency's charges from a CSV file (UTF-8, `;` or `,`, the first line naming the
/// columns): all of them in one transaction, or none with every bad line named.
#[utoipa::path(post, path = "/api/v1/agencies/{code}/charges/csv", tag = "payments",
    params(("code" = String, Path, description = "Agency code")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Loaded),
        (status = 400, description = "Ошибки в строках файла", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "charge.no_payee", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn load_csv(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Loaded>)> {
    let bytes = okno_kernel::http::read_upload(body).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::load_csv(&p, &actor, &code, &bytes).await?),
    ))
}

/// Pay a charge by card: makes the payment and gives the acquirer's form to send the payer to.
/// Every call takes an `Idempotency-Key`: a repeat with the same key and charge answers with the
/// same payment; the key used for another charge is refused. A charge has one open payment at a
/// time: a second key continues it.
#[utoipa::path(post, path = "/api/v1/charges/{uin}/payments", tag = "payments",
    params(("uin" = String, Path), ("Idempotency-Key" = String, Header, description = "1–64 letters, digits, - and _")),
    responses((status = 201, body = PaymentView),
        (status = 400, description = "payment.idempotency_key, uin.*", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "payment.idempotency_key_reused, charge.transition_forbidden, charge.nothing_due", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "payment.unavailable", body = Problem, content_type = "application/problem+json")))]
async fn pay(
    State(p): State<Platform>,
    Extension(s): Extension<Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(uin): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<PaymentView>)> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok((
        StatusCode::CREATED,
        Json(service::pay_by_card(&p, &s, &actor, &uin, key).await?),
    ))
}

/// A payment: its status, and the acquirer's form while it waits for the payer.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments",
    params(("id" = String, Path)),
    responses((status = 200, body = PaymentView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn payment(State(p): State<Platform>, Path(id): Path<String>) -> Result<Json<PaymentView>> {
    Ok(Json(service::payment(&p, &id).await?))
}

/// The acquirer's notification of a payment (T-Bank acquiring API v2: JSON with its `Token`),
/// answered `OK` once stored; anything else makes the acquirer send it again.
#[utoipa::path(post, path = "/api/v1/payments/notifications", tag = "payments",
    request_body = Object,
    responses((status = 200, description = "OK", body = String, content_type = "text/plain"),
        (status = 400, description = "payment.notification_refused", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "payment.notification_mismatch", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "payment.unavailable", body = Problem, content_type = "application/problem+json")))]
async fn notification(
    State(p): State<Platform>,
    Extension(s): Extension<Arc<Settings>>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<axum::response::Response> {
    service::notification(&p, &s, &body).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        okno_acquirer::NOTIFICATION_REPLY,
    )
        .into_response())
}
