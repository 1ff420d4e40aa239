//! Survey rounds: created by HR (or a schedule), opened on time with one invitation per active
//! employee in the target, closed on time or early, or cancelled.
//!
//! States: `scheduled → open → closed`, and `cancelled` from scheduled or open. Every state
//! change is a conditional update (`… WHERE state = 'scheduled'`) inside a write transaction, so
//! two schedulers or an HR click racing the scheduler change a round once.
//!
//! By concern: `draft` (what HR enters and its checks, the round written while scheduled),
//! `state` (the state changes inside a caller's transaction), `view` (what HR reads),
//! `reminders` (when a round reminds).

mod draft;
mod reminders;
mod state;
mod view;

pub use draft::{
    MAX_TITLE, PlannedRound, RoundDraft, Written, create_planned, edit, insert, unknown_departments,
};
pub use reminders::default_reminders;
pub use state::{
    Cancelled, due, find_locked, mark_cancelled, mark_closed, mark_missed, mark_open,
    responses_to_delete,
};
pub use view::{Participation, RoundView, get, list};
