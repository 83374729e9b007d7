//! Account sessions: opening one for an account that passed every check (with the new-device and
//! new-network alerts), listing them to their owner, ending them, and the actor behind one.

use okno_kernel::actor::Actor;
use okno_kernel::audit;
use okno_kernel::auth::{self, SessionPolicy, SessionSubject};
use okno_kernel::clock::now_ms;
use okno_kernel::db::{Db, Tx};
use okno_kernel::error::Result;
use okno_kernel::pii::Secrets;
use serde::Serialize;

use crate::model::{own_account, random_token};
use crate::privacy::alert;
use crate::settings::Identity;
use crate::store::{self, AccountRow};

/// Where a request comes from.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The long-lived device cookie, when the browser has one.
    pub device: Option<String>,
    /// A public terminal (kiosk): short idle timeout, no «remember me».
    pub terminal: bool,
}

/// A person signed in: the session secret (cookie or bearer) and the device id to keep.
#[derive(Debug)]
pub struct SignedIn {
    pub account_id: String,
    pub session: String,
    /// Persistent session (cookie with Max-Age) when «remember me» was chosen.
    pub persistent_ms: Option<i64>,
    pub device: String,
    pub must_change_password: bool,
}

/// Opens a session for an account that passed every check, records the device, and alerts the
/// person when the device is new (except at registration, the very first one).
pub(crate) async fn open_session(
    tx: &mut Tx,
    secrets: &Secrets,
    idn: &Identity,
    account: &AccountRow,
    remember: bool,
    client: &Client,
    alert_new_device: bool,
) -> Result<SignedIn> {
    let s = &idn.settings;
    let remember = remember && !client.terminal;
    let policy = policy(s, client.terminal, remember);
    let subject = SessionSubject {
        kind: "account".into(),
        id: account.id.clone(),
        acting_for: None,
    };
    let session = auth::open_session(
        tx,
        &subject,
        policy,
        client.user_agent.as_deref(),
        client.ip.as_deref(),
    )
    .await?;
    let device = client.device.clone().unwrap_or_else(random_token);
    let device_hash = secrets.index("device", &device);
    let now = now_ms();
    let known = store::touch_known_device(tx, now, &account.id, &device_hash).await?;
    let new_network = note_network(tx, secrets, &account.id, client, now).await?;
    if known && new_network && alert_new_device {
        alert(
            tx,
            account,
            "Вход из новой сети",
            "Выполнен вход в вашу учётную запись с известного устройства, но из новой сети. Если это были не вы, смените пароль и завершите все сеансы в разделе «Безопасность».",
        )
        .await?;
    }
    if !known {
        let agent = client
            .user_agent
            .as_deref()
            .map(|u| u.chars().take(300).collect::<String>());
        store::insert_known_device(tx, &account.id, &device_hash, now, agent).await?;
        if alert_new_device {
            let text = format!(
                "Выполнен вход в вашу учётную запись с нового устройства ({}). Если это были не вы, смените пароль и завершите все сеансы в разделе «Безопасность».",
                client.user_agent.as_deref().map(short_agent).unwrap_or("неизвестное устройство")
            );
            alert(tx, account, "Вход с нового устройства", &text).await?;
        }
    }
    audit::append(
        tx,
        audit::Entry {
            actor: &account.actor(),
            action: "identity.session.opened",
            subject_type: "account",
            subject_id: &account.id,
            details: serde_json::json!({ "terminal": client.terminal, "remember": remember, "new_device": !known, "new_network": new_network }),
        },
    )
    .await?;
    Ok(SignedIn {
        account_id: account.id.clone(),
        session,
        persistent_ms: remember.then_some(s.remember_ms),
        device,
        must_change_password: account.must_change_password != 0,
    })
}

/// How long the session lasts: short when idle on a public terminal, long when remembered.
fn policy(s: &crate::settings::Settings, terminal: bool, remember: bool) -> SessionPolicy {
    SessionPolicy {
        idle_ms: if terminal {
            s.terminal_idle_ms
        } else {
            s.session.idle_ms
        },
        absolute_ms: if remember {
            s.remember_ms
        } else {
            s.session.absolute_ms
        },
    }
}

