//! HR's start: what is running and how far it has got, what comes next, what needs HR, and the
//! next step while the company has no employees or no round yet. Read only, composed from the
//! modules that own each part; `web::admin::start` says it.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::config::Settings;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::mail::pace::{self, MailPace};
use crate::org::pending_import::{self, Waiting};
use crate::org::{self, Headcount};
use crate::survey::round::{self, RoundView};
use crate::survey::schedule::{self, ScheduleView};
use crate::vocab::RoundState;

/// How many scheduled rounds the start page lists; the rounds page has them all.
pub const PLANNED_SHOWN: usize = 3;

pub struct Agenda {
    pub headcount: Headcount,
    pub next_step: Option<NextStep>,
    /// Open rounds, the one closing first first.
    pub running: Vec<Running>,
    /// Scheduled rounds, the one opening first first, at most `PLANNED_SHOWN`.
    pub planned: Vec<RoundView>,
    /// Active schedules with their next opening times.
    pub schedules: Vec<ScheduleView>,
    /// The round closed last, whose results are the newest.
    pub latest_closed: Option<RoundView>,
    pub attention: Vec<Attention>,
}

/// An open round and where its mail stands.
pub struct Running {
    pub round: RoundView,
    pub mail: MailPace,
    pub next_reminder: Option<DateTime<Utc>>,
}

/// What is missing before anything can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// No active employee: import the staff list first.
    Import,
    /// Employees, but no round planned, running or done: create one.
    CreateRound,
}

/// Something HR should look at, most urgent first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attention {
    /// The relay holds the round's invitations back.
    MailHeldBack {
        round_id: i32,
        title: String,
        since: DateTime<Utc>,
    },
    /// Invitations the relay refused for good: these people were not asked.
    FailedInvitations {
        round_id: i32,
        title: String,
        count: u64,
    },
    /// A previewed staff list waiting to be applied, until it expires.
    ImportWaiting {
        id: String,
        file_name: String,
        expires_at: DateTime<Utc>,
    },
    /// A schedule that will never open another round (e.g. a cron expression with no future
    /// date): it looks active but does nothing.
    ScheduleWithoutNext { id: i32, title: String },
}

pub async fn load(
    db: &DatabaseConnection,
    settings: &Settings,
    staff_user_id: i32,
    locale: Locale,
    now: DateTime<Utc>,
) -> AppResult<Agenda> {
    let headcount = org::headcount(db).await?;
    let rounds = round::list(db, settings).await?;
    let next_step = next_step(&headcount, &rounds);
    let (open, planned, latest_closed) = by_state(rounds);
    let mut running = Vec::with_capacity(open.len());
    for view in open {
        let mail = pace::round_status(db, settings, view.id, now).await?;
        running.push(Running {
            next_reminder: next_reminder(&view.reminders, now),
            round: view,
            mail,
        });
    }
    let schedules = schedule::list(db, locale, now).await?;
    let waiting = pending_import::waiting(db, staff_user_id, now).await?;
    let attention = attention(&running, waiting, &schedules);
    Ok(Agenda {
        headcount,
        next_step,
        running,
        planned,
        schedules,
        latest_closed,
        attention,
    })
}

/// The step that comes first while the basics are missing.
pub fn next_step(headcount: &Headcount, rounds: &[RoundView]) -> Option<NextStep> {
    if headcount.active_employees == 0 {
        return Some(NextStep::Import);
    }
    // A cancelled round asked nobody anything.
    let any = rounds.iter().any(|r| r.state != RoundState::Cancelled);
    (!any).then_some(NextStep::CreateRound)
}

/// Open rounds closing first first; scheduled rounds opening first first (the first few); the
/// round closed last.
fn by_state(rounds: Vec<RoundView>) -> (Vec<RoundView>, Vec<RoundView>, Option<RoundView>) {
    let mut open = Vec::new();
    let mut planned = Vec::new();
    let mut latest_closed: Option<RoundView> = None;
    for view in rounds {
        match view.state {
            RoundState::Open => open.push(view),
            RoundState::Scheduled => planned.push(view),
            RoundState::Closed => {
                if latest_closed
                    .as_ref()
                    .is_none_or(|latest| view.closes_at > latest.closes_at)
                {
                    latest_closed = Some(view);
                }
            }
            RoundState::Cancelled => {}
        }
    }
    open.sort_by_key(|r| (r.closes_at, r.id));
    planned.sort_by_key(|r| (r.opens_at, r.id));
    planned.truncate(PLANNED_SHOWN);
    (open, planned, latest_closed)
}

/// The first reminder still to come.
pub fn next_reminder(reminders: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    reminders.iter().copied().filter(|at| *at > now).min()
}

