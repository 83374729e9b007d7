//! The WebAuthn relying party: this installation as browsers' passkeys see it (the host of
//! `--public-url`).

use std::sync::Arc;

use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

/// The relying party: this installation as WebAuthn sees it.
#[derive(Clone)]
pub struct RelyingParty {
    pub(crate) webauthn: Arc<Webauthn>,
    /// The RP ID, the host of the public URL.
    pub id: String,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .finish()
    }
}

impl RelyingParty {
    /// The relying party for the address people use, e.g. `https://okno.example.ru`. WebAuthn
    /// needs a host name (an IP address is refused by browsers) and a secure context: HTTPS, or
    /// plain HTTP on `localhost`.
    pub fn new(public_url: &str, name: &str) -> std::result::Result<RelyingParty, String> {
        let url = Url::parse(public_url).map_err(|e| format!("{public_url}: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("{public_url}: no host"))?
            .to_string();
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            return Err(format!(
                "{public_url}: passkeys need a host name, not an IP address (use http://localhost:PORT to try locally)"
            ));
        }
        let webauthn = WebauthnBuilder::new(&host, &url)
            .and_then(|b| b.rp_name(name).build())
            .map_err(|e| format!("{public_url}: {e}"))?;
        Ok(RelyingParty {
            webauthn: Arc::new(webauthn),
            id: host,
        })
    }
}
