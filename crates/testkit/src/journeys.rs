//! The steps many end-to-end tests take before the one they check: an application filled in and
//! submitted, an attachment uploaded, an application in each state of the services part
//! ([`application_in`]), an appeal in each state of the appeals part ([`appeal_in`]), and the single
//! steps they are made of. Each goes through the public API as a person, a moderator or an
//! official would.

use serde_json::{json, Value};

use crate::http::{post, Answer};
use crate::TestApp;

/// The first bytes of a PNG file: enough for the platform's content check.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

/// A complete, valid form of the demo service `passport-rf` (Анна Смирнова replaces her passport
/// at 45).
pub fn passport_rf_values() -> Value {
    json!({
        "last_name": "Смирнова", "first_name": "Анна", "middle_name": "Петровна",
        "birth_date": "1981-03-14", "reason": "age", "passport": "4510 123456",
        "address": "Тула, ул. Болдина, д. 1, кв. 2", "consent": true
    })
}

/// Uploads a file into a draft's field; gives the status and the JSON answer.
pub async fn upload(
    app: &TestApp,
    id: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
    bearer: &str,
) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/applications/{id}/attachments?field={field}&name={name}"
        )))
        .bearer_auth(bearer)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .expect("the upload is sent");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A submitted application.
pub struct Submitted {
    pub id: String,
    /// The number the platform gave it at submission.
    pub number: String,
    /// The answer to the submission.
    pub answer: Value,
}

/// A draft of `service` for the person `bearer`: its id.
pub async fn draft(app: &TestApp, bearer: &str, service: &str) -> String {
    let (s, a) = post(
        app,
        "/api/v1/applications",
        bearer,
        json!({ "service": service }),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().expect("the draft's id").to_string()
}

/// An application for `passport-rf` filled in with [`passport_rf_values`], a photo attached, and
/// submitted by the person `bearer`.
pub async fn submitted_passport_application(app: &TestApp, bearer: &str) -> Submitted {
    let id = draft(app, bearer, "passport-rf").await;
    let (s, a) = crate::http::send(
        app,
        reqwest::Method::PUT,
        &format!("/api/v1/applications/{id}/data"),
        bearer,
        Some(json!({"data": passport_rf_values()})),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    let (s, a) = upload(app, &id, "photo", "photo.png", PNG.to_vec(), bearer).await;
    assert_eq!(s, 201, "{a}");
    let (s, answer) = post(
        app,
        &format!("/api/v1/applications/{id}/submit"),
        bearer,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{answer}");
    let number = answer["number"]
        .as_str()
        .expect("the application's number")
        .to_string();
    Submitted { id, number, answer }
}

/// A step of the applicant `by` on their application (`submit`, `clarify`, `withdraw`, `rating`).
pub async fn applicant_step(app: &TestApp, id: &str, by: &str, step: &str, body: Value) -> Answer {
    post(app, &format!("/api/v1/applications/{id}/{step}"), by, body).await
}

/// A step of the official `by` on an application at the agency's desk (`take`,
/// `ask-clarification`, `approve`, `reject`, `fulfil`).
pub async fn agency_step(app: &TestApp, id: &str, by: &str, step: &str, body: Value) -> Answer {
    post(
        app,
        &format!("/api/v1/agency/applications/{id}/{step}"),
        by,
        body,
    )
    .await
}

/// An official's API token (issued on the server) assigned to the agency `agency` by the demo
/// administrator: its secret.
pub async fn agency_official(app: &TestApp, name: &str, agency: &str) -> String {
    let to = json!({"agency_code": agency});
    assigned_official(app, name, "/api/v1/officials", to).await
}

/// An official's API token assigned by the demo administrator with `POST path` and the body `to`
/// (where to), which is given the token's `account_id`: its secret.
async fn assigned_official(app: &TestApp, name: &str, path: &str, mut to: Value) -> String {
    let (secret, id) = app.staff_token(name, "official").await;
    to["account_id"] = json!(id);
    let admin = app.admin_token.clone().expect("a demo administrator");
    let (s, a) = post(app, path, &admin, to).await;
    assert_eq!(s, 201, "{a}");
    secret
}

/// Where an application stands (the services part's status machine); a submitted application is
/// brought there by [`move_application`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationState {
    Submitted,
    InReview,
    NeedsInfo,
    Approved,
    Rejected,
    Fulfilled,
    Withdrawn,
}

impl ApplicationState {
    /// The status as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::Submitted => "submitted",
            ApplicationState::InReview => "in_review",
            ApplicationState::NeedsInfo => "needs_info",
            ApplicationState::Approved => "approved",
            ApplicationState::Rejected => "rejected",
            ApplicationState::Fulfilled => "fulfilled",
            ApplicationState::Withdrawn => "withdrawn",
        }
    }

    /// The steps from «submitted» to here: (by the applicant?, step, body).
    fn steps(self) -> Vec<(bool, &'static str, Value)> {
        let take = (false, "take", json!({}));
        let approve = (false, "approve", json!({}));
        match self {
            ApplicationState::Submitted => vec![],
            ApplicationState::InReview => vec![take],
            ApplicationState::NeedsInfo => vec![
                take,
                (
                    false,
                    "ask-clarification",
                    json!({"comment": "Приложите фотографию лучшего качества."}),
                ),
            ],
            ApplicationState::Approved => vec![take, approve],
            ApplicationState::Rejected => vec![
                take,
                (
                    false,
                    "reject",
                    json!({"comment": "Документы не соответствуют требованиям."}),
                ),
            ],
            ApplicationState::Fulfilled => vec![take, approve, (false, "fulfil", json!({}))],
            ApplicationState::Withdrawn => vec![(true, "withdraw", json!({}))],
        }
    }
}

