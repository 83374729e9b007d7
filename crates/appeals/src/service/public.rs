//! The public side: depersonalised published reports, and the figures per body (with their
//! cache and CSV).

use std::collections::BTreeMap;

use okno_kernel::clock::{now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::Result;
use serde::Serialize;

use crate::model::{self, Status};
use crate::store;

use super::base::DEFAULT_ZONE;
use super::views::body_map;

/// A published problem report: no author, no reply address, no comments — only what the place
/// and the body's answer say.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicReport {
    pub number: String,
    pub category_title: String,
    pub subcategory_title: String,
    pub text: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub status: Status,
    pub status_title: &'static str,
    pub body_name: Option<String>,
    /// The final answer, once given.
    pub answer: Option<String>,
    pub created_at: String,
}

/// Removes what names or reaches a person from a text the public sees: e-mail addresses and
/// phone-like runs of digits (the author's name and reply address are never shown at all).
pub fn depersonalise(text: &str) -> String {
    // Phone-like runs: digits with spaces, brackets, dashes and a plus, holding 7 digits or more.
    let chars: Vec<char> = text.chars().collect();
    let phoneish = |c: char| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ');
    let mut masked = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(' {
            let mut j = i;
            while j < chars.len() && phoneish(chars[j]) {
                j += 1;
            }
            // Give back trailing spaces and dashes.
            let mut end = j;
            while end > i && matches!(chars[end - 1], ' ' | '-') {
                end -= 1;
            }
            let run: String = chars[i..end].iter().collect();
            if run.chars().filter(char::is_ascii_digit).count() >= 7 {
                masked.push_str("[номер скрыт]");
            } else {
                masked.push_str(&run);
            }
            i = end;
        } else {
            masked.push(chars[i]);
            i += 1;
        }
    }
    masked
        .split(' ')
        .map(|w| {
            if w.contains('@') && w.contains('.') {
                "[e-mail скрыт]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn published(db: &Db, limit: i64) -> Result<Vec<PublicReport>> {
    let mut c = db.read().await?;
    let rows = store::published(&mut c, limit).await?;
    let cats = store::categories(&mut c).await?;
    let bodies = body_map(&mut c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let Some(status) = Status::parse(&a.status) else {
            continue;
        };
        let sub = cats.iter().find(|x| x.code == a.category_code);
        let parent = sub
            .and_then(|s| s.parent_code.as_deref())
            .and_then(|p| cats.iter().find(|x| x.code == p));
        let answer = store::messages(&mut c, &a.id)
            .await?
            .into_iter()
            .rfind(|m| m.kind == "final")
            .map(|m| depersonalise(&m.text));
        out.push(PublicReport {
            number: a.number,
            category_title: parent.map_or(String::new(), |p| p.title.clone()),
            subcategory_title: sub.map_or(String::new(), |s| s.title.clone()),
            text: depersonalise(&a.text),
            address: a.address.map(|s| depersonalise(&s)),
            lat: a.lat_micro.map(|v| v as f64 / 1e6),
            lon: a.lon_micro.map(|v| v as f64 / 1e6),
            status,
            status_title: status.title(),
            body_name: a
                .body_code
                .as_deref()
                .and_then(|b| bodies.get(b))
                .map(|b| b.short_name.clone()),
            answer,
            created_at: rfc3339(a.created_at),
        });
    }
    Ok(out)
}

/// How a body performs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub body_code: String,
    pub body_name: String,
    /// Appeals that reached the body (it is or was last responsible for them).
    pub received: i64,
    pub answered: i64,
    /// Final answers given by the due date.
    pub answered_in_time: i64,
    /// Answered late, or past the due date and still unanswered, among those received, 0–1.
    pub overdue_share: f64,
    /// Median time from routing to the final answer, in days (one decimal).
    pub median_answer_days: Option<f64>,
    /// Mean rating 1–5 of the answers rated (two decimals).
    pub mean_rating: Option<f64>,
    pub rated: i64,
    /// Ratings of the state services the body provides (as an agency of the catalogue).
    pub service_rated: i64,
    /// Their mean, 1–5 (two decimals).
    pub service_mean_rating: Option<f64>,
}

fn mean(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum as f64 / n as f64 * 100.0).round() / 100.0)
}

