//! Who may act on an agency's charges: an official assigned to it (the services part keeps the
//! assignments), or the platform itself.

use okno_kernel::actor::{Actor, ActorKind, Permission};
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};

/// Refuses anyone but an official of `agency` (401 for nobody, 403 otherwise).
pub(super) async fn check_agency(db: &Db, actor: &Actor, agency: &str) -> Result<()> {
    if actor.kind == ActorKind::System {
        return Ok(());
    }
    actor.require(Permission::ChargesManage)?;
    if okno_services::service::my_agencies(db, actor)
        .await?
        .iter()
        .any(|a| a == agency)
    {
        Ok(())
    } else {
        Err(Problem::new(403, "charge.not_official", "Вы не сотрудник этого ведомства")
            .with_detail("Начислениями ведомства занимаются только его должностные лица. Обратитесь к администратору.")
            .into())
    }
}
