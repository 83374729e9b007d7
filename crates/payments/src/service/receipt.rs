//! The receipt of a captured payment: a PDF made in the capture's transaction, signed and
//! registered as a document (`payments.receipt`), with two QR codes — the charge's ГОСТ Р
//! 56042-2014 payment requisites and the receipt's public check page `/verify/{id}`.

use okno_kernel::clock::{moment_text, new_id};
use okno_kernel::db::Tx;
use okno_kernel::documents::{self, IssuedDocument, NewDocument};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::files::Files;
use okno_kernel::pdf::Block;
use okno_kernel::Platform;
use okno_rules::Kopecks;

use crate::model::{ChargeRow, PaymentRow};

/// The document kind of receipts in the register.
pub const KIND: &str = "payments.receipt";

/// Makes, signs and registers the receipt of `pay`, in the capture's transaction.
pub(super) async fn issue(
    tx: &mut Tx,
    p: &Platform,
    (public_url, files_dir): (&str, &std::path::Path),
    c: &ChargeRow,
    pay: &PaymentRow,
    zone: &str,
    now: i64,
) -> Result<IssuedDocument> {
    let id = new_id();
    let url = format!("{}/verify/{id}", public_url.trim_end_matches('/'));
    let payer = p
        .secrets
        .decrypt(&c.payer_name_enc)
        .map_err(Error::internal)?;
    let title = "Квитанция об оплате";
    let blocks = blocks(c, pay, &payer, &moment_text(zone, now), &url)?;
    let bytes = okno_kernel::pdf::render(title, &blocks).map_err(Error::internal)?;
    documents::issue(
        tx,
        &p.secrets,
        &Files::new(files_dir),
        &id,
        &NewDocument {
            kind: KIND,
            subject_type: "payment",
            subject_id: &pay.id,
            title,
            number: &c.uin,
            issuer: &c.payee_name,
            recipient: &documents::mask_name(&payer),
        },
        &bytes,
        now,
    )
    .await
}

fn field(label: &str, value: impl Into<String>) -> Block {
    Block::Field(label.into(), value.into())
}

/// What the receipt says.
fn blocks(
    c: &ChargeRow,
    pay: &PaymentRow,
    payer: &str,
    when: &str,
    url: &str,
) -> Result<Vec<Block>> {
    let requisites = c
        .payment_qr(pay.amount_kopecks)
        .map_err(|e| Error::internal(format!("payment QR: {e}")))?;
    let mut b = vec![
        Block::Heading("Квитанция об оплате".into()),
        field("Дата и время", when),
        field("Сумма", Kopecks(pay.amount_kopecks).to_string()),
        field("Комиссия", Kopecks(pay.commission_kopecks).to_string()),
        field("УИН", c.uin.clone()),
        field("Назначение", c.purpose.clone()),
        field("Плательщик", payer),
        Block::Space(3.0),
        field("Получатель", c.payee_name.clone()),
        field("ИНН / КПП", format!("{} / {}", c.payee_inn, c.payee_kpp)),
        field("Банк получателя", c.payee_bank.clone()),
        field("БИК", c.payee_bik.clone()),
        field("Казначейский счёт", c.payee_account.clone()),
        field("ЕКС", c.payee_corr_account.clone()),
        field("КБК / ОКТМО", format!("{} / {}", c.kbk, c.oktmo)),
        Block::Space(3.0),
        field("Способ оплаты", "банковская карта"),
    ];
    if let Some(pan) = &pay.card_pan {
        b.push(field("Карта", pan.clone()));
    }
    if let Some(rrn) = &pay.rrn {
        b.push(field("Номер операции в банке (RRN)", rrn.clone()));
    }
    if let Some(id) = &pay.acquirer_payment_id {
        b.push(field("Номер операции эквайера", id.clone()));
    }
    b.push(field("Номер платежа", pay.id.clone()));
    b.push(Block::Space(5.0));
    b.push(Block::Qr {
        payload: requisites,
        caption: "Реквизиты начисления (ГОСТ Р 56042-2014)".into(),
    });
    b.push(Block::Qr {
        payload: url.to_string(),
        caption: format!("Проверить квитанцию: {url}"),
    });
    Ok(b)
}

/// The receipt of a payment, when it has one.
pub async fn receipt_of(p: &Platform, payment_id: &str) -> Result<Option<IssuedDocument>> {
    let mut c = p.db.read().await?;
    Ok(documents::of_subject(&mut c, "payment", payment_id)
        .await?
        .into_iter()
        .find(|d| d.kind == KIND))
}

/// The receipt's PDF: the payer's own when they were signed in; anyone's who holds the payment's
/// id when it was paid from the public page.
pub async fn receipt_file(
    p: &Platform,
    files_dir: &std::path::Path,
    actor: &okno_kernel::actor::Actor,
    payment_id: &str,
) -> Result<Vec<u8>> {
    let pay = {
        let mut c = p.db.read().await?;
        crate::store::payment(&mut c, payment_id).await?
    }
    .ok_or_else(|| Problem::not_found("Платёж не найден."))?;
    // A payment started by a signed-in person: the receipt names them, so it is theirs alone.
    if pay.account_id.is_some() && pay.account_id != actor.id {
        return Err(Problem::not_found("Платёж не найден.").into());
    }
    let doc = receipt_of(p, payment_id)
        .await?
        .ok_or_else(|| Problem::not_found("Квитанции к этому платежу нет: платёж не завершён."))?;
    Files::new(files_dir).get(&doc.sha256).await
}
