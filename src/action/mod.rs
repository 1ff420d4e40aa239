//! Maßnahmen: from a finding of a round to an action, and back to the figure that shows
//! whether it worked.
//!
//! An action belongs to a department (by its stable id), answers one item or pillar of one
//! round, has an owner among the staff, a due date and a status, and keeps a dated log of every
//! change with its author. Admins act everywhere, a viewer in its own scope (a team lead for
//! their team). `rules` holds what is allowed, pure; `store` reads and writes, each change one
//! transaction with its log line; `words` names an action's parts in the reader's language,
//! `csv` writes a list of actions for a spreadsheet.

pub mod csv;
pub mod effect;
pub mod finding;
pub mod rules;
pub mod store;
pub mod tell;
pub mod words;

pub use rules::{Subject, Who};
