use sea_orm::entity::prelude::*;

use crate::vocab::{Pillar, Scale};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub key: String,
    pub pillar: Option<Pillar>,
    pub scale: Scale,
    pub reverse_coded: bool,
    pub core: bool,
    pub text_de: String,
    pub text_en: String,
    pub active: bool,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
