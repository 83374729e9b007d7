//! The profile's columns of `accounts`: the person's names and documents (the passport, СНИЛС and
//! ИНН encrypted, with their blind indexes), the registry check, and what the desk, the bank and
//! access recovery compare with them.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_all, q_exec, q_opt, q_scalar};

/// The profile as stored: names in clear, documents encrypted.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct ProfileRow {
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub passport_enc: Option<String>,
    pub snils_enc: Option<String>,
    pub inn_enc: Option<String>,
    pub registry_check: Option<String>,
}

pub(crate) async fn profile_of(c: &mut impl AsConn, id: &str) -> Result<Option<ProfileRow>> {
    Ok(q_opt!(
        c,
        ProfileRow,
        "SELECT last_name, first_name, middle_name, birth_date, sex, passport_enc, snils_enc, inn_enc, registry_check FROM accounts WHERE id = $1",
        id
    )?)
}

/// A document whose blind index one account at most may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DocumentIndex {
    Snils,
    Passport,
    Inn,
}

impl DocumentIndex {
    fn column(self) -> &'static str {
        match self {
            DocumentIndex::Snils => "snils_idx",
            DocumentIndex::Passport => "passport_idx",
            DocumentIndex::Inn => "inn_idx",
        }
    }
}

/// Does an account other than `id` hold this document (its blind index `idx`)?
pub(crate) async fn document_held_by_another(
    tx: &mut Tx,
    document: DocumentIndex,
    idx: &str,
    id: &str,
) -> Result<bool> {
    let column = document.column();
    Ok(q_scalar!(
        tx,
        i64,
        &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE {column} = $1 AND id <> $2"),
        idx,
        id
    )? > 0)
}

/// A profile saved by its owner, with the registry's answer and the level it gives.
pub(crate) struct ProfileUpdate<'a> {
    pub id: &'a str,
    pub last_name: &'a str,
    pub first_name: &'a str,
    pub middle_name: Option<&'a str>,
    pub birth_date: &'a str,
    pub sex: &'a str,
    pub passport_enc: String,
    pub passport_idx: &'a str,
    pub snils_enc: String,
    pub snils_idx: &'a str,
    pub inn_enc: Option<String>,
    pub inn_idx: Option<&'a str>,
    pub display_name: &'a str,
    pub level: &'a str,
    pub registry_check: &'a str,
    pub registry_checked_at: i64,
}

pub(crate) async fn update_profile(tx: &mut Tx, u: &ProfileUpdate<'_>) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET last_name = $1, first_name = $2, middle_name = $3, birth_date = $4, sex = $5,
            passport_enc = $6, passport_idx = $7, snils_enc = $8, snils_idx = $9, inn_enc = $10, inn_idx = $11,
            display_name = $12, level = $13, registry_check = $14, registry_checked_at = $15
          WHERE id = $16",
        u.last_name,
        u.first_name,
        u.middle_name,
        u.birth_date,
        u.sex,
        &u.passport_enc,
        u.passport_idx,
        &u.snils_enc,
        u.snils_idx,
        u.inn_enc.as_deref(),
        u.inn_idx,
        u.display_name,
        u.level,
        u.registry_check,
        u.registry_checked_at,
        u.id
    )?;
    Ok(())
}

/// What the desk compares the passport shown with.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct PassportAndBirth {
    pub passport_idx: Option<String>,
    pub birth_date: Option<String>,
}

pub(crate) async fn passport_and_birth(tx: &mut Tx, id: &str) -> Result<Option<PassportAndBirth>> {
    Ok(q_opt!(
        tx,
        PassportAndBirth,
        "SELECT passport_idx, birth_date FROM accounts WHERE id = $1",
        id
    )?)
}

/// What a partner bank's data are compared with: the account found by its СНИЛС.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct BankDocs {
    pub id: String,
    pub passport_idx: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
}

pub(crate) async fn bank_docs(tx: &mut Tx, snils_idx: &str) -> Result<Option<BankDocs>> {
    Ok(q_opt!(
        tx,
        BankDocs,
        "SELECT id, passport_idx, last_name, first_name, middle_name, birth_date FROM accounts WHERE snils_idx = $1",
        snils_idx
    )?)
}

