use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "responses")]
pub struct Model {
    /// A random UUID; nothing here leads back to a person or to the order of submissions.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub round_id: i32,
    /// The department of the invitation (as it was when the round opened).
    pub department_id: i32,
    /// The date only: an exact time would let someone match a response to a mail log.
    pub submitted_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
