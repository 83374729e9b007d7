//! People for test and training installations: an account at a chosen level that no document
//! stands behind, made from the command line (`okno admin person create`), never over HTTP. It
//! has no password and no contacts; it is used through the session the command opens. Each one
//! is audited as `identity.person.seeded`, so a reader of the journal sees which accounts no
//! check stands behind.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth::{self, SessionSubject};
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};

use crate::model::{field, Level};
use crate::register::check_full_name;
use crate::settings::Identity;
use crate::store;

/// A person to add.
#[derive(Debug, Clone)]
pub struct SeededPerson {
    /// The account's id; a new one when `None`.
    pub id: Option<String>,
    pub full_name: String,
    pub level: Level,
}

/// The account made and, when asked for, the secret of its session (shown only once).
#[derive(Debug)]
pub struct Seeded {
    pub account_id: String,
    pub session: Option<String>,
}

/// Adds a person at a level, audited, and opens a session for them when `with_session`.
pub async fn add_person(
    db: &Db,
    idn: &Identity,
    actor: &Actor,
    p: SeededPerson,
    with_session: bool,
) -> Result<Seeded> {
    if let Some(e) = check_full_name(&p.full_name) {
        return Err(Problem::invalid_fields(vec![e]).into());
    }
    let id = p.id.unwrap_or_else(new_id);
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        let e = field(
            "id",
            "account.id_invalid",
            "Идентификатор — латинские буквы, цифры и дефис, не длиннее 64 знаков.",
        );
        return Err(Problem::invalid_fields(vec![e]).into());
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let added =
        store::insert_seeded_person(&mut tx, &id, p.level.as_str(), p.full_name.trim(), now)
            .await?;
    if !added {
        return Err(Problem::conflict(
            "account.exists",
            "Учётная запись с таким идентификатором уже есть.",
        )
        .into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.person.seeded",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "level": p.level.as_str(), "session": with_session }),
        },
    )
    .await?;
    let session = match with_session {
        true => {
            let subject = SessionSubject {
                kind: "account".into(),
                id: id.clone(),
                acting_for: None,
            };
            Some(auth::open_session(&mut tx, &subject, idn.settings.session, None, None).await?)
        }
        false => None,
    };
    tx.commit().await?;
    Ok(Seeded {
        account_id: id,
        session,
    })
}
