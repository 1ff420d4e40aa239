use sea_orm::entity::prelude::*;

use crate::vocab::RoundState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rounds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub state: RoundState,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub schedule_id: Option<i32>,
    pub period_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