/// The account's identity was confirmed in person (at a desk or by a bank).
pub(crate) async fn mark_confirmed(tx: &mut Tx, now: i64, id: &str) -> Result<()> {
    q_exec!(
        tx,
        "UPDATE accounts SET level = 'confirmed', registry_checked_at = $1 WHERE id = $2",
        now,
        id
    )?;
    Ok(())
}

/// The blind indexes of the documents access recovery accepts.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct RecoveryDocs {
    pub snils_idx: Option<String>,
    pub passport_idx: Option<String>,
}

pub(crate) async fn recovery_docs(tx: &mut Tx, id: &str) -> Result<Option<RecoveryDocs>> {
    Ok(q_opt!(
        tx,
        RecoveryDocs,
        "SELECT snils_idx, passport_idx FROM accounts WHERE id = $1",
        id
    )?)
}

/// What the desk compares before restoring access, and the СНИЛС the справка shows as login.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct RestoreDocs {
    pub passport_idx: Option<String>,
    pub snils_enc: Option<String>,
}

pub(crate) async fn restore_docs(tx: &mut Tx, id: &str) -> Result<Option<RestoreDocs>> {
    Ok(q_opt!(
        tx,
        RestoreDocs,
        "SELECT passport_idx, snils_enc FROM accounts WHERE id = $1",
        id
    )?)
}

/// A person's account found at the desk.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct FoundRow {
    pub id: String,
    pub display_name: String,
    pub level: String,
    pub status: String,
    pub birth_date: Option<String>,
}

/// People's accounts holding this СНИЛС, passport (blind indexes) or phone, oldest first.
pub(crate) async fn find_people(
    tx: &mut Tx,
    snils_idx: Option<&str>,
    passport_idx: Option<&str>,
    phone: Option<&str>,
) -> Result<Vec<FoundRow>> {
    Ok(q_all!(
        tx,
        FoundRow,
        "SELECT id, display_name, level, status, birth_date FROM accounts WHERE kind = 'person' AND (snils_idx = $1 OR passport_idx = $2 OR phone = $3) ORDER BY created_at",
        snils_idx,
        passport_idx,
        phone
    )?)
}

/// The profile and consent as the export of a person's data shows them.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct ExportProfile {
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub passport_enc: Option<String>,
    pub snils_enc: Option<String>,
    pub inn_enc: Option<String>,
    pub registry_check: Option<String>,
    pub registry_checked_at: Option<i64>,
    pub consent_version: Option<String>,
    pub consent_at: Option<i64>,
}

pub(crate) async fn export_profile(c: &mut impl AsConn, id: &str) -> Result<Option<ExportProfile>> {
    Ok(q_opt!(
        c,
        ExportProfile,
        "SELECT last_name, first_name, middle_name, birth_date, sex, passport_enc, snils_enc, inn_enc,
                    registry_check, registry_checked_at, consent_version, consent_at FROM accounts WHERE id = $1",
        id
    )?)
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct InnIndex {
    inn_idx: Option<String>,
}

/// The blind index of the ИНН in the account's profile, if it holds one.
pub(crate) async fn inn_index(tx: &mut Tx, id: &str) -> Result<Option<String>> {
    Ok(q_opt!(
        tx,
        InnIndex,
        "SELECT inn_idx FROM accounts WHERE id = $1",
        id
    )?
    .and_then(|r| r.inn_idx))
}

/// A person's level and the blind indexes of their СНИЛС and ИНН.
#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct DocumentKeys {
    pub level: String,
    pub snils_idx: Option<String>,
    pub inn_idx: Option<String>,
}

pub(crate) async fn document_keys(c: &mut impl AsConn, id: &str) -> Result<Option<DocumentKeys>> {
    Ok(q_opt!(
        c,
        DocumentKeys,
        "SELECT level, snils_idx, inn_idx FROM accounts WHERE id = $1 AND kind = 'person'",
        id
    )?)
}

/// The person whose checked profile (standard or confirmed level) holds this document.
pub(crate) async fn checked_holder(
    c: &mut impl AsConn,
    document: DocumentIndex,
    idx: &str,
) -> Result<Option<String>> {
    let column = document.column();
    Ok(q_opt!(
        c,
        (String,),
        &format!(
            "SELECT id FROM accounts WHERE kind = 'person' AND {column} = $1
               AND level IN ('standard', 'confirmed') ORDER BY created_at LIMIT 1"
        ),
        idx
    )?
    .map(|(id,)| id))
}
