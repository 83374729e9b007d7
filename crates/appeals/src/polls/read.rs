//! Reading polls: one poll with its questions, the list, whether an account has voted.

use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::Platform;

use super::model::{PollListed, PollState, PollView, QuestionKind, QuestionView};
use super::store::{self, PollRow, QuestionRow};

/// A poll and its questions, or `404`.
pub(super) async fn load(
    c: &mut impl okno_kernel::db::AsConn,
    id: &str,
) -> Result<(PollRow, Vec<QuestionRow>)> {
    let poll = store::poll(c, id)
        .await?
        .ok_or_else(|| Error::from(Problem::not_found("Опрос не найден.")))?;
    let qs = store::questions(c, id).await?;
    Ok((poll, qs))
}

fn view(poll: PollRow, qs: Vec<QuestionRow>, now: i64) -> PollView {
    PollView {
        open: poll.starts_at <= now && now < poll.ends_at,
        id: poll.id,
        title: poll.title,
        region_code: poll.region_code,
        starts_at: rfc3339(poll.starts_at),
        ends_at: rfc3339(poll.ends_at),
        live_results: poll.live_results == 1,
        questions: qs
            .into_iter()
            .map(|q| QuestionView {
                kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text),
                options: serde_json::from_str(&q.options).unwrap_or_default(),
                id: q.id,
                title: q.title,
            })
            .collect(),
    }
}

pub async fn poll(p: &Platform, id: &str) -> Result<PollView> {
    let mut c = p.db.read().await?;
    let (poll, qs) = load(&mut c, id).await?;
    Ok(view(poll, qs, now_ms()))
}

/// Every poll (at most 500): running ones first (the soonest to end on top), then those yet to
/// start (the soonest to start on top), then the closed ones (the latest to end on top).
pub async fn list(p: &Platform) -> Result<Vec<PollListed>> {
    let mut c = p.db.read().await?;
    let rows = store::polls(&mut c).await?;
    let now = now_ms();
    let mut rows: Vec<(PollState, PollRow)> = rows
        .into_iter()
        .map(|r| (PollState::at(r.starts_at, r.ends_at, now), r))
        .collect();
    rows.sort_by_key(|(s, r)| match s {
        PollState::Running => (0, r.ends_at),
        PollState::Upcoming => (1, r.starts_at),
        PollState::Closed => (2, -r.ends_at),
    });
    Ok(rows
        .into_iter()
        .map(|(state, r)| PollListed {
            id: r.id,
            title: r.title,
            region_code: r.region_code,
            starts_at: rfc3339(r.starts_at),
            ends_at: rfc3339(r.ends_at),
            live_results: r.live_results == 1,
            state,
        })
        .collect())
}

/// Whether this account has voted in the poll (false for anyone who is no person's account).
pub async fn has_voted(p: &Platform, actor: &Actor, id: &str) -> Result<bool> {
    let (ActorKind::Account, Some(me)) = (actor.kind, actor.id.as_deref()) else {
        return Ok(false);
    };
    let mut c = p.db.read().await?;
    Ok(store::votes_of(&mut c, id, me).await? > 0)
}
