//! The agency's desk: its filtered list (and CSV), its figures in working days, and which
//! officials are assigned to which agency.

use std::collections::BTreeMap;

use okno_kernel::actor::{Actor, Permission, Role};
use okno_kernel::audit;
use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::{Problem, Result};
use serde::{Deserialize, Serialize};

use crate::model::{self, Status};
use crate::store::{self, ServiceRow};

use super::base::calendar;
use super::views::{status_of, timing};
use okno_kernel::clock::parse_date;

/// Filters of the desk list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this service.
    pub service: Option<String>,
    /// Only overdue applications (`true`).
    pub overdue: Option<bool>,
}

/// One line of the desk.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApplicationDeskRow)]
pub struct DeskRow {
    pub id: String,
    pub number: Option<String>,
    pub service_code: String,
    pub service_title: String,
    pub agency_code: String,
    pub applicant_name: String,
    pub status: Status,
    pub status_title: &'static str,
    pub submitted_at: Option<String>,
    pub due_date: Option<String>,
    pub working_days_left: Option<i64>,
    pub overdue: bool,
}

/// Incoming applications of the agencies the official works for, soonest due first.
pub async fn desk(db: &Db, actor: &Actor, f: &DeskFilter) -> Result<Vec<DeskRow>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    if !actor.roles.contains(&Role::Official) {
        return Err(
            Problem::new(403, "desk.not_official", "Вы не должностное лицо")
                .with_detail("Рабочее место ведомства доступно только должностным лицам.")
                .into(),
        );
    }
    let status = f.status.clone().unwrap_or_default();
    if !status.is_empty() && Status::parse(&status).is_none() {
        return Err(Problem::invalid_field("status", "desk.status", "Неизвестный статус.").into());
    }
    let me = actor.id.clone().unwrap_or_default();
    let mut c = db.read().await?;
    let rows = store::desk(
        &mut c,
        &me,
        &status,
        f.service.as_deref().unwrap_or_default(),
    )
    .await?;
    let services: BTreeMap<String, ServiceRow> = store::catalogue(&mut c)
        .await?
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let now = now_ms();
    let mut out = Vec::new();
    for a in rows {
        let Some(s) = services.get(&a.service_code) else {
            continue;
        };
        let st = status_of(&a)?;
        let (left, overdue) = timing(&a, st, &s.time_zone, now);
        if f.overdue == Some(true) && !overdue {
            continue;
        }
        out.push(DeskRow {
            id: a.id,
            number: a.number,
            service_code: a.service_code,
            service_title: s.title.clone(),
            agency_code: s.agency_code.clone(),
            applicant_name: a.applicant_name,
            status: st,
            status_title: st.title(),
            submitted_at: a.submitted_at.map(rfc3339),
            due_date: a.due_date,
            working_days_left: left,
            overdue,
        });
    }
    // Overdue first, then by due date.
    out.sort_by(|x, y| {
        y.overdue
            .cmp(&x.overdue)
            .then_with(|| x.due_date.cmp(&y.due_date))
    });
    Ok(out)
}

/// The figures of one agency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgencyFigures {
    pub agency_code: String,
    pub agency_name: String,
    /// Applications submitted (every one past the draft, withdrawn ones included).
    pub received: i64,
    /// Approved or rejected (fulfilled ones included).
    pub decided: i64,
    /// Still waiting for a decision after their due date.
    pub overdue: i64,
    /// Decided after their due date.
    pub decided_late: i64,
    /// Median working days from submission to decision, on the production calendar; none until
    /// one is decided.
    pub median_decision_working_days: Option<f64>,
}

