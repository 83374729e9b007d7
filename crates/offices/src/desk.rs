//! Operators' desks: terminals registered per office (a desk or a kiosk, each with its own
//! revocable credential), operators bound to offices with a role, the rule that an operator acts
//! only from a registered device of their own office, and the in-person flows done at a desk
//! (registration with a printed справка, confirmation, access recovery), which call identity.

use okno_identity::desk::{Desk, Found, Issued, NewPerson, Representative};
use okno_identity::Identity;
use okno_kernel::actor::{Actor, ActorKind, Permission, Role};
use okno_kernel::auth;
use okno_kernel::clock::{new_id, now_ms, rfc3339};
use okno_kernel::db::{AsConn, Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use okno_kernel::pdf::{self, Block};
use okno_kernel::pii::Secrets;
use okno_kernel::{audit, q_all, q_exec, q_opt};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::store::{self, OfficeRow};

/// How long a printed справка can be downloaded again by the operator who made it.
const RECEIPT_TTL_MS: i64 = 15 * 60_000;

/// A terminal's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// An operator's desk terminal.
    Desk,
    /// A self-service kiosk in the hall.
    Kiosk,
}

impl DeviceKind {
    fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Desk => "desk",
            DeviceKind::Kiosk => "kiosk",
        }
    }
}

/// An operator's role at an office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    /// оператор
    Operator,
    /// старший оператор
    Senior,
    /// администратор пункта: also registers the office's devices
    OfficeAdmin,
}

impl OperatorRole {
    fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Operator => "operator",
            OperatorRole::Senior => "senior",
            OperatorRole::OfficeAdmin => "office_admin",
        }
    }

    fn parse(s: &str) -> Option<OperatorRole> {
        [
            OperatorRole::Operator,
            OperatorRole::Senior,
            OperatorRole::OfficeAdmin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            OperatorRole::Operator => "оператор",
            OperatorRole::Senior => "старший оператор",
            OperatorRole::OfficeAdmin => "администратор пункта",
        }
    }
}

/// A registered terminal, as listed (never its credential).
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub office_code: String,
    /// `desk` or `kiosk`.
    pub kind: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A terminal registered: its credential is shown only now. Put it on the machine once
/// (`/operator/enrol`, or the `X-Okno-Device` header of an integration).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    pub device: DeviceView,
    pub credential: String,
}

fn desk_refused(code: &'static str, detail: &str) -> Error {
    Problem::new(403, code, "Недоступно с этого рабочего места")
        .with_detail(detail.to_string())
        .into()
}

/// Who may manage an office's devices and operators: an administrator, or the office's own
/// administrator at one of its desks.
async fn require_office_admin(tx: &mut Tx, actor: &Actor, office: &OfficeRow) -> Result<()> {
    if actor.can(Permission::OfficesManage) {
        return Ok(());
    }
    let desk = require_desk(tx, actor, office).await?;
    if desk.role != Some(OperatorRole::OfficeAdmin) {
        return Err(Problem::forbidden(Permission::OfficesManage.name()).into());
    }
    Ok(())
}

