//! Actions as they are kept: created, edited, moved through their states and noted on, each
//! change one write transaction together with its log line; and read back as lists and pages
//! within the reader's scope.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::rules::{self, Field, Subject, Who};
use crate::config::Settings;
use crate::db;
use crate::entities::{
    action, action_event, department, question, round, round_question, staff_user,
};
use crate::error::{AppError, AppResult};
use crate::org::department as departments;
use crate::problem::Problem;
use crate::vocab::{ActionEventKind, ActionStatus, Pillar, RoundState, Scale};

/// What someone asks to start.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub department_id: i32,
    pub round_id: i32,
    pub subject: Subject,
    pub title: String,
    pub why: String,
    pub owner_id: i32,
    pub due_on: NaiveDate,
    pub visible: bool,
}

/// What an edit may change; the status has its own way ([`set_status`]), with the log.
#[derive(Debug, Clone)]
pub struct Edit {
    pub title: String,
    pub why: String,
    pub owner_id: i32,
    pub due_on: NaiveDate,
    pub visible: bool,
}

/// The fields a partial change names; `None` keeps what is kept.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub title: Option<String>,
    pub why: Option<String>,
    pub owner_id: Option<i32>,
    pub due_on: Option<NaiveDate>,
    pub visible: Option<bool>,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.why.is_none()
            && self.owner_id.is_none()
            && self.due_on.is_none()
            && self.visible.is_none()
    }

    fn onto(self, action: &action::Model) -> Edit {
        Edit {
            title: self.title.unwrap_or_else(|| action.title.clone()),
            why: self.why.unwrap_or_else(|| action.why.clone()),
            owner_id: self.owner_id.unwrap_or(action.owner_id),
            due_on: self.due_on.unwrap_or(action.due_on),
            visible: self.visible.unwrap_or(action.visible),
        }
    }
}

/// What a partial change gives: fields to change, and a status with its outcome and note, or
/// a note alone.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub patch: Patch,
    pub status: Option<ActionStatus>,
    pub outcome: Option<String>,
    pub note: Option<String>,
}

/// A change of status with what the person says about it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: ActionStatus,
    /// What was done, or why not; required to close (done, dropped).
    pub outcome: String,
    pub note: String,
}

/// What the limits of a deployment say about actions.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub open_per_department: u32,
    /// Today in the company's time zone: due dates are days there.
    pub today: NaiveDate,
    /// The instant of the change, for its row and its log line (the demo writes a history).
    pub now: DateTime<Utc>,
}

impl Limits {
    /// The deployment's limits at `now`.
    pub fn of(settings: &Settings, now: DateTime<Utc>) -> Self {
        Limits {
            open_per_department: settings.actions_open_limit,
            today: now.with_timezone(&settings.timezone).date_naive(),
            now,
        }
    }
}

/// An action with what the pages and the API show beside it.
#[derive(Debug, Clone)]
pub struct ActionRecord {
    pub action: action::Model,
    pub department: department::Model,
    pub owner: staff_user::Model,
    /// The item answered, when it is one; `question.active == false` once it left the catalog.
    pub question: Option<question::Model>,
    pub round: round::Model,
}

impl ActionRecord {
    /// The owner's account is deactivated: someone has to take the action over.
    pub fn without_owner(&self) -> bool {
        !self.owner.active
    }

    pub fn overdue(&self, today: NaiveDate) -> bool {
        rules::overdue(self.action.status, self.action.due_on, today)
    }

    pub fn subject(&self) -> Subject {
        match (self.action.question_id, self.action.pillar) {
            (Some(id), _) => Subject::Item(id),
            (None, Some(pillar)) => Subject::Pillar(pillar),
            // Written only through `create`, which sets one of them.
            (None, None) => Subject::Pillar(Pillar::CustomerFocus),
        }
    }
}

/// Which actions a list shows (within the reader's scope).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The department and its subtree.
    pub department: Option<i32>,
    pub status: Option<ActionStatus>,
    pub owner: Option<i32>,
    pub overdue: bool,
    /// Only planned and running ones.
    pub open: bool,
}

