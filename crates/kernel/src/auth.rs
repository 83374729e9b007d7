//! Credentials the kernel knows: API tokens for integrations and staff tools (stored as SHA-256 of a
//! 256-bit random secret), and server-side web sessions (revocable, with idle and absolute timeouts).
//! The identity part signs people in and then uses the same sessions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::actor::{Actor, ActorKind, Permission, Role};
use crate::audit;
use crate::db::{AsConn, Db};
use crate::error::{Problem, Result};
use crate::{q_all, q_exec, q_opt};

/// A random secret, URL-safe, with a prefix that makes leaked tokens easy to find by scanners.
fn random_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", B64URL.encode(b))
}

/// SHA-256 hex of a secret: what is stored. A 256-bit random secret needs no slow hash.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// An issued API token, as listed to administrators (never the secret).
#[derive(Debug, Clone, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// Comma-separated role names.
    pub roles: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_roles(text: &str) -> Vec<Role> {
    text.split(',').filter_map(Role::parse).collect()
}

/// Issues a token with the given roles; the secret is returned once and never stored.
pub async fn issue_token(
    db: &Db,
    actor: &Actor,
    name: &str,
    roles: &[Role],
    ttl_ms: Option<i64>,
) -> Result<(TokenInfo, String)> {
    actor.require(Permission::TokensManage)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Problem::invalid_field(
            "name",
            "token.name",
            "Укажите название токена (до 200 символов).",
        )
        .into());
    }
    if roles.is_empty() {
        return Err(
            Problem::invalid_field("roles", "token.roles", "Укажите хотя бы одну роль.").into(),
        );
    }
    if roles.contains(&Role::Citizen) {
        return Err(Problem::invalid_field(
            "roles",
            "token.role_citizen",
            "Токены выдаются только сотрудникам; граждане входят со своей учётной записью.",
        )
        .into());
    }
    // Least privilege: nobody grants a role they do not hold. Only the platform itself (the CLI on
    // the server) issues the first administrator and the auditors.
    if actor.kind != ActorKind::System {
        if let Some(r) = roles.iter().find(|r| !actor.roles.contains(r)) {
            return Err(Problem::new(403, "token.role_not_held", "Недостаточно прав")
                .with_detail(format!(
                    "Нельзя выдать роль «{}», которой у вас нет. Такой токен выпускается командой okno admin token create на сервере.",
                    r.title()
                ))
                .into());
        }
    }
    let secret = random_secret("okno_");
    let now = crate::clock::now_ms();
    let info = TokenInfo {
        id: crate::clock::new_id(),
        name: name.to_string(),
        roles: roles_text(roles),
        created_at: now,
        expires_at: ttl_ms.map(|t| now + t),
        revoked_at: None,
    };
    let mut tx = db.begin().await?;
    q_exec!(
        &mut tx,
        "INSERT INTO api_tokens (id, name, token_hash, roles, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &info.id,
        &info.name,
        secret_hash(&secret),
        &info.roles,
        info.created_at,
        info.expires_at
    )?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "kernel.token.issued",
            subject_type: "api_token",
            subject_id: &info.id,
            details: serde_json::json!({ "name": info.name, "roles": info.roles, "expires_at": info.expires_at }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((info, secret))
}

