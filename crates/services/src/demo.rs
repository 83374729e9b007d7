//! Russian demo data of the services part: version 1 of the application form of twelve catalogue
//! services (МВД, Госавтоинспекция, ФНС, СФР, Росреестр, ЗАГС, администрация). Idempotent: a
//! service that already has a form is left as it is.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::now_ms;
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::form::Form;
use crate::store;

const DATA: &str = include_str!("../data/demo.json");

#[derive(Deserialize)]
struct Data {
    forms: BTreeMap<String, DemoForm>,
}

#[derive(Deserialize)]
struct DemoForm {
    applicants: Vec<String>,
    fee_at: String,
    fields: serde_json::Value,
}

/// Loads the forms that are missing; call after the directory's demo load. Gives how many.
pub async fn load(db: &Db, actor: &Actor) -> Result<usize> {
    let data: Data = serde_json::from_str(DATA)?;
    let now = now_ms();
    let mut added = 0;
    let mut tx = db.begin().await?;
    for (code, f) in &data.forms {
        if !store::service_exists(&mut tx, code).await? {
            continue;
        }
        let form = Form::parse(&serde_json::json!({ "fields": f.fields }))
            .map_err(|e| Error::internal(format!("demo form {code}: {e}")))?;
        added += store::insert_version(
            &mut tx,
            code,
            1,
            &serde_json::to_string(&form)?,
            &f.applicants.join(","),
            &f.fee_at,
            "demo",
            now,
        )
        .await? as usize;
    }
    if added > 0 {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "services.demo.loaded",
                subject_type: "services",
                subject_id: "demo",
                details: serde_json::json!({ "forms": added }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_form_parses_and_names_known_applicants() {
        let data: Data = serde_json::from_str(DATA).unwrap();
        assert!(data.forms.len() >= 10);
        for (code, f) in data.forms {
            Form::parse(&serde_json::json!({ "fields": f.fields }))
                .unwrap_or_else(|e| panic!("{code}: {e}"));
            assert!(f
                .applicants
                .iter()
                .all(|a| crate::model::ApplicantKind::parse(a).is_some()));
            assert!(f.fee_at == "submission" || f.fee_at == "approval");
        }
    }
}
