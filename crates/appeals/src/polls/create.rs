//! Creating a poll: the administrator's input checked, the poll and its questions stored with
//! the audit record in one transaction.

use okno_kernel::actor::{Actor, Permission};
use okno_kernel::audit;
use okno_kernel::clock::{new_id, now_ms, parse_instant};
use okno_kernel::db::Tx;
use okno_kernel::error::Result;
use okno_kernel::Platform;

use super::model::{invalid, NewPoll, NewQuestion, PollView, QuestionKind};
use super::read::poll;
use super::store::{self, NewPollRow};

/// A new poll's title and period, checked.
struct Checked {
    title: String,
    start: i64,
    end: i64,
}

/// Creates a poll (administrators with `polls.manage`).
pub async fn create(p: &Platform, actor: &Actor, n: NewPoll) -> Result<PollView> {
    actor.require(Permission::PollsManage)?;
    let checked = check(&n)?;
    let id = new_id();
    let now = now_ms();
    let mut tx = p.db.begin().await?;
    check_region(&mut tx, n.region.as_deref()).await?;
    insert(&mut tx, actor, &id, &n, &checked, now).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "appeals.poll.created",
            subject_type: "poll",
            subject_id: &id,
            details: serde_json::json!({ "title": checked.title, "questions": n.questions.len(), "region": n.region }),
        },
    )
    .await?;
    tx.commit().await?;
    poll(p, &id).await
}

/// The title, the period and the questions, in that order.
fn check(n: &NewPoll) -> Result<Checked> {
    let title = n.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(invalid(
            "title",
            "poll.title",
            "Название — от 1 до 300 знаков.",
        ));
    }
    let (start, end) = check_period(n)?;
    check_questions(&n.questions)?;
    Ok(Checked { title, start, end })
}

fn check_period(n: &NewPoll) -> Result<(i64, i64)> {
    let (Some(start), Some(end)) = (parse_instant(&n.starts_at), parse_instant(&n.ends_at)) else {
        return Err(invalid(
            "ends_at",
            "poll.period",
            "Укажите начало и конец в формате RFC 3339.",
        ));
    };
    if end <= start {
        return Err(invalid(
            "ends_at",
            "poll.period",
            "Конец опроса должен быть позже начала.",
        ));
    }
    Ok((start, end))
}

fn check_questions(questions: &[NewQuestion]) -> Result<()> {
    if questions.is_empty() || questions.len() > 50 {
        return Err(invalid(
            "questions",
            "poll.questions",
            "В опросе от 1 до 50 вопросов.",
        ));
    }
    for (i, q) in questions.iter().enumerate() {
        if !well_formed(q) || q.title.trim().is_empty() {
            return Err(invalid(
                &format!("questions[{i}]"),
                "poll.question",
                "У вопроса с выбором 2–30 вариантов, у шкалы — два числа [от, до], у текстового — ни одного.",
            ));
        }
    }
    Ok(())
}

/// Whether a question's options fit its kind.
fn well_formed(q: &NewQuestion) -> bool {
    match q.kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            (2..=30).contains(&q.options.len()) && q.options.iter().all(|o| !o.trim().is_empty())
        }
        QuestionKind::Scale => {
            q.options.len() == 2
                && matches!((q.options[0].parse::<i64>(), q.options[1].parse::<i64>()), (Ok(a), Ok(b)) if a < b && b - a <= 100)
        }
        QuestionKind::Text => q.options.is_empty(),
    }
}

/// The audience is a region the platform knows (a territory with no region above it).
async fn check_region(tx: &mut Tx, region: Option<&str>) -> Result<()> {
    let Some(r) = region else {
        return Ok(());
    };
    let known = crate::store::territories(tx)
        .await?
        .iter()
        .any(|t| t.code == r && t.region_code.is_none());
    if !known {
        return Err(invalid("region", "poll.region", "Такого региона нет."));
    }
    Ok(())
}

/// The poll's row and its questions' rows, in their order.
async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    n: &NewPoll,
    c: &Checked,
    now: i64,
) -> Result<()> {
    let created_by = actor.id.clone().unwrap_or_else(|| "system".into());
    let row = NewPollRow {
        id,
        title: &c.title,
        region_code: n.region.as_deref(),
        starts_at: c.start,
        ends_at: c.end,
        live_results: i64::from(n.live_results),
        created_by: &created_by,
        created_at: now,
    };
    store::insert_poll(tx, &row).await?;
    for (i, q) in n.questions.iter().enumerate() {
        store::insert_question(
            tx,
            &new_id(),
            id,
            i as i64,
            q.kind.as_str(),
            q.title.trim(),
            &serde_json::to_string(&q.options)?,
        )
        .await?;
    }
    Ok(())
}
