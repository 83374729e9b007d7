//! The payer's pages of the sandbox bank, in Russian: the card form (`/pay/{PaymentId}`, Init's
//! PaymentURL), the 3-D Secure challenge (`/3ds/{PaymentId}`), a "processing" page and a
//! result page; after a final status the browser is sent to SuccessURL or FailURL (303).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use rand::Rng;
use sha2::{Digest, Sha256};

use super::book::{CardRecord, CardStep, Payment};
use super::cards::{self, Behaviour, TEST_CARDS, THREE_DS_CODE};
use super::messages as m;
use super::notify;
use super::{clock, Sandbox};
use crate::model::{AcquirerStatus, Outcome};

/// HTML-escapes text for an element or an attribute.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Kopecks as rubles the Russian way: `1 234,56 ₽`.
pub(crate) fn rubles(kopecks: i64) -> String {
    let sign = if kopecks < 0 { "−" } else { "" };
    let k = kopecks.unsigned_abs();
    let digits = (k / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}\u{a0}₽", k % 100)
}

/// A whole page of the bank.
pub(crate) fn page(title: &str, body: &str, refresh: Option<&str>) -> String {
    let refresh = refresh
        .map(|url| {
            format!(
                r#"<meta http-equiv="refresh" content="1; url={}">"#,
                esc(url)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.3rem}}label{{display:block;margin:.8rem 0 .2rem}}input{{font-size:1.1rem;padding:.3rem;width:100%;box-sizing:border-box}}
button{{margin-top:1rem;font-size:1.1rem;padding:.5rem 1.5rem}}.note{{background:#fff6d6;padding:.6rem;border-radius:.3rem}}
.error{{color:#a00;font-weight:bold}}table{{border-collapse:collapse;font-size:.9rem}}td{{padding:.2rem .4rem;border-top:1px solid #ddd}}</style>
</head><body><h1>{title}</h1>
{body}
<p class="note">{note}</p>
</body></html>"#,
        title = esc(title),
        note = esc(m::TEST_NOTE),
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        page(
            m::BANK_TITLE,
            &format!("<p>{}</p>", esc(m::NOT_FOUND_PAGE)),
            None,
        ),
    )
}

/// The list of test cards, as an HTML table.
pub(crate) fn cards_table() -> String {
    let rows: String = TEST_CARDS
        .iter()
        .map(|(card, what)| {
            format!(
                "<tr><td><code>{card}</code></td><td>{}</td></tr>",
                esc(what)
            )
        })
        .collect();
    format!(
        "<h2>{}</h2><table>{rows}</table><p>Срок действия — любой в будущем, CVC — любые три цифры.</p>",
        esc(m::TEST_CARDS_TITLE)
    )
}

fn form_page(p: &Payment, base: &str, error: Option<&str>, card: &str, exp: &str) -> String {
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<p>{amount_label}: <strong>{amount}</strong></p>
<p>{purpose_label}: {purpose}</p>
{error}
<form method="post" action="{base}/pay/{id}">
<label for="card">{card_label}</label><input id="card" name="card" inputmode="numeric" autocomplete="cc-number" value="{card}" required>
<label for="exp">{exp_label}</label><input id="exp" name="exp" placeholder="ММ/ГГ" autocomplete="cc-exp" value="{exp}" required>
<label for="cvc">{cvc_label}</label><input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="3" required>
<button type="submit">{pay}</button>
</form>
{cards}"#,
        amount_label = esc(m::AMOUNT),
        amount = rubles(p.amount),
        purpose_label = esc(m::PURPOSE),
        purpose = esc(&p.description),
        base = esc(base),
        id = esc(&p.id),
        card_label = esc(m::CARD_NUMBER),
        card = esc(card),
        exp_label = esc(m::EXPIRY),
        exp = esc(exp),
        cvc_label = esc(m::CVC),
        pay = esc(m::PAY),
        cards = cards_table(),
    );
    page(m::BANK_TITLE, &body, None)
}

/// Where the payer's browser goes or what it sees, given where the payment stands.
fn where_now(p: &Payment, base: &str) -> Response {
    if p.awaits_card() {
        return html(StatusCode::OK, form_page(p, base, None, "", ""));
    }
    if p.status == AcquirerStatus::ThreeDsChecking {
        return see_other(&format!("{base}/3ds/{}", p.id));
    }
    let outcome = p.outcome();
    if outcome == Outcome::Pending {
        let here = format!("{base}/pay/{}", p.id);
        let body = format!("<p>{}</p>", esc(m::PROCESSING));
        return html(StatusCode::OK, page(m::BANK_TITLE, &body, Some(&here)));
    }
    let failed = matches!(outcome, Outcome::Failed { .. } | Outcome::Cancelled);
    let url = if failed { &p.fail_url } else { &p.success_url };
    if let Some(url) = url {
        return see_other(url);
    }
    let text = match (&outcome, p.error) {
        (Outcome::Failed { .. }, Some(r)) => format!("{}: {}", m::FAILED, r.message),
        (Outcome::Failed { .. }, None) => m::FAILED.to_string(),
        (Outcome::Cancelled, _) => m::CANCELLED.to_string(),
        (Outcome::Authorised, _) => m::HELD.to_string(),
        _ => m::PAID.to_string(),
    };
    html(
        StatusCode::OK,
        page(m::BANK_TITLE, &format!("<p>{}</p>", esc(&text)), None),
    )
}

/// Where the browser goes after it posted a form: the next page, by a 303.
fn after_post(p: &Payment, base: &str) -> Response {
    if p.status == AcquirerStatus::ThreeDsChecking {
        return see_other(&format!("{base}/3ds/{}", p.id));
    }
    let outcome = p.outcome();
    let failed = matches!(outcome, Outcome::Failed { .. } | Outcome::Cancelled);
    let url = match outcome {
        Outcome::Pending => None,
        _ if failed => p.fail_url.as_ref(),
        _ => p.success_url.as_ref(),
    };
    match url {
        Some(url) => see_other(url),
        None => see_other(&format!("{base}/pay/{}", p.id)),
    }
}

/// `GET /pay/{id}`: the card form (NEW → FORM_SHOWED), or where the payment now stands.
pub(crate) async fn pay_form(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = sb.public_url(&headers);
    let shown = sb.book().show_form(&id);
    match shown {
        Ok(p) => where_now(&p, &base),
        Err(_) => not_found(),
    }
}

/// The bank's id of a card: the same for the same card of the same customer at a terminal.
fn card_id(p: &Payment, digits: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        p.terminal.as_str(),
        p.customer_key.as_deref().unwrap_or(""),
        digits,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let mut n = [0u8; 8];
    n.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(n) % 900_000_000 + 100_000_000).to_string()
}

/// What is wrong with a typed card, in Russian, or the card's digits, month and year.
fn check_card(
    card: &str,
    exp: &str,
    cvc: &str,
) -> Result<(String, Behaviour, u32, i64), &'static str> {
    let digits = cards::digits(card).ok_or(m::BAD_NUMBER)?;
    if !cards::luhn_ok(&digits) {
        return Err(m::BAD_NUMBER);
    }
    let behaviour = cards::behaviour(&digits).ok_or(m::NOT_A_TEST_CARD)?;
    let (month, year) = cards::expiry(exp).ok_or(m::BAD_EXPIRY)?;
    let today = clock::date(SystemTime::now());
    if (year, month) < (today.year, today.month) {
        return Err(m::EXPIRED);
    }
    let cvc = cvc.trim();
    if cvc.len() != 3 || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(m::BAD_CVC);
    }
    Ok((digits, behaviour, month, year))
}

