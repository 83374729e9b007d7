//! `known_devices` and `known_networks`: where an account signed in from before (blind indexes),
//! for the new-device and new-network alerts.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_all, q_exec, q_scalar};

/// Has the account signed in from this device (its blind index) before?
pub(crate) async fn device_known(tx: &mut Tx, account_id: &str, device_hash: &str) -> Result<bool> {
    Ok(q_scalar!(
        tx,
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM known_devices WHERE account_id = $1 AND device_hash = $2",
        account_id,
        device_hash
    )? > 0)
}

/// A sign-in from a device the account knows: whether it was known (a row was touched).
pub(crate) async fn touch_known_device(
    tx: &mut Tx,
    now: i64,
    account_id: &str,
    device_hash: &str,
) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "UPDATE known_devices SET last_seen_at = $1 WHERE account_id = $2 AND device_hash = $3",
        now,
        account_id,
        device_hash
    )? != 0)
}

pub(crate) async fn insert_known_device(
    tx: &mut Tx,
    account_id: &str,
    device_hash: &str,
    now: i64,
    user_agent: Option<String>,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO known_devices (account_id, device_hash, first_seen_at, last_seen_at, user_agent) VALUES ($1, $2, $3, $3, $4)",
        account_id,
        device_hash,
        now,
        user_agent
    )?;
    Ok(())
}

/// A sign-in from a network the account knows: whether it was known (a row was touched).
pub(crate) async fn touch_known_network(
    tx: &mut Tx,
    now: i64,
    account_id: &str,
    network_hash: &str,
) -> Result<bool> {
    Ok(q_exec!(
        tx,
        "UPDATE known_networks SET last_seen_at = $1 WHERE account_id = $2 AND network_hash = $3",
        now,
        account_id,
        network_hash
    )? != 0)
}

pub(crate) async fn insert_known_network(
    tx: &mut Tx,
    account_id: &str,
    network_hash: &str,
    now: i64,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO known_networks (account_id, network_hash, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)",
        account_id,
        network_hash,
        now
    )?;
    Ok(())
}

/// A device as the export of a person's data shows it.
#[derive(serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub(crate) struct ExportDevice {
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub user_agent: Option<String>,
}

pub(crate) async fn devices_of(c: &mut impl AsConn, account_id: &str) -> Result<Vec<ExportDevice>> {
    Ok(q_all!(
        c,
        ExportDevice,
        "SELECT first_seen_at, last_seen_at, user_agent FROM known_devices WHERE account_id = $1 ORDER BY first_seen_at",
        account_id
    )?)
}
