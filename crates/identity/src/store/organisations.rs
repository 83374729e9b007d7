//! `organisations` (a legal entity or a sole proprietor; a sole proprietor's ИНН encrypted) and
//! `organisation_members` (who acts for it, with which role).

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};

/// The kind of an organisation (`legal_entity`, `sole_proprietor`).
pub async fn organisation_kind(
    c: &mut impl AsConn,
    id: &str,
) -> std::result::Result<Option<String>, sqlx::Error> {
    Ok(q_opt!(
        c,
        (String,),
        "SELECT kind FROM organisations WHERE id = $1",
        id
    )?
    .map(|r| r.0))
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct NameRow {
    short_name: String,
}

/// The organisation's short name, if there is such an organisation.
pub(crate) async fn organisation_short_name(
    c: &mut impl AsConn,
    id: &str,
) -> Result<Option<String>> {
    Ok(q_opt!(
        c,
        NameRow,
        "SELECT short_name FROM organisations WHERE id = $1",
        id
    )?
    .map(|o| o.short_name))
}

/// An organisation with the role of one of its members.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct MembershipRow {
    pub id: String,
    pub kind: String,
    pub ogrn: String,
    pub inn: Option<String>,
    pub inn_enc: Option<String>,
    pub kpp: Option<String>,
    pub full_name: String,
    pub short_name: String,
    pub role: String,
}

/// A member of an organisation, with their name.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub account_id: String,
    pub name: String,
    pub role: String,
    pub added_at: i64,
}

const MEMBERSHIP_SELECT: &str =
    "SELECT o.id, o.kind, o.ogrn, o.inn, o.inn_enc, o.kpp, o.full_name, o.short_name, m.role
    FROM organisations o JOIN organisation_members m ON m.organisation_id = o.id";

const MEMBER_SELECT: &str = "SELECT m.account_id, a.display_name AS name, m.role, m.added_at
    FROM organisation_members m JOIN accounts a ON a.id = m.account_id";

/// The organisations the account is a member of, oldest membership first.
pub(crate) async fn memberships_of(
    c: &mut impl AsConn,
    account_id: &str,
) -> Result<Vec<MembershipRow>> {
    Ok(q_all!(
        c,
        MembershipRow,
        &format!("{MEMBERSHIP_SELECT} WHERE m.account_id = $1 ORDER BY m.added_at, o.short_name"),
        account_id
    )?)
}

/// The organisation `org_id` with the role of `account_id`, when they are its member.
pub(crate) async fn membership(
    c: &mut impl AsConn,
    org_id: &str,
    account_id: &str,
) -> Result<Option<MembershipRow>> {
    Ok(q_opt!(
        c,
        MembershipRow,
        &format!("{MEMBERSHIP_SELECT} WHERE o.id = $1 AND m.account_id = $2"),
        org_id,
        account_id
    )?)
}

/// The organisation's members, oldest first.
pub(crate) async fn members_of(c: &mut impl AsConn, org_id: &str) -> Result<Vec<MemberRow>> {
    Ok(q_all!(
        c,
        MemberRow,
        &format!(
            "{MEMBER_SELECT} WHERE m.organisation_id = $1 ORDER BY m.added_at, a.display_name"
        ),
        org_id
    )?)
}

pub(crate) async fn member(
    tx: &mut Tx,
    org_id: &str,
    account_id: &str,
) -> Result<Option<MemberRow>> {
    Ok(q_opt!(
        tx,
        MemberRow,
        &format!("{MEMBER_SELECT} WHERE m.organisation_id = $1 AND m.account_id = $2"),
        org_id,
        account_id
    )?)
}

/// Bumps the organisation's `updated_at`: on PostgreSQL this also locks its row until the
/// transaction ends.
pub(crate) async fn touch_organisation(tx: &mut Tx, now: i64, org_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE organisations SET updated_at = $1 WHERE id = $2",
        now,
        org_id
    )?;
    Ok(())
}

/// How many heads the organisation has.
pub(crate) async fn heads(tx: &mut Tx, org_id: &str) -> Result<i64> {
    Ok(q_scalar!(
        tx,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM organisation_members WHERE organisation_id = $1 AND role = 'head'",
        org_id
    )?)
}

pub(crate) struct NewOrganisationRow<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub ogrn: &'a str,
    /// A legal entity's ИНН, in clear.
    pub inn: Option<&'a str>,
    /// A sole proprietor's ИНН (the person's own), encrypted.
    pub inn_enc: Option<&'a str>,
    pub kpp: Option<&'a str>,
    pub full_name: &'a str,
    pub short_name: &'a str,
    pub created_by: &'a str,
    pub now: i64,
}

/// `false` when an organisation with this ОГРН (ОГРНИП) is already registered.
pub(crate) async fn insert_organisation(tx: &mut Tx, n: &NewOrganisationRow<'_>) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "INSERT INTO organisations (id, kind, ogrn, inn, inn_enc, kpp, full_name, short_name, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (ogrn) DO NOTHING",
        n.id,
        n.kind,
        n.ogrn,
        n.inn,
        n.inn_enc,
        n.kpp,
        n.full_name,
        n.short_name,
        n.created_by,
        n.now
    )? != 0)
}

pub(crate) async fn insert_member(
    tx: &mut Tx,
    org_id: &str,
    account_id: &str,
    role: &str,
    added_by: &str,
    now: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO organisation_members (organisation_id, account_id, role, added_by, added_at) VALUES ($1, $2, $3, $4, $5)",
        org_id,
        account_id,
        role,
        added_by,
        now
    )?;
    Ok(())
}

pub(crate) async fn set_member_role(
    tx: &mut Tx,
    role: &str,
    org_id: &str,
    account_id: &str,
) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE organisation_members SET role = $1 WHERE organisation_id = $2 AND account_id = $3",
        role,
        org_id,
        account_id
    )?;
    Ok(())
}

pub(crate) async fn delete_member(tx: &mut Tx, org_id: &str, account_id: &str) -> Result<()> {
    q_exec!(
        tx,
        "DELETE FROM organisation_members WHERE organisation_id = $1 AND account_id = $2",
        org_id,
        account_id
    )?;
    Ok(())
}
