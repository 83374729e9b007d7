//! Passkeys (WebAuthn, `webauthn-rs`) as a second factor: a person registers the passkeys of their
//! phone or computer, and a sign-in whose password was right completes with one of them.
//!
//! Every ceremony's state stays on the server (`passkey_ceremonies`, `sign_in_challenges`), so any
//! node can finish what another began. The relying party is the host of `--public-url`.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth;
use okno_kernel::clock::{new_id, now_ms};
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::{Error, Problem, Result};
use serde::Serialize;
use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Uuid,
};

use crate::model::{own_account, random_token};
use crate::privacy::alert;
use crate::settings::Identity;
use crate::store::{self, load, NewPasskey, PasskeyRow};

/// How long a registration ceremony may take (the browser's own timeout is 5 minutes too).
const CEREMONY_TTL_MS: i64 = 5 * 60_000;
/// Passkeys one account may hold.
const MAX_PASSKEYS: i64 = 10;
const NAME_MAX: usize = 60;

/// A registered passkey, as a person sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A registration begun: hand `options` to `navigator.credentials.create()` and send the result
/// back with `ceremony`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationStart {
    pub ceremony: String,
    /// `PublicKeyCredentialCreationOptions` under `publicKey`, binary fields in base64url.
    #[schema(value_type = Object)]
    pub options: CreationChallengeResponse,
}