/// The public figures as this node last computed them: they read every appeal that reached a
/// body, so under load they are computed at most once per `ttl` and served from memory in between
/// (one request computes; those arriving meanwhile wait for it). A zero `ttl` computes them for
/// every request.
#[derive(Debug, Clone)]
pub struct FiguresCache {
    ttl: std::time::Duration,
    slot: std::sync::Arc<tokio::sync::Mutex<Option<Computed>>>,
}

/// Figures and when they were computed.
#[derive(Debug, Clone)]
pub struct Computed {
    pub figures: std::sync::Arc<Vec<Figures>>,
    /// UTC milliseconds.
    pub at_ms: i64,
    at: std::time::Instant,
}

impl FiguresCache {
    pub fn new(ttl: std::time::Duration) -> FiguresCache {
        FiguresCache {
            ttl,
            slot: Default::default(),
        }
    }

    /// The figures, computed now or at most `ttl` ago.
    pub async fn get(&self, db: &Db) -> Result<Computed> {
        let fresh = |figures: Vec<Figures>| Computed {
            figures: std::sync::Arc::new(figures),
            at_ms: now_ms(),
            at: std::time::Instant::now(),
        };
        if self.ttl.is_zero() {
            return Ok(fresh(figures(db).await?));
        }
        let mut slot = self.slot.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| c.at.elapsed() < self.ttl) {
            return Ok(c.clone());
        }
        let c = fresh(figures(db).await?);
        *slot = Some(c.clone());
        Ok(c)
    }
}

pub async fn figures(db: &Db) -> Result<Vec<Figures>> {
    let mut c = db.read().await?;
    let rows = store::figures(&mut c).await?;
    let timings = store::timings(&mut c).await?;
    let bodies = body_map(&mut c).await?;
    let mut services: BTreeMap<String, store::ServiceRatingRow> = store::service_ratings(&mut c)
        .await?
        .into_iter()
        .map(|r| (r.agency_code.clone(), r))
        .collect();
    drop(c);
    let now = now_ms();
    let mut out = Vec::new();
    for r in rows {
        let service = service_of(&mut services, &bodies, &r.body_code);
        out.push(body_figures(r, &bodies, &timings, service, now));
    }
    // Agencies rated for their services that no appeal reached (yet) have their row too.
    let mut rest: Vec<store::ServiceRatingRow> = Vec::new();
    for b in bodies.values() {
        if !out.iter().any(|f| f.body_code == b.code) {
            if let Some(s) = service_of(&mut services, &bodies, &b.code) {
                rest.push(store::ServiceRatingRow {
                    agency_code: b.code.clone(),
                    agency_name: b.short_name.clone(),
                    ..s
                });
            }
        }
    }
    rest.extend(services.into_values());
    out.extend(rest.into_iter().map(service_only));
    Ok(out)
}

/// A body's service ratings, taken out of those left: of the agency it is, or of the agency of
/// its own code.
fn service_of(
    services: &mut BTreeMap<String, store::ServiceRatingRow>,
    bodies: &BTreeMap<String, store::BodyRow>,
    body: &str,
) -> Option<store::ServiceRatingRow> {
    let agency = bodies
        .get(body)
        .and_then(|b| b.agency_code.clone())
        .unwrap_or_else(|| body.to_string());
    services.remove(&agency)
}

/// The figures of a body that appeals reached.
fn body_figures(
    r: store::FigureRow,
    bodies: &BTreeMap<String, store::BodyRow>,
    timings: &[store::TimingRow],
    service: Option<store::ServiceRatingRow>,
    now: i64,
) -> Figures {
    let zone = bodies
        .get(&r.body_code)
        .map_or(DEFAULT_ZONE.to_string(), |b| b.time_zone.clone());
    let today = model::local_date(&zone, now);
    let mine: Vec<&store::TimingRow> = timings
        .iter()
        .filter(|t| t.body_code == r.body_code)
        .collect();
    let open_overdue = open_overdue(&mine, today);
    let late = r.answered - r.answered_in_time;
    Figures {
        body_name: bodies
            .get(&r.body_code)
            .map_or(r.body_code.clone(), |b| b.short_name.clone()),
        overdue_share: if r.received == 0 {
            0.0
        } else {
            ((late + open_overdue) as f64 / r.received as f64 * 1000.0).round() / 1000.0
        },
        median_answer_days: median_answer_ms(&mine)
            .map(|ms| (ms / 86_400_000.0 * 10.0).round() / 10.0),
        mean_rating: mean(r.rating_sum, r.rated),
        service_rated: service.as_ref().map_or(0, |s| s.rated),
        service_mean_rating: service.and_then(|s| mean(s.rating_sum, s.rated)),
        body_code: r.body_code,
        received: r.received,
        answered: r.answered,
        answered_in_time: r.answered_in_time,
        rated: r.rated,
    }
}

