use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_pacing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub next_slot_at: Option<DateTimeUtc>,
    pub day: String,
    pub day_count: i32,
    pub slowdown: f64,
    pub throttles: i32,
    pub hold_until: Option<DateTimeUtc>,
    pub held_since: Option<DateTimeUtc>,
    pub last_reply: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
