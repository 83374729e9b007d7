//! The JSON API of polls under `/api/v1/polls`, described for OpenAPI.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okno_kernel::error::{Problem, Result};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::Platform;

use super::create::create;
use super::model::{
    Ballot, NewPoll, NewQuestion, PollListed, PollState, PollView, QuestionKind, QuestionResult,
    QuestionView, Results,
};
use super::read::{list, poll};
use super::results::{chart, results};
use super::vote::vote;

pub fn routes() -> Router<Platform> {
    Router::new()
        .route("/api/v1/polls", get(list_api).post(create_api))
        .route("/api/v1/polls/{id}", get(get_api))
        .route("/api/v1/polls/{id}/votes", post(vote_api))
        .route("/api/v1/polls/{id}/results", get(results_api))
        .route("/api/v1/polls/{id}/results.svg", get(chart_api))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_api, create_api, get_api, vote_api, results_api, chart_api),
    components(schemas(NewPoll, NewQuestion, QuestionKind, PollView, QuestionView, PollListed, PollState, Ballot, Results, QuestionResult)),
    tags((name = "polls", description = "Опросы граждан"))
)]
pub struct PollsApi;

/// Every poll: running first, then upcoming, then closed.
#[utoipa::path(get, path = "/api/v1/polls", tag = "polls",
    responses((status = 200, body = Vec<PollListed>)))]
async fn list_api(State(p): State<Platform>) -> Result<Json<Vec<PollListed>>> {
    Ok(Json(list(&p).await?))
}

/// Create a poll (administrator).
#[utoipa::path(post, path = "/api/v1/polls", tag = "polls", request_body = NewPoll,
    responses((status = 201, body = PollView), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn create_api(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<NewPoll>,
) -> Result<(StatusCode, Json<PollView>)> {
    Ok((StatusCode::CREATED, Json(create(&p, &actor, body).await?)))
}

/// A poll with its questions.
#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "polls", params(("id" = String, Path)),
    responses((status = 200, body = PollView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_api(State(p): State<Platform>, Path(id): Path<String>) -> Result<Json<PollView>> {
    Ok(Json(poll(&p, &id).await?))
}

/// Vote once (a confirmed account).
#[utoipa::path(post, path = "/api/v1/polls/{id}/votes", tag = "polls", params(("id" = String, Path)), request_body = Ballot,
    responses((status = 201, description = "Голос учтён"),
        (status = 403, description = "poll.level_too_low, poll.audience", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "poll.already_voted, poll.closed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn vote_api(
    State(p): State<Platform>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Ballot>,
) -> Result<StatusCode> {
    vote(&p, &actor, &id, body).await?;
    Ok(StatusCode::CREATED)
}

/// The results (after the poll closes, or live when configured).
#[utoipa::path(get, path = "/api/v1/polls/{id}/results", tag = "polls", params(("id" = String, Path)),
    responses((status = 200, body = Results), (status = 409, description = "poll.results_hidden", body = Problem, content_type = "application/problem+json")))]
async fn results_api(State(p): State<Platform>, Path(id): Path<String>) -> Result<Json<Results>> {
    Ok(Json(results(&p, &id).await?))
}

/// The results as an SVG chart.
#[utoipa::path(get, path = "/api/v1/polls/{id}/results.svg", tag = "polls", params(("id" = String, Path)),
    responses((status = 200, description = "image/svg+xml")))]
async fn chart_api(
    State(p): State<Platform>,
    Path(id): Path<String>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], String)> {
    let r = results(&p, &id).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "image/svg+xml; charset=utf-8",
        )],
        chart(&r),
    ))
}
