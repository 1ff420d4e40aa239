//! Mail: invitations and reminders composed from templates, kept in a durable outbox, sent by a
//! worker through SMTP or into `.eml` files.

pub mod action_due;
pub mod compose;
pub mod digest;
pub mod outbox;
pub mod pace;
pub mod smtp;
pub mod transport;
pub mod worker;
