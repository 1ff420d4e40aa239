//! The aggregates a round leaves when it closes, and reading them back.
//!
//! At close, one pass over the round's answers fills a [`Unit`] per department (the
//! department's own respondents, as the invitation snapshot placed them). A subtree, or the
//! whole company, is the sum of its departments' units, so reports never read raw answers.
//! Closed rounds never change, so what was read once is kept in a [`Cache`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, Set,
    StreamTrait,
};

use super::stats::{Histogram, Moments, NetHistogram, PillarAnswer, respondent_score};
use crate::entities::{
    answer, department, question, response, result_group, result_item, result_pillar,
};
use crate::entities::{round, round_question};
use crate::error::{AppError, AppResult};
use crate::vocab::{Basis, Pillar, RoundState, Scale};

/// What one department's own respondents left in one round. Units add up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unit {
    /// Invitations of the round's snapshot in this department.
    pub invited: u64,
    pub responses: u64,
    /// Responses that carry a comment.
    pub comments: u64,
    /// Per pillar, in the order of [`Pillar::EACH`].
    pub core: [Moments; 3],
    pub round: [Moments; 3],
    pub likert: BTreeMap<i32, Histogram>,
    pub net: BTreeMap<i32, NetHistogram>,
}

impl Unit {
    pub fn pillars(&self, basis: Basis) -> &[Moments; 3] {
        match basis {
            Basis::Core => &self.core,
            Basis::Round => &self.round,
        }
    }

    pub fn add(&mut self, other: &Unit) {
        self.add_headline(other);
        for (id, histogram) in &other.likert {
            *self.likert.entry(*id).or_default() += histogram;
        }
        for (id, histogram) in &other.net {
            *self.net.entry(*id).or_default() += histogram;
        }
    }

    /// Adds the counts and pillar moments only, not the item histograms: all a trend needs,
    /// at a fraction of the cost over many rounds.
    pub fn add_headline(&mut self, other: &Unit) {
        self.invited += other.invited;
        self.responses += other.responses;
        self.comments += other.comments;
        for (mine, theirs) in self.core.iter_mut().zip(&other.core) {
            *mine += theirs;
        }
        for (mine, theirs) in self.round.iter_mut().zip(&other.round) {
            *mine += theirs;
        }
    }
}

/// A closed round's units by department id, and the tree they hang on: the departments as
/// the round saw them when it opened (`org::round_tree`), never today's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundAggregates {
    pub units: HashMap<i32, Unit>,
    pub departments: Vec<department::Model>,
}

impl RoundAggregates {
    /// The sum over these departments (a subtree, or everyone).
    pub fn sum<'a>(&self, departments: impl IntoIterator<Item = &'a i32>) -> Unit {
        let mut total = Unit::default();
        for id in departments {
            if let Some(unit) = self.units.get(id) {
                total.add(unit);
            }
        }
        total
    }

    pub fn total(&self) -> Unit {
        self.sum(self.units.keys())
    }

    /// [`RoundAggregates::sum`] without item histograms (see [`Unit::add_headline`]).
    pub fn sum_headline<'a>(&self, departments: impl IntoIterator<Item = &'a i32>) -> Unit {
        let mut total = Unit::default();
        for id in departments {
            if let Some(unit) = self.units.get(id) {
                total.add_headline(unit);
            }
        }
        total
    }
}

/// An item as the aggregation needs it.
#[derive(Debug, Clone)]
pub struct ItemSpec {
    pub question_id: i32,
    /// `None` for the 0–10 item and the comment.
    pub pillar: Option<Pillar>,
    pub scale: Scale,
    pub reverse_coded: bool,
    pub core: bool,
}

impl ItemSpec {
    pub fn of(question: &question::Model) -> ItemSpec {
        ItemSpec {
            question_id: question.id,
            pillar: question.pillar,
            scale: question.scale,
            reverse_coded: question.reverse_coded,
            core: question.core,
        }
    }
}

/// One stored answer: the question, its value (`None`: can't judge) and whether it has text.
#[derive(Debug, Clone, Copy)]
pub struct RawAnswer {
    pub question_id: i32,
    pub value: Option<i32>,
    pub has_text: bool,
}

