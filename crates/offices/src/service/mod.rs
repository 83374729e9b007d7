//! Use cases of the offices part, the only entry points: the public registry search, slots
//! published by administrators, bookings by signed-in people (book, move, cancel), the reminder
//! worker, and the electronic queue. Each change runs in one transaction with its audit record,
//! outbox event and notification.

mod appointments;
mod base;
mod queue;
mod registry;
mod reminders;
mod slots;

pub use self::appointments::{book, cancel, my_appointments, reschedule, AppointmentView};
pub use self::base::Settings;
pub use self::queue::{
    board, call_next, issue_ticket, issue_ticket_at_kiosk, kiosk_services, require_office_operator,
    ticket_action, Board, BoardTicket, CallNext, Estimate, NewTicket, TicketAction, TicketView,
};
pub use self::registry::{
    add_service, cities, office, search, DayView, OfficeView, Search, ServiceRef,
};
pub use self::reminders::{run_reminders, send_due_reminders};
pub use self::slots::{
    free_slots, generate_slots, publish_slot, GenerateSlots, Generated, NewSlot, SlotView,
};
