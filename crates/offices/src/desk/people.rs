//! The in-person flows done at a desk, which call identity: registering a person with a printed
//! справка, restoring access, confirming an account against the passport shown, finding one.

use okno_identity::desk::{Found, NewPerson, Representative};
use okno_identity::Identity;
use okno_kernel::actor::Actor;
use okno_kernel::db::Db;
use okno_kernel::error::Result;
use okno_kernel::pii::Secrets;

use super::access::current_desk;
use super::model::DeskIssued;
use super::receipt::{keep_receipt, receipt_pdf};

/// Registers a person at the desk and prepares the справка.
pub async fn register_person(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    public_url: &str,
    mut p: NewPerson,
) -> Result<DeskIssued> {
    let (o, ctx) = current_desk(db, actor).await?;
    let desk = ctx.desk(p.representative.take());
    let issued = okno_identity::desk::register_in_person(db, secrets, idn, actor, &desk, p).await?;
    let pdf = receipt_pdf(
        "Справка о регистрации учётной записи",
        &issued,
        &o,
        actor,
        &format!("{public_url}/login"),
    )?;
    let receipt_url = keep_receipt(db, secrets, actor, &issued.account_id, &pdf).await?;
    Ok(DeskIssued {
        issued,
        receipt_url,
        sign_in_url: None,
    })
}

/// Restores a person's access at the desk and prepares the справка with the new temporary password.
#[allow(clippy::too_many_arguments)]
pub async fn restore_access(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    public_url: &str,
    account_id: &str,
    passport: &str,
    method: okno_identity::desk::RestoreMethod,
    representative: Option<Representative>,
) -> Result<DeskIssued> {
    let (o, ctx) = current_desk(db, actor).await?;
    let issued = okno_identity::desk::restore_in_person(
        db,
        secrets,
        idn,
        actor,
        &ctx.desk(representative),
        account_id,
        passport,
        method,
    )
    .await?;
    let sign_in_url = issued
        .sign_in_code
        .as_ref()
        .map(|code| format!("{public_url}/login/link/{code}"));
    let pdf = receipt_pdf(
        "Справка о восстановлении доступа",
        &issued,
        &o,
        actor,
        sign_in_url
            .as_deref()
            .unwrap_or(&format!("{public_url}/login")),
    )?;
    let receipt_url = keep_receipt(db, secrets, actor, &issued.account_id, &pdf).await?;
    Ok(DeskIssued {
        issued,
        receipt_url,
        sign_in_url,
    })
}

/// Confirms an existing account at the desk against the passport shown.
pub async fn confirm(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    account_id: &str,
    c: okno_identity::confirmation::InPerson,
    representative: Option<Representative>,
) -> Result<okno_identity::model::Level> {
    let (_, ctx) = current_desk(db, actor).await?;
    let desk = ctx.desk(representative);
    okno_identity::confirmation::in_person(db, secrets, idn, actor, account_id, &desk, c).await
}

/// Finds an account at the desk by СНИЛС, phone or passport.
pub async fn find(db: &Db, secrets: &Secrets, actor: &Actor, query: &str) -> Result<Vec<Found>> {
    let (_, ctx) = current_desk(db, actor).await?;
    okno_identity::desk::find(db, secrets, actor, &ctx.desk(None), query).await
}