/// Adds one respondent's answers to their department's unit. Pure, for tests.
pub fn record_response(
    unit: &mut Unit,
    items: &HashMap<i32, ItemSpec>,
    answers: &[RawAnswer],
) -> AppResult<()> {
    let out_of_scale = |err: super::stats::StatsError| AppError::internal(err);
    unit.responses += 1;
    let mut core: [Vec<PillarAnswer>; 3] = Default::default();
    let mut round: [Vec<PillarAnswer>; 3] = Default::default();
    let mut commented = false;
    for answer in answers {
        let Some(item) = items.get(&answer.question_id) else {
            continue;
        };
        let value = answer
            .value
            .map(|v| u8::try_from(v).map_err(|_| AppError::internal(anyhow::anyhow!("answer {v}"))))
            .transpose()?;
        match item.scale {
            Scale::Text => commented |= answer.has_text,
            Scale::Nps11 => unit
                .net
                .entry(item.question_id)
                .or_default()
                .record(value)
                .map_err(out_of_scale)?,
            Scale::Likert5 => {
                unit.likert
                    .entry(item.question_id)
                    .or_default()
                    .record(value, item.reverse_coded)
                    .map_err(out_of_scale)?;
                if let Some(pillar) = item.pillar {
                    let answer = PillarAnswer {
                        value,
                        reverse_coded: item.reverse_coded,
                    };
                    round[pillar.index()].push(answer);
                    if item.core {
                        core[pillar.index()].push(answer);
                    }
                }
            }
        }
    }
    unit.comments += u64::from(commented);
    for (moments, answers) in unit.round.iter_mut().zip(round) {
        if let Some(score) = respondent_score(answers).map_err(out_of_scale)? {
            moments.push(score);
        }
    }
    for (moments, answers) in unit.core.iter_mut().zip(core) {
        if let Some(score) = respondent_score(answers).map_err(out_of_scale)? {
            moments.push(score);
        }
    }
    Ok(())
}

