//! The export of every piece of data the platform holds about a person (152-ФЗ, ст. 14: the right
//! to access one's data).

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pii::Secrets;
use serde::Serialize;

use crate::model::own_account;
use crate::privacy::{effective, Preference};
use crate::store::{self, AccountRow, ExportDevice, ExportProfile};

#[derive(Serialize)]
struct ExportSession {
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    user_agent: Option<String>,
    ip: Option<String>,
}

/// Every piece of data the platform holds about the signed-in person, as one JSON document: the
/// account, the profile with the documents in clear (it is their own), consent, preferences,
/// organisations and powers of attorney, passkeys, sessions, devices, every message sent to them
/// (one-time codes masked, as in the delivery journal), and the audit journal's records about them
/// or by them. Audited.
pub async fn export(db: &Db, secrets: &Secrets, actor: &Actor) -> Result<serde_json::Value> {
    let id = own_account(actor)?.to_string();
    let Held {
        a,
        p,
        sessions,
        devices,
        prefs,
        deliveries,
    } = held(db, &id).await?;
    let open = |v: &Option<String>| -> Result<Option<String>> {
        v.as_deref()
            .map(|e| secrets.decrypt(e).map_err(Error::internal))
            .transpose()
    };
    let journal = audit::records_about(db, "account", &id, 10_000).await?;
    let organisations = crate::organisations::list(db, secrets, actor).await?;
    let (powers_granted, powers_received) = crate::representation::list(db, actor).await?;
    let time = |ms: Option<i64>| ms.map(rfc3339);
    let doc = serde_json::json!({
        "format": "okno-personal-data/1",
        "exported_at": rfc3339(now_ms()),
        "account": {
            "id": a.id,
            "full_name": a.display_name,
            "level": a.level,
            "status": a.status,
            "phone": a.phone,
            "phone_confirmed_at": time(a.phone_confirmed_at),
            "email": a.email,
            "email_confirmed_at": time(a.email_confirmed_at),
            "second_factor": a.second_factor,
            "roles": a.roles,
            "created_at": rfc3339(a.created_at),
        },
        "consent": { "version": p.consent_version, "given_at": time(p.consent_at) },
        "profile": {
            "last_name": p.last_name,
            "first_name": p.first_name,
            "middle_name": p.middle_name,
            "birth_date": p.birth_date,
            "sex": p.sex,
            "passport": open(&p.passport_enc)?,
            "snils": open(&p.snils_enc)?,
            "inn": open(&p.inn_enc)?,
            "registry_check": p.registry_check,
            "registry_checked_at": time(p.registry_checked_at),
        },
        "notification_preferences": prefs,
        "organisations": organisations,
        "powers_of_attorney": { "granted": powers_granted, "received": powers_received },
        "passkeys": crate::passkeys::list(db, actor).await?,
        "sessions": sessions,
        "devices": devices,
        "deliveries": deliveries,
        "audit_records": journal,
    });
    let mut tx = db.begin().await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.data.exported",
            subject_type: "account",
            subject_id: &id,
            details: serde_json::json!({ "audit_records": doc["audit_records"].as_array().map_or(0, Vec::len) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// What the part holds about the person in its own tables and the kernel's and notify's, read in
/// one connection.
struct Held {
    a: AccountRow,
    p: ExportProfile,
    sessions: Vec<ExportSession>,
    devices: Vec<ExportDevice>,
    prefs: Vec<Preference>,
    deliveries: Vec<okno_notify::store::Delivery>,
}

async fn held(db: &Db, id: &str) -> Result<Held> {
    let mut c = db.read().await?;
    let a = store::account(&mut c, id)
        .await?
        .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
    let p = store::export_profile(&mut c, id)
        .await?
        .ok_or_else(|| Problem::not_found("Учётная запись не найдена."))?;
    let sessions: Vec<ExportSession> = okno_kernel::auth::all_sessions(&mut c, "account", id)
        .await?
        .into_iter()
        .map(|s| ExportSession {
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    let devices = store::devices_of(&mut c, id).await?;
    let prefs = effective(&store::preferences_of(&mut c, id).await?);
    let mut recipients = vec![id];
    recipients.extend(a.phone.as_deref());
    recipients.extend(a.email.as_deref());
    let deliveries = okno_notify::store::to_recipients(&mut c, &recipients).await?;
    Ok(Held {
        a,
        p,
        sessions,
        devices,
        prefs,
        deliveries,
    })
}
