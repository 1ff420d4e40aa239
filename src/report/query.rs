//! What the doors (pages, API, CSV, charts, mail) ask of reports, with the viewer's scope
//! checked here once: a viewer limited to a department subtree sees only that subtree.

use std::collections::HashMap;

use chrono_tz::Tz;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use serde::Serialize;

use super::aggregate::{self, RoundAggregates};
use super::context::Reports;
use super::participation;
use super::results::{self, GroupReport, Inputs, Thresholds};
use super::stats::{HiddenReason, Shown};
use super::trend::{self, RoundLabel, TrendRound};
use crate::entities::{answer, department, question, response, round, round_question};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::department as departments;
use crate::vocab::RoundState;

/// Who is asking: `scope` limits a viewer to a department subtree.
#[derive(Debug, Clone, Copy)]
pub struct Reader {
    pub scope: Option<i32>,
    pub locale: Locale,
}

impl Reader {
    pub fn of(principal: &crate::auth::Principal) -> Reader {
        Reader {
            scope: principal.department_id,
            locale: principal.locale,
        }
    }
}

pub fn thresholds(reports: &Reports) -> Thresholds {
    Thresholds {
        answers: reports.settings.anonymity_threshold,
        comments: reports.settings.comment_threshold,
    }
}

pub fn label(round: &round::Model, tz: Tz) -> RoundLabel {
    RoundLabel {
        id: round.id,
        title: round.title.clone(),
        date: round
            .opens_at
            .with_timezone(&tz)
            .format("%Y-%m-%d")
            .to_string(),
    }
}

/// The results of one round as this reader may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundResults {
    pub round: RoundLabel,
    pub state: RoundState,
    /// The closed round these results are compared with.
    pub previous: Option<RoundLabel>,
    pub anonymity_threshold: u32,
    pub comment_threshold: u32,
    /// Empty while the round is open: results appear when it closes.
    pub groups: Vec<GroupReport>,
}

/// Checks that `group` (a department, or `None` for the reader's top) exists and is inside
/// the reader's scope; returns the group to report on.
pub fn resolve_group(
    all: &[department::Model],
    reader: Reader,
    group: Option<i32>,
) -> AppResult<Option<i32>> {
    if let Some(id) = group
        && !all.iter().any(|d| d.id == id)
    {
        return Err(AppError::NotFound);
    }
    match (reader.scope, group) {
        (None, group) => Ok(group),
        (Some(root), None) => Ok(Some(root)),
        (Some(root), Some(id)) => {
            if departments::subtree_ids(all, &[root]).contains(&id) {
                Ok(Some(id))
            } else {
                // As if it did not exist: a 403 would tell which department ids are real.
                Err(AppError::NotFound)
            }
        }
    }
}

/// The round's questions in the order they were asked.
async fn questions_of(reports: &Reports, round_id: i32) -> AppResult<Vec<question::Model>> {
    let positions: HashMap<i32, i32> = round_question::Entity::find()
        .filter(round_question::Column::RoundId.eq(round_id))
        .all(&reports.db)
        .await?
        .into_iter()
        .map(|rq| (rq.question_id, rq.position))
        .collect();
    let mut questions = question::Entity::find()
        .filter(question::Column::Id.is_in(positions.keys().copied()))
        .all(&reports.db)
        .await?;
    questions.sort_by_key(|q| positions[&q.id]);
    Ok(questions)
}

/// A round that did not reach a scoped reader is answered as if it did not exist.
pub async fn round_results(
    reports: &Reports,
    reader: Reader,
    round_id: i32,
) -> AppResult<RoundResults> {
    if !reaches(reports, reader, round_id).await? {
        return Err(AppError::NotFound);
    }
    results_within_scope(reports, reader, round_id).await
}

