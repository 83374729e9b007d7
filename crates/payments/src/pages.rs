//! Russian pages of the payments part: «Найти начисление по УИН» for anyone, «Мои начисления» in
//! the cabinet, and the agency's page of charges (load a CSV file, annul a charge).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form as HtmlForm, Router};
use okno_kernel::actor::Actor;
use okno_kernel::clock::{date_text, parse_date};
use okno_kernel::error::{Error, Problem};
use okno_kernel::http::{render, Chrome, CurrentActor, PageError};
use okno_kernel::Platform;
use okno_rules::Kopecks;
use serde::Deserialize;

use crate::service::{
    self, Annulment, ChargeView, DiscountView, PayeeView, PaymentView, PublicCharge, Settings,
    CSV_HEADER,
};

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/pay", get(find))
        .route("/account/charges", get(mine))
        .route("/agency/charges", get(agency))
        .route("/agency/charges/csv", post(agency_csv))
        .route("/agency/charges/{uin}/annul", post(agency_annul))
        .route("/pay/{uin}/card", post(pay_card))
        .route("/pay/return/{id}", get(pay_return))
        .route("/pay/receipt/{id}", get(receipt))
}

/// «15 января 2027 г.» for an ISO date.
fn day(iso: &str) -> String {
    parse_date(iso)
        .map(date_text)
        .unwrap_or_else(|| iso.to_string())
}

/// An SVG image of a QR code, to put inside the page.
fn qr_svg(payload: &str) -> Option<String> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Some(
        svg.find("<svg")
            .map_or(svg.clone(), |i| svg[i..].to_owned()),
    )
}

/// A charge as a page shows it, every value in Russian.
struct Card {
    uin: String,
    kind: String,
    status: String,
    active: bool,
    purpose: String,
    agency: String,
    amount: String,
    due_now: String,
    discount: Option<String>,
    due_date: String,
    issued_on: String,
    payee: PayeeView,
    qr_payload: Option<String>,
    qr: Option<String>,
    application: Option<(String, String)>,
    payer: String,
    reason: Option<String>,
    /// The idempotency key of this page's «Оплатить картой» form: a double click or a repeated
    /// submission of the same page continues one payment.
    pay_key: String,
}

fn discount_text(d: &Option<DiscountView>) -> Option<String> {
    d.as_ref().map(|d| {
        format!(
            "Скидка {} %: {} при оплате по {} включительно (постановление от {}).",
            d.percent,
            Kopecks(d.amount_kopecks),
            day(&d.last_day),
            day(&d.ruling_date)
        )
    })
}

impl Card {
    fn public(c: PublicCharge) -> Card {
        Card {
            discount: discount_text(&c.discount),
            qr: c.payment_qr.as_deref().and_then(qr_svg),
            qr_payload: c.payment_qr,
            active: c.status == "active",
            uin: c.uin,
            kind: c.kind_title,
            status: c.status_title,
            purpose: c.purpose,
            agency: c.agency_name,
            amount: Kopecks(c.amount_kopecks).to_string(),
            due_now: Kopecks(c.amount_due_kopecks).to_string(),
            due_date: day(&c.due_date),
            issued_on: day(&c.issued_on),
            payee: c.payee,
            application: None,
            payer: String::new(),
            reason: None,
            pay_key: okno_kernel::clock::new_id(),
        }
    }

    fn full(c: ChargeView) -> Card {
        Card {
            discount: discount_text(&c.discount),
            qr: c.payment_qr.as_deref().and_then(qr_svg),
            qr_payload: c.payment_qr,
            active: c.status == "active",
            application: c.application_id.zip(c.application_number),
            uin: c.uin,
            kind: c.kind_title,
            status: c.status_title,
            purpose: c.purpose,
            agency: c.agency_name,
            amount: Kopecks(c.amount_kopecks).to_string(),
            due_now: Kopecks(c.amount_due_kopecks).to_string(),
            due_date: day(&c.due_date),
            issued_on: day(&c.issued_on),
            payee: c.payee,
            payer: c.payer_name,
            reason: c.reason,
            pay_key: okno_kernel::clock::new_id(),
        }
    }
}