/// Brings the submitted application `id` to `state` through the API: the official `official` of
/// its agency takes it and decides (their steps take an empty body but for the comment a request
/// for clarification and a refusal need), or the applicant withdraws it. Every step is answered
/// 200; gives the last answer (`Value::Null` for «submitted», where no step is taken).
pub async fn move_application(
    app: &TestApp,
    id: &str,
    applicant: &str,
    official: &str,
    state: ApplicationState,
) -> Value {
    let mut last = Value::Null;
    for (by_applicant, step, body) in state.steps() {
        let (s, a) = if by_applicant {
            applicant_step(app, id, applicant, step, body).await
        } else {
            agency_step(app, id, official, step, body).await
        };
        assert_eq!(s, 200, "{step}: {a}");
        last = a;
    }
    if !last.is_null() {
        assert_eq!(last["status"], state.as_str(), "{last}");
    }
    last
}

/// An application for `passport-rf` by the person `applicant` ([`submitted_passport_application`])
/// brought to `state` ([`move_application`]; `official` is an official of МВД, see
/// [`agency_official`], and is not used for «submitted» and «withdrawn»). Its `answer` is the
/// answer to the last step.
pub async fn application_in(
    app: &TestApp,
    applicant: &str,
    official: &str,
    state: ApplicationState,
) -> Submitted {
    let mut submitted = submitted_passport_application(app, applicant).await;
    let last = move_application(app, &submitted.id, applicant, official, state).await;
    if !last.is_null() {
        submitted.answer = last;
    }
    submitted
}

/// A filed appeal.
pub struct Appeal {
    pub id: String,
    /// The number the platform gave it at filing.
    pub number: String,
    /// The answer to the last step that brought it where it stands.
    pub answer: Value,
}

/// An official's API token assigned to the appeals body `body` by the demo administrator: its
/// secret.
pub async fn body_official(app: &TestApp, name: &str, body: &str) -> String {
    let to = json!({"body_code": body});
    assigned_official(app, name, "/api/v1/appeals/officials", to).await
}

/// A moderator's verdict on an appeal (`{"verdict": "take" | "accept" | "send_back" | "reject",
/// …}`).
pub async fn moderate(app: &TestApp, moderator: &str, id: &str, verdict: Value) -> Answer {
    post(
        app,
        &format!("/api/v1/moderation/appeals/{id}"),
        moderator,
        verdict,
    )
    .await
}

/// A step of the official `by` of the body on an appeal (`take`, `answers`, `forward`,
/// `extension`).
pub async fn body_step(app: &TestApp, id: &str, by: &str, step: &str, body: Value) -> Answer {
    post(app, &format!("/api/v1/body/appeals/{id}/{step}"), by, body).await
}

/// A step of the author `by` (or of anyone the appeal shows to) on an appeal (`rating`,
/// `comments`, `correction`).
pub async fn author_step(app: &TestApp, id: &str, by: &str, step: &str, body: Value) -> Answer {
    post(app, &format!("/api/v1/appeals/{id}/{step}"), by, body).await
}