/// Creates a token with a given secret unless one with that secret exists (demo data). Returns
/// whether it was created.
pub async fn ensure_token(
    db: &Db,
    actor: &Actor,
    name: &str,
    roles: &[Role],
    secret: &str,
) -> Result<bool> {
    actor.require(Permission::TokensManage)?;
    let mut tx = db.begin().await?;
    let id = crate::clock::new_id();
    let n = q_exec!(
        &mut tx,
        "INSERT INTO api_tokens (id, name, token_hash, roles, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (token_hash) DO NOTHING",
        &id,
        name,
        secret_hash(secret),
        roles_text(roles),
        crate::clock::now_ms()
    )?;
    if n == 1 {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "kernel.token.issued",
                subject_type: "api_token",
                subject_id: &id,
                details: serde_json::json!({ "name": name, "roles": roles_text(roles) }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

/// Revokes a token at once.
pub async fn revoke_token(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Permission::TokensManage)?;
    let mut tx = db.begin().await?;
    let n = q_exec!(
        &mut tx,
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        crate::clock::now_ms(),
        id
    )?;
    if n == 0 {
        return Err(Problem::not_found("Действующий токен не найден.").into());
    }
    // Sessions opened with the token end with it.
    q_exec!(
        &mut tx,
        "UPDATE web_sessions SET revoked_at = $1 WHERE subject_kind = 'token' AND subject_id = $2 AND revoked_at IS NULL",
        crate::clock::now_ms(),
        id
    )?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "kernel.token.revoked",
            subject_type: "api_token",
            subject_id: id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_tokens(c: &mut impl AsConn, actor: &Actor) -> Result<Vec<TokenInfo>> {
    actor.require(Permission::TokensManage)?;
    Ok(q_all!(
        c,
        TokenInfo,
        "SELECT id, name, roles, created_at, expires_at, revoked_at FROM api_tokens ORDER BY created_at DESC"
    )?)
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    roles: String,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

fn token_actor(row: TokenRow, now: i64) -> Option<Actor> {
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|e| e <= now) {
        return None;
    }
    Some(Actor {
        kind: ActorKind::Token,
        id: Some(row.id),
        name: format!("токен «{}»", row.name),
        roles: parse_roles(&row.roles),
        on_behalf_of: None,
        device: None,
    })
}

/// The actor of a bearer token, or `None` when it is unknown, expired or revoked.
pub async fn authenticate_token(c: &mut impl AsConn, secret: &str) -> Result<Option<Actor>> {
    let row = q_opt!(
        c,
        TokenRow,
        "SELECT id, name, roles, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1",
        secret_hash(secret)
    )?;
    Ok(row.and_then(|r| token_actor(r, crate::clock::now_ms())))
}

/// Timeouts of a web session.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct SessionRow {
    subject_kind: String,
    subject_id: String,
    last_seen_at: i64,
    idle_timeout_ms: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    acting_for: Option<String>,
}

/// Opens a session for a token holder who signed in on the web; returns the cookie secret.
pub async fn open_token_session(
    db: &Db,
    token_secret: &str,
    policy: SessionPolicy,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<Option<(String, Actor)>> {
    let mut tx = db.begin().await?;
    let row = q_opt!(
        &mut tx,
        TokenRow,
        "SELECT id, name, roles, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1",
        secret_hash(token_secret)
    )?;
    let now = crate::clock::now_ms();
    let Some(actor) = row.and_then(|r| token_actor(r, now)) else {
        return Ok(None);
    };
    let subject_id = actor.id.clone().unwrap_or_default();
    let subject = SessionSubject {
        kind: "token".into(),
        id: subject_id.clone(),
        acting_for: None,
    };
    let secret = open_session(&mut tx, &subject, policy, user_agent, ip).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor: &actor,
            action: "kernel.session.opened",
            subject_type: "api_token",
            subject_id: &subject_id,
            details: serde_json::json!({ "channel": "web" }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some((secret, actor)))
}

/// A live session: who it belongs to. `kind` is `token` (staff signed in with an API token) or
/// `account` (a person signed in through the identity part, which resolves the account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSubject {
    pub kind: String,
    pub id: String,
    /// Whom the subject acts for in this session, as the owning part names it (for example
    /// `account:ID` of a principal); that part checks at every request that it still may.
    pub acting_for: Option<String>,
}

/// The subject of a session secret, or `None` when the session is unknown, revoked or timed out.
/// Records activity at most once a minute, so reads stay reads.
pub async fn resume_session(db: &Db, secret: &str) -> Result<Option<SessionSubject>> {
    let hash = secret_hash(secret);
    let s = {
        let mut c = db.read().await?;
        q_opt!(
            &mut c,
            SessionRow,
            "SELECT subject_kind, subject_id, last_seen_at, idle_timeout_ms, expires_at, revoked_at, acting_for FROM web_sessions WHERE id_hash = $1",
            &hash
        )?
    };
    let Some(s) = s else {
        return Ok(None);
    };
    let now = crate::clock::now_ms();
    if s.revoked_at.is_some() || s.expires_at <= now || s.last_seen_at + s.idle_timeout_ms <= now {
        return Ok(None);
    }
    if now - s.last_seen_at > 60_000 {
        let mut tx = db.begin().await?;
        q_exec!(
            &mut tx,
            "UPDATE web_sessions SET last_seen_at = $1 WHERE id_hash = $2",
            now,
            &hash
        )?;
        tx.commit().await?;
    }
    Ok(Some(SessionSubject {
        kind: s.subject_kind,
        id: s.subject_id,
        acting_for: s.acting_for,
    }))
}

/// The actor of a token session's token, unless it was revoked or expired since.
pub async fn token_session_actor(c: &mut impl AsConn, token_id: &str) -> Result<Option<Actor>> {
    let row = q_opt!(
        c,
        TokenRow,
        "SELECT id, name, roles, expires_at, revoked_at FROM api_tokens WHERE id = $1",
        token_id
    )?;
    Ok(row.and_then(|r| token_actor(r, crate::clock::now_ms())))
}

/// Opens a session for a subject (a token holder here, a person's account in identity); returns
/// the cookie secret. Call inside the use case's transaction, which audits the sign-in.
pub async fn open_session(
    tx: &mut crate::db::Tx,
    subject: &SessionSubject,
    policy: SessionPolicy,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<String> {
    let secret = random_secret("");
    let now = crate::clock::now_ms();
    q_exec!(
        tx,
        "INSERT INTO web_sessions (id_hash, subject_kind, subject_id, created_at, last_seen_at, idle_timeout_ms, expires_at, user_agent, ip)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
        secret_hash(&secret),
        &subject.kind,
        &subject.id,
        now,
        policy.idle_ms,
        now + policy.absolute_ms,
        user_agent.map(|s| s.chars().take(300).collect::<String>()),
        ip
    )?;
    Ok(secret)
}

/// Makes the session act for someone else (or for its subject again, with `None`), in the
/// transaction of the use case that checked it may. Returns whether the session was found live.
pub async fn set_acting_for(
    tx: &mut crate::db::Tx,
    secret: &str,
    acting_for: Option<&str>,
) -> Result<bool> {
    let n = q_exec!(
        tx,
        "UPDATE web_sessions SET acting_for = $1 WHERE id_hash = $2 AND revoked_at IS NULL",
        acting_for,
        secret_hash(secret)
    )?;
    Ok(n == 1)
}

/// A session as its subject sees it: in the list of their sessions and in the export of their data.
#[derive(Debug, Clone, serde::Deserialize, sqlx::FromRow)]
pub struct SessionRecord {
    pub id_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

const SESSION_RECORD: &str =
    "id_hash, created_at, last_seen_at, expires_at, revoked_at, user_agent, ip";

/// The subject's sessions still live at `now`, newest first.
pub async fn live_sessions(
    c: &mut impl AsConn,
    kind: &str,
    subject_id: &str,
    now: i64,
) -> Result<Vec<SessionRecord>> {
    Ok(q_all!(
        c,
        SessionRecord,
        &format!(
            "SELECT {SESSION_RECORD} FROM web_sessions
              WHERE subject_kind = $1 AND subject_id = $2 AND revoked_at IS NULL
                AND expires_at > $3 AND last_seen_at + idle_timeout_ms > $3
              ORDER BY created_at DESC"
        ),
        kind,
        subject_id,
        now
    )?)
}

/// Every session the subject ever had, oldest first (for the export of their data).
pub async fn all_sessions(
    c: &mut impl AsConn,
    kind: &str,
    subject_id: &str,
) -> Result<Vec<SessionRecord>> {
    Ok(q_all!(
        c,
        SessionRecord,
        &format!(
            "SELECT {SESSION_RECORD} FROM web_sessions
              WHERE subject_kind = $1 AND subject_id = $2 ORDER BY created_at"
        ),
        kind,
        subject_id
    )?)
}

/// Ends every live session of the subject but the one of `keep` (a session secret), in the
/// caller's transaction (a password change, a restored account, «выйти на всех устройствах»).
/// Returns how many were ended.
pub async fn revoke_sessions(
    tx: &mut crate::db::Tx,
    kind: &str,
    subject_id: &str,
    keep: Option<&str>,
    now: i64,
) -> Result<u64> {
    let keep = keep.map(secret_hash).unwrap_or_default();
    Ok(q_exec!(
        tx,
        "UPDATE web_sessions SET revoked_at = $1
          WHERE subject_kind = $2 AND subject_id = $3 AND revoked_at IS NULL AND id_hash <> $4",
        now,
        kind,
        subject_id,
        &keep
    )?)
}

/// Ends a session (sign-out).
pub async fn close_session(db: &Db, actor: &Actor, secret: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let n = q_exec!(
        &mut tx,
        "UPDATE web_sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL",
        crate::clock::now_ms(),
        secret_hash(secret)
    )?;
    if n == 1 {
        let subject_type = match actor.kind {
            ActorKind::Account => "account",
            _ => "api_token",
        };
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "kernel.session.closed",
                subject_type,
                subject_id: actor.id.as_deref().unwrap_or(""),
                details: serde_json::json!({ "channel": "web" }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_hash_is_kept() {
        let a = random_secret("okno_");
        let b = random_secret("okno_");
        assert_ne!(a, b);
        assert!(a.starts_with("okno_") && a.len() > 40);
        assert_eq!(secret_hash(&a).len(), 64);
        assert!(!secret_hash(&a).contains(&a[5..]));
    }

    #[test]
    fn expired_or_revoked_tokens_give_no_actor() {
        let row = |expires_at, revoked_at| TokenRow {
            id: "t".into(),
            name: "n".into(),
            roles: "administrator,auditor".into(),
            expires_at,
            revoked_at,
        };
        let a = token_actor(row(None, None), 10).unwrap();
        assert_eq!(a.roles, vec![Role::Administrator, Role::Auditor]);
        assert!(token_actor(row(Some(10), None), 10).is_none());
        assert!(token_actor(row(None, Some(5)), 10).is_none());
    }
}
