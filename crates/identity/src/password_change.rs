//! Changing the password: the policy, the last five, the sessions ended and the person told.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth::{self};
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};

use crate::model::{invalid, own_account, password_errors};
use crate::privacy::alert;
use crate::settings::Identity;
use crate::store::{self, load, AccountRow};

/// Checks a new password against the policy (with the person's own data) and the last 5, and
/// hashes it. Every failed rule is reported at once.
pub(crate) async fn new_password_hash(
    db: &Db,
    idn: &Identity,
    a: &AccountRow,
    new: &str,
) -> Result<String> {
    let mut personal: Vec<&str> = a.display_name.split_whitespace().collect();
    if let Some(p) = &a.phone {
        personal.push(p);
    }
    if let Some(e) = &a.email {
        personal.push(e);
    }
    let errors = password_errors(&idn.policy, "password", new, &personal);
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let history = {
        let mut c = db.read().await?;
        store::recent_password_hashes(&mut c, &a.id).await?
    };
    for h in &history {
        if idn.hasher.verify(h, new).await.map_err(Error::internal)? {
            return Err(Problem::invalid_field("password", "password.reused", "Этот пароль уже использовался. Придумайте пароль, которого не было среди пяти последних.").into());
        }
    }
    idn.hasher.hash(new).await.map_err(Error::internal)
}

/// Stores a new password hash in the transaction, ends every session of the account but
/// `keep_session`, and tells the person. Returns how many sessions ended.
pub(crate) async fn store_password(
    tx: &mut Tx,
    a: &AccountRow,
    hash: &str,
    keep_session: Option<&str>,
) -> Result<u64> {
    let now = now_ms();
    store::set_password(tx, hash, now, &a.id).await?;
    store::remember_password(tx, &a.id, hash, now).await?;
    let ended = auth::revoke_sessions(tx, "account", &a.id, keep_session, now).await?;
    alert(
        tx,
        a,
        "Пароль изменён",
        "Пароль от вашей учётной записи изменён. Если это были не вы, срочно восстановите доступ.",
    )
    .await?;
    Ok(ended)
}

/// Changes the password: the current one is checked (unless nobody knows it: after a sign-in by a
/// desk's one-time QR code), the new one must pass the policy and differ from the last 5. Every
/// other session of the account is ended, and the person is told.
pub async fn change_password(
    db: &Db,
    idn: &Identity,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> Result<()> {
    let id = own_account(actor)?;
    let a = {
        let mut tx = db.begin().await?;
        load(&mut tx, id).await?
    };
    let known = a.must_change_password != store::NO_PASSWORD_KNOWN;
    if known
        && !idn
            .hasher
            .verify(&a.password_hash, current)
            .await
            .map_err(Error::internal)?
    {
        return Err(Problem::invalid_field(
            "current",
            "password.current_wrong",
            "Текущий пароль введён неверно.",
        )
        .into());
    }
    let hash = new_password_hash(db, idn, &a, new).await?;
    let mut tx = db.begin().await?;
    let ended = store_password(&mut tx, &a, &hash, keep_session).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.password.changed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "other_sessions_ended": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