/// [`round_results`] without asking whether the round reached the reader: the groups of a round
/// that did not are simply none. For the digest, which tells such a viewer so.
pub async fn results_within_scope(
    reports: &Reports,
    reader: Reader,
    round_id: i32,
) -> AppResult<RoundResults> {
    let round = round::Entity::find_by_id(round_id)
        .one(&reports.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz = reports.settings.timezone;
    let t = thresholds(reports);
    let mut out = RoundResults {
        round: label(&round, tz),
        state: round.state,
        previous: None,
        anonymity_threshold: t.answers,
        comment_threshold: t.comments,
        groups: Vec::new(),
    };
    if round.state != RoundState::Closed {
        return Ok(out);
    }
    let closed = aggregate::closed_rounds(&reports.db).await?;
    let position = closed.iter().position(|r| r.id == round_id);
    let previous = position.and_then(|i| i.checked_sub(1)).map(|i| &closed[i]);
    let wanted: Vec<i32> = std::iter::once(round_id)
        .chain(previous.map(|p| p.id))
        .collect();
    let aggregates = reports.aggregates.get(&reports.db, &wanted).await?;
    let current = &aggregates[&round_id];
    // The tree as the round saw it: later renames and moves change nothing here.
    let tree = &current.departments;
    let questions = questions_of(reports, round_id).await?;
    let groups = results::build(&Inputs {
        departments: tree,
        questions: &questions,
        current,
        previous: previous.map(|p| aggregates[&p.id].as_ref()),
        thresholds: t,
        locale: reader.locale,
    });
    out.previous = previous.map(|p| label(p, tz));
    out.groups = results::within_scope(groups, reader.scope, tree);
    Ok(out)
}

/// Whether the round reached the reader's scope: for a department-scoped viewer, a round that
/// invited nobody in its subtree (as the round saw the tree) is answered as if it did not exist.
pub async fn reaches(reports: &Reports, reader: Reader, round_id: i32) -> AppResult<bool> {
    let Some(scope) = reader.scope else {
        return Ok(true);
    };
    let tree = crate::org::round_tree::of_round(&reports.db, round_id).await?;
    if tree.is_empty() {
        // Not opened yet: there is nothing of it to see but its title.
        return Ok(true);
    }
    let members = departments::subtree_ids(&tree, &[scope]);
    let counts = participation::counts_by_department(&reports.db, round_id).await?;
    Ok(members
        .iter()
        .any(|id| counts.get(id).is_some_and(|c| c.invited > 0)))
}

/// The latest closed round, if any.
pub async fn latest_closed(reports: &Reports) -> AppResult<Option<round::Model>> {
    Ok(aggregate::closed_rounds(&reports.db).await?.pop())
}

/// One group's trend over every closed round (`group: None` is the reader's top).
pub async fn trend(
    reports: &Reports,
    reader: Reader,
    group: Option<i32>,
) -> AppResult<Vec<TrendRound>> {
    let all = departments::all(&reports.db).await?;
    let group = resolve_group(&all, reader, group)?;
    let closed = aggregate::closed_rounds(&reports.db).await?;
    let ids: Vec<i32> = closed.iter().map(|r| r.id).collect();
    let aggregates = reports.aggregates.get(&reports.db, &ids).await?;
    let tz = reports.settings.timezone;
    let rounds: Vec<(RoundLabel, &RoundAggregates)> = closed
        .iter()
        .map(|r| (label(r, tz), aggregates[&r.id].as_ref()))
        .collect();
    Ok(trend::build(
        &rounds,
        group,
        reader.scope,
        reports.settings.anonymity_threshold,
    ))
}

/// The comments of one group in one closed round, only where the group reaches the comment
/// threshold and no subtraction could single a few out. Sorted alphabetically: nothing about
/// who wrote what or when survives into the list.
pub async fn comments(
    reports: &Reports,
    reader: Reader,
    round_id: i32,
    group: Option<i32>,
) -> AppResult<Shown<Vec<String>>> {
    let results = round_results(reports, reader, round_id).await?;
    if results.state != RoundState::Closed {
        return Ok(Shown::hidden(HiddenReason::RoundOpen));
    }
    let all = departments::all(&reports.db).await?;
    let group = resolve_group(&all, reader, group)?;
    let Some(report) = results.groups.iter().find(|g| g.department_id == group) else {
        return Ok(Shown::hidden(HiddenReason::NotEnoughAnswers));
    };
    if let Shown::Hidden { reason } = report.comments {
        return Ok(Shown::hidden(reason));
    }
    // The group as the round saw it, like every figure of the round.
    let aggregates = reports.aggregates.get(&reports.db, &[round_id]).await?;
    let tree = &aggregates[&round_id].departments;
    let members: Vec<i32> = match group {
        None => tree.iter().map(|d| d.id).collect(),
        Some(id) => departments::subtree_ids(tree, &[id]).into_iter().collect(),
    };
    let mut texts: Vec<String> = Vec::new();
    for chunk in members.chunks(500) {
        let rows: Vec<Option<String>> = answer::Entity::find()
            .select_only()
            .column(answer::Column::Text)
            .join(
                JoinType::InnerJoin,
                answer::Entity::belongs_to(response::Entity)
                    .from(answer::Column::ResponseId)
                    .to(response::Column::Id)
                    .into(),
            )
            .filter(response::Column::RoundId.eq(round_id))
            .filter(response::Column::DepartmentId.is_in(chunk.iter().copied()))
            .filter(answer::Column::Text.is_not_null())
            .into_tuple()
            .all(&reports.db)
            .await?;
        texts.extend(
            rows.into_iter()
                .flatten()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        );
    }
    texts.sort();
    Ok(Shown::Shown(texts))
}

/// Department names by id, for labels.
pub fn names(all: &[department::Model]) -> HashMap<i32, String> {
    all.iter().map(|d| (d.id, d.path.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn dept(id: i32, parent_id: Option<i32>, path: &str) -> department::Model {
        department::Model {
            id,
            parent_id,
            name: path.rsplit(" / ").next().unwrap().to_owned(),
            path: path.to_owned(),
            created_at: Utc::now(),
            retired_at: None,
        }
    }

    #[test]
    fn scope_limits_the_groups_a_viewer_may_ask_for() {
        let all = vec![
            dept(1, None, "Vertrieb"),
            dept(2, Some(1), "Vertrieb / Innendienst"),
            dept(3, None, "Technik"),
        ];
        let whole = Reader {
            scope: None,
            locale: Locale::De,
        };
        let sales = Reader {
            scope: Some(1),
            locale: Locale::De,
        };
        assert_eq!(resolve_group(&all, whole, None).unwrap(), None);
        assert_eq!(resolve_group(&all, sales, None).unwrap(), Some(1));
        assert_eq!(resolve_group(&all, sales, Some(2)).unwrap(), Some(2));
        assert!(matches!(
            resolve_group(&all, sales, Some(3)),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            resolve_group(&all, whole, Some(99)),
            Err(AppError::NotFound)
        ));
    }
}