impl Filter {
    /// The list's status word as the pages and the API take it: `open` (planned or running),
    /// `all`, or one status.
    pub fn with_status(mut self, word: &str) -> Result<Self, Problem> {
        match word {
            "open" => self.open = true,
            "all" => {}
            other => {
                self.status = Some(ActionStatus::parse(other).ok_or_else(|| {
                    Problem::new("problem_action_unknown_status").arg("status", other)
                })?)
            }
        }
        Ok(self)
    }
}

fn unprocessable(problem: Problem) -> AppError {
    AppError::Unprocessable(problem)
}

async fn department_in_reach(
    txn: &impl ConnectionTrait,
    who: &Who,
    department_id: i32,
) -> AppResult<department::Model> {
    let all = departments::all(txn).await?;
    let department = all
        .iter()
        .find(|d| d.id == department_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if !rules::may_act(who.scope, &all, department_id) {
        return Err(AppError::Forbidden);
    }
    Ok(department)
}

/// An active staff user who may see the department: an action nobody responsible can open
/// would be an empty promise.
async fn checked_owner(
    txn: &impl ConnectionTrait,
    owner_id: i32,
    department_id: i32,
) -> AppResult<staff_user::Model> {
    let owner = staff_user::Entity::find_by_id(owner_id)
        .one(txn)
        .await?
        .ok_or_else(|| unprocessable(Problem::new("problem_action_owner_unknown")))?;
    if !owner.active {
        return Err(unprocessable(
            Problem::new("problem_action_owner_inactive").arg("owner", &owner.email),
        ));
    }
    let all = departments::all(txn).await?;
    if !rules::may_act(owner.department_id, &all, department_id) {
        return Err(unprocessable(
            Problem::new("problem_action_owner_scope").arg("owner", &owner.email),
        ));
    }
    Ok(owner)
}

async fn open_count(txn: &impl ConnectionTrait, department_id: i32) -> AppResult<u64> {
    Ok(action::Entity::find()
        .filter(action::Column::DepartmentId.eq(department_id))
        .filter(action::Column::Status.is_in(ActionStatus::OPEN))
        .count(txn)
        .await?)
}

/// On PostgreSQL the department's row is locked, so that two people starting an action at
/// once cannot both take the last free place; SQLite's write transaction already holds the lock.
async fn lock_department(txn: &impl ConnectionTrait, department_id: i32) -> AppResult<()> {
    db::for_update(txn, department::Entity::find_by_id(department_id))
        .one(txn)
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn log(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    action_id: i32,
    who: &Who,
    kind: ActionEventKind,
    status: Option<ActionStatus>,
    note: Option<String>,
) -> AppResult<action_event::Model> {
    Ok(action_event::ActiveModel {
        action_id: Set(action_id),
        at: Set(at),
        author: Set(who.name.clone()),
        kind: Set(kind),
        status: Set(status),
        note: Set(note.filter(|n| !n.is_empty())),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// Starts an action: everything checked, the limit of open actions kept, the first log line
/// written, in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    limits: Limits,
    who: &Who,
    new: NewAction,
) -> AppResult<action::Model> {
    let title = rules::title(&new.title).map_err(unprocessable)?;
    let why = rules::text(&new.why, Field::Why).map_err(unprocessable)?;
    let due_on = rules::due(new.due_on, limits.today).map_err(unprocessable)?;
    let txn = db::begin_write(db).await?;
    let department = department_in_reach(&txn, who, new.department_id).await?;
    let round = round::Entity::find_by_id(new.round_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if round.state != RoundState::Closed {
        return Err(unprocessable(
            Problem::new("problem_action_round_not_closed").arg("round", &round.title),
        ));
    }
    let (question_id, pillar) = match new.subject {
        Subject::Item(id) => {
            let question = question::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound)?;
            if question.scale == Scale::Text {
                return Err(unprocessable(Problem::new(
                    "problem_action_subject_comment",
                )));
            }
            (Some(question.id), question.pillar)
        }
        Subject::Pillar(pillar) => (None, Some(pillar)),
    };
    checked_owner(&txn, new.owner_id, department.id).await?;
    lock_department(&txn, department.id).await?;
    rules::within_limit(
        open_count(&txn, department.id).await?,
        limits.open_per_department,
        &department.name,
    )
    .map_err(AppError::Conflict)?;
    let now = limits.now;
    let action = action::ActiveModel {
        department_id: Set(department.id),
        round_id: Set(round.id),
        question_id: Set(question_id),
        pillar: Set(pillar),
        title: Set(title),
        why: Set(why),
        owner_id: Set(new.owner_id),
        due_on: Set(due_on),
        status: Set(ActionStatus::Planned),
        visible: Set(new.visible),
        outcome: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    log(
        &txn,
        now,
        action.id,
        who,
        ActionEventKind::Created,
        Some(ActionStatus::Planned),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(action)
}

/// What a client names by the catalog's stable key or a pillar, exactly one of them: the
/// API's way to say what the forms say by id.
pub async fn subject_of(
    db: &impl ConnectionTrait,
    question_key: Option<&str>,
    pillar: Option<Pillar>,
) -> AppResult<Subject> {
    match (question_key, pillar) {
        (Some(key), None) => question::Entity::find()
            .filter(question::Column::Key.eq(key))
            .one(db)
            .await?
            .map(|q| Subject::Item(q.id))
            .ok_or_else(|| {
                unprocessable(Problem::new("problem_action_unknown_question").arg("key", key))
            }),
        (None, Some(pillar)) => Ok(Subject::Pillar(pillar)),
        _ => Err(unprocessable(Problem::new(
            "problem_action_subject_missing",
        ))),
    }
}

/// The action `id` for a change by `who`, locked for the transaction.
async fn for_change(
    txn: &impl ConnectionTrait,
    who: &Who,
    id: i32,
) -> AppResult<(action::Model, department::Model)> {
    let action = db::for_update(txn, action::Entity::find_by_id(id))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let department = department_in_reach(txn, who, action.department_id).await?;
    Ok((action, department))
}

/// The fields of an edit that differ from what is kept, by their keys in the log.
fn changed_fields(before: &action::Model, after: &action::Model) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if before.title != after.title {
        changed.push("title");
    }
    if before.why != after.why {
        changed.push("why");
    }
    if before.owner_id != after.owner_id {
        changed.push("owner");
    }
    if before.due_on != after.due_on {
        changed.push("due");
    }
    if before.visible != after.visible {
        changed.push("visible");
    }
    changed
}

/// Changes title, why, owner, due date or visibility; the log names what changed.
pub async fn edit(
    db: &DatabaseConnection,
    limits: Limits,
    who: &Who,
    id: i32,
    edit: Edit,
) -> AppResult<action::Model> {
    let txn = db::begin_write(db).await?;
    let (before, department) = for_change(&txn, who, id).await?;
    let saved = edit_locked(&txn, limits, who, before, &department, edit).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn edit_locked(
    txn: &impl ConnectionTrait,
    limits: Limits,
    who: &Who,
    before: action::Model,
    department: &department::Model,
    edit: Edit,
) -> AppResult<action::Model> {
    let title = rules::title(&edit.title).map_err(unprocessable)?;
    let why = rules::text(&edit.why, Field::Why).map_err(unprocessable)?;
    // An overdue action may keep its date; a new one must not lie in the past.
    if edit.due_on != before.due_on {
        rules::due(edit.due_on, limits.today).map_err(unprocessable)?;
    }
    if edit.owner_id != before.owner_id {
        checked_owner(txn, edit.owner_id, department.id).await?;
    }
    let mut after = before.clone();
    after.title = title;
    after.why = why;
    after.owner_id = edit.owner_id;
    after.due_on = edit.due_on;
    after.visible = edit.visible;
    let changed = changed_fields(&before, &after);
    if changed.is_empty() {
        return Ok(before);
    }
    let id = before.id;
    let mut model: action::ActiveModel = before.into();
    model.title = Set(after.title);
    model.why = Set(after.why);
    model.owner_id = Set(after.owner_id);
    model.due_on = Set(after.due_on);
    model.visible = Set(after.visible);
    model.updated_at = Set(limits.now);
    let saved = model.update(txn).await?;
    log(
        txn,
        limits.now,
        id,
        who,
        ActionEventKind::Edited,
        None,
        Some(changed.join(",")),
    )
    .await?;
    Ok(saved)
}

/// Moves an action to `change.status`. Closing records the outcome; reopening a closed one
/// counts against the department's limit again.
pub async fn set_status(
    db: &DatabaseConnection,
    limits: Limits,
    who: &Who,
    id: i32,
    change: StatusChange,
) -> AppResult<action::Model> {
    let txn = db::begin_write(db).await?;
    let (before, department) = for_change(&txn, who, id).await?;
    let saved = status_locked(&txn, limits, who, before, &department, change).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn status_locked(
    txn: &impl ConnectionTrait,
    limits: Limits,
    who: &Who,
    before: action::Model,
    department: &department::Model,
    change: StatusChange,
) -> AppResult<action::Model> {
    let outcome = rules::outcome_for(change.status, &change.outcome).map_err(unprocessable)?;
    let note = rules::text(&change.note, Field::Note).map_err(unprocessable)?;
    if before.status == change.status {
        return Err(unprocessable(
            Problem::new("problem_action_status_unchanged")
                .cause("status", Problem::new(status_key(change.status))),
        ));
    }
    if change.status.is_open() && !before.status.is_open() {
        lock_department(txn, department.id).await?;
        rules::within_limit(
            open_count(txn, department.id).await?,
            limits.open_per_department,
            &department.name,
        )
        .map_err(AppError::Conflict)?;
    }
    let id = before.id;
    let now = limits.now;
    let closing = !change.status.is_open();
    let mut model: action::ActiveModel = before.into();
    model.status = Set(change.status);
    model.outcome = Set(outcome.clone());
    model.closed_at = Set(closing.then_some(now));
    model.updated_at = Set(now);
    let saved = model.update(txn).await?;
    let said = [outcome.unwrap_or_default(), note]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    log(
        txn,
        now,
        id,
        who,
        ActionEventKind::Status,
        Some(change.status),
        Some(said),
    )
    .await?;
    Ok(saved)
}

/// A partial change (the API's `PATCH`): the fields it names change, the others stay; with a
/// `status` the outcome and the note go with the change of status, without one a note is a
/// note of its own. One transaction, so that a refused status leaves the edit unwritten too,
/// and the fields left out are merged with what is kept under the lock, not with what someone
/// read before.
pub async fn update(
    db: &DatabaseConnection,
    limits: Limits,
    who: &Who,
    id: i32,
    update: Update,
) -> AppResult<action::Model> {
    let said = match (update.status, update.outcome, update.note) {
        (Some(status), outcome, note) => Said::Status(StatusChange {
            status,
            outcome: outcome.unwrap_or_default(),
            note: note.unwrap_or_default(),
        }),
        (None, Some(_), _) => {
            return Err(unprocessable(Problem::new(
                "problem_action_outcome_without_status",
            )));
        }
        (None, None, Some(note)) => Said::Note(checked_note(&note)?),
        (None, None, None) => Said::Nothing,
    };
    let txn = db::begin_write(db).await?;
    let (mut current, department) = for_change(&txn, who, id).await?;
    if !update.patch.is_empty() {
        let edit = update.patch.onto(&current);
        current = edit_locked(&txn, limits, who, current, &department, edit).await?;
    }
    match said {
        Said::Status(change) => {
            current = status_locked(&txn, limits, who, current, &department, change).await?;
        }
        Said::Note(note) => {
            current = note_locked(&txn, limits.now, who, current, note).await?.0;
        }
        Said::Nothing => {}
    }
    txn.commit().await?;
    Ok(current)
}

enum Said {
    Status(StatusChange),
    Note(String),
    Nothing,
}

/// The key of a status's name in the interface texts.
pub fn status_key(status: ActionStatus) -> &'static str {
    match status {
        ActionStatus::Planned => "action_status_planned",
        ActionStatus::Running => "action_status_running",
        ActionStatus::Done => "action_status_done",
        ActionStatus::Dropped => "action_status_dropped",
    }
}

/// Adds a note to the log without changing anything else.
pub async fn add_note(
    db: &DatabaseConnection,
    who: &Who,
    id: i32,
    note: &str,
) -> AppResult<action_event::Model> {
    let note = checked_note(note)?;
    let txn = db::begin_write(db).await?;
    let (action, _) = for_change(&txn, who, id).await?;
    let (_, line) = note_locked(&txn, Utc::now(), who, action, note).await?;
    txn.commit().await?;
    Ok(line)
}

fn checked_note(note: &str) -> AppResult<String> {
    let note = rules::text(note, Field::Note).map_err(unprocessable)?;
    if note.is_empty() {
        return Err(unprocessable(Problem::new("problem_action_note_empty")));
    }
    Ok(note)
}

async fn note_locked(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    who: &Who,
    action: action::Model,
    note: String,
) -> AppResult<(action::Model, action_event::Model)> {
    let id = action.id;
    let mut model: action::ActiveModel = action.into();
    model.updated_at = Set(at);
    let saved = model.update(txn).await?;
    let line = log(txn, at, id, who, ActionEventKind::Note, None, Some(note)).await?;
    Ok((saved, line))
}

/// Joins actions with their department, owner, item and round.
async fn records(
    db: &impl ConnectionTrait,
    actions: Vec<action::Model>,
) -> AppResult<Vec<ActionRecord>> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let departments: HashMap<i32, department::Model> = departments::all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let owners: HashMap<i32, staff_user::Model> = staff_user::Entity::find()
        .filter(staff_user::Column::Id.is_in(actions.iter().map(|a| a.owner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let questions: HashMap<i32, question::Model> = question::Entity::find()
        .filter(question::Column::Id.is_in(actions.iter().filter_map(|a| a.question_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.id, q))
        .collect();
    let rounds: HashMap<i32, round::Model> = round::Entity::find()
        .filter(round::Column::Id.is_in(actions.iter().map(|a| a.round_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    actions
        .into_iter()
        .map(|action| {
            let missing =
                || AppError::internal(anyhow::anyhow!("action {} lost a reference", action.id));
            Ok(ActionRecord {
                department: departments
                    .get(&action.department_id)
                    .cloned()
                    .ok_or_else(missing)?,
                owner: owners.get(&action.owner_id).cloned().ok_or_else(missing)?,
                question: action
                    .question_id
                    .and_then(|id| questions.get(&id).cloned()),
                round: rounds.get(&action.round_id).cloned().ok_or_else(missing)?,
                action,
            })
        })
        .collect()
}

/// The actions `who` may see that pass `filter`, the most urgent first: open ones by due date,
/// then closed ones, newest first.
pub async fn list(
    db: &DatabaseConnection,
    who: &Who,
    filter: &Filter,
    today: NaiveDate,
) -> AppResult<Vec<ActionRecord>> {
    let all = departments::all(db).await?;
    let mut query = action::Entity::find();
    if let Some(reach) = rules::reach(who.scope, &all) {
        query = query.filter(action::Column::DepartmentId.is_in(reach));
    }
    if let Some(id) = filter.department {
        if !all.iter().any(|d| d.id == id) {
            return Err(AppError::NotFound);
        }
        if !rules::may_act(who.scope, &all, id) {
            return Err(AppError::Forbidden);
        }
        query =
            query.filter(action::Column::DepartmentId.is_in(departments::subtree_ids(&all, &[id])));
    }
    if let Some(status) = filter.status {
        query = query.filter(action::Column::Status.eq(status));
    }
    if filter.open || filter.overdue {
        query = query.filter(action::Column::Status.is_in(ActionStatus::OPEN));
    }
    if filter.overdue {
        query = query.filter(action::Column::DueOn.lt(today));
    }
    if let Some(owner) = filter.owner {
        query = query.filter(action::Column::OwnerId.eq(owner));
    }
    let mut found = records(db, query.order_by_asc(action::Column::DueOn).all(db).await?).await?;
    found.sort_by(|a, b| {
        let open = |r: &ActionRecord| !r.action.status.is_open();
        open(a)
            .cmp(&open(b))
            .then_with(|| {
                if a.action.status.is_open() {
                    a.action.due_on.cmp(&b.action.due_on)
                } else {
                    b.action.updated_at.cmp(&a.action.updated_at)
                }
            })
            .then(a.action.id.cmp(&b.action.id))
    });
    Ok(found)
}

/// The actions of `department_id` itself (not of its sub-units) that a reader with `scope`
/// may see, in every status, oldest first: what its trend chart marks. Nothing where the
/// department is outside the scope: a chart says nothing of actions it may not show.
pub async fn of_department(
    db: &DatabaseConnection,
    scope: Option<i32>,
    department_id: i32,
) -> AppResult<Vec<action::Model>> {
    let all = departments::all(db).await?;
    if !rules::may_act(scope, &all, department_id) {
        return Ok(Vec::new());
    }
    Ok(action::Entity::find()
        .filter(action::Column::DepartmentId.eq(department_id))
        .order_by_asc(action::Column::CreatedAt)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?)
}

/// One action with its log, oldest line first, for someone who may see it.
pub async fn get(
    db: &DatabaseConnection,
    who: &Who,
    id: i32,
) -> AppResult<(ActionRecord, Vec<action_event::Model>)> {
    let action = action::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = departments::all(db).await?;
    if !rules::may_act(who.scope, &all, action.department_id) {
        return Err(AppError::Forbidden);
    }
    let events = action_event::Entity::find()
        .filter(action_event::Column::ActionId.eq(id))
        .order_by_asc(action_event::Column::At)
        .order_by_asc(action_event::Column::Id)
        .all(db)
        .await?;
    let record = records(db, vec![action])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok((record, events))
}

/// The staff who may own an action of `department_id`: active, and able to see it.
pub async fn possible_owners(
    db: &DatabaseConnection,
    department_id: i32,
) -> AppResult<Vec<staff_user::Model>> {
    let all = departments::all(db).await?;
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Active.eq(true))
        .order_by_asc(staff_user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .filter(|u| rules::may_act(u.department_id, &all, department_id))
        .collect())
}

/// Everyone who owns an action `who` can see, for the list's owner filter.
pub async fn owners_in_reach(
    db: &DatabaseConnection,
    who: &Who,
) -> AppResult<Vec<staff_user::Model>> {
    let all = departments::all(db).await?;
    let mut query = action::Entity::find();
    if let Some(reach) = rules::reach(who.scope, &all) {
        query = query.filter(action::Column::DepartmentId.is_in(reach));
    }
    let ids: Vec<i32> = query
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.owner_id)
        .collect();
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Id.is_in(ids))
        .order_by_asc(staff_user::Column::Email)
        .all(db)
        .await?)
}

/// The scored items round `round_id` asked, in the order asked: what an action of that round
/// can answer besides a pillar.
pub async fn subjects(db: &DatabaseConnection, round_id: i32) -> AppResult<Vec<question::Model>> {
    let asked: HashMap<i32, i32> = round_question::Entity::find()
        .filter(round_question::Column::RoundId.eq(round_id))
        .all(db)
        .await?
        .into_iter()
        .map(|rq| (rq.question_id, rq.position))
        .collect();
    let mut questions: Vec<question::Model> = question::Entity::find()
        .filter(question::Column::Id.is_in(asked.keys().copied()))
        .filter(question::Column::Scale.ne(Scale::Text))
        .all(db)
        .await?;
    questions.sort_by_key(|q| asked.get(&q.id).copied().unwrap_or(i32::MAX));
    Ok(questions)
}

/// How many actions of `department_id` are open now.
pub async fn open_in(db: &DatabaseConnection, department_id: i32) -> AppResult<u64> {
    open_count(db, department_id).await
}

/// The items open actions answer in the subtrees of `department_ids` (the whole company when
/// empty), the most urgent first: every pulse of those departments asks them while the actions
/// run, so that their effect is measured (`survey::pulse::select`).
pub async fn pinned_items(
    db: &impl ConnectionTrait,
    department_ids: &[i32],
) -> AppResult<Vec<i32>> {
    let mut query = action::Entity::find()
        .filter(action::Column::Status.is_in(ActionStatus::OPEN))
        .filter(action::Column::QuestionId.is_not_null());
    if !department_ids.is_empty() {
        let all = departments::all(db).await?;
        query = query.filter(
            action::Column::DepartmentId.is_in(departments::subtree_ids(&all, department_ids)),
        );
    }
    let mut pinned = Vec::new();
    for action in query
        .order_by_asc(action::Column::DueOn)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?
    {
        if let Some(id) = action.question_id.filter(|id| !pinned.contains(id)) {
            pinned.push(id);
        }
    }
    Ok(pinned)
}

/// The staff users who own at least one open action.
pub async fn owners_of_open(db: &impl ConnectionTrait) -> AppResult<Vec<i32>> {
    let mut owners: Vec<i32> = action::Entity::find()
        .filter(action::Column::Status.is_in(ActionStatus::OPEN))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.owner_id)
        .collect();
    owners.sort_unstable();
    owners.dedup();
    Ok(owners)
}
