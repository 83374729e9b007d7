//! SQL of the identity part that other parts may ask through its functions (never its tables):
//! what they need to know of an account or an organisation, read in the caller's connection or
//! transaction so that the answer agrees with what the caller writes.

use okno_kernel::db::AsConn;
use okno_kernel::q_opt;

/// The level of an account (`registered`, `simplified`, `standard`, `confirmed`), or `None`
/// when there is no such account.
pub async fn account_level(c: &mut impl AsConn, id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(c, (String,), "SELECT level FROM accounts WHERE id = $1", id)?.map(|r| r.0))
}

/// The name of a person's account that is not blocked.
pub async fn person_name(c: &mut impl AsConn, id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT display_name FROM accounts WHERE id = $1 AND kind = 'person' AND status <> 'blocked'",
        id
    )?
    .map(|r| r.0))
}

/// The kind of an organisation (`legal_entity`, `sole_proprietor`).
pub async fn organisation_kind(
    c: &mut impl AsConn,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT kind FROM organisations WHERE id = $1",
        id
    )?
    .map(|r| r.0))
}
