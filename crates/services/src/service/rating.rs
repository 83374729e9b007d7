//! The applicant's rating of a decided application.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::error::{Problem, Result};
use okno_kernel::outbox;
use okno_kernel::Platform;
use serde::Deserialize;

use crate::model;
use crate::store;

use super::access::{check_applicant, load};
use super::applicants::own_account;
use super::base::not_found_service;
use super::views::{status_of, view, ApplicationView};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    /// 1 (very bad) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// What went well or badly, up to 1000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// The outbox event a rating is announced with; the appeals part's public figures take it.
pub const RATED_EVENT: &str = "services.application.rated";

/// The applicant (or whoever acts for them) rates the service once the application is decided
/// (executed or refused), once. Audited, and announced as [`RATED_EVENT`].
pub async fn rate(p: &Platform, actor: &Actor, id: &str, r: NewRating) -> Result<ApplicationView> {
    if !(1..=5).contains(&r.rating) {
        return Err(Problem::invalid_field(
            "rating",
            "application.rating_range",
            "Оценка — от 1 до 5.",
        )
        .into());
    }
    let comment = r
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(Problem::invalid_field(
            "comment",
            "application.rating_comment_too_long",
            "Отзыв — не длиннее 1000 символов.",
        )
        .into());
    }
    let a = load(&p.db, id).await?;
    check_applicant(&p.db, actor, &a).await?;
    let status = status_of(&a)?;
    if !model::rateable(status) {
        return Err(Problem::conflict(
            "application.not_rateable",
            "Оценить услугу можно, когда по заявлению принято решение и выдан результат.",
        )
        .into());
    }
    let s = {
        let mut c = p.db.read().await?;
        store::service(&mut c, &a.service_code, Some(a.version))
            .await?
            .ok_or_else(not_found_service)?
    };
    let me = own_account(actor)?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let row = store::RatingRow {
        rating: r.rating,
        comment: comment.clone(),
        rated_at: now,
    };
    if !store::insert_rating(&mut tx, &a.id, me, &row).await? {
        return Err(Problem::conflict(
            "application.already_rated",
            "Эта услуга уже оценена. Спасибо!",
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "services.application.rated",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({ "number": a.number, "service": a.service_code, "rating": r.rating }),
        },
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        RATED_EVENT,
        &serde_json::json!({
            "application_id": a.id, "number": a.number, "service": a.service_code,
            "service_title": s.title, "agency": s.agency_code, "agency_name": s.agency_name,
            "status": status.as_str(), "rating": r.rating, "rated_at": now,
        }),
    )
    .await?;
    tx.commit().await?;
    view(p, a).await
}