/// `POST /pay/{id}` (card, exp, cvc): the payer pays. The card number is checked by Luhn,
/// must be a test card, and is kept and logged only masked.
pub(crate) async fn pay(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let base = sb.public_url(&headers);
    let Some(p) = sb.book().by_id(&id).cloned() else {
        return not_found();
    };
    if !p.awaits_card() {
        return where_now(&p, &base);
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let (card, exp) = (field("card"), field("exp"));
    let (digits, behaviour, month, year) = match check_card(card, exp, field("cvc")) {
        Ok(ok) => ok,
        Err(error) => {
            // The typed number goes back to the form only if it is not a real card's.
            let keep = if cards::digits(card).is_some_and(|d| cards::behaviour(&d).is_some()) {
                card
            } else {
                ""
            };
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&p, &base, Some(error), keep, exp),
            );
        }
    };
    let pan = cards::mask(&digits);
    tracing::info!(payment_id = %id, pan = %pan, ?behaviour, "card entered");
    let record = CardRecord {
        card_id: card_id(&p, &digits),
        pan,
        exp_date: format!("{month:02}{:02}", year % 100),
        rrn: rand::thread_rng()
            .gen_range(100_000_000_000u64..1_000_000_000_000)
            .to_string(),
    };
    let step = match behaviour {
        Behaviour::Success => CardStep::Authorise,
        Behaviour::ThreeDs => CardStep::ThreeDs,
        Behaviour::Slow => CardStep::Slow,
        Behaviour::Declined => CardStep::Decline(m::DECLINED),
        Behaviour::NoFunds => CardStep::Decline(m::NO_FUNDS),
    };
    let entered = sb.book().card_entered(&id, record, step);
    let p = match entered {
        Ok(p) => p,
        Err(_) => {
            // Another tab got there first: show where the payment stands.
            let now = sb.book().by_id(&id).cloned();
            return now.map_or_else(not_found, |p| where_now(&p, &base));
        }
    };
    notify::after_change(&sb, &p);
    if behaviour == Behaviour::Slow {
        let sb = sb.clone();
        let id = id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(sb.slow()).await;
            let done = sb.book().authorise(&id);
            match done {
                Ok(p) => notify::after_change(&sb, &p),
                Err(r) => {
                    tracing::warn!(payment_id = %id, code = r.code, "slow payment not finished")
                }
            }
        });
    }
    after_post(&p, &base)
}