impl PasskeyRow {
    fn view(self) -> PasskeyView {
        PasskeyView {
            id: self.id,
            name: self.name,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

fn refused(detail: &str) -> Problem {
    Problem::new(400, "passkey.refused", "Ключ доступа не принят").with_detail(detail.to_string())
}

fn credential_key(id: &CredentialID) -> String {
    serde_json::to_value(id)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn account_passkeys(tx: &mut Tx, account_id: &str) -> Result<Vec<(PasskeyRow, Passkey)>> {
    let rows = store::passkeys_of(tx, account_id).await?;
    rows.into_iter()
        .map(|r| {
            let pk: Passkey = serde_json::from_str(&r.passkey).map_err(Error::internal)?;
            Ok((r, pk))
        })
        .collect()
}

/// Does the sign-in waiting on `challenge` belong to an account with a passkey?
pub async fn challenge_offers_passkey(db: &Db, challenge: &str) -> Result<bool> {
    let mut c = db.read().await?;
    store::challenge_has_passkey(&mut c, &auth::secret_hash(challenge)).await
}

/// The signed-in person's passkeys.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<PasskeyView>> {
    let id = own_account(actor)?;
    let mut c = db.read().await?;
    Ok(store::passkeys_of(&mut c, id)
        .await?
        .into_iter()
        .map(PasskeyRow::view)
        .collect())
}

/// Begins adding a passkey to the signed-in person's account.
pub async fn registration_begin(
    db: &Db,
    idn: &Identity,
    actor: &Actor,
) -> Result<RegistrationStart> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let a = load(&mut tx, id).await?;
    let existing = account_passkeys(&mut tx, id).await?;
    if existing.len() as i64 >= MAX_PASSKEYS {
        return Err(Problem::conflict(
            "passkey.too_many",
            format!("Можно добавить не больше {MAX_PASSKEYS} ключей доступа. Удалите ненужный."),
        )
        .into());
    }
    let user = Uuid::parse_str(&a.id).map_err(Error::internal)?;
    let login = a
        .email
        .clone()
        .or(a.phone.clone())
        .unwrap_or_else(|| a.id.clone());
    let exclude: Vec<CredentialID> = existing
        .iter()
        .map(|(_, pk)| pk.cred_id().clone())
        .collect();
    let (options, state) = idn
        .passkeys
        .webauthn
        .start_passkey_registration(user, &login, &a.display_name, Some(exclude))
        .map_err(Error::internal)?;
    let ceremony = random_token();
    let now = now_ms();
    store::drop_expired_ceremonies(&mut tx, id, now).await?;
    store::insert_ceremony(
        &mut tx,
        &auth::secret_hash(&ceremony),
        id,
        &serde_json::to_string(&state).map_err(Error::internal)?,
        now,
        now + CEREMONY_TTL_MS,
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.passkey.registration_started",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "rp_id": idn.passkeys.id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RegistrationStart { ceremony, options })
}

/// Finishes adding a passkey with what the browser's authenticator returned. A person whose second
/// factor was off now gets it at every sign-in, as with an authenticator app.
pub async fn registration_finish(
    db: &Db,
    idn: &Identity,
    actor: &Actor,
    ceremony: &str,
    name: &str,
    credential: &serde_json::Value,
) -> Result<PasskeyView> {
    let id = own_account(actor)?;
    let name = passkey_name(name)?;
    let credential: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
        .map_err(|_| {
            refused("Браузер прислал ответ ключа в непонятном виде. Попробуйте ещё раз.")
        })?;
    let mut tx = db.begin().await?;
    let hash = auth::secret_hash(ceremony);
    let state = store::ceremony(&mut tx, &hash)
        .await?
        .filter(|c| c.account_id == id && c.expires_at > now_ms())
        .ok_or_else(|| {
            Problem::conflict(
                "passkey.ceremony_expired",
                "Время на добавление ключа истекло. Начните заново.",
            )
        })?;
    // Single use, whatever the outcome.
    store::drop_ceremony(&mut tx, &hash).await?;
    let state: PasskeyRegistration = serde_json::from_str(&state.state).map_err(Error::internal)?;
    let passkey = match idn
        .passkeys
        .webauthn
        .finish_passkey_registration(&credential, &state)
    {
        Ok(pk) => pk,
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            tx.commit().await?;
            return Err(refused(
                "Ключ не подтвердил регистрацию: ответ не относится к этому сайту или устарел. Попробуйте ещё раз.",
            )
            .into());
        }
    };
    let pid = new_id();
    let now = now_ms();
    let new = NewPasskey {
        id: &pid,
        account_id: id,
        credential_id: credential_key(passkey.cred_id()),
        name,
        passkey: serde_json::to_string(&passkey).map_err(Error::internal)?,
        created_at: now,
    };
    if !store::insert_passkey(&mut tx, &new).await? {
        return Err(Problem::conflict("passkey.taken", "Этот ключ доступа уже добавлен.").into());
    }
    store::second_factor_on(&mut tx, id).await?;
    record_added(&mut tx, actor, id, &pid, name).await?;
    tx.commit().await?;
    Ok(PasskeyView {
        id: pid,
        name: name.to_string(),
        created_at: now,
        last_used_at: None,
    })
}

/// The name the person gave the passkey (trimmed; «Ключ доступа» when empty), at most
/// [`NAME_MAX`] characters.
fn passkey_name(name: &str) -> Result<&str> {
    let name = name.trim();
    let name = if name.is_empty() {
        "Ключ доступа"
    } else {
        name
    };
    if name.chars().count() > NAME_MAX {
        return Err(Problem::invalid_field(
            "name",
            "passkey.name_too_long",
            format!("Название — не длиннее {NAME_MAX} символов."),
        )
        .into());
    }
    Ok(name)
}

/// The passkey's audit record, and the person alerted.
async fn record_added(tx: &mut Tx, actor: &Actor, id: &str, pid: &str, name: &str) -> Result<()> {
    audit::append(
        tx,
        audit::Entry {
            actor,
            action: "identity.passkey.added",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "passkey": pid, "name": name }),
        },
    )
    .await?;
    let a = load(tx, id).await?;
    alert(
        tx,
        &a,
        "Добавлен ключ доступа",
        &format!("К вашей учётной записи добавлен ключ доступа «{name}». Если это были не вы, удалите его в разделе «Безопасность» и смените пароль."),
    )
    .await
}

