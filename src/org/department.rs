//! Departments, named by their path from the root ("Vertrieb / Innendienst").

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::department;

/// Separator between the levels of a path, as HR writes it and as it is shown.
pub const SEPARATOR: &str = " / ";

/// The canonical form of a path: parts split on `/`, trimmed, joined with " / ".
/// `None` when a part is empty (`"Vertrieb //"`), since no department has an empty name.
pub fn normalize_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').map(str::trim).collect();
    if parts.iter().any(|part| part.is_empty()) {
        return None;
    }
    Some(parts.join(SEPARATOR))
}

pub async fn find_by_path(
    db: &impl ConnectionTrait,
    path: &str,
) -> Result<Option<department::Model>, DbErr> {
    let Some(path) = normalize_path(path) else {
        return Ok(None);
    };
    department::Entity::find()
        .filter(department::Column::Path.eq(path))
        .one(db)
        .await
}

/// The ids of `roots` and of every department below them.
pub fn subtree_ids(all: &[department::Model], roots: &[i32]) -> HashSet<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for department in all {
        if let Some(parent) = department.parent_id {
            children.entry(parent).or_default().push(department.id);
        }
    }
    let mut found: HashSet<i32> = HashSet::new();
    let mut stack: Vec<i32> = roots.to_vec();
    while let Some(id) = stack.pop() {
        if found.insert(id) {
            stack.extend(children.get(&id).into_iter().flatten().copied());
        }
    }
    found
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<department::Model>, DbErr> {
    department::Entity::find().all(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: i32, parent_id: Option<i32>) -> department::Model {
        department::Model {
            id,
            parent_id,
            name: format!("d{id}"),
            path: format!("d{id}"),
            created_at: chrono::Utc::now(),
            retired_at: None,
        }
    }

    #[test]
    fn a_subtree_holds_the_root_and_everything_below_it() {
        let all = vec![
            dept(1, None),
            dept(2, Some(1)),
            dept(3, Some(2)),
            dept(4, None),
            dept(5, Some(4)),
        ];
        assert_eq!(subtree_ids(&all, &[2]), HashSet::from([2, 3]));
        assert_eq!(subtree_ids(&all, &[1, 5]), HashSet::from([1, 2, 3, 5]));
    }

    #[test]
    fn paths_are_trimmed_and_joined_canonically() {
        assert_eq!(
            normalize_path("Vertrieb/ Innendienst ").as_deref(),
            Some("Vertrieb / Innendienst")
        );
        assert_eq!(
            normalize_path("Geschäftsführung").as_deref(),
            Some("Geschäftsführung")
        );
    }

    #[test]
    fn empty_parts_are_not_a_path() {
        assert_eq!(normalize_path(""), None);
        assert_eq!(normalize_path("Vertrieb //Innendienst"), None);
        assert_eq!(normalize_path(" / "), None);
    }
}
