//! The shell's own pages: home, staff sign-in and sign-out, the administration index, the audit
//! journal page, kiosk mode, health and metrics endpoints.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use okno_kernel::actor::Permission;
use okno_kernel::auth::{self, SessionPolicy};
use okno_kernel::http::{render, Chrome, CurrentActor, PageError};
use okno_kernel::{audit, Problem};
use serde::Deserialize;

use crate::middleware::{cookie, set_cookie, Shell, KIOSK_COOKIE, SESSION_COOKIE};

pub struct Part {
    pub title: &'static str,
    pub href: &'static str,
    pub text: &'static str,
    pub figure: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    parts: Vec<Part>,
    /// The catalogue's categories: (code, title).
    categories: Vec<(String, String)>,
}

pub async fn home(State(shell): State<Shell>, chrome: Chrome) -> Result<Response, PageError> {
    let s = okno_directory::service::summary(&shell.platform.db).await?;
    let parts = vec![
        Part {
            title: "Государственные услуги",
            href: "/services",
            text: "Каталог услуг: что нужно для получения, сколько стоит, в какой срок ведомство обязано ответить.",
            figure: Some(format!("Услуг в каталоге: {}", s.services)),
        },
        Part {
            title: "Центры обслуживания",
            href: "/offices",
            text: "МФЦ, отделения Почты России и банки, где можно подтвердить личность и получить помощь.",
            figure: Some(format!("Пунктов обслуживания: {}", s.offices)),
        },
        Part {
            title: "Обращения и жалобы",
            href: "/appeals",
            text: "Сообщите о проблеме во дворе, на дороге или в транспорте — ответ придёт в срок, установленный законом.",
            figure: Some(format!("Тем обращений: {}", s.categories)),
        },
        Part {
            title: "Начисления и оплата",
            href: "/pay",
            text: "Найдите пошлину, штраф или налог по УИН и оплатите по QR-коду в приложении банка — без входа в кабинет.",
            figure: None,
        },
        Part {
            title: "Органы власти",
            href: "/agencies",
            text: "Ведомства, которые оказывают услуги и отвечают на обращения.",
            figure: Some(format!("Ведомств: {}", s.agencies)),
        },
    ];
    let categories = okno_directory::service::service_categories(&shell.platform.db)
        .await?
        .into_iter()
        .map(|k| (k.code, k.title))
        .collect();
    Ok(render(&Home {
        chrome,
        parts,
        categories,
    }))
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    chrome: Chrome,
    error: Option<String>,
}

pub async fn login_form(chrome: Chrome) -> Response {
    render(&Login {
        chrome,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
}

pub async fn login(
    State(shell): State<Shell>,
    chrome: Chrome,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let policy = SessionPolicy {
        idle_ms: shell.settings.session_idle.as_millis() as i64,
        absolute_ms: shell.settings.session_absolute.as_millis() as i64,
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let opened = if form.token.trim().is_empty() {
        None
    } else {
        auth::open_token_session(&shell.platform.db, form.token.trim(), policy, ua, None).await?
    };
    let Some((secret, _actor)) = opened else {
        let mut r = render(&Login {
            chrome,
            error: Some("Токен не подошёл: он неверен, отозван или истёк.".into()),
        });
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    };
    let mut r = Redirect::to("/admin").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &secret, None, shell.settings.secure_cookies),
    );
    Ok(r)
}

pub async fn logout(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    if let Some(sid) = cookie(&req, SESSION_COOKIE) {
        auth::close_session(&shell.platform.db, &actor, sid).await?;
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), shell.settings.secure_cookies),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminIndex {
    chrome: Chrome,
    name: String,
    roles: String,
    backlog_events: i64,
    backlog_deliveries: i64,
}

pub async fn admin(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
) -> Result<Response, PageError> {
    if actor.is_anonymous() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    let backlog = okno_notify::service::backlog(&shell.platform.db).await?;
    Ok(render(&AdminIndex {
        chrome,
        name: actor.name.clone(),
        roles: actor
            .roles
            .iter()
            .map(|r| r.title())
            .collect::<Vec<_>>()
            .join(", "),
        backlog_events: backlog.events,
        backlog_deliveries: backlog.deliveries,
    }))
}

pub struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    hash: String,
}

pub struct VerdictView {
    ok: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
    next: Option<i64>,
    verdict: Option<VerdictView>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
    verify: Option<String>,
}

pub async fn audit_page(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
    chrome: Chrome,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let db = &shell.platform.db;
    let records = audit::list(db, &actor, q.before, 50).await?;
    let verdict = if q.verify.is_some() {
        actor.require(Permission::AuditRead)?;
        Some(match audit::verify(db).await? {
            audit::Verdict::Intact { count, .. } => VerdictView {
                ok: true,
                text: format!("Цепочка цела: записей {count}, ни одна не изменена, не удалена и не переставлена."),
            },
            audit::Verdict::Broken { seq, kind, .. } => VerdictView {
                ok: false,
                text: format!("Цепочка нарушена начиная с записи {seq}: {}.", kind.title()),
            },
        })
    } else {
        None
    };
    let next = (records.len() == 50)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    let rows = records
        .into_iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: okno_notify::pages::short_time(r.at),
            actor: match r.on_behalf_of_name {
                Some(p) => format!("{} (за {p})", r.actor_name),
                None => r.actor_name,
            },
            action: r.action,
            subject: format!("{} {}", r.subject_type, r.subject_id),
            hash: r.hash,
        })
        .collect();
    Ok(render(&AuditPage {
        chrome,
        rows,
        next,
        verdict,
    }))
}

#[derive(Deserialize)]
pub struct KioskQuery {
    on: Option<String>,
}

/// `/kiosk?on=1` turns this browser into a public-terminal kiosk (larger targets, auto-return
/// home); `/kiosk?on=0` turns it off.
pub async fn kiosk(State(shell): State<Shell>, Query(q): Query<KioskQuery>) -> Response {
    let on = q.on.as_deref() != Some("0");
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            KIOSK_COOKIE,
            if on { "1" } else { "" },
            Some(if on { 31_536_000 } else { 0 }),
            shell.settings.secure_cookies,
        ),
    );
    r
}

/// `/healthz`: the process is up.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `/readyz`: the database answers within two seconds.
pub async fn readyz(State(shell): State<Shell>) -> Response {
    let ping =
        tokio::time::timeout(std::time::Duration::from_secs(2), shell.platform.db.ping()).await;
    match ping {
        Ok(Ok(())) => Json(
            serde_json::json!({ "status": "ready", "database": shell.platform.db.engine().name() }),
        )
        .into_response(),
        _ => Problem::unavailable()
            .with_detail("База данных недоступна.")
            .into_response(),
    }
}

/// `/metrics`: Prometheus text format.
pub async fn metrics(State(shell): State<Shell>) -> Response {
    let m = &shell.metrics;
    if let Ok(b) = okno_notify::service::backlog(&shell.platform.db).await {
        m.outbox_events.set(b.events);
        m.outbox_deliveries.set(b.deliveries);
    }
    if let Ok(n) = okno_kernel::audit::unsealed(&shell.platform.db).await {
        m.audit_unsealed.set(n);
    }
    let (in_use, idle) = shell.platform.db.pool_state();
    m.pool
        .get_or_create(&crate::metrics::PoolLabels { state: "in_use" })
        .set(in_use as i64);
    m.pool
        .get_or_create(&crate::metrics::PoolLabels { state: "idle" })
        .set(idle as i64);
    m.memory.set(crate::metrics::resident_memory());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}