/// Sends a file to an appeal as `by` (its author, or the body's official for a file of an answer);
/// `query` names it (`name=yama.png`, and `&message=…` for a file of an answer).
pub async fn appeal_file(app: &TestApp, id: &str, by: &str, query: &str, bytes: Vec<u8>) -> Answer {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/appeals/{id}/files?{query}")))
        .bearer_auth(by)
        .body(bytes)
        .send()
        .await
        .expect("the file is sent");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// `appeal` (the JSON of `POST /api/v1/appeals`) filed by `author`, answered 201.
pub async fn filed_appeal(app: &TestApp, author: &str, appeal: Value) -> Appeal {
    let (s, answer) = post(app, "/api/v1/appeals", author, appeal).await;
    assert_eq!(s, 201, "{answer}");
    Appeal {
        id: answer["id"].as_str().expect("the appeal's id").to_string(),
        number: answer["number"]
            .as_str()
            .expect("the appeal's number")
            .to_string(),
        answer,
    }
}

/// Where an appeal stands (the appeals part's status machine), for [`appeal_in`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealState {
    New,
    Moderation,
    Routed,
    InWork,
    Answered,
    Closed,
    Rejected,
    Reopened,
}

impl AppealState {
    /// The status as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            AppealState::New => "new",
            AppealState::Moderation => "moderation",
            AppealState::Routed => "routed",
            AppealState::InWork => "in_work",
            AppealState::Answered => "answered",
            AppealState::Closed => "closed",
            AppealState::Rejected => "rejected",
            AppealState::Reopened => "reopened",
        }
    }
}

/// Who moves an appeal: its author, a moderator, and an official of the body moderation routes it
/// to (needed from «in_work» on).
pub struct AppealParties<'a> {
    pub author: &'a str,
    pub moderator: &'a str,
    pub official: Option<&'a str>,
}

impl<'a> AppealParties<'a> {
    /// The author, the moderator and (from «in_work» on) the official, in the order of the fields.
    pub fn new(author: &'a str, moderator: &'a str, official: Option<&'a str>) -> Self {
        AppealParties {
            author,
            moderator,
            official,
        }
    }
}

/// `appeal` filed by `who.author` and brought to `state` through the API, each step answered as
/// it should be: the moderator takes it («moderation»), accepts it straight from the queue
/// («routed»), or rejects it as no appeal («rejected»); the official takes a routed one («in_work»)
/// and gives the final answer («answered»); the author rates the answer 5, solved («closed»), or 2,
/// not solved («reopened», at the supervising body).
pub async fn appeal_in(
    app: &TestApp,
    who: &AppealParties<'_>,
    appeal: Value,
    state: AppealState,
) -> Appeal {
    use AppealState::*;
    let mut filed = filed_appeal(app, who.author, appeal).await;
    let id = filed.id.clone();
    let official = || {
        who.official
            .expect("an official of the body, for this state")
    };
    let ok = |(s, a): (u16, Value), want: u16, what: &str| {
        assert_eq!(s, want, "{what}: {a}");
        a
    };
    let verdict = match state {
        New => None,
        Moderation => Some(json!({"verdict": "take"})),
        Rejected => Some(json!({"verdict": "reject", "reason": "not_an_appeal"})),
        Routed | InWork | Answered | Closed | Reopened => Some(json!({"verdict": "accept"})),
    };
    if let Some(v) = verdict {
        filed.answer = ok(
            moderate(app, who.moderator, &id, v).await,
            200,
            "moderation",
        );
    }
    if matches!(state, InWork | Answered | Closed | Reopened) {
        let r = body_step(app, &id, official(), "take", json!({})).await;
        filed.answer = ok(r, 200, "the body takes it");
    }
    if matches!(state, Answered | Closed | Reopened) {
        let text = json!({"final": true, "text": "Ответ по существу обращения."});
        let r = body_step(app, &id, official(), "answers", text).await;
        filed.answer = ok(r, 201, "the final answer");
    }
    let rating = match state {
        Closed => Some(json!({"rating": 5, "solved": true})),
        Reopened => Some(json!({"rating": 2, "solved": false})),
        _ => None,
    };
    if let Some(r) = rating {
        let r = author_step(app, &id, who.author, "rating", r).await;
        filed.answer = ok(r, 200, "the rating");
    }
    assert_eq!(filed.answer["status"], state.as_str(), "{}", filed.answer);
    filed
}
