//! Stage 6: writing the plan, inside the import's transaction: department steps one statement
//! each, employees in multi-row statements of as many rows as the bind parameters allow.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};

use super::plan::{ChangedEmployee, DepartmentRef, DepartmentStep, NewEmployee, Plan};
use super::report::{Progress, Stage};
use crate::entities::{department, employee};

/// Bound parameters per statement stay below this: SQLite allows 32,766, PostgreSQL 65,535.
const MAX_BIND_PARAMETERS: usize = 30_000;

pub(super) async fn apply(
    txn: &DatabaseTransaction,
    plan: &Plan,
    now: DateTime<Utc>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), DbErr> {
    let created = apply_department_steps(txn, &plan.department_steps, now).await?;
    let mut written = Written {
        done: 0,
        total: plan.employee_writes(),
        progress,
    };
    written.report();
    insert_employees(txn, &plan.new_employees, &created, now, &mut written).await?;
    update_employees(txn, &plan.changed_employees, &created, now, &mut written).await?;
    deactivate_employees(txn, &plan.deactivate, now, &mut written).await?;
    Ok(())
}

/// Counts written employees for the progress callback.
struct Written<'a> {
    done: u64,
    total: u64,
    progress: &'a (dyn Fn(Progress) + Sync),
}

impl Written<'_> {
    fn add(&mut self, rows: usize) {
        self.done += rows as u64;
        self.report();
    }

    fn report(&self) {
        (self.progress)(Progress {
            stage: Stage::Writing,
            done: self.done,
            total: self.total,
        });
    }
}

/// Runs the department steps one statement each (departments are few); returns the ids of the
/// created departments by creation index.
async fn apply_department_steps(
    txn: &DatabaseTransaction,
    steps: &[DepartmentStep],
    now: DateTime<Utc>,
) -> Result<Vec<i32>, DbErr> {
    let mut created = Vec::new();
    for step in steps {
        match step {
            DepartmentStep::Create { path, name, parent } => {
                let parent_id = resolve_optional(*parent, &created)?;
                let inserted = department::ActiveModel {
                    parent_id: Set(parent_id),
                    name: Set(name.clone()),
                    path: Set(path.clone()),
                    created_at: Set(now),
                    retired_at: Set(None),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                created.push(inserted.id);
            }
            DepartmentStep::Reopen { department } => {
                department::Entity::update_many()
                    .col_expr(
                        department::Column::RetiredAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(department::Column::Id.eq(resolve(*department, &created)?))
                    .exec(txn)
                    .await?;
            }
            DepartmentStep::Move {
                department,
                path,
                name,
                parent,
            } => {
                department::Entity::update_many()
                    .col_expr(department::Column::Path, Expr::value(path.clone()))
                    .col_expr(department::Column::Name, Expr::value(name.clone()))
                    .col_expr(
                        department::Column::ParentId,
                        Expr::value(resolve_optional(*parent, &created)?),
                    )
                    .filter(department::Column::Id.eq(resolve(*department, &created)?))
                    .exec(txn)
                    .await?;
            }
            DepartmentStep::Repath { department, path } => {
                department::Entity::update_many()
                    .col_expr(department::Column::Path, Expr::value(path.clone()))
                    .filter(department::Column::Id.eq(resolve(*department, &created)?))
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(created)
}

fn resolve(department: DepartmentRef, created: &[i32]) -> Result<i32, DbErr> {
    match department {
        DepartmentRef::Existing(id) => Ok(id),
        DepartmentRef::New(index) => created.get(index).copied().ok_or_else(|| {
            DbErr::Custom(format!(
                "import plan uses department #{index} before creating it"
            ))
        }),
    }
}

fn resolve_optional(
    department: Option<DepartmentRef>,
    created: &[i32],
) -> Result<Option<i32>, DbErr> {
    department
        .map(|department| resolve(department, created))
        .transpose()
}

/// Rows per multi-row statement for a table of `columns` bound columns.
fn chunk_rows(columns: usize) -> usize {
    MAX_BIND_PARAMETERS / columns
}

async fn insert_employees(
    txn: &DatabaseTransaction,
    employees: &[NewEmployee],
    created: &[i32],
    now: DateTime<Utc>,
    written: &mut Written<'_>,
) -> Result<(), DbErr> {
    for chunk in employees.chunks(chunk_rows(7)) {
        let models = chunk
            .iter()
            .map(|employee| {
                Ok(employee::ActiveModel {
                    email: Set(employee.email.clone()),
                    name: Set(employee.name.clone()),
                    department_id: Set(resolve(employee.department, created)?),
                    locale: Set(employee.locale.as_str().to_owned()),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        employee::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
        written.add(chunk.len());
    }
    Ok(())
}

/// Updates many rows per statement through `INSERT … ON CONFLICT (id) DO UPDATE`: both databases
/// have it, and unlike `UPDATE … SET x = CASE id …` it does not compare every row with every
/// case. Every row carries its id and complete values, so the statement only ever hits the
/// conflict branch (employees are never deleted).
async fn update_employees(
    txn: &DatabaseTransaction,
    employees: &[ChangedEmployee],
    created: &[i32],
    now: DateTime<Utc>,
    written: &mut Written<'_>,
) -> Result<(), DbErr> {
    let on_conflict = OnConflict::column(employee::Column::Id)
        .update_columns([
            employee::Column::Name,
            employee::Column::DepartmentId,
            employee::Column::Locale,
            employee::Column::Active,
            employee::Column::UpdatedAt,
        ])
        .to_owned();
    for chunk in employees.chunks(chunk_rows(8)) {
        let models = chunk
            .iter()
            .map(|employee| {
                Ok(employee::ActiveModel {
                    id: Set(employee.id),
                    email: Set(employee.email.clone()),
                    name: Set(employee.name.clone()),
                    department_id: Set(resolve(employee.department, created)?),
                    locale: Set(employee.locale.as_str().to_owned()),
                    active: Set(true),
                    created_at: Set(employee.created_at),
                    updated_at: Set(now),
                })
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        employee::Entity::insert_many(models)
            .on_conflict(on_conflict.clone())
            .exec_without_returning(txn)
            .await?;
        written.add(chunk.len());
    }
    Ok(())
}

async fn deactivate_employees(
    txn: &DatabaseTransaction,
    ids: &[i32],
    now: DateTime<Utc>,
    written: &mut Written<'_>,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(MAX_BIND_PARAMETERS) {
        employee::Entity::update_many()
            .col_expr(employee::Column::Active, Expr::value(false))
            .col_expr(employee::Column::UpdatedAt, Expr::value(now))
            .filter(employee::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
        written.add(chunk.len());
    }
    Ok(())
}