/// Computes the figures from the rows, each date in its agency's zone; `now` decides what is
/// overdue. Agencies are ordered by name.
pub fn figures_of(rows: &[store::FigureRow], now: i64) -> Vec<AgencyFigures> {
    let mut by: BTreeMap<(String, String), (AgencyFigures, Vec<u32>)> = BTreeMap::new();
    for r in rows {
        let Some(status) = Status::parse(&r.status) else {
            continue;
        };
        let (f, times) = by
            .entry((r.agency_name.clone(), r.agency_code.clone()))
            .or_insert_with(|| {
                (
                    AgencyFigures {
                        agency_code: r.agency_code.clone(),
                        agency_name: r.agency_name.clone(),
                        received: 0,
                        decided: 0,
                        overdue: 0,
                        decided_late: 0,
                        median_decision_working_days: None,
                    },
                    Vec::new(),
                )
            });
        let Some(submitted) = r.submitted_at else {
            continue;
        };
        f.received += 1;
        let due = r.due_date.as_deref().and_then(parse_date);
        match r.decided_at {
            Some(decided) => {
                f.decided += 1;
                let from = model::local_date(&r.time_zone, submitted);
                let to = model::local_date(&r.time_zone, decided);
                times.push(calendar().working_days_between(from, to));
                if due.is_some_and(|d| to > d) {
                    f.decided_late += 1;
                }
            }
            None => {
                let pending = matches!(status, Status::Submitted | Status::InReview);
                let today = model::local_date(&r.time_zone, now);
                if pending && due.is_some_and(|d| today > d) {
                    f.overdue += 1;
                }
            }
        }
    }
    by.into_values()
        .map(|(mut f, mut t)| {
            t.sort_unstable();
            f.median_decision_working_days = match t.len() {
                0 => None,
                n if n % 2 == 1 => Some(f64::from(t[n / 2])),
                n => Some((f64::from(t[n / 2 - 1]) + f64::from(t[n / 2])) / 2.0),
            };
            f
        })
        .collect()
}

/// Figures of the agencies an official works for; of every agency for an administrator or an
/// auditor.
pub async fn figures(db: &Db, actor: &Actor) -> Result<Vec<AgencyFigures>> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    let all = actor.can(Permission::AuditRead) || actor.can(Permission::StaffManage);
    if !all && !actor.roles.contains(&Role::Official) {
        return Err(
            Problem::new(403, "desk.not_official", "Вы не должностное лицо")
                .with_detail(
                    "Показатели ведомств доступны должностным лицам, администраторам и аудиторам.",
                )
                .into(),
        );
    }
    let me = match (all, actor.id.clone()) {
        (true, _) => String::new(),
        (false, Some(id)) if !id.is_empty() => id,
        (false, _) => return Ok(Vec::new()),
    };
    let mut c = db.read().await?;
    let rows = store::figure_rows(&mut c, &me).await?;
    Ok(figures_of(&rows, now_ms()))
}

