//! The use cases of the payments part, each one transaction with its audit record and events:
//! payees (`payees`), charges loaded or changed by agencies (`charges`, `csv_load`), the state
//! fees of applications (`fees`), and what people and the public read (`reads`).

mod access;
mod charges;
mod csv_load;
mod fees;
mod payees;
mod paying;
mod reads;
mod receipt;

pub use charges::{
    annul, change, check_charge, create, record_new, Annulment, ChargeEdit, NewCharge,
};
pub use csv_load::{load_csv, Loaded, CSV_HEADER};
pub use fees::{take_fees, CONSUMER};
pub use payees::{payees, put_payee, validate_payee, NewPayee};
pub use paying::{
    check_ledger, notification, pay_by_card, payment, reconcile, refresh, LedgerCheck, PaymentView,
    Reconciled, Settings,
};
pub use reads::{
    agency_charges, charge, find_public, mine, ChargeView, DiscountView, PayeeView, PublicCharge,
};
pub use receipt::{receipt_file, receipt_of};