/// Removes one of the signed-in person's passkeys.
pub async fn remove(db: &Db, actor: &Actor, passkey_id: &str) -> Result<()> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let name = store::passkey(&mut tx, passkey_id, id)
        .await?
        .ok_or_else(|| Problem::not_found("Ключ доступа не найден."))?
        .name;
    store::delete_passkey(&mut tx, passkey_id, id).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.passkey.removed",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "passkey": passkey_id, "name": name }),
        },
    )
    .await?;
    let a = load(&mut tx, id).await?;
    alert(
        &mut tx,
        &a,
        "Удалён ключ доступа",
        &format!("Из вашей учётной записи удалён ключ доступа «{name}»."),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The options for `navigator.credentials.get()` for a sign-in waiting for its second factor.
/// The state is kept with the sign-in challenge, for the next attempt only.
pub async fn sign_in_options(
    db: &Db,
    idn: &Identity,
    challenge: &str,
) -> Result<RequestChallengeResponse> {
    let hash = auth::secret_hash(challenge);
    let mut tx = db.begin().await?;
    let account_id = store::pending_challenge(&mut tx, &hash)
        .await?
        .filter(|c| {
            c.used_at.is_none()
                && c.expires_at > now_ms()
                && c.attempts < idn.settings.lockout_after
        })
        .ok_or_else(crate::model::challenge_gone)?
        .account_id;
    let keys: Vec<Passkey> = account_passkeys(&mut tx, &account_id)
        .await?
        .into_iter()
        .map(|(_, pk)| pk)
        .collect();
    if keys.is_empty() {
        return Err(Problem::conflict("auth.no_passkey", "Ключ доступа не добавлен.").into());
    }
    let (options, state) = idn
        .passkeys
        .webauthn
        .start_passkey_authentication(&keys)
        .map_err(Error::internal)?;
    let state = serde_json::to_string(&state).map_err(Error::internal)?;
    store::keep_passkey_state(&mut tx, &state, &hash).await?;
    tx.commit().await?;
    Ok(options)
}

/// Checks the assertion `credential` (the JSON of a `PublicKeyCredential`) against the state kept
/// with the challenge, and moves the passkey's counter on. `None` when accepted; the refusal
/// otherwise (the caller counts it as a failed attempt).
pub(crate) async fn check_assertion(
    tx: &mut Tx,
    idn: &Identity,
    challenge_hash: &str,
    account_id: &str,
    credential: &str,
) -> Result<Option<Problem>> {
    let state = store::passkey_state(tx, challenge_hash).await?;
    // The state serves one attempt.
    store::forget_passkey_state(tx, challenge_hash).await?;
    let Some(state) = state else {
        return Ok(Some(refused(
            "Сначала нажмите «Войти с ключом доступа», затем подтвердите вход на устройстве.",
        )));
    };
    let state: PasskeyAuthentication = serde_json::from_str(&state).map_err(Error::internal)?;
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(credential) else {
        return Ok(Some(refused(
            "Браузер прислал ответ ключа в непонятном виде. Попробуйте ещё раз.",
        )));
    };
    let result = match idn
        .passkeys
        .webauthn
        .finish_passkey_authentication(&credential, &state)
    {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(error = %e, "passkey assertion refused");
            return Ok(Some(refused(
                "Ключ не подтвердил вход. Попробуйте ещё раз или выберите другой способ.",
            )));
        }
    };
    let key = credential_key(result.cred_id());
    let row = store::passkey_by_credential(tx, account_id, &key).await?;
    let Some(row) = row else {
        return Ok(Some(refused("Этот ключ доступа удалён из учётной записи.")));
    };
    let mut pk: Passkey = serde_json::from_str(&row.passkey).map_err(Error::internal)?;
    pk.update_credential(&result);
    let pk = serde_json::to_string(&pk).map_err(Error::internal)?;
    store::passkey_used(tx, &pk, now_ms(), &row.id).await?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relying_party::RelyingParty;

    #[test]
    fn the_relying_party_is_the_host_of_the_public_url() {
        let rp = RelyingParty::new("https://okno.example.ru", "Окно").unwrap();
        assert_eq!(rp.id, "okno.example.ru");
        let rp = RelyingParty::new("http://localhost:8080", "Окно").unwrap();
        assert_eq!(rp.id, "localhost");
    }

    #[test]
    fn an_ip_address_cannot_be_a_relying_party() {
        let e = RelyingParty::new("http://127.0.0.1:8080", "Окно").unwrap_err();
        assert!(e.contains("localhost"), "{e}");
        assert!(RelyingParty::new("http://[::1]:8080", "Окно").is_err());
        assert!(RelyingParty::new("not a url", "Окно").is_err());
    }

    #[test]
    fn registration_options_name_the_relying_party_and_ask_for_user_verification() {
        let rp = RelyingParty::new("https://okno.example.ru", "Окно").unwrap();
        let (options, _) = rp
            .webauthn
            .start_passkey_registration(Uuid::now_v7(), "anna@example.ru", "Анна", None)
            .unwrap();
        let v = serde_json::to_value(&options).unwrap();
        assert_eq!(v["publicKey"]["rp"]["id"], "okno.example.ru");
        assert_eq!(v["publicKey"]["user"]["name"], "anna@example.ru");
        assert_eq!(
            v["publicKey"]["authenticatorSelection"]["userVerification"],
            "required"
        );
    }
}
