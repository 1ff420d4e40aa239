use sea_orm::entity::prelude::*;

use crate::vocab::{Basis, Pillar};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "result_pillars")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub round_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub pillar: Pillar,
    #[sea_orm(primary_key, auto_increment = false)]
    pub basis: Basis,
    pub n: i32,
    pub sum: f64,
    pub sum_sq: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