/// What needs HR: mail held back, then mail refused, then files waiting, then idle schedules.
pub fn attention(
    running: &[Running],
    waiting: Vec<Waiting>,
    schedules: &[ScheduleView],
) -> Vec<Attention> {
    let mut items = Vec::new();
    for r in running {
        if let Some(since) = r.mail.held_back_since {
            items.push(Attention::MailHeldBack {
                round_id: r.round.id,
                title: r.round.title.clone(),
                since,
            });
        }
    }
    for r in running {
        if r.mail.failed > 0 {
            items.push(Attention::FailedInvitations {
                round_id: r.round.id,
                title: r.round.title.clone(),
                count: r.mail.failed,
            });
        }
    }
    items.extend(waiting.into_iter().map(|w| Attention::ImportWaiting {
        id: w.id,
        file_name: w.file_name,
        expires_at: w.expires_at,
    }));
    items.extend(schedules.iter().filter(|s| s.next_utc.is_empty()).map(|s| {
        Attention::ScheduleWithoutNext {
            id: s.id,
            title: s.title.clone(),
        }
    }));
    items
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::survey::round::Participation;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn round(id: i32, state: RoundState, opens: u32, closes: u32) -> RoundView {
        RoundView {
            id,
            title: format!("Runde {id}"),
            state,
            opens_at: at(opens, 9),
            closes_at: at(closes, 9),
            opens_local: String::new(),
            closes_local: String::new(),
            schedule_id: None,
            departments: Vec::new(),
            questions: Vec::new(),
            reminders: Vec::new(),
            reminders_local: Vec::new(),
            participation: Participation {
                invited: None,
                answered: None,
            },
            notes: Vec::new(),
        }
    }

    fn headcount(active_employees: u64) -> Headcount {
        Headcount {
            departments: 1,
            active_employees,
        }
    }

    #[test]
    fn the_first_step_is_the_import_then_a_round() {
        assert_eq!(next_step(&headcount(0), &[]), Some(NextStep::Import));
        // Rounds without employees (all deactivated): the import still comes first.
        let closed = round(1, RoundState::Closed, 1, 8);
        assert_eq!(
            next_step(&headcount(0), std::slice::from_ref(&closed)),
            Some(NextStep::Import)
        );
        assert_eq!(next_step(&headcount(40), &[]), Some(NextStep::CreateRound));
        let cancelled = round(2, RoundState::Cancelled, 1, 8);
        assert_eq!(
            next_step(&headcount(40), &[cancelled]),
            Some(NextStep::CreateRound),
            "a cancelled round asked nobody"
        );
        for state in [RoundState::Scheduled, RoundState::Open, RoundState::Closed] {
            assert_eq!(next_step(&headcount(40), &[round(3, state, 1, 8)]), None);
        }
    }

    #[test]
    fn rounds_are_sorted_by_what_comes_first() {
        let rounds = vec![
            round(1, RoundState::Closed, 1, 3),
            round(2, RoundState::Closed, 2, 5),
            round(3, RoundState::Open, 4, 20),
            round(4, RoundState::Open, 5, 12),
            round(5, RoundState::Scheduled, 28, 30),
            round(6, RoundState::Scheduled, 21, 25),
            round(7, RoundState::Scheduled, 22, 26),
            round(8, RoundState::Scheduled, 23, 27),
            round(9, RoundState::Cancelled, 6, 7),
        ];
        let (open, planned, latest) = by_state(rounds);
        let ids = |v: &[RoundView]| v.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&open), [4, 3], "closing first first");
        assert_eq!(
            ids(&planned),
            [6, 7, 8],
            "opening first first, three of them"
        );
        assert_eq!(latest.map(|r| r.id), Some(2));
    }

    #[test]
    fn the_next_reminder_is_the_first_still_to_come() {
        let reminders = [at(3, 9), at(7, 9), at(5, 9)];
        assert_eq!(next_reminder(&reminders, at(4, 0)), Some(at(5, 9)));
        assert_eq!(next_reminder(&reminders, at(7, 9)), None);
        assert_eq!(next_reminder(&[], at(1, 0)), None);
    }

    #[test]
    fn attention_puts_mail_first_and_skips_what_is_fine() {
        let mut held = Running {
            round: round(1, RoundState::Open, 1, 8),
            mail: MailPace::default(),
            next_reminder: None,
        };
        held.mail.held_back_since = Some(at(2, 10));
        held.mail.failed = 3;
        let fine = Running {
            round: round(2, RoundState::Open, 1, 8),
            mail: MailPace {
                sent: 40,
                ..MailPace::default()
            },
            next_reminder: None,
        };
        let waiting = vec![Waiting {
            id: "abc".to_owned(),
            file_name: "personal.xlsx".to_owned(),
            expires_at: at(2, 11),
        }];
        let items = attention(&[fine, held], waiting, &[]);
        assert_eq!(
            items,
            [
                Attention::MailHeldBack {
                    round_id: 1,
                    title: "Runde 1".to_owned(),
                    since: at(2, 10)
                },
                Attention::FailedInvitations {
                    round_id: 1,
                    title: "Runde 1".to_owned(),
                    count: 3
                },
                Attention::ImportWaiting {
                    id: "abc".to_owned(),
                    file_name: "personal.xlsx".to_owned(),
                    expires_at: at(2, 11)
                },
            ]
        );
        assert!(attention(&[], Vec::new(), &[]).is_empty());
    }
}
