//! Who is acting: the [`Actor`] every use case receives, its roles, and the named permissions that
//! each use case checks (least privilege: a role grants only what it lists).

use serde::Serialize;

use crate::error::Problem;

/// A role held by an account. Staff roles come with the identity part; the kernel knows their
/// permissions so every part checks the same way.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Operator,
    Official,
    Moderator,
    MerchantAdmin,
    Administrator,
    Auditor,
    /// A partner bank's integration: confirms identities the bank has checked in person.
    Bank,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Citizen,
        Role::Operator,
        Role::Official,
        Role::Moderator,
        Role::MerchantAdmin,
        Role::Administrator,
        Role::Auditor,
        Role::Bank,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Operator => "operator",
            Role::Official => "official",
            Role::Moderator => "moderator",
            Role::MerchantAdmin => "merchant_admin",
            Role::Administrator => "administrator",
            Role::Auditor => "auditor",
            Role::Bank => "bank",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Russian name for pages.
    pub fn title(self) -> &'static str {
        match self {
            Role::Citizen => "Гражданин",
            Role::Operator => "Оператор",
            Role::Official => "Должностное лицо",
            Role::Moderator => "Модератор",
            Role::MerchantAdmin => "Администратор мерчанта",
            Role::Administrator => "Администратор",
            Role::Auditor => "Аудитор",
            Role::Bank => "Банк-партнёр",
        }
    }

    /// The permissions this role grants. Nothing is implied: an administrator who should also read
    /// the audit journal is given the auditor role as well.
    pub fn grants(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Administrator => matches!(
                p,
                DirectoryManage
                    | DeliveriesRead
                    | DeliveriesRetry
                    | NotificationsSend
                    | TokensManage
                    | StaffManage
                    | OfficesManage
                    | PollsManage
                    | PaymentsConfigure
            ),
            Role::Operator => matches!(p, IdentityConfirm | QueueOperate),
            Role::Auditor => matches!(p, AuditRead | AuditExport | DeliveriesRead),
            Role::Bank => matches!(p, IdentityConfirmByBank),
            Role::Official => matches!(p, AppealsAnswer | ChargesManage),
            Role::Moderator => matches!(p, AppealsModerate),
            Role::Citizen | Role::MerchantAdmin => false,
        }
    }
}

/// A named permission a use case requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the audit journal.
    AuditRead,
    /// Export the audit journal with signed checkpoints.
    AuditExport,
    /// Create and change agencies, offices, services and categories of the directory.
    DirectoryManage,
    /// Read the delivery journal of notifications.
    DeliveriesRead,
    /// Send a dead-lettered delivery again.
    DeliveriesRetry,
    /// Send a notification to a recipient by hand.
    NotificationsSend,
    /// Issue and revoke API tokens.
    TokensManage,
    /// Create staff accounts (operators, officials, …) with temporary passwords.
    StaffManage,
    /// Confirm a person's identity in person, against the passport shown (operators).
    IdentityConfirm,
    /// Confirm the identity of a bank's client whom the bank identified in person (bank tokens).
    IdentityConfirmByBank,
    /// Set which services an office offers and publish its appointment slots (administrators).
    OfficesManage,
    /// Issue queue tickets and call them to a window (operators).
    QueueOperate,
    /// Accept, send back or reject appeals in the moderation queue (moderators).
    AppealsModerate,
    /// Work on and answer the appeals routed to one's body (officials assigned to it).
    AppealsAnswer,
    /// Create and close polls (administrators).
    PollsManage,
    /// Set who receives an agency's payments: the payee's requisites (administrators).
    PaymentsConfigure,
    /// Load, change and annul the charges of one's agency (officials assigned to it).
    ChargesManage,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Permission::AuditRead => "audit.read",
            Permission::AuditExport => "audit.export",
            Permission::DirectoryManage => "directory.manage",
            Permission::DeliveriesRead => "deliveries.read",
            Permission::DeliveriesRetry => "deliveries.retry",
            Permission::NotificationsSend => "notifications.send",
            Permission::TokensManage => "tokens.manage",
            Permission::StaffManage => "staff.manage",
            Permission::IdentityConfirm => "identity.confirm",
            Permission::IdentityConfirmByBank => "identity.confirm_by_bank",
            Permission::OfficesManage => "offices.manage",
            Permission::QueueOperate => "queue.operate",
            Permission::AppealsModerate => "appeals.moderate",
            Permission::AppealsAnswer => "appeals.answer",
            Permission::PollsManage => "polls.manage",
            Permission::PaymentsConfigure => "payments.configure",
            Permission::ChargesManage => "charges.manage",
        }
    }
}

/// The one on whose behalf an actor acts (a principal under a power of attorney, an organisation).
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub id: String,
    pub name: String,
}

/// What kind of actor this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// Nobody signed in.
    Anonymous,
    /// The platform itself: CLI commands, workers, the demo loader.
    System,
    /// A person's account (citizen or staff).
    Account,
    /// An API token issued to an integration.
    Token,
}

/// The acting user of a use case.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// Account or token id; `None` for anonymous and system.
    pub id: Option<String>,
    /// Display name for the journal (never personal data beyond the name).
    pub name: String,
    pub roles: Vec<Role>,
    pub on_behalf_of: Option<Principal>,
    /// The registered terminal (desk or kiosk) the request came from, as it presented itself; the
    /// offices part checks it. Never serialised.
    #[serde(skip)]
    pub device: Option<DeviceCredential>,
}

/// A terminal's secret credential (the `okno_desk` cookie or the `X-Okno-Device` header); its
/// `Debug` form hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCredential(pub String);

impl std::fmt::Debug for DeviceCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceCredential([скрыто])")
    }
}

impl Actor {
    pub fn anonymous() -> Actor {
        Actor {
            kind: ActorKind::Anonymous,
            id: None,
            name: "аноним".into(),
            roles: Vec::new(),
            on_behalf_of: None,
            device: None,
        }
    }

    /// The platform acting on its own (CLI, workers). Holds every permission.
    pub fn system(what: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: format!("система: {what}"),
            roles: Vec::new(),
            on_behalf_of: None,
            device: None,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind == ActorKind::Anonymous
    }

    pub fn can(&self, p: Permission) -> bool {
        self.kind == ActorKind::System || self.roles.iter().any(|r| r.grants(p))
    }

    /// Refuses with 401 for anonymous actors and 403 for those without the permission.
    pub fn require(&self, p: Permission) -> Result<(), Problem> {
        if self.can(p) {
            Ok(())
        } else if self.is_anonymous() {
            Err(Problem::unauthenticated())
        } else {
            Err(Problem::forbidden(p.name()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(roles: &[Role]) -> Actor {
        Actor {
            kind: ActorKind::Account,
            id: Some("a".into()),
            name: "Тест".into(),
            roles: roles.to_vec(),
            on_behalf_of: None,
            device: None,
        }
    }

    #[test]
    fn an_administrator_cannot_read_the_audit_journal_without_the_auditor_role() {
        assert_eq!(
            with(&[Role::Administrator])
                .require(Permission::AuditRead)
                .unwrap_err()
                .status,
            403
        );
        assert!(with(&[Role::Administrator, Role::Auditor]).can(Permission::AuditRead));
    }

    #[test]
    fn anonymous_actors_are_asked_to_sign_in() {
        assert_eq!(
            Actor::anonymous()
                .require(Permission::DeliveriesRead)
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
