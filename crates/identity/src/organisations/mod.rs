//! Organisation accounts: a legal entity (ЮЛ) or a sole proprietor (ИП) registered on the platform
//! by a person with a confirmed account, who becomes its head; members with roles (head, employee,
//! accountant) added by their СНИЛС; and a session switched to act for the organisation, with both
//! names in the audit journal. Every later part that acts for an organisation calls
//! [`require_org_role`] (or [`require_org_topic`]) at every use, so a removal takes effect at once.
//!
//! While a session acts for an organisation, the kernel's `web_sessions.acting_for` holds
//! `org:<organisation id>` and the actor's `on_behalf_of` is `Principal { id: "org:<organisation
//! id>", name: <short name> }`. The `org:` prefix is kept in the principal's id on purpose: the
//! audit journal's `on_behalf_of_id` then tells an organisation from a person, and
//! `representation::require_scope` never finds a power of attorney granted by it, so
//! nothing done for an organisation passes a check meant for a person.
//!
//! The JSON API and the page `/account/organisations` are in `organisations_http.rs`. Here: the
//! types and the form's checks in `model.rs`, registering one in `registration.rs`, its members
//! in `members.rs`, and acting for it in `acting.rs`; the SQL in `crate::store`
//! (`store/organisations.rs`).

mod acting;
mod members;
mod model;
mod registration;

use okno_kernel::actor::Actor;
use okno_kernel::error::{Problem, Result};

use crate::model::own_account;

pub use acting::{act_for, acting, require_org_role, require_org_topic, session_principal};
pub use members::{add_member, details, list, remove_member, set_role};
pub use model::{
    ActingOrganisation, MemberView, NewMember, NewOrganisation, OrgKind, OrgRole,
    OrganisationDetails, OrganisationView, RoleChange,
};
pub use registration::create;

/// The prefix of an organisation in `web_sessions.acting_for` and in the principal's id.
pub const ORG_PREFIX: &str = "org:";

/// The organisation id the actor acts for, if any.
pub(crate) fn acting_org_id(actor: &Actor) -> Option<&str> {
    actor
        .on_behalf_of
        .as_ref()
        .and_then(|p| p.id.strip_prefix(ORG_PREFIX))
}

/// The person's own account id for managing organisations: not while acting for another person
/// under a power of attorney, so nothing done in that session lands in the representative's name.
fn own_person(actor: &Actor) -> Result<&str> {
    let id = own_account(actor)?;
    if actor
        .on_behalf_of
        .as_ref()
        .is_some_and(|p| !p.id.starts_with(ORG_PREFIX))
    {
        return Err(Problem::new(
            403,
            "organisation.acting_for_person",
            "Вы действуете от имени другого человека",
        )
        .with_detail("Организациями управляют от своего имени. Вернитесь к своей учётной записи.")
        .into());
    }
    Ok(id)
}
