//! The identity part's settings and its state (the hasher, the policy, the registry adapter and the
//! WebAuthn relying party), handed to every use case.

use std::sync::Arc;

use okno_kernel::auth::SessionPolicy;

use crate::password::{Hasher, Policy};
use crate::relying_party::RelyingParty;

/// Settings of the identity part (`okno serve --help` lists them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Failed sign-ins in a row that lock the account.
    pub lockout_after: i64,
    /// The first lockout; each next one lasts twice as long (at most a day).
    pub lockout_ms: i64,
    pub code_ttl_ms: i64,
    pub code_attempts: i64,
    pub code_resend_ms: i64,
    pub codes_per_hour: i64,
    pub session: SessionPolicy,
    /// Absolute lifetime of a «remember me» session.
    pub remember_ms: i64,
    /// Idle timeout on a public terminal.
    pub terminal_idle_ms: i64,
    /// How long a password stays accepted while the second factor is awaited.
    pub challenge_ttl_ms: i64,
    /// Cookies get `Secure`.
    pub secure_cookies: bool,
    /// The issuer name shown in authenticator apps.
    pub issuer: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lockout_after: 5,
            lockout_ms: 15 * 60_000,
            code_ttl_ms: 5 * 60_000,
            code_attempts: 3,
            code_resend_ms: 60_000,
            codes_per_hour: 5,
            session: SessionPolicy {
                idle_ms: 30 * 60_000,
                absolute_ms: 12 * 3_600_000,
            },
            remember_ms: 30 * 86_400_000,
            terminal_idle_ms: 5 * 60_000,
            challenge_ttl_ms: 5 * 60_000,
            secure_cookies: false,
            issuer: "Окно".into(),
        }
    }
}

/// The identity part's state: the password hasher (a bounded pool), the policy and settings.
#[derive(Debug, Clone)]
pub struct Identity {
    pub hasher: Hasher,
    pub policy: Policy,
    pub settings: Arc<Settings>,
    /// The adapter to the state registries that checks profiles.
    pub registry: Arc<dyn crate::registry::Registry>,
    /// The WebAuthn relying party for passkeys.
    pub passkeys: RelyingParty,
}
