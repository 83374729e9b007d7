//! The result document: made, signed and registered at fulfilment, and the person told.

use okno_identity::privacy::{notify_account, Topic};
use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::clock::new_id;
use okno_kernel::db::Tx;
use okno_kernel::documents::{self, IssuedDocument, NewDocument};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files;
use okno_kernel::pdf::Block;
use okno_kernel::Platform;

use crate::model::{self, FeeAt, Status};
use crate::store::AppRow;

use super::access::get;
use super::base::Settings;
use super::catalogue::ServiceView;
use super::views::ResultView;
use okno_kernel::clock::parse_date;

/// Makes the result document (a PDF with a QR code of its public check), signs and registers it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn issue_result(
    tx: &mut Tx,
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    (a, s): (&AppRow, &ServiceView),
    text: Option<&str>,
    uploaded: Option<&[u8]>,
    now: i64,
) -> Result<IssuedDocument> {
    let id = new_id();
    if let Some(bytes) = uploaded {
        require_pdf(bytes)?;
    }
    let url = format!("{}/verify/{id}", settings.public_url.trim_end_matches('/'));
    let number = a.number.clone().unwrap_or_default();
    let title = result_title(s);
    let bytes = match uploaded {
        Some(b) => b.to_vec(),
        None => okno_kernel::pdf::render(&title, &result_blocks(a, s, actor, text, &id, &url, now))
            .map_err(Error::internal)?,
    };
    let recipient = documents::mask_name(&a.applicant_name);
    let doc = documents::issue(
        tx,
        &p.secrets,
        &settings.files(),
        &id,
        &NewDocument {
            kind: "services.result",
            subject_type: "application",
            subject_id: &a.id,
            title: &title,
            number: &number,
            issuer: &s.agency_name,
            recipient: &recipient,
        },
        &bytes,
        now,
    )
    .await?;
    record_issued(tx, actor, a, &doc, uploaded.is_some()).await?;
    Ok(doc)
}

/// An agency's own result document is a PDF, so that it can be signed and checked.
fn require_pdf(bytes: &[u8]) -> Result<()> {
    if files::check_file(bytes)? != files::FileKind::Pdf {
        return Err(Problem::new(415, "result.not_pdf", "Результат — только PDF")
            .with_detail("Документ-результат прикладывается в PDF: так его можно подписать и проверить по QR-коду страницы проверки.")
            .into());
    }
    Ok(())
}

fn result_title(s: &ServiceView) -> String {
    format!("Результат предоставления услуги «{}»", s.title)
}

/// What the platform's result document says: the application, the agency, the applicant, the
/// decision, the official's text and a QR code of its public check at `url`.
fn result_blocks(
    a: &AppRow,
    s: &ServiceView,
    actor: &Actor,
    text: Option<&str>,
    id: &str,
    url: &str,
    now: i64,
) -> Vec<Block> {
    let number = a.number.clone().unwrap_or_default();
    let decided = a
        .decided_at
        .map(|ms| model::date_text(model::local_date(&s.time_zone, ms)))
        .unwrap_or_default();
    let mut blocks = vec![
        Block::Heading(result_title(s)),
        Block::Field("Заявление №".into(), number.clone()),
        Block::Field("Ведомство".into(), s.agency_name.clone()),
        Block::Field("Заявитель".into(), a.applicant_name.clone()),
        Block::Field("Решение".into(), format!("одобрено {decided}")),
        Block::Field(
            "Выдан".into(),
            model::date_text(model::local_date(&s.time_zone, now)),
        ),
        Block::Space(4.0),
        Block::Text(
            text.filter(|t| !t.trim().is_empty())
                .unwrap_or("Услуга предоставлена.")
                .to_string(),
        ),
        Block::Space(4.0),
        Block::Field("Должностное лицо".into(), actor.name.clone()),
        Block::Space(6.0),
        Block::Qr {
            payload: url.to_string(),
            caption: format!("Проверить подлинность документа: {url}"),
        },
        Block::Text(format!(
            "Документ сформирован и подписан электронной подписью платформы «Окно» (Ed25519). Номер документа в реестре: {id}."
        )),
    ];
    if number.is_empty() {
        blocks.remove(1);
    }
    blocks
}

async fn record_issued(
    tx: &mut Tx,
    actor: &Actor,
    a: &AppRow,
    doc: &IssuedDocument,
    by_agency: bool,
) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "services.result.issued",
            subject_type: "application",
            subject_id: &a.id,
            details: serde_json::json!({
                "document": doc.id, "sha256": doc.sha256, "size": doc.size,
                "made_by": if by_agency { "agency" } else { "platform" },
            }),
        },
    )
    .await
}

/// The signed result document of an application, for its applicant or an official of its agency.
pub async fn result_document(
    p: &Platform,
    settings: &Settings,
    actor: &Actor,
    id: &str,
) -> Result<(ResultView, Vec<u8>)> {
    let v = get(p, actor, id).await?;
    let r = v.result.ok_or_else(|| {
        Error::from(Problem::not_found(
            "Результат по этому заявлению ещё не выдан.",
        ))
    })?;
    let bytes = settings.files().get(&r.sha256).await?;
    Ok((r, bytes))
}

pub(super) async fn tell(
    tx: &mut Tx,
    a: &AppRow,
    s: &ServiceView,
    to: Status,
    comment: Option<&str>,
) -> Result<()> {
    let number = a.number.as_deref().unwrap_or("—");
    let subject = format!("Заявление № {number}: {}", to.title());
    let mut text = format!(
        "Заявление № {number} «{}» — статус «{}».",
        s.title,
        to.title()
    );
    match to {
        Status::Submitted => {
            if let Some(d) = a.due_date.as_deref().and_then(parse_date) {
                text.push_str(&format!(" Срок решения — до {}.", model::date_text(d)));
            }
        }
        Status::NeedsInfo | Status::Rejected => {
            if let Some(c) = comment {
                text.push_str(&format!(" Комментарий ведомства: {c}"));
            }
        }
        Status::Fulfilled => text.push_str(
            " Документ с результатом, подписанный электронной подписью, можно скачать на странице заявления.",
        ),
        _ => {}
    }
    if let (true, Some(fee)) = (to == Status::Approved, s.fee_kopecks.filter(|k| *k > 0)) {
        if s.fee_at == FeeAt::Approval {
            text.push_str(&format!(
                " Оплатите госпошлину {}: начисление появится в разделе «Платежи».",
                model::rubles(fee)
            ));
        }
    }
    notify_account(tx, &a.notify_account, Topic::Applications, &subject, &text).await?;
    Ok(())
}
