use sea_orm::entity::prelude::*;

use crate::vocab::{ActionStatus, Pillar};

/// A Maßnahme: what a department does about a finding of one round.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable: a rename or move of the department keeps the action with it.
    pub department_id: i32,
    /// The round whose finding the action answers.
    pub round_id: i32,
    /// The item it answers, or `None` for a pillar as a whole.
    pub question_id: Option<i32>,
    pub pillar: Option<Pillar>,
    pub title: String,
    pub why: String,
    pub owner_id: i32,
    pub due_on: Date,
    pub status: ActionStatus,
    /// Whether the department's employees are told about it (invitation, thank-you page).
    pub visible: bool,
    pub outcome: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
