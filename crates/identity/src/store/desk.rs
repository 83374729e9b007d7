//! `desk_representatives`: who came to a desk for a person under a power of attorney shown on
//! paper, and what was done on it.

use okno_kernel::db::Tx;
use okno_kernel::error::Result;
use okno_kernel::q_exec;

/// One act done at a desk by a representative; names and passport encrypted.
pub(crate) struct DeskRepresentative<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub act: &'a str,
    pub office_code: &'a str,
    pub device_id: &'a str,
    pub operator_id: &'a str,
    pub full_name_enc: String,
    pub passport_enc: String,
    pub passport_idx: &'a str,
    pub power_number: &'a str,
    pub power_issuer: &'a str,
    pub power_issued_on: String,
    pub power_valid_until: String,
    pub created_at: i64,
}

pub(crate) async fn insert_desk_representative(
    tx: &mut Tx,
    r: &DeskRepresentative<'_>,
) -> Result<()> {
    q_exec!(
        &mut *tx,
        "INSERT INTO desk_representatives (id, account_id, act, office_code, device_id, operator_id, full_name_enc,
            passport_enc, passport_idx, power_number, power_issuer, power_issued_on, power_valid_until, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        r.id,
        r.account_id,
        r.act,
        r.office_code,
        r.device_id,
        r.operator_id,
        &r.full_name_enc,
        &r.passport_enc,
        r.passport_idx,
        r.power_number,
        r.power_issuer,
        &r.power_issued_on,
        &r.power_valid_until,
        r.created_at
    )?;
    Ok(())
}
