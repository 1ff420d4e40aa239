//! What `/api/v1/actions` reads and writes: typed views of the store's records and the bodies
//! it takes, with their bounds in the OpenAPI schema. The bounds are the rules' own
//! (`action::rules`), which check them again with a reason in the client's language.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::action::store::ActionRecord;
use crate::entities::action_event;
use crate::vocab::{ActionEventKind, ActionStatus, Pillar};

/// An action as a list and every change answer it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionView {
    pub id: i32,
    pub title: String,
    /// The finding the action answers.
    pub why: String,
    pub department: DepartmentRef,
    /// The round whose result the action answers.
    pub round: RoundRef,
    pub subject: SubjectView,
    pub owner: OwnerRef,
    /// A day in the company's time zone, `YYYY-MM-DD`.
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// Shown to the department's employees in their next invitation and after they answer.
    pub visible: bool,
    /// What came of it; set when the action is closed (done or dropped).
    pub outcome: Option<String>,
    /// Still open after its due date.
    pub overdue: bool,
    /// The owner's account is deactivated: someone has to take the action over.
    pub without_owner: bool,
    /// The item has left the question catalog; the action stays.
    pub subject_retired: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The department by its stable id, with its path today: a reorganisation moves the action
/// with its department.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DepartmentRef {
    pub id: i32,
    pub path: String,
    /// The department was dissolved; its actions are kept.
    pub retired: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoundRef {
    pub id: i32,
    pub title: String,
}

/// What the action answers: one item of the catalog, or a pillar as a whole.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubjectView {
    pub kind: SubjectKind,
    /// The item's key (`kind` = `item`).
    pub question_key: Option<String>,
    /// The pillar answered, or the item's pillar.
    pub pillar: Option<Pillar>,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Item,
    Pillar,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnerRef {
    pub id: i32,
    pub email: String,
    pub active: bool,
}

impl ActionView {
    pub fn of(record: &ActionRecord, today: NaiveDate) -> Self {
        let action = &record.action;
        let subject = match &record.question {
            Some(question) => SubjectView {
                kind: SubjectKind::Item,
                question_key: Some(question.key.clone()),
                pillar: question.pillar,
            },
            None => SubjectView {
                kind: SubjectKind::Pillar,
                question_key: None,
                pillar: action.pillar,
            },
        };
        ActionView {
            id: action.id,
            title: action.title.clone(),
            why: action.why.clone(),
            department: DepartmentRef {
                id: record.department.id,
                path: record.department.path.clone(),
                retired: record.department.retired_at.is_some(),
            },
            round: RoundRef {
                id: record.round.id,
                title: record.round.title.clone(),
            },
            subject,
            owner: OwnerRef {
                id: record.owner.id,
                email: record.owner.email.clone(),
                active: record.owner.active,
            },
            due_on: action.due_on,
            status: action.status,
            visible: action.visible,
            outcome: action.outcome.clone(),
            overdue: record.overdue(today),
            without_owner: record.without_owner(),
            subject_retired: record.question.as_ref().is_some_and(|q| !q.active),
            created_at: action.created_at,
            updated_at: action.updated_at,
        }
    }
}

/// One line of an action's log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    /// The staff user's e-mail or the token's name, as it was when they acted.
    pub author: String,
    pub kind: ActionEventKind,
    /// The new status (`kind` = `created` or `status`).
    pub status: Option<ActionStatus>,
    /// The note; for `status` the outcome and the note; for `edited` the changed fields
    /// (`title`, `why`, `owner`, `due`, `visible`, comma-separated).
    pub note: Option<String>,
}

impl From<&action_event::Model> for LogEntry {
    fn from(event: &action_event::Model) -> Self {
        LogEntry {
            at: event.at,
            author: event.author.clone(),
            kind: event.kind,
            status: event.status,
            note: event.note.clone(),
        }
    }
}

/// An action with its log, oldest line first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub action: ActionView,
    pub log: Vec<LogEntry>,
}

fn yes() -> bool {
    true
}

/// A new action. It answers either `question_key` (a scored item the round asked) or
/// `pillar`, never both.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActionInput {
    #[serde(deserialize_with = "crate::whole_number::whole")]
    pub department_id: i32,
    /// A closed round.
    #[serde(deserialize_with = "crate::whole_number::whole")]
    pub round_id: i32,
    pub question_key: Option<String>,
    pub pillar: Option<Pillar>,
    /// One line; trimmed.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Line breaks allowed, other control characters not.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub why: String,
    /// An active staff user who may see the department.
    #[serde(deserialize_with = "crate::whole_number::whole")]
    pub owner_id: i32,
    /// Not before today in the company's time zone.
    #[schema(value_type = String, format = Date, example = "2027-03-01")]
    pub due_on: String,
    /// Default `true`.
    #[serde(default = "yes")]
    pub visible: bool,
}

/// A change: every field is optional and what is left out stays. `status` moves the action
/// (closing, to `done` or `dropped`, needs `outcome`); `note` goes into the log, with the
/// status when one is given.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatchInput {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 4000)]
    pub why: Option<String>,
    #[serde(default, deserialize_with = "crate::whole_number::optional_whole")]
    pub owner_id: Option<i32>,
    /// A new date must not lie in the past; an unchanged one may.
    #[schema(value_type = Option<String>, format = Date, example = "2027-03-01")]
    pub due_on: Option<String>,
    pub visible: Option<bool>,
    pub status: Option<ActionStatus>,
    /// Only with `status`.
    #[schema(max_length = 4000)]
    pub outcome: Option<String>,
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    #[schema(min_length = 1, max_length = 4000)]
    pub note: String,
}