/// How many appeals at the body are past their due date today and not answered.
fn open_overdue(mine: &[&store::TimingRow], today: okno_kernel::clock::Date) -> i64 {
    mine.iter()
        .filter(|t| {
            Status::parse(&t.status).is_some_and(Status::at_body)
                && t.due_date
                    .as_deref()
                    .and_then(model::parse_date)
                    .is_some_and(|d| today > d)
        })
        .count() as i64
}

/// The median time from routing to the answer, in milliseconds.
fn median_answer_ms(mine: &[&store::TimingRow]) -> Option<f64> {
    let mut days: Vec<i64> = mine
        .iter()
        .filter_map(|t| Some(t.answered_at? - t.routed_at?))
        .filter(|d| *d >= 0)
        .collect();
    days.sort_unstable();
    if days.is_empty() {
        None
    } else if days.len() % 2 == 1 {
        Some(days[days.len() / 2] as f64)
    } else {
        Some((days[days.len() / 2 - 1] + days[days.len() / 2]) as f64 / 2.0)
    }
}

/// The row of an agency rated for its services that no appeal reached.
fn service_only(s: store::ServiceRatingRow) -> Figures {
    Figures {
        body_code: s.agency_code,
        body_name: s.agency_name,
        received: 0,
        answered: 0,
        answered_in_time: 0,
        overdue_share: 0.0,
        median_answer_days: None,
        mean_rating: None,
        rated: 0,
        service_mean_rating: mean(s.rating_sum, s.rated),
        service_rated: s.rated,
    }
}

/// The figures as CSV (UTF-8 with a BOM, `;`-separated, decimal commas, as spreadsheet programs
/// in Russia expect).
pub fn figures_csv(rows: &[Figures]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    fn num(v: Option<f64>) -> String {
        v.map(|x| x.to_string().replace('.', ","))
            .unwrap_or_default()
    }
    let mut out = String::from(
        "\u{feff}Код;Орган;Поступило;Отвечено;Отвечено в срок;Доля просроченных;Медиана срока ответа, дней;Средняя оценка;Оценок;Средняя оценка услуг;Оценок услуг\r\n",
    );
    for r in rows {
        let line = [
            cell(&r.body_code),
            cell(&r.body_name),
            r.received.to_string(),
            r.answered.to_string(),
            r.answered_in_time.to_string(),
            num(Some(r.overdue_share)),
            num(r.median_answer_days),
            num(r.mean_rating),
            r.rated.to_string(),
            num(r.service_mean_rating),
            r.service_rated.to_string(),
        ];
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_texts_lose_e_mails_and_phone_numbers() {
        assert_eq!(
            depersonalise("Звоните +7 (915) 123-45-67 или 89151234567, пишите ivan@mail.ru"),
            "Звоните [номер скрыт] или [номер скрыт], пишите [e-mail скрыт]"
        );
    }

    #[test]
    fn csv_quotes_cells_and_uses_decimal_commas() {
        let csv = figures_csv(&[Figures {
            body_code: "tula".into(),
            body_name: "=Администрация".into(),
            received: 4,
            answered: 2,
            answered_in_time: 1,
            overdue_share: 0.25,
            median_answer_days: Some(3.5),
            mean_rating: None,
            rated: 0,
            service_rated: 2,
            service_mean_rating: Some(4.5),
        }]);
        assert!(csv.starts_with('\u{feff}'));
        assert!(
            csv.contains("\"'=Администрация\";4;2;1;0,25;3,5;;0;4,5;2"),
            "{csv}"
        );
    }
}