/// Registers a desk terminal or kiosk at an office and gives its credential (shown once).
pub async fn register_device(
    db: &Db,
    actor: &Actor,
    office: &str,
    kind: DeviceKind,
    name: &str,
) -> Result<Registered> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Problem::invalid_field(
            "name",
            "device.name_invalid",
            "Название рабочего места — от 1 до 60 символов, например «Окно 3».",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    require_office_admin(&mut tx, actor, &o).await?;
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let credential = format!("okno_dev_{}", hex_string(&b));
    let device = DeviceView {
        id: new_id(),
        office_code: o.code.clone(),
        kind: kind.as_str().into(),
        name: name.into(),
        created_at: now_ms(),
        revoked_at: None,
    };
    q_exec!(
        &mut tx,
        "INSERT INTO office_devices (id, office_code, kind, name, credential_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &device.id,
        &device.office_code,
        &device.kind,
        &device.name,
        auth::secret_hash(&credential),
        device.created_at
    )?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.device.registered",
            subject_type: "device",
            subject_id: &device.id,
            details: serde_json::json!({ "office": o.code, "kind": device.kind, "name": device.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Registered { device, credential })
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Revokes a terminal's credential: it is refused from the next request on.
pub async fn revoke_device(db: &Db, actor: &Actor, office: &str, id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    require_office_admin(&mut tx, actor, &o).await?;
    let n = q_exec!(
        &mut tx,
        "UPDATE office_devices SET revoked_at = $1 WHERE id = $2 AND office_code = $3 AND revoked_at IS NULL",
        now_ms(),
        id,
        &o.code
    )?;
    if n == 0 {
        return Err(Problem::not_found("Действующее рабочее место не найдено.").into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.device.revoked",
            subject_type: "device",
            subject_id: id,
            details: serde_json::json!({ "office": o.code }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The office's terminals.
pub async fn devices(db: &Db, actor: &Actor, office: &str) -> Result<Vec<DeviceView>> {
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    require_office_admin(&mut tx, actor, &o).await?;
    let v = q_all!(
        &mut tx,
        DeviceView,
        "SELECT id, office_code, kind, name, created_at, revoked_at FROM office_devices WHERE office_code = $1 ORDER BY created_at",
        &o.code
    )?;
    tx.commit().await?;
    Ok(v)
}

/// Binds an operator (a staff account with the operator role) to an office with a role.
pub async fn assign_operator(
    db: &Db,
    actor: &Actor,
    office: &str,
    account_id: &str,
    role: OperatorRole,
) -> Result<()> {
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    require_office_admin(&mut tx, actor, &o).await?;
    let staff = okno_identity::sessions::session_actor(db, account_id).await?;
    if !staff.is_some_and(|a| a.roles.contains(&Role::Operator)) {
        return Err(Problem::conflict(
            "desk.not_an_operator",
            "Привязать к пункту можно только сотрудника с ролью «Оператор», сменившего временный пароль.",
        )
        .into());
    }
    q_exec!(
        &mut tx,
        "INSERT INTO office_operators (account_id, office_code, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, office_code) DO UPDATE SET role = $3",
        account_id,
        &o.code,
        role.as_str(),
        now_ms()
    )?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.operator.assigned",
            subject_type: "account",
            subject_id: account_id,
            details: serde_json::json!({ "office": o.code, "role": role.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An operator bound to an office, as the office's administrator sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OperatorView {
    pub account_id: String,
    /// The account's name; «учётная запись заблокирована» once it is blocked.
    pub name: String,
    pub role: OperatorRole,
    pub role_title: &'static str,
    /// Milliseconds since the epoch, UTC.
    pub since: i64,
}

#[derive(Deserialize, sqlx::FromRow)]
struct OperatorRow {
    account_id: String,
    role: String,
    created_at: i64,
}

/// The operators bound to an office.
pub async fn operators(db: &Db, actor: &Actor, office: &str) -> Result<Vec<OperatorView>> {
    let rows = {
        let mut tx = db.begin().await?;
        let o = store::office(&mut tx, office)
            .await?
            .ok_or_else(crate::model::not_found_office)?;
        require_office_admin(&mut tx, actor, &o).await?;
        let rows = q_all!(
            &mut tx,
            OperatorRow,
            "SELECT account_id, role, created_at FROM office_operators WHERE office_code = $1 ORDER BY created_at",
            &o.code
        )?;
        tx.commit().await?;
        rows
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let role = OperatorRole::parse(&r.role).unwrap_or(OperatorRole::Operator);
        let name = okno_identity::sessions::session_actor(db, &r.account_id)
            .await?
            .map_or_else(|| "учётная запись заблокирована".to_string(), |a| a.name);
        out.push(OperatorView {
            account_id: r.account_id,
            name,
            role,
            role_title: role.title(),
            since: r.created_at,
        });
    }
    Ok(out)
}

/// Unbinds an operator from an office: from the next request on they cannot act at its desks.
/// An office administrator cannot unbind themself (another administrator must).
pub async fn remove_operator(db: &Db, actor: &Actor, office: &str, account_id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let o = store::office(&mut tx, office)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    require_office_admin(&mut tx, actor, &o).await?;
    if actor.id.as_deref() == Some(account_id) {
        return Err(Problem::conflict(
            "desk.cannot_remove_self",
            "Нельзя отвязать от пункта самого себя: это делает другой администратор.",
        )
        .into());
    }
    let n = q_exec!(
        &mut tx,
        "DELETE FROM office_operators WHERE account_id = $1 AND office_code = $2",
        account_id,
        &o.code
    )?;
    if n == 0 {
        return Err(Problem::not_found("Этот сотрудник не привязан к пункту.").into());
    }
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "offices.operator.removed",
            subject_type: "account",
            subject_id: account_id,
            details: serde_json::json!({ "office": o.code }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Where and as whom an operator acts: checked on every desk and queue use case.
#[derive(Debug, Clone)]
pub struct DeskContext {
    pub office: String,
    pub device_id: String,
    pub device_name: String,
    /// The operator's role at the office; `None` for an integration's token at the device.
    pub role: Option<OperatorRole>,
}

impl DeskContext {
    /// The desk an act is done at, for the person or for their representative.
    pub fn desk(&self, representative: Option<Representative>) -> Desk {
        Desk {
            office: self.office.clone(),
            device: self.device_id.clone(),
            representative,
        }
    }
}

#[derive(Deserialize, sqlx::FromRow)]
struct DeviceRow {
    id: String,
    office_code: String,
    kind: String,
    name: String,
    revoked_at: Option<i64>,
}

#[derive(Deserialize, sqlx::FromRow)]
struct Membership {
    role: String,
}

/// The device the request came from, if it presented a credential of a registered terminal.
async fn presented_device(c: &mut impl AsConn, actor: &Actor) -> Result<Option<DeviceRow>> {
    let Some(cred) = &actor.device else {
        return Ok(None);
    };
    Ok(q_opt!(
        c,
        DeviceRow,
        "SELECT id, office_code, kind, name, revoked_at FROM office_devices WHERE credential_hash = $1",
        auth::secret_hash(&cred.0)
    )?)
}

/// A self-service kiosk: the registered, unrevoked kiosk device the request comes from (its
/// credential, nobody signed in), and the office it stands in. Anything else is refused.
pub async fn require_kiosk(c: &mut impl AsConn, actor: &Actor) -> Result<(String, String)> {
    let device = presented_device(c, actor).await?;
    match device {
        Some(d) if d.revoked_at.is_none() && d.kind == "kiosk" => Ok((d.office_code, d.id)),
        Some(d) if d.revoked_at.is_some() => Err(desk_refused(
            "desk.device_revoked",
            "Терминал отключён администратором.",
        )),
        _ => Err(desk_refused(
            "kiosk.device_required",
            "Талоны без оператора выдаёт только зарегистрированный терминал самообслуживания центра.",
        )),
    }
}

/// The rule of the desk: an operator (a person signed in with a second factor) acts only from a
/// registered, unrevoked device of an office they are bound to; an integration's token with the
/// operator role acts only through a registered device of that office.
/// A read: call it in the transaction of the use case it guards, or on a read connection.
pub async fn require_desk(
    c: &mut impl AsConn,
    actor: &Actor,
    office: &OfficeRow,
) -> Result<DeskContext> {
    if actor.is_anonymous() {
        return Err(Problem::unauthenticated().into());
    }
    if !actor.can(Permission::QueueOperate) && !actor.can(Permission::IdentityConfirm) {
        return Err(Problem::forbidden(Permission::QueueOperate.name()).into());
    }
    let device = presented_device(c, actor).await?.ok_or_else(|| {
        desk_refused(
            "desk.device_required",
            "Работать с очередью и учётными записями можно только с зарегистрированного рабочего места центра.",
        )
    })?;
    if device.revoked_at.is_some() {
        return Err(desk_refused(
            "desk.device_revoked",
            "Рабочее место отключено администратором: доступ с него закрыт.",
        ));
    }
    if device.office_code != office.code {
        return Err(desk_refused(
            "desk.other_office",
            "Это рабочее место относится к другому центру обслуживания.",
        ));
    }
    let role = match actor.kind {
        ActorKind::Account => {
            let id = actor.id.as_deref().unwrap_or_default();
            let membership = q_opt!(
                c,
                Membership,
                "SELECT role FROM office_operators WHERE account_id = $1 AND office_code = $2",
                id,
                &office.code
            )?;
            Some(
                membership
                    .and_then(|m| OperatorRole::parse(&m.role))
                    .ok_or_else(|| {
                        desk_refused(
                    "desk.not_your_office",
                    "Вы не закреплены за этим центром обслуживания. Обратитесь к администратору.",
                )
                    })?,
            )
        }
        ActorKind::System => Some(OperatorRole::OfficeAdmin),
        _ => None,
    };
    Ok(DeskContext {
        office: office.code.clone(),
        device_id: device.id,
        device_name: device.name,
        role,
    })
}

/// The desk the signed-in operator works at: the office of the device the request came from.
/// Only reads, on a read connection (see [`current_desk_in`] for a use case's transaction).
pub async fn current_desk(db: &Db, actor: &Actor) -> Result<(OfficeRow, DeskContext)> {
    let mut c = db.read().await?;
    current_desk_in(&mut c, actor).await
}

/// [`current_desk`] read in the caller's connection or transaction, so that what it checks
/// agrees with what the caller then writes.
pub async fn current_desk_in(
    c: &mut impl AsConn,
    actor: &Actor,
) -> Result<(OfficeRow, DeskContext)> {
    let device = presented_device(c, actor).await?.ok_or_else(|| {
        desk_refused(
            "desk.device_required",
            "Это не зарегистрированное рабочее место центра обслуживания.",
        )
    })?;
    let o = store::office(c, &device.office_code)
        .await?
        .ok_or_else(crate::model::not_found_office)?;
    let ctx = require_desk(c, actor, &o).await?;
    Ok((o, ctx))
}

/// What the person leaves the desk with: a справка (PDF) with the login, the temporary password,
/// the office, the operator, the date and a QR code for signing in.
fn receipt_pdf(
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

/// A справка made at the desk, to download.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeskIssued {
    #[serde(flatten)]
    pub issued: Issued,
    /// The one-time sign-in link the QR code holds, when one was asked for.
    pub sign_in_url: Option<String>,
    /// `GET` it (same operator, 15 minutes) for the PDF справка.
    pub receipt_url: String,
}

async fn keep_receipt(
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
    q_exec!(
        &mut tx,
        "DELETE FROM desk_receipts WHERE expires_at <= $1",
        now
    )?;
    q_exec!(
        &mut tx,
        "INSERT INTO desk_receipts (id, operator_id, account_id, pdf_enc, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &id,
        operator.id.as_deref().unwrap_or_default(),
        account_id,
        secrets.encrypt(&base64::engine::general_purpose::STANDARD.encode(pdf)),
        now,
        now + RECEIPT_TTL_MS
    )?;
    tx.commit().await?;
    Ok(format!("/operator/receipts/{id}"))
}

/// The справка's PDF, for the operator who printed it, within 15 minutes.
pub async fn receipt(db: &Db, secrets: &Secrets, operator: &Actor, id: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    #[derive(Deserialize, sqlx::FromRow)]
    struct Row {
        operator_id: String,
        pdf_enc: String,
        expires_at: i64,
    }
    let mut c = db.read().await?;
    let r = q_opt!(
        &mut c,
        Row,
        "SELECT operator_id, pdf_enc, expires_at FROM desk_receipts WHERE id = $1",
        id
    )?
    .filter(|r| Some(r.operator_id.as_str()) == operator.id.as_deref() && r.expires_at > now_ms())
    .ok_or_else(|| Problem::not_found("Справка не найдена или срок её выдачи (15 минут) истёк."))?;
    let b64 = secrets.decrypt(&r.pdf_enc).map_err(Error::internal)?;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(Error::internal)
}

/// Registers a person at the desk and prepares the справка.
pub async fn register_person(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    public_url: &str,
    mut p: NewPerson,
) -> Result<DeskIssued> {
    let (o, ctx) = current_desk(db, actor).await?;
    let desk = ctx.desk(p.representative.take());
    let issued = okno_identity::desk::register_in_person(db, secrets, idn, actor, &desk, p).await?;
    let pdf = receipt_pdf(
        "Справка о регистрации учётной записи",
        &issued,
        &o,
        actor,
        &format!("{public_url}/login"),
    )?;
    let receipt_url = keep_receipt(db, secrets, actor, &issued.account_id, &pdf).await?;
    Ok(DeskIssued {
        issued,
        receipt_url,
        sign_in_url: None,
    })
}

/// Restores a person's access at the desk and prepares the справка with the new temporary password.
#[allow(clippy::too_many_arguments)]
pub async fn restore_access(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    public_url: &str,
    account_id: &str,
    passport: &str,
    method: okno_identity::desk::RestoreMethod,
    representative: Option<Representative>,
) -> Result<DeskIssued> {
    let (o, ctx) = current_desk(db, actor).await?;
    let issued = okno_identity::desk::restore_in_person(
        db,
        secrets,
        idn,
        actor,
        &ctx.desk(representative),
        account_id,
        passport,
        method,
    )
    .await?;
    let sign_in_url = issued
        .sign_in_code
        .as_ref()
        .map(|code| format!("{public_url}/login/link/{code}"));
    let pdf = receipt_pdf(
        "Справка о восстановлении доступа",
        &issued,
        &o,
        actor,
        sign_in_url
            .as_deref()
            .unwrap_or(&format!("{public_url}/login")),
    )?;
    let receipt_url = keep_receipt(db, secrets, actor, &issued.account_id, &pdf).await?;
    Ok(DeskIssued {
        issued,
        receipt_url,
        sign_in_url,
    })
}

/// Confirms an existing account at the desk against the passport shown.
pub async fn confirm(
    db: &Db,
    secrets: &Secrets,
    idn: &Identity,
    actor: &Actor,
    account_id: &str,
    c: okno_identity::confirmation::InPerson,
    representative: Option<Representative>,
) -> Result<okno_identity::model::Level> {
    let (_, ctx) = current_desk(db, actor).await?;
    let desk = ctx.desk(representative);
    okno_identity::confirmation::in_person(db, secrets, idn, actor, account_id, &desk, c).await
}

/// Finds an account at the desk by СНИЛС, phone or passport.
pub async fn find(db: &Db, secrets: &Secrets, actor: &Actor, query: &str) -> Result<Vec<Found>> {
    let (_, ctx) = current_desk(db, actor).await?;
    okno_identity::desk::find(db, secrets, actor, &ctx.desk(None), query).await
}