/// The items a round asked.
pub async fn items_of_round(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> AppResult<HashMap<i32, ItemSpec>> {
    let questions: Vec<question::Model> = question::Entity::find()
        .join(
            JoinType::InnerJoin,
            question::Entity::belongs_to(round_question::Entity)
                .from(question::Column::Id)
                .to(round_question::Column::QuestionId)
                .into(),
        )
        .filter(round_question::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    Ok(questions.iter().map(|q| (q.id, ItemSpec::of(q))).collect())
}

/// Computes and stores the aggregates of a round, inside the transaction that closes it (after
/// the token hashes are erased, so no submission can still arrive).
pub async fn write_at_close<C>(txn: &C, round_id: i32) -> AppResult<()>
where
    C: ConnectionTrait + StreamTrait,
{
    let items = items_of_round(txn, round_id).await?;
    let mut aggregates = RoundAggregates::default();
    {
        // Streamed in response order: one respondent's answers arrive together, and memory
        // stays flat however large the round.
        let mut rows = answer::Entity::find()
            .select_only()
            .column(answer::Column::ResponseId)
            .column(response::Column::DepartmentId)
            .column(answer::Column::QuestionId)
            .column(answer::Column::Value)
            .column(answer::Column::Text)
            .join(
                JoinType::InnerJoin,
                answer::Entity::belongs_to(response::Entity)
                    .from(answer::Column::ResponseId)
                    .to(response::Column::Id)
                    .into(),
            )
            .filter(response::Column::RoundId.eq(round_id))
            .order_by_asc(answer::Column::ResponseId)
            .into_tuple::<(String, i32, i32, Option<i32>, Option<String>)>()
            .stream(txn)
            .await?;
        let mut current: Option<(String, i32)> = None;
        let mut answers: Vec<RawAnswer> = Vec::new();
        while let Some((response_id, department_id, question_id, value, text)) =
            rows.try_next().await?
        {
            if current.as_ref().is_some_and(|(id, _)| *id != response_id) {
                let (_, department) = current.take().expect("checked above");
                let unit = aggregates.units.entry(department).or_default();
                record_response(unit, &items, &answers)?;
                answers.clear();
            }
            current.get_or_insert((response_id, department_id));
            answers.push(RawAnswer {
                question_id,
                value,
                has_text: text.is_some_and(|t| !t.trim().is_empty()),
            });
        }
        if let Some((_, department)) = current {
            let unit = aggregates.units.entry(department).or_default();
            record_response(unit, &items, &answers)?;
        }
    }
    // A response whose every answer was left out still counts as a response.
    let counted: HashMap<i32, u64> = response::Entity::find()
        .select_only()
        .column(response::Column::DepartmentId)
        .column_as(response::Column::Id.count(), "responses")
        .filter(response::Column::RoundId.eq(round_id))
        .group_by(response::Column::DepartmentId)
        .into_tuple::<(i32, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .map(|(department, count)| (department, count as u64))
        .collect();
    for (department, count) in counted {
        let unit = aggregates.units.entry(department).or_default();
        unit.responses = unit.responses.max(count);
    }
    for (department, counts) in super::participation::counts_by_department(txn, round_id).await? {
        aggregates.units.entry(department).or_default().invited = counts.invited;
    }
    store(txn, round_id, &aggregates).await
}

/// Rows per insert statement: small enough for SQLite's parameter limit and PostgreSQL's
/// statement size on every table here.
const ROWS_PER_INSERT: usize = 500;

async fn store(
    txn: &impl ConnectionTrait,
    round_id: i32,
    aggregates: &RoundAggregates,
) -> AppResult<()> {
    let mut groups = Vec::new();
    let mut pillars = Vec::new();
    let mut items = Vec::new();
    let mut departments: Vec<&i32> = aggregates.units.keys().collect();
    departments.sort();
    for department in departments {
        let unit = &aggregates.units[department];
        groups.push(result_group::ActiveModel {
            round_id: Set(round_id),
            department_id: Set(*department),
            invited: Set(count(unit.invited)?),
            responses: Set(count(unit.responses)?),
            comments: Set(count(unit.comments)?),
        });
        for basis in [Basis::Core, Basis::Round] {
            for (pillar, moments) in Pillar::EACH.into_iter().zip(unit.pillars(basis)) {
                if moments.n == 0 {
                    continue;
                }
                pillars.push(result_pillar::ActiveModel {
                    round_id: Set(round_id),
                    department_id: Set(*department),
                    pillar: Set(pillar),
                    basis: Set(basis),
                    n: Set(count(moments.n)?),
                    sum: Set(moments.sum),
                    sum_sq: Set(moments.sum_sq),
                });
            }
        }
        let likert = unit
            .likert
            .iter()
            .map(|(id, h)| (*id, join_counts(&h.counts), h.cant_judge));
        let net = unit
            .net
            .iter()
            .map(|(id, h)| (*id, join_counts(&h.counts), h.cant_judge));
        for (question_id, counts, cant_judge) in likert.chain(net) {
            items.push(result_item::ActiveModel {
                round_id: Set(round_id),
                department_id: Set(*department),
                question_id: Set(question_id),
                counts: Set(counts),
                cant_judge: Set(count(cant_judge)?),
            });
        }
    }
    for chunk in chunks(groups) {
        result_group::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in chunks(pillars) {
        result_pillar::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in chunks(items) {
        result_item::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(ROWS_PER_INSERT).collect());
    }
    out
}

fn count(value: u64) -> AppResult<i32> {
    i32::try_from(value)
        .map_err(|_| AppError::internal(anyhow::anyhow!("count {value} out of range")))
}

fn join_counts(counts: &[u64]) -> String {
    counts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_counts<const N: usize>(text: &str) -> AppResult<[u64; N]> {
    let mut counts = [0u64; N];
    let mut parts = text.split(',');
    for slot in counts.iter_mut() {
        *slot = parts
            .next()
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("stored histogram `{text}` is damaged"))
            })?;
    }
    if parts.next().is_some() {
        return Err(AppError::internal(anyhow::anyhow!(
            "stored histogram `{text}` has more than {N} values"
        )));
    }
    Ok(counts)
}

/// Reads the stored aggregates of these rounds.
pub async fn load(
    db: &impl ConnectionTrait,
    round_ids: &[i32],
) -> AppResult<HashMap<i32, RoundAggregates>> {
    let mut out: HashMap<i32, RoundAggregates> = round_ids
        .iter()
        .map(|id| (*id, RoundAggregates::default()))
        .collect();
    if round_ids.is_empty() {
        return Ok(out);
    }
    for (id, departments) in crate::org::round_tree::of_rounds(db, round_ids).await? {
        out.entry(id).or_default().departments = departments;
    }
    // Batched so that a long history stays within SQLite's parameter limit.
    for ids in round_ids.chunks(500) {
        let groups = result_group::Entity::find()
            .filter(result_group::Column::RoundId.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        for row in groups {
            let unit = unit_of(&mut out, row.round_id, row.department_id);
            unit.invited = row.invited as u64;
            unit.responses = row.responses as u64;
            unit.comments = row.comments as u64;
        }
        let pillars = result_pillar::Entity::find()
            .filter(result_pillar::Column::RoundId.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        for row in pillars {
            let unit = unit_of(&mut out, row.round_id, row.department_id);
            let pillar = row.pillar.index();
            let slot = match row.basis {
                Basis::Core => &mut unit.core[pillar],
                Basis::Round => &mut unit.round[pillar],
            };
            *slot = Moments {
                n: row.n as u64,
                sum: row.sum,
                sum_sq: row.sum_sq,
            };
        }
        let items = result_item::Entity::find()
            .filter(result_item::Column::RoundId.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        for row in items {
            let unit = unit_of(&mut out, row.round_id, row.department_id);
            let values = row.counts.split(',').count();
            if values == 11 {
                unit.net.insert(
                    row.question_id,
                    NetHistogram {
                        counts: parse_counts(&row.counts)?,
                        cant_judge: row.cant_judge as u64,
                    },
                );
            } else {
                unit.likert.insert(
                    row.question_id,
                    Histogram {
                        counts: parse_counts(&row.counts)?,
                        cant_judge: row.cant_judge as u64,
                    },
                );
            }
        }
    }
    Ok(out)
}

fn unit_of(out: &mut HashMap<i32, RoundAggregates>, round_id: i32, department: i32) -> &mut Unit {
    out.entry(round_id)
        .or_default()
        .units
        .entry(department)
        .or_default()
}

/// How many closed rounds' aggregates stay in memory; older ones are read again when asked.
const CACHED_ROUNDS: usize = 512;

/// Aggregates of closed rounds, kept once read: a closed round never changes, and every
/// instance computes the same from the same rows, so the cache cannot go stale.
#[derive(Default)]
pub struct Cache {
    rounds: Mutex<HashMap<i32, Arc<RoundAggregates>>>,
}

impl Cache {
    /// The aggregates of these closed rounds, read from the database where not cached.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        round_ids: &[i32],
    ) -> AppResult<HashMap<i32, Arc<RoundAggregates>>> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let cached = self.rounds.lock().expect("cache lock");
            for id in round_ids {
                match cached.get(id) {
                    Some(aggregates) => {
                        found.insert(*id, Arc::clone(aggregates));
                    }
                    None => missing.push(*id),
                }
            }
        }
        if !missing.is_empty() {
            let loaded = load(db, &missing).await?;
            let mut cached = self.rounds.lock().expect("cache lock");
            for (id, aggregates) in loaded {
                let aggregates = Arc::new(aggregates);
                if cached.len() >= CACHED_ROUNDS {
                    // Any entry will do: a miss costs one read, never a wrong figure.
                    if let Some(evict) = cached.keys().next().copied() {
                        cached.remove(&evict);
                    }
                }
                cached.insert(id, Arc::clone(&aggregates));
                found.insert(id, aggregates);
            }
        }
        Ok(found)
    }
}

/// The closed rounds in the order they ran, oldest first.
pub async fn closed_rounds(db: &impl ConnectionTrait) -> AppResult<Vec<round::Model>> {
    Ok(round::Entity::find()
        .filter(round::Column::State.eq(RoundState::Closed))
        .order_by_asc(round::Column::OpensAt)
        .order_by_asc(round::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: i32, pillar: Option<Pillar>, scale: Scale, reverse: bool, core: bool) -> ItemSpec {
        ItemSpec {
            question_id: id,
            pillar,
            scale,
            reverse_coded: reverse,
            core,
        }
    }

    fn items() -> HashMap<i32, ItemSpec> {
        [
            spec(1, Some(Pillar::CustomerFocus), Scale::Likert5, false, true),
            spec(2, Some(Pillar::CustomerFocus), Scale::Likert5, true, false),
            spec(3, Some(Pillar::Leadership), Scale::Likert5, false, true),
            spec(4, None, Scale::Nps11, false, true),
            spec(5, None, Scale::Text, false, false),
        ]
        .into_iter()
        .map(|s| (s.question_id, s))
        .collect()
    }

    fn answer(question_id: i32, value: Option<i32>) -> RawAnswer {
        RawAnswer {
            question_id,
            value,
            has_text: false,
        }
    }

    #[test]
    fn a_response_fills_histograms_and_both_pillar_bases() {
        let mut unit = Unit::default();
        record_response(
            &mut unit,
            &items(),
            &[
                answer(1, Some(5)),
                // Reverse-coded 1 is turned into 5 before anything else sees it.
                answer(2, Some(1)),
                answer(3, None),
                answer(4, Some(9)),
                RawAnswer {
                    question_id: 5,
                    value: None,
                    has_text: true,
                },
            ],
        )
        .unwrap();
        assert_eq!(unit.responses, 1);
        assert_eq!(unit.comments, 1);
        assert_eq!(unit.likert[&2].counts, [0, 0, 0, 0, 1]);
        assert_eq!(unit.likert[&3].cant_judge, 1);
        assert_eq!(unit.net[&4].counts[9], 1);
        // Pillar 0: items 1 and 2 (both 5) → 100; core only item 1 → 100.
        assert_eq!(unit.round[0].n, 1);
        assert!((unit.round[0].sum - 100.0).abs() < 1e-9);
        assert_eq!(unit.core[0].n, 1);
        // Pillar 1: can't judge its only item → no score at all.
        assert_eq!(unit.round[1].n, 0);
        assert_eq!(unit.core[1].n, 0);
    }

    #[test]
    fn core_and_round_bases_differ_when_rotating_items_answer_differently() {
        let mut unit = Unit::default();
        record_response(
            &mut unit,
            &items(),
            &[answer(1, Some(5)), answer(2, Some(5))],
        )
        .unwrap();
        // Item 2 is reverse-coded: 5 turns into 1. Core (item 1 only): 100; round: mean of 5
        // and 1 = 3 → 50.
        assert!((unit.core[0].sum - 100.0).abs() < 1e-9);
        assert!((unit.round[0].sum - 50.0).abs() < 1e-9);
    }

    #[test]
    fn an_answer_outside_the_scale_is_an_error_not_a_figure() {
        let mut unit = Unit::default();
        assert!(record_response(&mut unit, &items(), &[answer(1, Some(7))]).is_err());
    }

    #[test]
    fn units_add_up() {
        let mut a = Unit::default();
        record_response(&mut a, &items(), &[answer(1, Some(4)), answer(4, Some(10))]).unwrap();
        let mut b = Unit::default();
        record_response(&mut b, &items(), &[answer(1, Some(2)), answer(4, Some(3))]).unwrap();
        let mut sum = a.clone();
        sum.add(&b);
        assert_eq!(sum.responses, 2);
        assert_eq!(sum.likert[&1].counts, [0, 1, 0, 1, 0]);
        assert_eq!(sum.net[&4].n(), 2);
        assert_eq!(sum.core[0].n, 2);
    }

    #[test]
    fn stored_counts_round_trip_and_damage_is_reported() {
        assert_eq!(join_counts(&[1, 0, 12, 3, 4]), "1,0,12,3,4");
        assert_eq!(parse_counts::<5>("1,0,12,3,4").unwrap(), [1, 0, 12, 3, 4]);
        assert!(parse_counts::<5>("1,0,12,3").is_err());
        assert!(parse_counts::<5>("1,0,12,3,4,5").is_err());
        assert!(parse_counts::<5>("1,x,12,3,4").is_err());
    }
}
