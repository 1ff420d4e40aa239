//! The organisation as HR keeps it: departments as a tree, and employees.

pub mod department;
pub mod employees;
pub mod import;
pub mod pending_import;
pub mod round_tree;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;

use crate::entities::{department as department_entity, employee};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Headcount {
    pub departments: u64,
    pub active_employees: u64,
}

pub async fn headcount(db: &impl ConnectionTrait) -> Result<Headcount, DbErr> {
    Ok(Headcount {
        departments: department_entity::Entity::find()
            .filter(department_entity::Column::RetiredAt.is_null())
            .count(db)
            .await?,
        active_employees: employee::Entity::find()
            .filter(employee::Column::Active.eq(true))
            .count(db)
            .await?,
    })
}
