//! The check of a person's profile against the state registries, through an adapter: an HTTP
//! adapter for real deployments (ЕСИА/СМЭВ gateways sit behind one) and a reference registry
//! loaded from a CSV file (the demo ships one). Either way a mismatch names the field that differs.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// What is sent to a registry: the profile as the person entered it, normalised.
#[derive(Debug, Clone, Serialize)]
pub struct PersonData {
    pub last_name: String,
    pub first_name: String,
    /// Empty when the person has none.
    pub middle_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`.
    pub sex: String,
    /// 10 digits: series and number.
    pub passport: String,
    /// 11 digits.
    pub snils: String,
    /// 12 digits, when given.
    pub inn: Option<String>,
}

/// A registry's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Answer {
    /// Every field matches the registry's record.
    Match,
    /// The record of this СНИЛС differs in `field` (the first that differs).
    Mismatch { field: String },
    /// No record with this СНИЛС.
    NotFound,
}

/// The registry could not be asked (down, timed out, answered nonsense).
#[derive(Debug, thiserror::Error)]
#[error("registry unavailable: {0}")]
pub struct Unavailable(pub String);

/// An adapter to the registries.
pub trait Registry: Send + Sync + std::fmt::Debug {
    fn check<'a>(&'a self, p: &'a PersonData) -> BoxFuture<'a, Result<Answer, Unavailable>>;
}

/// Fields in the order they are compared (and named in a mismatch).
const FIELDS: [&str; 7] = [
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "sex",
    "passport",
    "inn",
];

fn field_of<'a>(p: &'a PersonData, f: &str) -> &'a str {
    match f {
        "last_name" => &p.last_name,
        "first_name" => &p.first_name,
        "middle_name" => &p.middle_name,
        "birth_date" => &p.birth_date,
        "sex" => &p.sex,
        "passport" => &p.passport,
        "inn" => p.inn.as_deref().unwrap_or(""),
        _ => "",
    }
}

/// Names compare without regard to case and to «ё»/«е».
pub(crate) fn same(field: &str, a: &str, b: &str) -> bool {
    if field.ends_with("_name") {
        let norm = |s: &str| s.trim().to_lowercase().replace('ё', "е");
        norm(a) == norm(b)
    } else {
        a.trim() == b.trim()
    }
}

/// A reference registry held in memory, keyed by СНИЛС, loaded from CSV with the header
/// `last_name,first_name,middle_name,birth_date,sex,passport,snils,inn`.
#[derive(Debug, Default)]
pub struct CsvRegistry {
    by_snils: HashMap<String, PersonData>,
}

#[derive(Deserialize)]
struct CsvRow {
    last_name: String,
    first_name: String,
    #[serde(default)]
    middle_name: String,
    birth_date: String,
    sex: String,
    passport: String,
    snils: String,
    #[serde(default)]
    inn: String,
}

/// The demo's reference registry (persons with valid СНИЛС and ИНН, made up).
pub const DEMO_CSV: &str = include_str!("../data/registry-demo.csv");

impl CsvRegistry {
    pub fn parse(text: &str) -> Result<CsvRegistry, String> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let mut by_snils = HashMap::new();
        for (i, row) in r.deserialize::<CsvRow>().enumerate() {
            let row = row.map_err(|e| format!("registry CSV, record {}: {e}", i + 1))?;
            let snils = okno_rules::Snils::parse(&row.snils)
                .map_err(|e| format!("registry CSV, record {}: СНИЛС: {e}", i + 1))?;
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            by_snils.insert(
                snils.as_str().to_string(),
                PersonData {
                    last_name: row.last_name,
                    first_name: row.first_name,
                    middle_name: row.middle_name,
                    birth_date: row.birth_date,
                    sex: row.sex,
                    passport: digits(&row.passport),
                    snils: snils.as_str().to_string(),
                    inn: Some(digits(&row.inn)).filter(|s| !s.is_empty()),
                },
            );
        }
        Ok(CsvRegistry { by_snils })
    }

    pub fn len(&self) -> usize {
        self.by_snils.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_snils.is_empty()
    }

    fn answer(&self, p: &PersonData) -> Answer {
        let Some(rec) = self.by_snils.get(&p.snils) else {
            return Answer::NotFound;
        };
        for f in FIELDS {
            // An ИНН the person did not give is not compared.
            if f == "inn" && p.inn.is_none() {
                continue;
            }
            if !same(f, field_of(p, f), field_of(rec, f)) {
                return Answer::Mismatch { field: f.into() };
            }
        }
        Answer::Match
    }
}

impl Registry for CsvRegistry {
    fn check<'a>(&'a self, p: &'a PersonData) -> BoxFuture<'a, Result<Answer, Unavailable>> {
        Box::pin(async move { Ok(self.answer(p)) })
    }
}

/// A registry behind an HTTP endpoint: `POST {url}` with the [`PersonData`] as JSON; the answer is
/// `{"result": "match"}`, `{"result": "mismatch", "field": "birth_date"}` or
/// `{"result": "not_found"}`. Anything else, a non-2xx status or a timeout is «unavailable».
#[derive(Debug)]
pub struct HttpRegistry {
    url: String,
    client: reqwest::Client,
}

impl HttpRegistry {
    pub fn new(url: &str, timeout: Duration) -> Result<HttpRegistry, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("the registry URL must start with http:// or https://".into());
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpRegistry {
            url: url.to_string(),
            client,
        })
    }
}

impl Registry for HttpRegistry {
    fn check<'a>(&'a self, p: &'a PersonData) -> BoxFuture<'a, Result<Answer, Unavailable>> {
        Box::pin(async move {
            let r = self
                .client
                .post(&self.url)
                .json(p)
                .send()
                .await
                .map_err(|e| Unavailable(e.without_url().to_string()))?;
            if !r.status().is_success() {
                return Err(Unavailable(format!("HTTP {}", r.status().as_u16())));
            }
            let a: Answer = r
                .json()
                .await
                .map_err(|e| Unavailable(format!("unreadable answer: {}", e.without_url())))?;
            match &a {
                Answer::Mismatch { field } if !FIELDS.contains(&field.as_str()) => Err(
                    Unavailable(format!("unknown field {field:?} in the answer")),
                ),
                _ => Ok(a),
            }
        })
    }
}

/// No registry configured: every check is «unavailable».
#[derive(Debug)]
pub struct NoRegistry;

impl Registry for NoRegistry {
    fn check<'a>(&'a self, _: &'a PersonData) -> BoxFuture<'a, Result<Answer, Unavailable>> {
        Box::pin(async { Err(Unavailable("no registry is configured".into())) })
    }
}

/// The Russian name of a compared field, for the person.
pub fn field_title(field: &str) -> &'static str {
    match field {
        "last_name" => "фамилия",
        "first_name" => "имя",
        "middle_name" => "отчество",
        "birth_date" => "дата рождения",
        "sex" => "пол",
        "passport" => "серия и номер паспорта",
        "inn" => "ИНН",
        "snils" => "СНИЛС",
        _ => "данные",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anna() -> PersonData {
        PersonData {
            last_name: "Смирнова".into(),
            first_name: "Анна".into(),
            middle_name: "Петровна".into(),
            birth_date: "1985-03-14".into(),
            sex: "female".into(),
            passport: "4204514002".into(),
            snils: "01815908349".into(),
            inn: None,
        }
    }

    #[test]
    fn the_demo_registry_loads_and_knows_its_people() {
        let r = CsvRegistry::parse(DEMO_CSV).unwrap();
        assert_eq!(r.len(), 8);
        assert_eq!(r.answer(&anna()), Answer::Match);
        let mut p = anna();
        p.last_name = "СМИРНОВА".into();
        assert_eq!(r.answer(&p), Answer::Match, "case does not matter");
    }

    #[test]
    fn a_mismatch_names_the_first_field_that_differs() {
        let r = CsvRegistry::parse(DEMO_CSV).unwrap();
        let mut p = anna();
        p.birth_date = "1985-03-15".into();
        assert_eq!(
            r.answer(&p),
            Answer::Mismatch {
                field: "birth_date".into()
            }
        );
        p = anna();
        p.inn = Some("776613186007".into());
        assert_eq!(
            r.answer(&p),
            Answer::Mismatch {
                field: "inn".into()
            }
        );
        p = anna();
        p.snils = "11223344595".into();
        assert_eq!(r.answer(&p), Answer::NotFound);
    }

    #[test]
    fn a_csv_with_a_bad_snils_is_refused_with_its_record_number() {
        let e = CsvRegistry::parse(
            "last_name,first_name,middle_name,birth_date,sex,passport,snils,inn\nА,Б,,2000-01-01,male,1234567890,11223344596,\n",
        )
        .unwrap_err();
        assert!(e.contains("record 1"), "{e}");
    }

    #[tokio::test]
    async fn the_http_adapter_reads_answers_and_reports_failures_as_unavailable() {
        use axum::routing::post;
        async fn answer(axum::Json(p): axum::Json<serde_json::Value>) -> axum::response::Response {
            use axum::response::IntoResponse;
            match p["birth_date"].as_str() {
                Some("1985-03-14") => {
                    axum::Json(serde_json::json!({"result": "match"})).into_response()
                }
                Some("1985-03-15") => {
                    axum::Json(serde_json::json!({"result": "mismatch", "field": "birth_date"}))
                        .into_response()
                }
                Some("1985-03-16") => {
                    axum::Json(serde_json::json!({"result": "mismatch", "field": "shoe_size"}))
                        .into_response()
                }
                _ => axum::http::StatusCode::BAD_GATEWAY.into_response(),
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, axum::Router::new().route("/check", post(answer)))
                .await
                .unwrap()
        });
        let r = HttpRegistry::new(&format!("http://{addr}/check"), Duration::from_secs(5)).unwrap();
        let mut p = anna();
        assert_eq!(r.check(&p).await.unwrap(), Answer::Match);
        p.birth_date = "1985-03-15".into();
        assert_eq!(
            r.check(&p).await.unwrap(),
            Answer::Mismatch {
                field: "birth_date".into()
            }
        );
        p.birth_date = "1985-03-16".into();
        assert!(r.check(&p).await.is_err(), "unknown field");
        p.birth_date = "2000-01-01".into();
        assert!(r.check(&p).await.unwrap_err().0.contains("502"));
        assert!(HttpRegistry::new("ftp://x", Duration::from_secs(1)).is_err());
    }
}