/// `GET /3ds/{id}`: the one-time code form while the payment waits for it.
pub(crate) async fn three_ds_form(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = sb.public_url(&headers);
    let Some(p) = sb.book().by_id(&id).cloned() else {
        return not_found();
    };
    if p.status != AcquirerStatus::ThreeDsChecking {
        return where_now(&p, &base);
    }
    let body = format!(
        r#"<p>{amount_label}: <strong>{amount}</strong></p>
<p>{prompt}</p>
<form method="post" action="{base}/3ds/{id}">
<label for="code">{code_label}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit">{confirm}</button>
</form>"#,
        amount_label = esc(m::AMOUNT),
        amount = rubles(p.amount),
        prompt = esc(m::THREE_DS_PROMPT),
        base = esc(&base),
        id = esc(&p.id),
        code_label = esc(m::THREE_DS_CODE_LABEL),
        confirm = esc(m::CONFIRM),
    );
    html(StatusCode::OK, page(m::THREE_DS_TITLE, &body, None))
}

/// `POST /3ds/{id}` (code): the right code authorises the payment, a wrong one fails it
/// (AUTH_FAIL, ErrorCode 101).
pub(crate) async fn three_ds(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let base = sb.public_url(&headers);
    let passed = form.get("code").map(|c| c.trim()) == Some(THREE_DS_CODE);
    let answered = sb.book().three_ds_answered(&id, passed);
    match answered {
        Ok(p) => {
            tracing::info!(payment_id = %id, passed, "3-D Secure answered");
            notify::after_change(&sb, &p);
            after_post(&p, &base)
        }
        Err(_) => {
            let now = sb.book().by_id(&id).cloned();
            now.map_or_else(not_found, |p| where_now(&p, &base))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_in_rubles() {
        assert_eq!(rubles(123_456), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(rubles(5), "0,05\u{a0}₽");
        assert_eq!(rubles(100_000_000), "1\u{a0}000\u{a0}000,00\u{a0}₽");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_typed_card_is_checked() {
        assert!(check_card(cards::CARD_SUCCESS, "12/99", "123").is_ok());
        assert_eq!(
            check_card("4300000000000778", "12/99", "123").unwrap_err(),
            m::BAD_NUMBER
        );
        assert_eq!(
            check_card("4111111111111111", "12/99", "123").unwrap_err(),
            m::NOT_A_TEST_CARD
        );
        assert_eq!(
            check_card(cards::CARD_SUCCESS, "12/20", "123").unwrap_err(),
            m::EXPIRED
        );
        assert_eq!(
            check_card(cards::CARD_SUCCESS, "1299", "12").unwrap_err(),
            m::BAD_CVC
        );
        assert_eq!(
            check_card(cards::CARD_SUCCESS, "99", "123").unwrap_err(),
            m::BAD_EXPIRY
        );
    }
}
