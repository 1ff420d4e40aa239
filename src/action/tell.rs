//! Back to the employees: what leadership does about their answers, in a sentence each and in
//! the employee's language, for the next invitation and the thank-you page of their department.
//! Only actions marked visible, of the employee's department and the departments above it (an
//! action of "Vertrieb" concerns "Vertrieb / Nord" too), running or done in the last months.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{action, department, question};
use crate::error::AppResult;
use crate::i18n::{Locale, fill, text};
use crate::vocab::{ActionStatus, Pillar};

/// How long a completed action is still told about.
const DONE_TOLD_FOR_DAYS: i64 = 120;

/// At most this many sentences in a mail or on a page: a few that matter.
pub const MOST: usize = 5;

/// What an action answers, in both languages, as employees read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    Item { de: String, en: String },
    Pillar(Pillar),
}

/// One visible action as employees hear of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    pub department_id: i32,
    pub done: bool,
    pub title: String,
    pub subject: Told,
}

/// Every action employees may hear of at `now`: visible, planned or running, or done within
/// [`DONE_TOLD_FOR_DAYS`]; the most urgent first.
pub async fn visible(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Vec<Visible>> {
    let actions = action::Entity::find()
        .filter(action::Column::Visible.eq(true))
        .filter(action::Column::Status.is_in([
            ActionStatus::Planned,
            ActionStatus::Running,
            ActionStatus::Done,
        ]))
        .order_by_asc(action::Column::DueOn)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?;
    let since = now - Duration::days(DONE_TOLD_FOR_DAYS);
    let actions: Vec<action::Model> = actions
        .into_iter()
        .filter(|a| a.status != ActionStatus::Done || a.closed_at.is_some_and(|at| at >= since))
        .collect();
    let questions = question::Entity::find()
        .filter(question::Column::Id.is_in(actions.iter().filter_map(|a| a.question_id)))
        .all(db)
        .await?;
    Ok(actions
        .into_iter()
        .filter_map(|a| {
            let subject = match (a.question_id, a.pillar) {
                (Some(id), _) => {
                    let q = questions.iter().find(|q| q.id == id)?;
                    Told::Item {
                        de: q.text_de.clone(),
                        en: q.text_en.clone(),
                    }
                }
                (None, Some(pillar)) => Told::Pillar(pillar),
                (None, None) => return None,
            };
            Some(Visible {
                department_id: a.department_id,
                done: a.status == ActionStatus::Done,
                title: a.title,
                subject,
            })
        })
        .collect())
}

/// Pure: the actions of `department_id` and of the departments above it, at most [`MOST`],
/// open ones first.
pub fn for_department<'a>(
    visible: &'a [Visible],
    all: &[department::Model],
    department_id: i32,
) -> Vec<&'a Visible> {
    let mut line = vec![department_id];
    let mut next = all
        .iter()
        .find(|d| d.id == department_id)
        .and_then(|d| d.parent_id);
    while let Some(id) = next.filter(|id| !line.contains(id)) {
        line.push(id);
        next = all.iter().find(|d| d.id == id).and_then(|d| d.parent_id);
    }
    let mut told: Vec<&Visible> = visible
        .iter()
        .filter(|v| line.contains(&v.department_id))
        .collect();
    told.sort_by_key(|v| v.done);
    told.truncate(MOST);
    told
}

/// "Zu „…“ haben Sie uns Ihre Sicht gesagt – wir tun: …"
pub fn sentence(visible: &Visible, locale: Locale) -> String {
    let subject = match (&visible.subject, locale) {
        (Told::Item { de, .. }, Locale::De) => de.as_str(),
        (Told::Item { en, .. }, Locale::En) => en.as_str(),
        (Told::Pillar(pillar), _) => text(locale, &format!("pillar_{pillar}")),
    };
    fill(
        text(
            locale,
            if visible.done {
                "action_told_done"
            } else {
                "action_told_doing"
            },
        ),
        &[("subject", subject), ("title", &visible.title)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn department(id: i32, parent: Option<i32>) -> department::Model {
        department::Model {
            id,
            parent_id: parent,
            name: format!("D{id}"),
            path: format!("D{id}"),
            created_at: Utc::now(),
            retired_at: None,
        }
    }

    fn visible(department_id: i32, done: bool, title: &str) -> Visible {
        Visible {
            department_id,
            done,
            title: title.into(),
            subject: Told::Pillar(Pillar::Leadership),
        }
    }

    #[test]
    fn a_team_hears_of_its_own_actions_and_those_above_it_not_its_neighbours() {
        let all = [
            department(1, None),
            department(2, Some(1)),
            department(3, Some(1)),
        ];
        let told = [
            visible(1, true, "Bereich"),
            visible(2, false, "Team"),
            visible(3, false, "Nachbar"),
        ];
        let heard: Vec<&str> = for_department(&told, &all, 2)
            .iter()
            .map(|v| v.title.as_str())
            .collect();
        assert_eq!(heard, ["Team", "Bereich"], "open ones first");
        assert_eq!(for_department(&told, &all, 1).len(), 1);
    }

    #[test]
    fn at_most_a_few_are_told() {
        let all = [department(1, None)];
        let told: Vec<Visible> = (0..9).map(|i| visible(1, false, &i.to_string())).collect();
        assert_eq!(for_department(&told, &all, 1).len(), MOST);
    }
}
