//! The desk's types: a terminal's kind, an operator's role, what is listed and what is answered.

use okno_identity::desk::{Desk, Issued, Representative};
use serde::{Deserialize, Serialize};

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
    pub(super) fn as_str(self) -> &'static str {
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
    pub(super) fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Operator => "operator",
            OperatorRole::Senior => "senior",
            OperatorRole::OfficeAdmin => "office_admin",
        }
    }

    pub(super) fn parse(s: &str) -> Option<OperatorRole> {
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

/// The search for a person at a desk (`?query=`): a СНИЛС, a phone or a passport.
#[derive(Debug, Deserialize)]
pub(super) struct FindQuery {
    #[serde(default)]
    pub(super) query: String,
}