/// The desk list as CSV (UTF-8 with a BOM, `;`-separated, as spreadsheet programs in Russia
/// expect).
pub fn desk_csv(rows: &[DeskRow]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    let mut out = String::from(
        "\u{feff}Номер;Услуга;Заявитель;Статус;Подано;Срок;Осталось рабочих дней;Просрочено\r\n",
    );
    for r in rows {
        let line = [
            cell(r.number.as_deref().unwrap_or("")),
            cell(&r.service_title),
            cell(&r.applicant_name),
            cell(r.status_title),
            cell(r.submitted_at.as_deref().unwrap_or("")),
            cell(r.due_date.as_deref().unwrap_or("")),
            r.working_days_left
                .map(|d| d.to_string())
                .unwrap_or_default(),
            if r.overdue { "да" } else { "нет" }.to_string(),
        ];
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    out
}

/// An official's assignment to an agency.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OfficialAssignment)]
pub struct Assignment {
    /// The staff account's or the API token's id.
    pub account_id: String,
    pub agency_code: String,
}

/// Assigns an official to an agency (administrators). True when it was new.
pub async fn assign_official(db: &Db, actor: &Actor, a: &Assignment) -> Result<bool> {
    actor.require(Permission::StaffManage)?;
    let mut tx = db.begin().await?;
    if !store::agency_exists(&mut tx, &a.agency_code).await? {
        return Err(Problem::not_found("Ведомство не найдено.").into());
    }
    let added = store::assign_official(
        &mut tx,
        &a.account_id,
        &a.agency_code,
        actor.id.as_deref().unwrap_or("system"),
        now_ms(),
    )
    .await?
        > 0;
    if added {
        audit::append(
            &mut tx,
            audit::Entry {
                actor,
                action: "services.official.assigned",
                subject_type: "account",
                subject_id: &a.account_id,
                details: serde_json::json!({ "agency": a.agency_code }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// The agencies the actor works for as an official.
pub async fn my_agencies(db: &Db, actor: &Actor) -> Result<Vec<String>> {
    let mut c = db.read().await?;
    Ok(store::agencies_of(&mut c, actor.id.as_deref().unwrap_or_default()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msk(y: i16, m: i8, d: i8) -> i64 {
        jiff::civil::date(y, m, d)
            .at(10, 0, 0, 0)
            .in_tz("Europe/Moscow")
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    fn fig(agency: &str, status: &str, sub: i64, dec: Option<i64>, due: &str) -> store::FigureRow {
        store::FigureRow {
            agency_code: agency.into(),
            agency_name: agency.to_uppercase(),
            time_zone: "Europe/Moscow".into(),
            status: status.into(),
            submitted_at: Some(sub),
            decided_at: dec,
            due_date: Some(due.into()),
        }
    }

    #[test]
    fn agency_figures_count_in_working_days_around_the_may_holidays() {
        // 2026: 1 May (Fri) and 11 May (Mon, for 9 May on a Saturday) are days off (Постановление
        // Правительства РФ от 24.09.2025 № 1466). From 30 April to 12 May: 4–8 and 12 May, 6 days.
        let rows = vec![
            fig(
                "mvd",
                "fulfilled",
                msk(2026, 4, 30),
                Some(msk(2026, 5, 12)),
                "2026-05-08",
            ),
            fig(
                "mvd",
                "rejected",
                msk(2026, 4, 30),
                Some(msk(2026, 5, 4)),
                "2026-05-14",
            ),
            fig("mvd", "submitted", msk(2026, 5, 4), None, "2026-05-15"),
            // Waiting for the person: the term is paused, so not overdue.
            fig("mvd", "needs_info", msk(2026, 5, 4), None, "2026-05-15"),
            fig("fns", "withdrawn", msk(2026, 5, 4), None, "2026-05-15"),
        ];
        let f = figures_of(&rows, msk(2026, 5, 20));
        assert_eq!(f.len(), 2);
        let (fns, mvd) = (&f[0], &f[1]);
        assert_eq!((fns.received, fns.decided, fns.overdue), (1, 0, 0));
        assert_eq!(fns.median_decision_working_days, None);
        assert_eq!(
            (mvd.received, mvd.decided, mvd.overdue, mvd.decided_late),
            (4, 2, 1, 1)
        );
        assert_eq!(mvd.median_decision_working_days, Some(3.5));
    }

    fn row(overdue: bool, title: &str) -> DeskRow {
        DeskRow {
            id: "1".into(),
            number: Some("2026-000001".into()),
            service_code: "x".into(),
            service_title: title.into(),
            agency_code: "mvd".into(),
            applicant_name: "Иванов \"Иван\"".into(),
            status: Status::Submitted,
            status_title: Status::Submitted.title(),
            submitted_at: None,
            due_date: Some("2027-01-22".into()),
            working_days_left: Some(3),
            overdue,
        }
    }

    #[test]
    fn csv_quotes_cells_and_defuses_formulas() {
        let csv = desk_csv(&[row(true, "=HYPERLINK(1)")]);
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("\"'=HYPERLINK(1)\""), "{csv}");
        assert!(csv.contains("\"Иванов \"\"Иван\"\"\""), "{csv}");
        assert!(csv.trim_end().ends_with(";3;да"), "{csv}");
    }
}
