//! What an action may be and who may change it, without a database: the checks of what people
//! type, the status a closed action needs an outcome for, and the scope rule.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::entities::department;
use crate::org::department as departments;
use crate::problem::Problem;
use crate::vocab::{ActionStatus, Pillar, Role};

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 4000;

/// What an action answers: one item of the catalog or one pillar as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Item(i32),
    Pillar(Pillar),
}

/// Who acts, as the rules need it: the scope decides where, the name goes into the log.
#[derive(Debug, Clone)]
pub struct Who {
    pub name: String,
    pub role: Role,
    /// `None`: the whole company.
    pub scope: Option<i32>,
}

impl From<&Principal> for Who {
    fn from(principal: &Principal) -> Self {
        Who {
            name: principal.name.clone(),
            role: principal.role,
            scope: principal.department_id,
        }
    }
}

/// Admins and company-wide viewers act everywhere, a scoped viewer in its own subtree.
pub fn may_act(scope: Option<i32>, all: &[department::Model], department_id: i32) -> bool {
    match scope {
        None => true,
        Some(root) => departments::subtree_ids(all, &[root]).contains(&department_id),
    }
}

/// The departments a scope reaches; `None` for the whole company.
pub fn reach(scope: Option<i32>, all: &[department::Model]) -> Option<HashSet<i32>> {
    scope.map(|root| departments::subtree_ids(all, &[root]))
}

/// A title: one line, 1 to [`TITLE_MAX`] characters after trimming.
pub fn title(raw: &str) -> Result<String, Problem> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(Problem::new("problem_action_title_missing"));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(Problem::new("problem_title_too_long").arg("max", TITLE_MAX));
    }
    if title.chars().any(char::is_control) {
        return Err(Problem::new("problem_action_title_line"));
    }
    Ok(title.to_owned())
}

/// The longer texts of an action, named in messages in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Why,
    Note,
    Outcome,
}

impl Field {
    fn name(self) -> Problem {
        Problem::new(match self {
            Field::Why => "action_field_why",
            Field::Note => "action_field_note",
            Field::Outcome => "action_field_outcome",
        })
    }
}

/// A longer text (why, a note, the outcome): at most [`TEXT_MAX`] characters, line breaks
/// allowed, other control characters not.
pub fn text(raw: &str, field: Field) -> Result<String, Problem> {
    let text = raw.trim().replace("\r\n", "\n");
    if text.chars().count() > TEXT_MAX {
        return Err(Problem::new("problem_action_text_too_long")
            .cause("field", field.name())
            .arg("max", TEXT_MAX));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Problem::new("problem_action_text_control").cause("field", field.name()));
    }
    Ok(text)
}

/// A due date: not before today (in the company's zone). An unchanged date of an existing
/// action may lie in the past: it is overdue, which is worth seeing, not an error.
pub fn due(due_on: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Problem> {
    if due_on < today {
        return Err(Problem::new("problem_action_due_past")
            .day("due", due_on)
            .day("today", today));
    }
    Ok(due_on)
}

/// A due date as a form or the API gives it (`YYYY-MM-DD`).
pub fn parse_date(raw: &str) -> Result<NaiveDate, Problem> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| Problem::new("problem_action_due_malformed").arg("input", raw.trim()))
}

/// A change of status: closing (done, dropped) needs the outcome, what came of it.
pub fn outcome_for(status: ActionStatus, outcome: &str) -> Result<Option<String>, Problem> {
    let outcome = text(outcome, Field::Outcome)?;
    match (status.is_open(), outcome.is_empty()) {
        (false, true) => Err(Problem::new("problem_action_outcome_missing")),
        (false, false) => Ok(Some(outcome)),
        (true, _) => Ok(None),
    }
}