/// Notes the network the client signs in from (its blind index): whether it is new to the
/// account. A client without a known address is on no new network.
async fn note_network(
    tx: &mut Tx,
    secrets: &Secrets,
    account_id: &str,
    client: &Client,
    now: i64,
) -> Result<bool> {
    let Some(net) = client.ip.as_deref().and_then(network_of) else {
        return Ok(false);
    };
    let hash = secrets.index("network", &net);
    let seen = store::touch_known_network(tx, now, account_id, &hash).await?;
    if !seen {
        store::insert_known_network(tx, account_id, &hash, now).await?;
    }
    Ok(!seen)
}

/// The network of an address, as far as a sign-in alert cares: the /24 of IPv4, the /64 of IPv6
/// (a home or office network, a mobile operator's pool).
pub fn network_of(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
        }
    }
}

/// The browser's name from a user agent, for alerts and the sessions page.
pub fn short_agent(ua: &str) -> &'static str {
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    let browser = if ua.contains("YaBrowser") {
        "Яндекс Браузер"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox") {
        "Firefox"
    } else if ua.contains("Chrome") || ua.contains("Chromium") {
        "Chrome"
    } else if ua.contains("Safari") {
        "Safari"
    } else {
        "браузер"
    };
    match (browser, os) {
        ("Chrome", "Linux") => "Chrome, Linux",
        ("Chrome", "Windows") => "Chrome, Windows",
        ("Chrome", "Android") => "Chrome, Android",
        ("Chrome", "macOS") => "Chrome, macOS",
        ("Firefox", "Linux") => "Firefox, Linux",
        ("Firefox", "Windows") => "Firefox, Windows",
        ("Safari", "iOS") => "Safari, iOS",
        ("Safari", "macOS") => "Safari, macOS",
        ("Яндекс Браузер", _) => "Яндекс Браузер",
        ("Edge", _) => "Edge",
        (b, _) => b,
    }
}

/// A session of the account as listed to its owner.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// This very session.
    #[serde(default)]
    pub current: bool,
}

/// The account's live sessions, newest first.
pub async fn sessions(db: &Db, actor: &Actor, current: Option<&str>) -> Result<Vec<SessionInfo>> {
    let id = own_account(actor)?;
    let now = now_ms();
    let mut c = db.read().await?;
    let current = current.map(auth::secret_hash);
    Ok(auth::live_sessions(&mut c, "account", id, now)
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            current: current.as_deref() == Some(s.id_hash.as_str()),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect())
}

/// «Выйти на всех устройствах»: ends every session of the account, this one too.
pub async fn sign_out_everywhere(db: &Db, actor: &Actor) -> Result<u64> {
    let id = own_account(actor)?;
    let mut tx = db.begin().await?;
    let n = auth::revoke_sessions(&mut tx, "account", id, None, now_ms()).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            actor,
            action: "identity.sessions.revoked",
            subject_type: "account",
            subject_id: id,
            details: serde_json::json!({ "sessions": n }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The actor of an account session (the web shell calls it for every request with one).
pub async fn session_actor(db: &Db, account_id: &str) -> Result<Option<Actor>> {
    Ok(session_account(db, account_id)
        .await?
        .map(|(actor, _)| actor))
}

/// The actor of a live account's session, and whether the account must set a new password
/// before it may do anything else (a temporary password, or a sign-in by a desk's QR code).
pub async fn session_account(db: &Db, account_id: &str) -> Result<Option<(Actor, bool)>> {
    let mut c = db.read().await?;
    let a = store::account(&mut c, account_id).await?;
    Ok(a.filter(|a| a.status != "blocked")
        .map(|a| (a.actor(), a.must_change_password != 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_the_24_of_ipv4_and_the_64_of_ipv6() {
        assert_eq!(
            network_of("192.168.10.77").as_deref(),
            Some("192.168.10.0/24")
        );
        assert_eq!(network_of("192.168.10.1"), network_of("192.168.10.254"));
        assert_ne!(network_of("192.168.10.1"), network_of("192.168.11.1"));
        assert_eq!(
            network_of("2a02:6b8:0:1::1f").as_deref(),
            Some("2a02:6b8:0:1::/64")
        );
        assert_eq!(network_of("not an address"), None);
    }
}
