//! `notification_preferences`: which channel a person keeps on for which topic.

use okno_kernel::db::{AsConn, Tx};
use okno_kernel::error::Result;
use okno_kernel::{q_all, q_exec};

#[derive(serde::Deserialize, sqlx::FromRow)]
pub(crate) struct PrefRow {
    pub topic: String,
    pub channel: String,
    pub enabled: i64,
}

/// The switches the person set (the others keep their default).
pub(crate) async fn preferences_of(c: &mut impl AsConn, account_id: &str) -> Result<Vec<PrefRow>> {
    Ok(q_all!(
        c,
        PrefRow,
        "SELECT topic, channel, enabled FROM notification_preferences WHERE account_id = $1",
        account_id
    )?)
}

pub(crate) async fn set_preference(
    tx: &mut Tx,
    account_id: &str,
    topic: &str,
    channel: &str,
    enabled: bool,
) -> Result<()> {
    q_exec!(
        tx,
        "INSERT INTO notification_preferences (account_id, topic, channel, enabled) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, topic, channel) DO UPDATE SET enabled = $4",
        account_id,
        topic,
        channel,
        i64::from(enabled)
    )?;
    Ok(())
}
