//! SQL of polls, written once for both engines (portable `$n` SQL; see kernel/db.rs): `polls`,
//! their questions, the votes and the answers.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::{q_all, q_exec, q_opt};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct PollRow {
    pub id: String,
    pub title: String,
    pub region_code: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub live_results: i64,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct QuestionRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub options: String,
}

#[derive(Debug, Clone, Deserialize, sqlx::FromRow)]
pub struct AnswerRow {
    pub question_id: String,
    pub value: String,
}

#[derive(Deserialize, sqlx::FromRow)]
struct Count {
    n: i64,
}

/// A new poll's row.
pub struct NewPollRow<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub region_code: Option<&'a str>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub live_results: i64,
    pub created_by: &'a str,
    pub created_at: i64,
}

pub async fn insert_poll(tx: &mut Tx, r: &NewPollRow<'_>) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO polls (id, title, region_code, starts_at, ends_at, live_results, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        r.id,
        r.title,
        r.region_code,
        r.starts_at,
        r.ends_at,
        r.live_results,
        r.created_by,
        r.created_at
    )
}

pub async fn insert_question(
    tx: &mut Tx,
    id: &str,
    poll: &str,
    position: i64,
    kind: &str,
    title: &str,
    options: &str,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO poll_questions (id, poll_id, position, kind, title, options) VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        poll,
        position,
        kind,
        title,
        options
    )
}

pub async fn poll(c: &mut impl AsConn, id: &str) -> Result<Option<PollRow>, sqlx::Error> {
    q_opt!(
        c,
        PollRow,
        "SELECT id, title, region_code, starts_at, ends_at, live_results FROM polls WHERE id = $1",
        id
    )
}

/// A poll's questions in their order.
pub async fn questions(c: &mut impl AsConn, poll: &str) -> Result<Vec<QuestionRow>, sqlx::Error> {
    q_all!(
        c,
        QuestionRow,
        "SELECT id, kind, title, options FROM poll_questions WHERE poll_id = $1 ORDER BY position",
        poll
    )
}

/// Every poll (at most 500), the latest to end first.
pub async fn polls(c: &mut impl AsConn) -> Result<Vec<PollRow>, sqlx::Error> {
    q_all!(
        c,
        PollRow,
        "SELECT id, title, region_code, starts_at, ends_at, live_results FROM polls
         ORDER BY ends_at DESC, id LIMIT 500"
    )
}

/// How many votes this account has in the poll (0 or 1).
pub async fn votes_of(c: &mut impl AsConn, poll: &str, account: &str) -> Result<i64, sqlx::Error> {
    Ok(q_opt!(
        c,
        Count,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM poll_votes WHERE poll_id = $1 AND account_id = $2",
        poll,
        account
    )?
    .map_or(0, |c| c.n))
}

/// How many votes the poll has.
pub async fn votes(c: &mut impl AsConn, poll: &str) -> Result<i64, sqlx::Error> {
    Ok(q_opt!(
        c,
        Count,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM poll_votes WHERE poll_id = $1",
        poll
    )?
    .map_or(0, |r| r.n))
}

/// The vote's row; 0 rows when this account has voted already (the primary key).
pub async fn insert_vote(
    tx: &mut Tx,
    poll: &str,
    account: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO poll_votes (poll_id, account_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        poll,
        account,
        at
    )
}

pub async fn insert_answer(
    tx: &mut Tx,
    id: &str,
    poll: &str,
    question: &str,
    value: &str,
) -> Result<u64, sqlx::Error> {
    q_exec!(
        tx,
        "INSERT INTO poll_answers (id, poll_id, question_id, value) VALUES ($1, $2, $3, $4)",
        id,
        poll,
        question,
        value
    )
}

/// Every answer of the poll.
pub async fn answers(c: &mut impl AsConn, poll: &str) -> Result<Vec<AnswerRow>, sqlx::Error> {
    q_all!(
        c,
        AnswerRow,
        "SELECT question_id, value FROM poll_answers WHERE poll_id = $1",
        poll
    )
}
