//! The справка a person leaves the desk with: made as a PDF, kept encrypted for 15 minutes for
//! the operator who made it, and downloaded again by them.

use okno_identity::desk::Issued;
use okno_kernel::actor::Actor;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::Db;
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pdf::{self, Block};
use okno_kernel::pii::Secrets;

use super::store::{self, NewReceipt};
use crate::store::OfficeRow;

/// How long a printed справка can be downloaded again by the operator who made it.
const RECEIPT_TTL_MS: i64 = 15 * 60_000;

/// What the person leaves the desk with: a справка (PDF) with the login, the temporary password,
/// the office, the operator, the date and a QR code for signing in.
pub(super) fn receipt_pdf(
    title: &str,
    issued: &Issued,
    office: &OfficeRow,
    operator: &Actor,
    sign_in_url: &str,
) -> Result<Vec<u8>> {
    let now = rfc3339(now_ms());
    let until = rfc3339(issued.valid_until);
    pdf::render(
        title,
        &[
            Block::Heading(title.to_string()),
            Block::Text(format!("{}, {}", office.name, office.address)),
            Block::Space(4.0),
            Block::Field("Владелец учётной записи".into(), issued.full_name.clone()),
            Block::Field("Логин (СНИЛС)".into(), issued.login.clone()),
            match &issued.representative {
                Some(r) => Block::Field("Представитель".into(), r.clone()),
                None => Block::Space(0.0),
            },
            match &issued.temporary_password {
                Some(pw) => Block::Field("Временный пароль".into(), pw.clone()),
                None => Block::Field("Вход".into(), "по одноразовому QR-коду".into()),
            },
            Block::Text(match issued.temporary_password {
                Some(_) => format!(
                    "Временный пароль действует до {until} (UTC). При первом входе придумайте новый пароль: без этого работать в личном кабинете нельзя. Никому не сообщайте пароль, сотрудники центра его не спрашивают."
                ),
                None => format!(
                    "QR-код ниже действует до {until} (UTC) и только один раз: отсканируйте его камерой телефона и придумайте новый пароль. Никому не показывайте этот код."
                ),
            }),
            Block::Space(4.0),
            Block::Qr {
                payload: sign_in_url.to_string(),
                caption: if issued.sign_in_code.is_some() {
                    "Одноразовый код для входа".to_string()
                } else {
                    format!("Отсканируйте камерой телефона, чтобы открыть страницу входа: {sign_in_url}")
                },
            },
            Block::Space(4.0),
            Block::Field("Оператор".into(), operator.name.clone()),
            Block::Field("Дата и время (UTC)".into(), now),
        ],
    )
    .map_err(Error::internal)
}

/// Keeps the справка for its operator (encrypted, 15 minutes) and gives the address to get it.
pub(super) async fn keep_receipt(
    db: &Db,
    secrets: &Secrets,
    operator: &Actor,
    account_id: &str,
    pdf: &[u8],
) -> Result<String> {
    use base64::Engine;
    let id = new_id();
    let now = now_ms();
    let mut tx = db.begin().await?;
    store::delete_expired_receipts(&mut tx, now).await?;
    store::insert_receipt(
        &mut tx,
        NewReceipt {
            id: &id,
            operator_id: operator.id.as_deref().unwrap_or_default(),
            account_id,
            pdf_enc: secrets.encrypt(&base64::engine::general_purpose::STANDARD.encode(pdf)),
            created_at: now,
            expires_at: now + RECEIPT_TTL_MS,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(format!("/operator/receipts/{id}"))
}

/// The справка's PDF, for the operator who printed it, within 15 minutes.
pub async fn receipt(db: &Db, secrets: &Secrets, operator: &Actor, id: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    let mut c = db.read().await?;
    let r = store::receipt(&mut c, id)
        .await?
        .filter(|r| {
            Some(r.operator_id.as_str()) == operator.id.as_deref() && r.expires_at > now_ms()
        })
        .ok_or_else(|| {
            Problem::not_found("Справка не найдена или срок её выдачи (15 минут) истёк.")
        })?;
    let b64 = secrets.decrypt(&r.pdf_enc).map_err(Error::internal)?;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(Error::internal)
}
