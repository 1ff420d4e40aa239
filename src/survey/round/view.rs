//! Rounds as HR reads them: times in the company time zone, the target, the questions, the
//! reminders and participation as numbers, for any number of rounds in a fixed number of
//! queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::state::find;
use crate::config::Settings;
use crate::entities::{
    invitation, question, result_group, round, round_department, round_question, round_reminder,
};
use crate::error::AppResult;
use crate::local_time::format_local_with_zone;
use crate::org::department as departments;
use crate::problem::Note;
use crate::vocab::RoundState;

/// A round's participation as numbers. Participation is a figure like any other: `answered`
/// is shown only where at least `anonymity_threshold` were invited (DECISIONS.md "Anonymity in
/// every output"). `invited` is the number of invitations, which the send log shows admins
/// anyway; for a department-scoped viewer both follow the suppression of
/// `report::participation`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Participation {
    pub invited: Option<u64>,
    pub answered: Option<u64>,
}

impl Participation {
    /// The round's totals as an admin sees them.
    pub fn of_totals(invited: u64, answered: u64, threshold: u32) -> Participation {
        let shown = invited == 0 || invited >= u64::from(threshold.max(1));
        Participation {
            invited: Some(invited),
            answered: shown.then_some(answered),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundView {
    pub id: i32,
    pub title: String,
    pub state: RoundState,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The times in the company time zone, as HR reads them.
    pub opens_local: String,
    pub closes_local: String,
    pub schedule_id: Option<i32>,
    /// Department paths of the target; empty is the whole company.
    pub departments: Vec<String>,
    pub questions: Vec<String>,
    pub reminders: Vec<DateTime<Utc>>,
    pub reminders_local: Vec<String>,
    pub participation: Participation,
    /// What was understood from the input (e.g. which of two clock times was taken), in the
    /// reader's language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub notes: Vec<Note>,
}

pub async fn get(db: &DatabaseConnection, settings: &Settings, id: i32) -> AppResult<RoundView> {
    let record = find(db, id).await?;
    let mut views = views(db, settings, vec![record]).await?;
    Ok(views.pop().expect("one view per round"))
}

/// Every round, newest opening first, with participation as numbers.
pub async fn list(db: &DatabaseConnection, settings: &Settings) -> AppResult<Vec<RoundView>> {
    let records = round::Entity::find()
        .order_by_desc(round::Column::OpensAt)
        .all(db)
        .await?;
    views(db, settings, records).await
}

/// The views of `records`, in their order, with a fixed number of queries however many rounds
/// there are (a list page must not run one set of queries per round).
async fn views(
    db: &DatabaseConnection,
    settings: &Settings,
    records: Vec<round::Model>,
) -> AppResult<Vec<RoundView>> {
    let tz = settings.timezone;
    let ids: Vec<i32> = records.iter().map(|r| r.id).collect();
    let mut targets: HashMap<i32, Vec<i32>> = HashMap::new();
    for row in round_department::Entity::find()
        .filter(round_department::Column::RoundId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        targets
            .entry(row.round_id)
            .or_default()
            .push(row.department_id);
    }
    let paths: HashMap<i32, String> = departments::all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.path))
        .collect();
    let keys: HashMap<i32, String> = question::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.id, q.key))
        .collect();
    let mut questions: HashMap<i32, Vec<String>> = HashMap::new();
    for row in round_question::Entity::find()
        .filter(round_question::Column::RoundId.is_in(ids.clone()))
        .order_by_asc(round_question::Column::Position)
        .all(db)
        .await?
    {
        if let Some(key) = keys.get(&row.question_id) {
            questions.entry(row.round_id).or_default().push(key.clone());
        }
    }
    let mut reminders: HashMap<i32, Vec<DateTime<Utc>>> = HashMap::new();
    for row in round_reminder::Entity::find()
        .filter(round_reminder::Column::RoundId.is_in(ids.clone()))
        .order_by_asc(round_reminder::Column::RemindAt)
        .all(db)
        .await?
    {
        reminders
            .entry(row.round_id)
            .or_default()
            .push(row.remind_at);
    }
    let mut counts: HashMap<i32, Participation> = HashMap::new();
    // Counted by the database: a round may have 100,000 invitations.
    let rows: Vec<(i32, i64, i64)> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::RoundId)
        .column_as(Expr::cust("COUNT(*)"), "invited")
        .column_as(
            Expr::cust("SUM(CASE WHEN answered THEN 1 ELSE 0 END)"),
            "answered",
        )
        .filter(invitation::Column::RoundId.is_in(ids.clone()))
        .group_by(invitation::Column::RoundId)
        .into_tuple()
        .all(db)
        .await?;
    // A closed round has no invitations left: its participation is in its aggregates.
    let closed: Vec<(i32, i64, i64)> = result_group::Entity::find()
        .select_only()
        .column(result_group::Column::RoundId)
        .column_as(result_group::Column::Invited.sum(), "invited")
        .column_as(result_group::Column::Responses.sum(), "answered")
        .filter(result_group::Column::RoundId.is_in(ids))
        .group_by(result_group::Column::RoundId)
        .into_tuple()
        .all(db)
        .await?;
    let threshold = settings.anonymity_threshold;
    for (round_id, invited, answered) in rows.into_iter().chain(closed) {
        counts.insert(
            round_id,
            Participation::of_totals(invited.max(0) as u64, answered.max(0) as u64, threshold),
        );
    }
    Ok(records
        .into_iter()
        .map(|record| {
            let id = record.id;
            let mut departments: Vec<String> = targets
                .remove(&id)
                .unwrap_or_default()
                .iter()
                .filter_map(|department| paths.get(department).cloned())
                .collect();
            departments.sort();
            let reminders = reminders.remove(&id).unwrap_or_default();
            RoundView {
                id,
                state: record.state,
                opens_local: format_local_with_zone(record.opens_at, tz),
                closes_local: format_local_with_zone(record.closes_at, tz),
                reminders_local: reminders
                    .iter()
                    .map(|r| format_local_with_zone(*r, tz))
                    .collect(),
                title: record.title,
                opens_at: record.opens_at,
                closes_at: record.closes_at,
                schedule_id: record.schedule_id,
                departments,
                questions: questions.remove(&id).unwrap_or_default(),
                reminders,
                participation: counts
                    .remove(&id)
                    .unwrap_or(Participation::of_totals(0, 0, threshold)),
                notes: Vec::new(),
            }
        })
        .collect())
}
