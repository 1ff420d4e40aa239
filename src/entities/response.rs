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
    /// One of the newest few responses of an open round, not yet rewritten together with
    /// enough others to be unlinkable (`answer::unlink`). No time of any kind is kept.
    pub pending: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
