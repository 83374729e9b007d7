//! An office's terminals: registering a desk or a kiosk (its credential shown once), revoking
//! one, listing them.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Problem, Result};
use rand::RngCore;

use super::access::managed_office;
use super::model::{DeviceKind, DeviceView, Registered};
use super::store;

/// Registers a desk terminal or kiosk at an office and gives its credential (shown once).
pub async fn register_device(
    db: &Db,
    actor: &Actor,
    office: &str,
    kind: DeviceKind,
    name: &str,
) -> Result<Registered> {
    let name = valid_name(name)?;
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, actor, office).await?;
    let credential = new_credential();
    let device = DeviceView {
        id: new_id(),
        office_code: o.code.clone(),
        kind: kind.as_str().into(),
        name: name.into(),
        created_at: now_ms(),
        revoked_at: None,
    };
    store::insert_device(&mut tx, &device, auth::secret_hash(&credential)).await?;
    record_registered(&mut tx, actor, &device).await?;
    tx.commit().await?;
    Ok(Registered { device, credential })
}

/// A terminal's name, trimmed: from 1 to 60 characters.
fn valid_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Problem::invalid_field(
            "name",
            "device.name_invalid",
            "Название рабочего места — от 1 до 60 символов, например «Окно 3».",
        )
        .into());
    }
    Ok(name)
}

/// A fresh terminal credential: `okno_dev_` and 24 random bytes in hex.
fn new_credential() -> String {
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("okno_dev_{}", hex_string(&b))
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn record_registered(tx: &mut Tx, actor: &Actor, device: &DeviceView) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "offices.device.registered",
            subject_type: "device",
            subject_id: &device.id,
            details: serde_json::json!({ "office": device.office_code, "kind": device.kind, "name": device.name }),
        },
    )
    .await?;
    Ok(())
}

/// Revokes a terminal's credential: it is refused from the next request on.
pub async fn revoke_device(db: &Db, actor: &Actor, office: &str, id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, actor, office).await?;
    let n = store::revoke_device(&mut tx, now_ms(), id, &o.code).await?;
    if n == 0 {
        return Err(Problem::not_found("Действующее рабочее место не найдено.").into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.device.revoked",
            subject_type: "device",
            subject_id: id,
            details: serde_json::json!({ "office": o.code }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The office's terminals.
pub async fn devices(db: &Db, actor: &Actor, office: &str) -> Result<Vec<DeviceView>> {
    let mut tx = db.begin().await?;
    let o = managed_office(&mut tx, actor, office).await?;
    let v = store::devices(&mut tx, &o.code).await?;
    tx.commit().await?;
    Ok(v)
}
