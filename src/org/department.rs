//! Departments, named by their path from the root ("Vertrieb / Innendienst").

use std::collections::{HashMap, HashSet};

use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::entities::{department, employee};
use crate::problem::Problem;

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

/// Levels a department path may have: deeper than any organisation chart, and a bound on
/// everything that walks or stores a path (each level stores its whole path).
pub const MAX_DEPTH: usize = 12;
/// Characters of one department's name.
pub const MAX_NAME_CHARS: usize = 100;

/// A path as HR may give it: normalized, at most [`MAX_DEPTH`] levels of at most
/// [`MAX_NAME_CHARS`] characters, no control characters. The error says what is wrong.
pub fn checked_path(raw: &str) -> Result<String, Problem> {
    if let Some(c) = raw.chars().find(|c| c.is_control()) {
        return Err(control_character(c));
    }
    let shown = shorten(raw, 60);
    let path = normalize_path(raw)
        .ok_or_else(|| Problem::new("problem_path_empty_part").arg("path", &shown))?;
    let depth = path.split(SEPARATOR).count();
    if depth > MAX_DEPTH {
        return Err(Problem::new("problem_path_too_deep")
            .arg("path", &shown)
            .arg("depth", depth)
            .arg("max", MAX_DEPTH));
    }
    if let Some(long) = path
        .split(SEPARATOR)
        .find(|part| part.chars().count() > MAX_NAME_CHARS)
    {
        return Err(Problem::new("problem_department_name_too_long")
            .arg("name", shorten(long, 40))
            .arg("chars", long.chars().count())
            .arg("max", MAX_NAME_CHARS));
    }
    Ok(path)
}

/// A control character in text that is stored and shown, named by its code point.
pub fn control_character(c: char) -> Problem {
    Problem::new("problem_control_character").arg("code", format!("U+{:04X}", u32::from(c)))
}

/// The path of the department `id` among `all`, if it is there.
pub fn path_of(all: &[department::Model], id: i32) -> Option<String> {
    all.iter().find(|d| d.id == id).map(|d| d.path.clone())
}

/// The levels of a normalized path.
pub fn depth(path: &str) -> usize {
    path.split(SEPARATOR).count()
}

/// At most `chars` characters of `text`, with `…` where it was cut: hostile input is named in
/// an error without being echoed whole.
pub fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
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

/// Whether two department paths lie on one branch of the tree: one is the other or below it.
pub fn on_one_branch(a: &str, b: &str) -> bool {
    let below = |lower: &str, upper: &str| {
        lower
            .strip_prefix(upper)
            .is_some_and(|rest| rest.starts_with(SEPARATOR))
    };
    a == b || below(a, b) || below(b, a)
}

/// The ids of the departments HR named by path (duplicates once), or the paths that name no
/// current department.
pub fn resolve_paths(all: &[department::Model], paths: &[String]) -> Result<Vec<i32>, Vec<String>> {
    let by_path: HashMap<&str, i32> = all
        .iter()
        .filter(|d| d.retired_at.is_none())
        .map(|d| (d.path.as_str(), d.id))
        .collect();
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for raw in paths.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        match normalize_path(raw).and_then(|path| by_path.get(path.as_str()).copied()) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => unknown.push(raw.to_owned()),
        }
    }
    if unknown.is_empty() {
        Ok(ids)
    } else {
        Err(unknown)
    }
}

/// The paths of the departments `ids`, sorted.
pub async fn paths_of(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<String>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<String> = department::Entity::find()
        .filter(department::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.path)
        .collect();
    paths.sort();
    Ok(paths)
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<department::Model>, DbErr> {
    department::Entity::find().all(db).await
}

/// A department in tree order (parents before children, siblings by name) with head counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeEntry {
    pub id: i32,
    pub name: String,
    pub path: String,
    /// 0 for a top-level department.
    pub depth: usize,
    pub retired: bool,
    /// Active employees directly in this department.
    pub direct: u64,
    /// Active employees in this department and every department below it.
    pub subtree: u64,
}