#[derive(Template)]
#[template(path = "payments_find.html")]
struct FindPage {
    chrome: Chrome,
    /// Paying by card is switched on.
    cards_on: bool,
    uin: String,
    card: Option<Card>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct FindQuery {
    uin: Option<String>,
}

async fn find(
    State(p): State<Platform>,
    Extension(s): Extension<std::sync::Arc<Settings>>,
    chrome: Chrome,
    Query(q): Query<FindQuery>,
) -> Result<Response, PageError> {
    let uin = q.uin.unwrap_or_default().trim().to_string();
    let (card, error, status) = if uin.is_empty() {
        (None, None, axum::http::StatusCode::OK)
    } else {
        match service::find_public(&p, &uin).await {
            Ok(c) => (Some(Card::public(c)), None, axum::http::StatusCode::OK),
            Err(Error::Problem(pr)) => {
                let message = pr
                    .errors
                    .first()
                    .map_or(pr.detail.clone(), |e| e.message.clone());
                (None, Some(message), pr.status_code())
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut r = render(&FindPage {
        chrome,
        cards_on: s.acquirer.is_some(),
        uin,
        card,
        error,
    });
    *r.status_mut() = status;
    Ok(with_acquirer_forms(r, &s))
}

#[derive(Template)]
#[template(path = "payments_mine.html")]
struct MinePage {
    chrome: Chrome,
    cards_on: bool,
    cards: Vec<Card>,
}

async fn mine(
    State(p): State<Platform>,
    Extension(s): Extension<std::sync::Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/login?next=/account/charges").into_response());
    }
    let cards = service::mine(&p, &actor)
        .await?
        .into_iter()
        .map(Card::full)
        .collect();
    Ok(with_acquirer_forms(
        render(&MinePage {
            chrome,
            cards_on: s.acquirer.is_some(),
            cards,
        }),
        &s,
    ))
}

#[derive(Template)]
#[template(path = "payments_agency.html")]
struct AgencyPage {
    chrome: Chrome,
    /// Officials do not pay from here.
    cards_on: bool,
    agencies: Vec<String>,
    agency: String,
    cards: Vec<Card>,
    header: &'static str,
    notice: Option<String>,
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct AgencyQuery {
    agency: Option<String>,
    notice: Option<String>,
}

/// The agency page for `agency` (the official's first agency when none is chosen).
async fn agency_render(
    p: &Platform,
    actor: &Actor,
    chrome: Chrome,
    agency: Option<String>,
    notice: Option<String>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let agencies = okno_services::service::my_agencies(&p.db, actor).await?;
    let agency = agency
        .filter(|a| !a.is_empty())
        .or_else(|| agencies.first().cloned())
        .unwrap_or_default();
    let cards = if agency.is_empty() {
        Vec::new()
    } else {
        service::agency_charges(p, actor, &agency)
            .await?
            .into_iter()
            .map(Card::full)
            .collect()
    };
    let status = problem
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |p| p.status_code());
    let errors = match problem {
        None => Vec::new(),
        Some(p) if p.errors.is_empty() => vec![p.detail],
        Some(p) => std::iter::once(p.detail)
            .chain(p.errors.into_iter().map(|e| e.message))
            .collect(),
    };
    let mut r = render(&AgencyPage {
        chrome,
        cards_on: false,
        agencies,
        agency,
        cards,
        header: CSV_HEADER,
        notice,
        errors,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn agency(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<AgencyQuery>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    actor.require(okno_kernel::actor::Permission::ChargesManage)?;
    let notice = q.notice.as_deref().map(|n| match n {
        "annulled" => "Начисление аннулировано, плательщику отправлено уведомление.".to_string(),
        _ => String::new(),
    });
    agency_render(
        &p,
        &actor,
        chrome,
        q.agency,
        notice.filter(|n| !n.is_empty()),
        None,
    )
    .await
}

/// The CSV file from the page's form (multipart, so no JavaScript is needed).
async fn agency_csv(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<AgencyQuery>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    let agency = q.agency.unwrap_or_default();
    let unreadable = || {
        Problem::new(400, "request.unreadable", "Не удалось прочитать форму")
            .with_detail("Форма пришла не целиком. Выберите файл и отправьте ещё раз.")
    };
    let mut bytes = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(|_| unreadable())? {
        if field.name() == Some("file") {
            while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > okno_kernel::files::MAX_FILE {
                    return Err(okno_kernel::http::too_large().into());
                }
            }
        }
    }
    match service::load_csv(&p, &actor, &agency, &bytes).await {
        Ok(l) => {
            let notice = format!(
                "Загружено начислений: {} на сумму {}. Плательщикам с подтверждённым профилем отправлены уведомления.",
                l.loaded,
                Kopecks(l.total_kopecks)
            );
            agency_render(&p, &actor, chrome, Some(agency), Some(notice), None).await
        }
        Err(Error::Problem(pr)) => {
            agency_render(&p, &actor, chrome, Some(agency), None, Some(*pr)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct AnnulForm {
    reason: Option<String>,
    agency: Option<String>,
}

async fn agency_annul(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(uin): Path<String>,
    HtmlForm(f): HtmlForm<AnnulForm>,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    let agency = f.agency.unwrap_or_default();
    let a = Annulment {
        reason: f.reason.unwrap_or_default(),
    };
    match service::annul(&p, &actor, &uin, a).await {
        Ok(c) => Ok(Redirect::to(&format!(
            "/agency/charges?agency={}&notice=annulled",
            c.agency_code
        ))
        .into_response()),
        Err(Error::Problem(pr)) => {
            agency_render(&p, &actor, chrome, Some(agency), None, Some(*pr)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct PayForm {
    key: Option<String>,
}

/// «Оплатить картой»: makes (or continues) the payment and sends the browser to the acquirer.
async fn pay_card(
    State(p): State<Platform>,
    Extension(s): Extension<std::sync::Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Path(uin): Path<String>,
    HtmlForm(f): HtmlForm<PayForm>,
) -> Result<Response, PageError> {
    let key = f.key.unwrap_or_default();
    match service::pay_by_card(&p, &s, &actor, &uin, &key).await {
        Ok(pay) => match pay.payment_url {
            Some(url) => Ok(Redirect::to(&url).into_response()),
            None => Ok(Redirect::to(&format!("/pay/return/{}", pay.id)).into_response()),
        },
        Err(Error::Problem(pr)) => {
            let card = service::find_public(&p, &uin).await.ok().map(Card::public);
            let mut r = render(&FindPage {
                chrome,
                cards_on: s.acquirer.is_some(),
                uin,
                card,
                error: Some(pr.detail.clone()),
            });
            *r.status_mut() = pr.status_code();
            Ok(with_acquirer_forms(r, &s))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "payments_return.html")]
struct ReturnPage {
    chrome: Chrome,
    pay: PaymentView,
    amount: String,
    captured: bool,
    failed: bool,
    when: Option<String>,
    charge: Option<Card>,
}

/// Where the acquirer sends the payer back: the payment as the acquirer now tells it.
async fn pay_return(
    State(p): State<Platform>,
    Extension(s): Extension<std::sync::Arc<Settings>>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let pay = service::payment(&p, &id).await?;
    if pay.payment_url.is_some() || pay.status == "created" {
        if let Err(e) = service::refresh(&p, &s, &id).await {
            tracing::warn!(payment = %id, error = %e, "the acquirer was not asked");
        }
    }
    let pay = service::payment(&p, &id).await?;
    let charge = service::find_public(&p, &pay.uin).await?;
    let zone = charge.time_zone.clone();
    Ok(render(&ReturnPage {
        chrome,
        amount: Kopecks(pay.amount_kopecks).to_string(),
        captured: pay.status == "captured",
        failed: matches!(pay.status.as_str(), "failed" | "cancelled" | "expired"),
        when: pay
            .captured_at
            .map(|ms| okno_kernel::clock::moment_text(&zone, ms)),
        charge: Some(Card::public(charge)),
        pay,
    }))
}

/// The receipt's PDF.
async fn receipt(
    State(p): State<Platform>,
    Extension(s): Extension<std::sync::Arc<Settings>>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let bytes = service::receipt_file(&p, &s.files_dir, &actor, &id).await?;
    Ok(okno_kernel::http::download(
        "application/pdf",
        &format!("kvitanciya-{id}.pdf"),
        bytes,
    ))
}

/// The page's answer with its forms allowed to lead to the acquirer (the «Оплатить картой» form
/// is answered with a redirect to the acquirer's payment form, which `form-action` governs).
fn with_acquirer_forms(mut r: Response, s: &Settings) -> Response {
    // `scheme://host[:port]` of the acquirer's base address.
    let origin = s.acquirer.as_ref().and_then(|a| {
        let base = &a.config().base_url;
        let (scheme, rest) = base.split_once("://")?;
        let host = rest.split('/').next()?;
        Some(format!("{scheme}://{host}"))
    });
    if let Some(origin) = origin {
        let csp = okno_kernel::http::content_security_policy(&[&origin]);
        if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
            r.headers_mut()
                .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    r
}
