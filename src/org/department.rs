//! Departments, named by their path from the root ("Vertrieb / Innendienst").

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

#[cfg(test)]
mod tests {
    use super::*;

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
