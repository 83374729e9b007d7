//! Russian demo data of the payments part: payees of the demo agencies that take fees and fines
//! (requisites of the Tula treasury; the ИНН of the regional bodies are made up, with valid
//! control digits) and a fine with its discount, to find by its УИН on `/pay`. Loaded
//! idempotently: a second load adds nothing.

use jiff::ToSpan;
use okno_kernel::actor::Actor;
use okno_kernel::clock::{local_date, now_ms};
use okno_kernel::error::{Error, Result};
use okno_kernel::Platform;
use serde::Deserialize;

use crate::service::{check_charge, validate_payee, NewCharge, NewPayee};
use crate::store;

const DATA: &str = include_str!("../data/demo.json");

#[derive(Deserialize)]
struct Data {
    payees: Vec<DemoPayee>,
    charges: Vec<DemoCharge>,
}

#[derive(Deserialize)]
struct DemoPayee {
    agency: String,
    payee: NewPayee,
}

#[derive(Deserialize)]
struct DemoCharge {
    agency: String,
    /// The number under the payee's УИН prefix (far above what the counter reaches).
    number: u64,
    kind: String,
    payer_kind: String,
    payer_id: String,
    payer_name: String,
    purpose: String,
    amount_kopecks: i64,
    ruling_days_ago: i64,
    discount_percent: i64,
    discount_days: i64,
    due_days: i64,
}

/// What the demo load added.
#[derive(Debug, Default)]
pub struct Loaded {
    pub payees: usize,
    pub charges: usize,
    /// The УИН of the demo charges, to print.
    pub uins: Vec<String>,
}

pub async fn load(p: &Platform, actor: &Actor) -> Result<Loaded> {
    let data: Data = serde_json::from_str(DATA).map_err(Error::internal)?;
    let mut out = Loaded::default();
    for d in data.payees {
        let mut payee = validate_payee(&d.agency, d.payee)
            .map_err(|e| Error::internal(format!("demo payee {}: {:?}", d.agency, e.errors)))?;
        let mut tx = p.db.begin().await?;
        if store::payee(&mut tx, &d.agency).await?.is_none() {
            payee.updated_by = actor.name.clone();
            payee.updated_at = now_ms();
            store::put_payee(&mut tx, &payee).await?;
            out.payees += 1;
        }
        tx.commit().await?;
    }
    let today = local_date("Europe/Moscow", now_ms());
    for d in data.charges {
        let Some(payee) = ({
            let mut c = p.db.read().await?;
            store::payee(&mut c, &d.agency).await?
        }) else {
            continue;
        };
        let uin = okno_rules::Uin::issue(&payee.uin_prefix, d.number)
            .ok_or_else(|| Error::internal("demo charge number"))?;
        let n = NewCharge {
            agency: d.agency,
            uin: uin.as_str().to_string(),
            kind: d.kind,
            payer_kind: d.payer_kind,
            payer_id: d.payer_id,
            payer_name: d.payer_name,
            purpose: d.purpose,
            amount_kopecks: d.amount_kopecks,
            due_date: today.saturating_add(d.due_days.days()).to_string(),
            ruling_date: Some(today.saturating_sub(d.ruling_days_ago.days()).to_string()),
            discount_percent: Some(d.discount_percent),
            discount_days: Some(d.discount_days),
            ..NewCharge::default()
        };
        let c = check_charge(&n, &payee, &p.secrets, today, "api", &actor.name)
            .map_err(|e| Error::internal(format!("demo charge: {e:?}")))?;
        out.uins.push(c.uin.clone());
        let mut tx = p.db.begin().await?;
        if crate::service::record_new(&mut tx, actor, &c).await? {
            out.charges += 1;
        }
        tx.commit().await?;
    }
    Ok(out)
}