/// Every department with its head counts, in tree order.
pub async fn tree_with_headcounts(db: &impl ConnectionTrait) -> Result<Vec<TreeEntry>, DbErr> {
    let departments = all(db).await?;
    let counts: Vec<(i32, i64)> = employee::Entity::find()
        .select_only()
        .column(employee::Column::DepartmentId)
        .column_as(Expr::col(employee::Column::Id).count(), "active")
        .filter(employee::Column::Active.eq(true))
        .group_by(employee::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    let direct: HashMap<i32, u64> = counts
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect();
    Ok(tree(&departments, &direct))
}

/// The tree of `all` with `direct` head counts summed up each subtree. Pure, for tests.
pub fn tree(all: &[department::Model], direct: &HashMap<i32, u64>) -> Vec<TreeEntry> {
    let known: HashSet<i32> = all.iter().map(|d| d.id).collect();
    let mut children: HashMap<Option<i32>, Vec<&department::Model>> = HashMap::new();
    for department in all {
        // A parent that is missing makes its child a top-level department rather than lost.
        let parent = department.parent_id.filter(|p| known.contains(p));
        children.entry(parent).or_default().push(department);
    }
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
    }
    // Depth first in sibling order, with a stack of our own: a stored tree of any depth (an old
    // database may hold a chain of thousands of levels) cannot overflow the thread's stack.
    let mut entries: Vec<TreeEntry> = Vec::with_capacity(all.len());
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(all.len());
    let mut visited = HashSet::new();
    let mut stack: Vec<(&department::Model, usize, Option<usize>)> = children
        .get(&None)
        .into_iter()
        .flatten()
        .rev()
        .map(|root| (*root, 0, None))
        .collect();
    while let Some((department, depth, parent)) = stack.pop() {
        // A cycle in the parent links would otherwise be walked forever.
        if !visited.insert(department.id) {
            continue;
        }
        let own = direct.get(&department.id).copied().unwrap_or(0);
        let index = entries.len();
        entries.push(TreeEntry {
            id: department.id,
            name: department.name.clone(),
            path: department.path.clone(),
            depth,
            retired: department.retired_at.is_some(),
            direct: own,
            subtree: own,
        });
        parents.push(parent);
        for child in children
            .get(&Some(department.id))
            .into_iter()
            .flatten()
            .rev()
        {
            stack.push((child, depth + 1, Some(index)));
        }
    }
    // Every entry comes after its parent: from the end, each subtree is complete when it is
    // added to its parent.
    for index in (0..entries.len()).rev() {
        if let Some(parent) = parents[index] {
            entries[parent].subtree += entries[index].subtree;
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_one_branch_of_the_tree() {
        assert!(on_one_branch("Vertrieb", "Vertrieb"));
        assert!(on_one_branch("Vertrieb", "Vertrieb / Nord"));
        assert!(on_one_branch("Vertrieb / Nord / Team", "Vertrieb"));
        assert!(!on_one_branch("Vertrieb / Nord", "Vertrieb / Süd"));
        assert!(!on_one_branch("Vertrieb", "Vertriebsinnendienst"));
    }

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
    fn the_tree_lists_parents_first_and_sums_head_counts_up() {
        let mut all = vec![
            dept(1, None),
            dept(2, Some(1)),
            dept(3, Some(2)),
            dept(4, None),
            dept(5, Some(1)),
        ];
        all[4].retired_at = Some(chrono::Utc::now());
        let direct = HashMap::from([(1, 2), (2, 3), (3, 4), (4, 7)]);
        let entries = tree(&all, &direct);
        let shape: Vec<(i32, usize, u64, u64, bool)> = entries
            .iter()
            .map(|e| (e.id, e.depth, e.direct, e.subtree, e.retired))
            .collect();
        assert_eq!(
            shape,
            vec![
                (1, 0, 2, 9, false),
                (2, 1, 3, 7, false),
                (3, 2, 4, 4, false),
                (5, 1, 0, 0, true),
                (4, 0, 7, 7, false),
            ]
        );
    }

    #[test]
    fn a_chain_of_a_hundred_thousand_levels_is_walked_without_recursion() {
        // A thread with a small stack: recursion over this chain would overflow it at once.
        let entries = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| {
                let all: Vec<_> = (1..=100_000)
                    .map(|id| dept(id, (id > 1).then(|| id - 1)))
                    .collect();
                tree(&all, &HashMap::from([(100_000, 3)]))
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(entries.len(), 100_000);
        assert_eq!(entries[99_999].depth, 99_999);
        assert!(entries.iter().all(|e| e.subtree == 3));
    }

    #[test]
    fn a_department_whose_parent_is_missing_is_shown_at_the_top() {
        let entries = tree(&[dept(2, Some(99))], &HashMap::new());
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].depth, 0);
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
    fn paths_deeper_longer_or_with_control_characters_are_refused() {
        let twelve = ["Ebene"; MAX_DEPTH].join("/");
        assert_eq!(depth(&checked_path(&twelve).unwrap()), MAX_DEPTH);
        let deep = vec!["E"; 10_000].join("/");
        let err = checked_path(&deep).unwrap_err().to_string();
        assert!(err.contains("depth: 10000") && err.len() < 200, "{err}");
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        assert!(
            checked_path(&long)
                .unwrap_err()
                .to_string()
                .contains("chars: 101")
        );
        assert!(checked_path("Vertrieb\0/Nord").is_err());
        assert!(
            checked_path("Vertrieb\u{1b}[31m")
                .unwrap_err()
                .to_string()
                .contains("U+001B")
        );
        assert_eq!(checked_path(" Vertrieb/Süd ").unwrap(), "Vertrieb / Süd");
    }

    #[test]
    fn empty_parts_are_not_a_path() {
        assert_eq!(normalize_path(""), None);
        assert_eq!(normalize_path("Vertrieb //Innendienst"), None);
        assert_eq!(normalize_path(" / "), None);
    }
}