/// Whether one more open action fits in a department that has `open` of them.
pub fn within_limit(open: u64, limit: u32, department: &str) -> Result<(), Problem> {
    if open >= u64::from(limit) {
        return Err(Problem::new("problem_action_limit")
            .arg("department", department)
            .arg("limit", limit));
    }
    Ok(())
}

/// Whether an action is overdue on `today`: still open after its due date.
pub fn overdue(status: ActionStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status.is_open() && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Vec<department::Model> {
        let at = chrono::Utc::now();
        let d = |id: i32, parent: Option<i32>, path: &str| department::Model {
            id,
            parent_id: parent,
            name: path.rsplit('/').next().unwrap().to_owned(),
            path: path.to_owned(),
            created_at: at,
            retired_at: None,
        };
        vec![
            d(1, None, "Vertrieb"),
            d(2, Some(1), "Vertrieb/Nord"),
            d(3, Some(1), "Vertrieb/Süd"),
            d(4, None, "Service"),
        ]
    }

    #[test]
    fn a_viewer_acts_in_its_subtree_only() {
        let all = tree();
        assert!(may_act(None, &all, 4));
        assert!(may_act(Some(1), &all, 1));
        assert!(may_act(Some(1), &all, 3));
        assert!(!may_act(Some(1), &all, 4));
        assert!(!may_act(Some(2), &all, 1), "not upwards");
        assert!(!may_act(Some(2), &all, 3), "not sideways");
    }

    #[test]
    fn titles_are_one_line_of_bounded_length() {
        assert_eq!(title("  Kundentag  ").unwrap(), "Kundentag");
        assert_eq!(
            title(" ").unwrap_err().key(),
            "problem_action_title_missing"
        );
        assert_eq!(
            title(&"x".repeat(TITLE_MAX + 1)).unwrap_err().key(),
            "problem_title_too_long"
        );
        assert!(
            title(&"ü".repeat(TITLE_MAX)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            title("a\nb").unwrap_err().key(),
            "problem_action_title_line"
        );
    }

    #[test]
    fn texts_keep_lines_and_refuse_other_control_characters() {
        assert_eq!(text("a\r\nb", Field::Why).unwrap(), "a\nb");
        assert_eq!(
            text("a\u{0}b", Field::Why).unwrap_err().key(),
            "problem_action_text_control"
        );
        assert_eq!(
            text(&"x".repeat(TEXT_MAX + 1), Field::Note)
                .unwrap_err()
                .key(),
            "problem_action_text_too_long"
        );
    }

    #[test]
    fn a_due_date_in_the_past_is_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert!(due(today, today).is_ok());
        let problem = due(today.pred_opt().unwrap(), today).unwrap_err();
        assert_eq!(problem.key(), "problem_action_due_past");
        assert_eq!(
            parse_date("5.12.2026").unwrap_err().key(),
            "problem_action_due_malformed"
        );
        assert_eq!(parse_date(" 2026-12-05 ").unwrap(), today);
    }

    #[test]
    fn closing_needs_an_outcome() {
        assert_eq!(
            outcome_for(ActionStatus::Done, "  ").unwrap_err().key(),
            "problem_action_outcome_missing"
        );
        assert_eq!(
            outcome_for(ActionStatus::Dropped, "Team aufgelöst").unwrap(),
            Some("Team aufgelöst".into())
        );
        assert_eq!(outcome_for(ActionStatus::Running, "egal").unwrap(), None);
    }

    #[test]
    fn the_limit_counts_open_actions() {
        assert!(within_limit(2, 3, "Vertrieb").is_ok());
        assert_eq!(
            within_limit(3, 3, "Vertrieb").unwrap_err().key(),
            "problem_action_limit"
        );
    }

    #[test]
    fn only_open_actions_are_overdue() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let yesterday = today.pred_opt().unwrap();
        assert!(overdue(ActionStatus::Running, yesterday, today));
        assert!(!overdue(ActionStatus::Running, today, today));
        assert!(!overdue(ActionStatus::Done, yesterday, today));
    }
}
