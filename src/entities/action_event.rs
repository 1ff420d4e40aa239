use sea_orm::entity::prelude::*;

use crate::vocab::{ActionEventKind, ActionStatus};

/// One dated line of an action's log, with its author.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    pub at: DateTimeUtc,
    /// The staff user's e-mail or the API token's name; kept as text so that the log stays
    /// readable whatever becomes of the account.
    pub author: String,
    pub kind: ActionEventKind,
    /// The status set, for a status change.
    pub status: Option<ActionStatus>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
