//! The kernel's own JSON API, served by the shell: the audit journal (read, verify) and API tokens.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use okno_kernel::audit::checkpoints::{self, AuditCheckpoint};
use okno_kernel::audit::{self, Record};
use okno_kernel::auth::{self, TokenInfo};
use okno_kernel::http::{ApiJson, CurrentActor};
use okno_kernel::{Permission, Problem, Result, Role};
use serde::{Deserialize, Serialize};

use crate::middleware::Shell;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(audit_list, audit_verify, audit_checkpoints, token_issue, token_list, token_revoke),
    components(schemas(Record, AuditCheckpoint, TokenInfo, IssueToken, IssuedToken, ChainStatus, Problem, okno_kernel::error::FieldError)),
    tags(
        (name = "audit", description = "Журнал аудита"),
        (name = "tokens", description = "Токены доступа для интеграций и сотрудников")
    )
)]
pub struct KernelApi;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records with a number below this (cursor), newest first.
    pub before: Option<i64>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Records of the audit journal, newest first (auditor).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, body = Vec<Record>),
        (status = 400, description = "limit вне 1–500", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Нет учётных данных", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn audit_list(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<Record>>> {
    let limit = Problem::in_range("limit", q.limit, 100, 1..=500)?;
    Ok(Json(
        audit::list(&shell.platform.db, &actor, q.before, limit).await?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChainStatus {
    pub intact: bool,
    pub records: i64,
    pub last_hash: String,
}

/// Recompute the hash chain (auditor). 409 names the first broken record.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = ChainStatus), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn audit_verify(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<ChainStatus>> {
    actor.require(Permission::AuditRead)?;
    match audit::verify(&shell.platform.db).await? {
        audit::Verdict::Intact { count, last_hash } => Ok(Json(ChainStatus {
            intact: true,
            records: count,
            last_hash,
        })),
        audit::Verdict::Broken { seq, kind, .. } => Err(audit::broken_problem(seq, kind).into()),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointQuery {
    /// Checkpoints of records after this number (cursor: the `seq` of the last checkpoint
    /// received), 0 or more; default 0, from the first.
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Signed checkpoints of the audit journal, oldest first (public: outside witnesses copy them and
/// later check the journal against their copy with `okno audit verify --witness`).
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "audit", params(CheckpointQuery),
    responses(
        (status = 200, body = Vec<AuditCheckpoint>),
        (status = 400, description = "after_seq меньше 0, limit вне 1–1000 или не число", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Внутренняя ошибка", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "База данных недоступна", body = Problem, content_type = "application/problem+json")))]
pub async fn audit_checkpoints(
    State(shell): State<Shell>,
    Query(q): Query<CheckpointQuery>,
) -> Result<Json<Vec<AuditCheckpoint>>> {
    let mut errors = Vec::new();
    let after_seq = q.after_seq.unwrap_or(0);
    if after_seq < 0 {
        errors.push(okno_kernel::error::FieldError {
            field: "after_seq".into(),
            code: "request.out_of_range".into(),
            message: "Укажите номер записи: 0 или больше.".into(),
        });
    }
    let limit = Problem::in_range("limit", q.limit, 100, 1..=1000)
        .map_err(|p| errors.extend(p.errors))
        .unwrap_or(100);
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors).into());
    }
    Ok(Json(
        checkpoints::list(&shell.platform.db, after_seq, limit).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueToken {
    pub name: String,
    /// Role names: administrator, auditor, operator, …
    pub roles: Vec<String>,
    /// Lifetime in days; none for a token that lives until revoked.
    pub ttl_days: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The secret, shown only now.
    pub token: String,
}

/// Issue an API token (administrator). The secret is returned once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = IssueToken,
    responses((status = 201, body = IssuedToken), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn token_issue(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<IssueToken>,
) -> Result<(StatusCode, Json<IssuedToken>)> {
    let mut roles = Vec::new();
    for (i, r) in body.roles.iter().enumerate() {
        roles.push(Role::parse(r).ok_or_else(|| {
            Problem::invalid_field(
                &format!("roles[{i}]"),
                "token.role_unknown",
                format!("Неизвестная роль «{r}»."),
            )
        })?);
    }
    if let Some(d) = body.ttl_days {
        if !(1..=3650).contains(&d) {
            return Err(Problem::invalid_field(
                "ttl_days",
                "token.ttl",
                "Срок действия — от 1 до 3650 дней.",
            )
            .into());
        }
    }
    let (info, token) = auth::issue_token(
        &shell.platform.db,
        &actor,
        &body.name,
        &roles,
        body.ttl_days.map(|d| d * 86_400_000),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { info, token })))
}

/// Issued tokens (administrator); never their secrets.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenInfo>)), security(("bearer" = [])))]
pub async fn token_list(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Vec<TokenInfo>>> {
    let mut c = shell.platform.db.read().await?;
    Ok(Json(auth::list_tokens(&mut c, &actor).await?))
}

/// Revoke a token at once, with every session opened with it.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Отозван"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn token_revoke(
    State(shell): State<Shell>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    auth::revoke_token(&shell.platform.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
