//! Finding employees as HR looks for them: by part of a name or e-mail, within a department's
//! subtree, active or not, one page at a time (there may be 100,000 of them).

use std::collections::HashMap;

use sea_orm::ExprTrait as _;
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;

use crate::entities::employee;
use crate::org::department;

pub const PAGE_SIZE: u64 = 50;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    #[default]
    Active,
    Inactive,
    All,
}

impl StatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Active => "active",
            StatusFilter::Inactive => "inactive",
            StatusFilter::All => "all",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Active, Self::Inactive, Self::All]
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    /// Part of the name or e-mail, any case; blank finds everyone.
    pub text: String,
    /// Only this department and the departments below it.
    pub department_id: Option<i32>,
    pub status: StatusFilter,
    /// 1-based; a page past the end shows the last page.
    pub page: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployeeRow {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub department_path: String,
    pub locale: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployeePage {
    pub rows: Vec<EmployeeRow>,
    /// How many employees match, over all pages.
    pub total: u64,
    pub page: u64,
    /// At least 1, so that "page 1 of 1" reads right for an empty result.
    pub pages: u64,
}

/// `%` and `_` typed by HR are meant literally, not as LIKE wildcards.
fn like_pattern(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

pub async fn search(
    db: &impl ConnectionTrait,
    query: &EmployeeQuery,
) -> Result<EmployeePage, DbErr> {
    let departments = department::all(db).await?;
    let mut select = employee::Entity::find();
    let text = query.text.trim();
    if !text.is_empty() {
        // LOWER on both sides rather than ILIKE, which SQLite lacks. SQLite lowers ASCII only,
        // so there a capital umlaut matches only a capital umlaut.
        let pattern = like_pattern(text);
        select = select.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(employee::Column::Name)))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(employee::Column::Email)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    if let Some(root) = query.department_id {
        let ids = department::subtree_ids(&departments, &[root]);
        select = select.filter(employee::Column::DepartmentId.is_in(ids));
    }
    select = match query.status {
        StatusFilter::Active => select.filter(employee::Column::Active.eq(true)),
        StatusFilter::Inactive => select.filter(employee::Column::Active.eq(false)),
        StatusFilter::All => select,
    };
    let total = select.clone().count(db).await?;
    let pages = std::cmp::max(total.div_ceil(PAGE_SIZE), 1);
    let page = query.page.clamp(1, pages);
    let records = select
        .order_by_asc(employee::Column::Name)
        .order_by_asc(employee::Column::Id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .all(db)
        .await?;
    let paths: HashMap<i32, &str> = departments
        .iter()
        .map(|d| (d.id, d.path.as_str()))
        .collect();
    let rows = records
        .into_iter()
        .map(|record| EmployeeRow {
            department_path: paths
                .get(&record.department_id)
                .map(|path| (*path).to_owned())
                .unwrap_or_default(),
            id: record.id,
            name: record.name,
            email: record.email,
            locale: record.locale,
            active: record.active,
        })
        .collect();
    Ok(EmployeePage {
        rows,
        total,
        page,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_typed_by_hr_are_taken_literally() {
        assert_eq!(like_pattern("Vertrieb"), "%vertrieb%");
        assert_eq!(like_pattern("100%_x"), "%100\\%\\_x%");
        assert_eq!(like_pattern("a\\b"), "%a\\\\b%");
    }

    #[test]
    fn status_filters_round_trip() {
        for status in [
            StatusFilter::Active,
            StatusFilter::Inactive,
            StatusFilter::All,
        ] {
            assert_eq!(StatusFilter::parse(status.as_str()), Some(status));
        }
        assert_eq!(StatusFilter::parse("gone"), None);
    }
}
