//! Voting: once, by an account of the level «подтверждённая», in the period and the audience.

use okno_kernel::actor::{Actor, ActorKind};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Tx;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::Platform;
use serde_json::Value;

use super::model::{invalid, scale_bounds, Ballot, QuestionKind};
use super::read::load;
use super::store::{self, PollRow, QuestionRow};

/// Votes once: an account of the level «подтверждённая», in the period, in the audience. The
/// vote row and the answers commit together; a second vote — however concurrent — hits the
/// primary key of `poll_votes` and is refused with `poll.already_voted`.
pub async fn vote(p: &Platform, actor: &Actor, id: &str, b: Ballot) -> Result<()> {
    let me = voter(actor)?;
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    let (poll, qs) = load(&mut tx, id).await?;
    if !(poll.starts_at <= now && now < poll.ends_at) {
        return Err(Problem::conflict("poll.closed", "Опрос сейчас не проводится.").into());
    }
    check_level(&mut tx, &me).await?;
    check_audience(&mut tx, &poll, &b).await?;
    let values = answers(&qs, &b)?;
    record(&mut tx, id, &me, now, values).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "appeals.poll.voted",
            subject_type: "poll",
            subject_id: id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The person's account that votes; anyone else is refused.
fn voter(actor: &Actor) -> Result<String> {
    match (actor.kind, actor.id.as_deref()) {
        (ActorKind::Account, Some(id)) => Ok(id.to_string()),
        (ActorKind::Anonymous, _) => Err(Problem::unauthenticated().into()),
        _ => Err(Problem::new(403, "poll.person_only", "Только для граждан")
            .with_detail("Голосовать может только человек, вошедший в личный кабинет.")
            .into()),
    }
}

async fn check_level(tx: &mut Tx, me: &str) -> Result<()> {
    let level = okno_identity::store::account_level(tx, me)
        .await?
        .unwrap_or_default();
    if level != "confirmed" {
        return Err(Problem::new(403, "poll.level_too_low", "Нужна подтверждённая учётная запись")
            .with_detail("Голосовать могут только владельцы подтверждённой учётной записи: подтвердите личность в центре обслуживания или через банк.")
            .into());
    }
    Ok(())
}

/// A regional poll takes the votes of that region's municipalities only.
async fn check_audience(tx: &mut Tx, poll: &PollRow, b: &Ballot) -> Result<()> {
    let Some(region) = &poll.region_code else {
        return Ok(());
    };
    let ok = match b.municipality.as_deref() {
        Some(m) => crate::store::territories(tx)
            .await?
            .iter()
            .any(|t| t.code == m && t.region_code.as_deref() == Some(region)),
        None => false,
    };
    if !ok {
        return Err(Problem::new(403, "poll.audience", "Опрос для жителей другого региона")
            .with_detail("Этот опрос проводится среди жителей региона: укажите своё муниципальное образование в нём.")
            .into());
    }
    Ok(())
}

/// The ballot's answers as rows (question id, value), each checked against its question; at
/// least one.
fn answers(qs: &[QuestionRow], b: &Ballot) -> Result<Vec<(String, String)>> {
    let mut values = Vec::new();
    for q in qs {
        let Some(v) = b.answers.get(&q.id) else {
            continue;
        };
        for value in answer(q, v)? {
            values.push((q.id.clone(), value));
        }
    }
    if values.is_empty() {
        return Err(invalid(
            "answers",
            "poll.empty",
            "Ответьте хотя бы на один вопрос.",
        ));
    }
    Ok(values)
}

/// One answer's values: a choice's index, several distinct indexes, a number in the scale, text.
fn answer(q: &QuestionRow, v: &Value) -> Result<Vec<String>> {
    let kind = QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text);
    let options: Vec<String> = serde_json::from_str(&q.options).unwrap_or_default();
    let bad = || -> Error {
        invalid(
            &q.id,
            "poll.answer",
            "Ответ на вопрос не подходит к его виду.",
        )
    };
    let choice = |x: &Value| {
        x.as_u64()
            .filter(|i| (*i as usize) < options.len())
            .ok_or_else(bad)
    };
    match kind {
        QuestionKind::Single => Ok(vec![choice(v)?.to_string()]),
        QuestionKind::Multiple => {
            let mut seen = std::collections::BTreeSet::new();
            let mut out = Vec::new();
            for x in v.as_array().ok_or_else(bad)? {
                let i = choice(x)?;
                if seen.insert(i) {
                    out.push(i.to_string());
                }
            }
            Ok(out)
        }
        QuestionKind::Scale => {
            let (lo, hi) = scale_bounds(&options);
            let n = v
                .as_i64()
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(bad)?;
            Ok(vec![n.to_string()])
        }
        QuestionKind::Text => {
            let t = v
                .as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty() && t.chars().count() <= 2000)
                .ok_or_else(bad)?;
            Ok(vec![t.to_string()])
        }
    }
}

/// The vote's row, then its answers; a second vote of the account is refused.
async fn record(
    tx: &mut Tx,
    id: &str,
    me: &str,
    now: i64,
    values: Vec<(String, String)>,
) -> Result<()> {
    if store::insert_vote(tx, id, me, now).await? != 1 {
        return Err(
            Problem::conflict("poll.already_voted", "Вы уже проголосовали в этом опросе.").into(),
        );
    }
    for (q, v) in values {
        store::insert_answer(tx, &new_id(), id, &q, &v).await?;
    }
    Ok(())
}
