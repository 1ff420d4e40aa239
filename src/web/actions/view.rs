//! Actions as the pages print them: names in the reader's language, dates as `YYYY-MM-DD` for
//! the templates' date macro, flags for what needs someone's attention.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::action::effect::{Effect, Verdict};
use crate::action::store::ActionRecord;
pub use crate::action::words::{pillar_name, question_text, status_name, subject};
use crate::entities::action_event;
use crate::i18n::{Locale, fill, number, percent, signed, text};
use crate::report::stats::HiddenReason;
use crate::vocab::{ActionEventKind, ActionStatus};

/// One action in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ActionLine {
    pub id: i32,
    pub title: String,
    pub department_id: i32,
    pub department: String,
    pub department_retired: bool,
    pub subject: String,
    /// The item has left the catalog: the action stays, marked.
    pub subject_retired: bool,
    pub status: ActionStatus,
    pub overdue: bool,
    pub owner: String,
    pub without_owner: bool,
    pub due: String,
    pub visible: bool,
}

pub fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub fn line(record: &ActionRecord, locale: Locale, today: NaiveDate) -> ActionLine {
    ActionLine {
        id: record.action.id,
        title: record.action.title.clone(),
        department_id: record.department.id,
        department: record.department.path.clone(),
        department_retired: record.department.retired_at.is_some(),
        subject: subject(record, locale),
        subject_retired: record.question.as_ref().is_some_and(|q| !q.active),
        status: record.action.status,
        overdue: record.overdue(today),
        owner: record.owner.email.clone(),
        without_owner: record.without_owner(),
        due: date(record.action.due_on),
        visible: record.action.visible,
    }
}

/// One line of an action's log.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub at: DateTime<Utc>,
    pub author: String,
    pub what: String,
    pub note: Option<String>,
}

pub fn log_line(event: &action_event::Model, locale: Locale) -> LogLine {
    let what = match event.kind {
        ActionEventKind::Created => text(locale, "action_log_created").to_owned(),
        ActionEventKind::Status => fill(
            text(locale, "action_log_status"),
            &[(
                "status",
                event.status.map_or("", |s| status_name(locale, s)),
            )],
        ),
        ActionEventKind::Note => text(locale, "action_log_note").to_owned(),
        ActionEventKind::Edited => {
            let fields: Vec<&str> = event
                .note
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(|key| match key {
                    "title" | "why" | "owner" | "due" | "visible" => {
                        Some(text(locale, &format!("action_changed_{key}")))
                    }
                    _ => None,
                })
                .collect();
            fill(
                text(locale, "action_log_edited"),
                &[("fields", &fields.join(", "))],
            )
        }
        ActionEventKind::Reminded => text(locale, "action_log_reminded").to_owned(),
    };
    LogLine {
        at: event.at,
        author: event.author.clone(),
        what,
        // An edit's note lists the fields, said above.
        note: event
            .note
            .clone()
            .filter(|_| event.kind != ActionEventKind::Edited),
    }
}

/// A choice in a select.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The action's figure in one round, as the page prints it.
#[derive(Debug, Clone, Serialize)]
pub struct EffectRow {
    pub round: String,
    pub date: String,
    pub origin: bool,
    /// The round did not ask the item (or did not include the department).
    pub not_asked: bool,
    pub hidden: Option<HiddenReason>,
    pub value: Option<String>,
    pub ci: Option<String>,
    pub favourable: Option<String>,
    pub n: Option<u64>,
    pub change: Option<String>,
    pub significant: bool,
    pub p: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EffectView {
    pub rows: Vec<EffectRow>,
    /// Whether an item is measured (then the favourable share has a column).
    pub item: bool,
    pub verdict: String,
    pub moved: bool,
}

/// "p = 0,012", "p < 0,001".
fn p_text(p: f64, locale: Locale) -> String {
    if p < 0.001 {
        format!("p < {}", number(0.001, 3, locale))
    } else {
        format!("p = {}", number(p, 3, locale))
    }
}

pub fn effect(effect: &Effect, item: bool, locale: Locale) -> EffectView {
    let rows = effect
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let shown = m.figure.as_ref().and_then(|f| f.as_shown());
            let change = m.change.as_ref().and_then(|c| c.as_shown());
            EffectRow {
                round: m.round.title.clone(),
                date: m.round.date.clone(),
                origin: i == 0,
                not_asked: m.figure.is_none(),
                hidden: m.figure.as_ref().and_then(|f| f.hidden_reason()),
                value: shown.map(|f| number(f.index, 1, locale)),
                ci: shown.and_then(|f| f.ci95.as_ref()).map(|ci| {
                    format!(
                        "{}–{}",
                        number(ci.low.clamp(0.0, 100.0), 1, locale),
                        number(ci.high.clamp(0.0, 100.0), 1, locale)
                    )
                }),
                favourable: m.favourable.map(|f| percent(f, 0, locale)),
                n: shown.map(|f| f.n),
                change: change.map(|c| signed(c.difference, 1, locale)),
                significant: change.is_some_and(|c| c.significant),
                p: change.map(|c| p_text(c.p, locale)),
            }
        })
        .collect();
    let start = effect
        .measures
        .first()
        .map_or(String::new(), |m| m.round.title.clone());
    let (verdict, moved) = match effect.verdict {
        Verdict::NotYet => (text(locale, "action_verdict_not_yet").to_owned(), false),
        Verdict::Hidden(_) => (text(locale, "action_verdict_hidden").to_owned(), false),
        Verdict::NoChange { difference } => (
            fill(
                text(locale, "action_verdict_no_change"),
                &[
                    ("points", &signed(difference, 1, locale)),
                    ("round", &start),
                ],
            ),
            false,
        ),
        Verdict::Moved { difference, p } => (
            fill(
                text(
                    locale,
                    if difference > 0.0 {
                        "action_verdict_rose"
                    } else {
                        "action_verdict_fell"
                    },
                ),
                &[
                    ("points", &signed(difference, 1, locale)),
                    ("round", &start),
                    ("p", &p_text(p, locale)),
                ],
            ),
            true,
        ),
    };
    EffectView {
        rows,
        item,
        verdict,
        moved,
    }
}
