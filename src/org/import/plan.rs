//! Stage 5: the plan, what to write so that the database matches the file. Pure: computed
//! against a snapshot of the database's departments and employees, read once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::options::ImportOptions;
use super::report::{DepartmentRename, ImportReport};
use super::rows::EmployeeRow;
use super::table::LineError;
use crate::email;
use crate::entities::{department, employee};
use crate::i18n::Locale;
use crate::org::department::{SEPARATOR, checked_path, depth, normalize_path, shorten};
use crate::problem::Problem;

/// Departments and employees as they are in the database, read once.
pub(super) struct Snapshot {
    departments: Vec<department::Model>,
    employees: Vec<employee::Model>,
}

pub(super) async fn load_snapshot(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
    Ok(Snapshot {
        departments: department::Entity::find().all(db).await?,
        employees: employee::Entity::find().all(db).await?,
    })
}

/// A department that exists already or that the plan creates (by index of its creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DepartmentRef {
    Existing(i32),
    New(usize),
}

/// Department changes, in the order they must be written: a parent is created before it is used,
/// a rename frees its old path before that path can be created again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DepartmentStep {
    Create {
        path: String,
        name: String,
        parent: Option<DepartmentRef>,
    },
    Reopen {
        department: DepartmentRef,
    },
    /// The department HR renamed: new path, name and parent.
    Move {
        department: DepartmentRef,
        path: String,
        name: String,
        parent: Option<DepartmentRef>,
    },
    /// A department below a renamed one: only its path follows.
    Repath {
        department: DepartmentRef,
        path: String,
    },
}

#[derive(Debug, Clone)]
struct TreeNode {
    department: DepartmentRef,
    retired: bool,
    reopened: bool,
}

/// The department tree by path, as it will be after the steps recorded so far.
pub(super) struct DepartmentTree {
    by_path: HashMap<String, TreeNode>,
    steps: Vec<DepartmentStep>,
    created: usize,
}

impl DepartmentTree {
    pub(super) fn new(departments: &[department::Model]) -> Self {
        let by_path = departments
            .iter()
            .map(|department| {
                let node = TreeNode {
                    department: DepartmentRef::Existing(department.id),
                    retired: department.retired_at.is_some(),
                    reopened: false,
                };
                (department.path.clone(), node)
            })
            .collect();
        DepartmentTree {
            by_path,
            steps: Vec::new(),
            created: 0,
        }
    }

    /// The problems of `renames` (line 0), applied to a copy of this tree.
    pub(super) fn check_renames(&self, renames: &[(String, String)]) -> Vec<LineError> {
        let mut scratch = DepartmentTree {
            by_path: self.by_path.clone(),
            steps: Vec::new(),
            created: self.created,
        };
        renames
            .iter()
            .filter_map(|(old, new)| scratch.rename(old, new).err())
            .map(|problem| LineError::new(0, problem))
            .collect()
    }

    /// Renames the department at `old` (and moves its subtree along) to `new`; `new`'s parent is
    /// created when missing.
    fn rename(&mut self, old: &str, new: &str) -> Result<DepartmentRename, Problem> {
        let (old_shown, new_shown) = (shorten(old, 80), shorten(new, 80));
        let refused = |reason: Problem| {
            Problem::new("import_rename_refused")
                .arg("old", &old_shown)
                .arg("new", &new_shown)
                .cause("reason", reason)
        };
        let old = normalize_path(old).ok_or_else(|| {
            refused(Problem::new("problem_path_empty_part").arg("path", &old_shown))
        })?;
        let new = checked_path(new).map_err(refused)?;
        if !self.by_path.contains_key(&old) {
            return Err(refused(
                Problem::new("import_rename_no_department").arg("path", &old),
            ));
        }
        if self.by_path.contains_key(&new) {
            return Err(refused(
                Problem::new("import_rename_exists").arg("path", &new),
            ));
        }
        if is_in_subtree(&new, &old) {
            return Err(refused(Problem::new("import_rename_below_itself")));
        }
        let subtree: Vec<String> = self
            .by_path
            .keys()
            .filter(|path| is_in_subtree(path, &old))
            .cloned()
            .collect();
        let moved = |path: &str| format!("{new}{}", &path[old.len()..]);
        if let Some(deepest) = subtree
            .iter()
            .map(|path| moved(path))
            .max_by_key(|p| depth(p))
            && depth(&deepest) > crate::org::department::MAX_DEPTH
        {
            return Err(refused(
                Problem::new("problem_path_too_deep")
                    .arg("path", shorten(&deepest, 80))
                    .arg("depth", depth(&deepest))
                    .arg("max", crate::org::department::MAX_DEPTH),
            ));
        }
        if let Some(taken) = subtree
            .iter()
            .map(|path| moved(path))
            .find(|path| self.by_path.contains_key(path))
        {
            return Err(refused(
                Problem::new("import_rename_exists").arg("path", &taken),
            ));
        }
        let parent = parent_path(&new).map(|parent| self.ensure(parent));
        let mut subtree = subtree;
        // Shorter paths first, so the step list reads top-down.
        subtree.sort_by_key(String::len);
        for path in subtree {
            let Some(node) = self.by_path.remove(&path) else {
                continue;
            };
            let path_now = moved(&path);
            self.steps.push(if path == old {
                DepartmentStep::Move {
                    department: node.department,
                    path: path_now.clone(),
                    name: last_part(&path_now).to_owned(),
                    parent,
                }
            } else {
                DepartmentStep::Repath {
                    department: node.department,
                    path: path_now.clone(),
                }
            });
            self.by_path.insert(path_now, node);
        }
        Ok(DepartmentRename { from: old, to: new })
    }

    /// The department at `path` (normalized), created with its missing ancestors; a retired
    /// one is reopened together with its retired ancestors. Walks up with a loop, not by
    /// recursion: a stored tree may be deeper than any path the import accepts now.
    fn ensure(&mut self, path: &str) -> DepartmentRef {
        // From `path` upwards: the paths to create, and the department found.
        let mut missing = Vec::new();
        let mut at = Some(path);
        let mut found = None;
        while let Some(current) = at {
            if let Some(node) = self.by_path.get(current) {
                found = Some(node.department);
                break;
            }
            missing.push(current.to_owned());
            at = parent_path(current);
        }
        // The department found, and its retired ancestors, are reopened.
        let mut reopen = at;
        while let Some(current) = reopen {
            let Some(node) = self.by_path.get_mut(current) else {
                break;
            };
            if !node.retired || node.reopened {
                break;
            }
            node.reopened = true;
            self.steps.push(DepartmentStep::Reopen {
                department: node.department,
            });
            reopen = parent_path(current);
        }
        let mut parent = found;
        for path in missing.into_iter().rev() {
            let department = DepartmentRef::New(self.created);
            self.created += 1;
            self.steps.push(DepartmentStep::Create {
                name: last_part(&path).to_owned(),
                path: path.clone(),
                parent,
            });
            self.by_path.insert(
                path,
                TreeNode {
                    department,
                    retired: false,
                    reopened: false,
                },
            );
            parent = Some(department);
        }
        parent.expect("a path has at least one level")
    }

    /// Paths of created departments in creation order, as they are at the end of the plan.
    fn created_paths(&self) -> Vec<String> {
        let mut created: Vec<(usize, &String)> = self
            .by_path
            .iter()
            .filter_map(|(path, node)| match node.department {
                DepartmentRef::New(index) => Some((index, path)),
                DepartmentRef::Existing(_) => None,
            })
            .collect();
        created.sort();
        created.into_iter().map(|(_, path)| path.clone()).collect()
    }

    fn reopened_paths(&self) -> Vec<String> {
        let mut reopened: Vec<String> = self
            .by_path
            .iter()
            .filter(|(_, node)| node.reopened)
            .map(|(path, _)| path.clone())
            .collect();
        reopened.sort();
        reopened
    }
}

/// `path` is `root` or below it.
fn is_in_subtree(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(SEPARATOR))
}

fn parent_path(path: &str) -> Option<&str> {
    path.rfind(SEPARATOR).map(|at| &path[..at])
}

fn last_part(path: &str) -> &str {
    path.rfind(SEPARATOR)
        .map_or(path, |at| &path[at + SEPARATOR.len()..])
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewEmployee {
    pub(super) email: String,
    pub(super) name: String,
    pub(super) department: DepartmentRef,
    pub(super) locale: Locale,
}

/// An existing employee with the values the file gives; written whole (see `update_employees`
/// in apply.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChangedEmployee {
    pub(super) id: i32,
    pub(super) email: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) name: String,
    pub(super) department: DepartmentRef,
    pub(super) locale: Locale,
}

/// Everything the import will write.
pub(super) struct Plan {
    pub(super) department_steps: Vec<DepartmentStep>,
    departments_created: Vec<String>,
    departments_renamed: Vec<DepartmentRename>,
    departments_reopened: Vec<String>,
    pub(super) new_employees: Vec<NewEmployee>,
    pub(super) changed_employees: Vec<ChangedEmployee>,
    pub(super) deactivate: Vec<i32>,
    unchanged: u64,
}

impl Plan {
    pub(super) fn fill_report(&self, report: &mut ImportReport) {
        report.created = self.new_employees.len() as u64;
        report.updated = self.changed_employees.len() as u64;
        report.deactivated = self.deactivate.len() as u64;
        report.unchanged = self.unchanged;
        report.departments_created = self.departments_created.clone();
        report.departments_renamed = self.departments_renamed.clone();
        report.departments_reopened = self.departments_reopened.clone();
    }

    pub(super) fn employee_writes(&self) -> u64 {
        (self.new_employees.len() + self.changed_employees.len() + self.deactivate.len()) as u64
    }
}

/// Stage 5: what to write so that the database matches the file. Fails only on invalid renames.
pub(super) fn make_plan(
    rows: &[EmployeeRow],
    snapshot: &Snapshot,
    options: &ImportOptions,
) -> Result<Plan, Vec<LineError>> {
    let mut tree = DepartmentTree::new(&snapshot.departments);
    let mut renamed = Vec::new();
    let mut errors = Vec::new();
    for (old, new) in &options.renames {
        match tree.rename(old, new) {
            Ok(rename) => renamed.push(rename),
            Err(problem) => errors.push(LineError::new(0, problem)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let existing: HashMap<String, &employee::Model> = snapshot
        .employees
        .iter()
        .map(|employee| (email::normalize(&employee.email), employee))
        .collect();
    let mut department_of_path: HashMap<&str, DepartmentRef> = HashMap::new();
    let mut new_employees = Vec::new();
    let mut changed_employees = Vec::new();
    let mut unchanged = 0;
    for row in rows {
        let department = *department_of_path
            .entry(row.department.as_str())
            .or_insert_with(|| tree.ensure(&row.department));
        match existing.get(&row.email) {
            None => new_employees.push(NewEmployee {
                email: row.email.clone(),
                name: row.name.clone(),
                department,
                locale: row.locale,
            }),
            Some(current) if is_unchanged(current, row, department) => unchanged += 1,
            Some(current) => changed_employees.push(ChangedEmployee {
                id: current.id,
                email: current.email.clone(),
                created_at: current.created_at,
                name: row.name.clone(),
                department,
                locale: row.locale,
            }),
        }
    }

    let deactivate = if options.deactivate_missing {
        let in_file: HashSet<&str> = rows.iter().map(|row| row.email.as_str()).collect();
        snapshot
            .employees
            .iter()
            .filter(|employee| {
                employee.active && !in_file.contains(email::normalize(&employee.email).as_str())
            })
            .map(|employee| employee.id)
            .collect()
    } else {
        Vec::new()
    };

    Ok(Plan {
        departments_created: tree.created_paths(),
        departments_reopened: tree.reopened_paths(),
        department_steps: tree.steps,
        departments_renamed: renamed,
        new_employees,
        changed_employees,
        deactivate,
        unchanged,
    })
}

fn is_unchanged(current: &employee::Model, row: &EmployeeRow, department: DepartmentRef) -> bool {
    current.active
        && current.name == row.name
        && current.locale == row.locale.as_str()
        && department == DepartmentRef::Existing(current.department_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing_department(id: i32, parent_id: Option<i32>, path: &str) -> department::Model {
        department::Model {
            id,
            parent_id,
            name: last_part(path).to_owned(),
            path: path.to_owned(),
            created_at: Utc::now(),
            retired_at: None,
        }
    }

    fn tree() -> DepartmentTree {
        DepartmentTree::new(&[
            existing_department(1, None, "Vertrieb"),
            existing_department(2, Some(1), "Vertrieb / Innendienst"),
            existing_department(3, Some(2), "Vertrieb / Innendienst / Nord"),
            existing_department(4, None, "IT"),
        ])
    }

    #[test]
    fn missing_departments_are_created_parents_first() {
        let mut tree = tree();
        assert_eq!(
            tree.ensure("Vertrieb / Innendienst"),
            DepartmentRef::Existing(2)
        );
        assert_eq!(
            tree.ensure("Vertrieb / Außendienst / Süd"),
            DepartmentRef::New(1)
        );
        assert_eq!(
            tree.steps,
            vec![
                DepartmentStep::Create {
                    path: "Vertrieb / Außendienst".into(),
                    name: "Außendienst".into(),
                    parent: Some(DepartmentRef::Existing(1)),
                },
                DepartmentStep::Create {
                    path: "Vertrieb / Außendienst / Süd".into(),
                    name: "Süd".into(),
                    parent: Some(DepartmentRef::New(0)),
                },
            ]
        );
    }

    #[test]
    fn a_rename_moves_the_subtree_and_keeps_ids() {
        let mut tree = tree();
        let rename = tree
            .rename("Vertrieb/Innendienst", "Service / Innen")
            .expect("valid rename");
        assert_eq!(rename.to, "Service / Innen");
        assert_eq!(
            tree.by_path
                .get("Service / Innen / Nord")
                .map(|n| n.department),
            Some(DepartmentRef::Existing(3))
        );
        assert!(!tree.by_path.contains_key("Vertrieb / Innendienst"));
        assert_eq!(
            tree.steps,
            vec![
                DepartmentStep::Create {
                    path: "Service".into(),
                    name: "Service".into(),
                    parent: None,
                },
                DepartmentStep::Move {
                    department: DepartmentRef::Existing(2),
                    path: "Service / Innen".into(),
                    name: "Innen".into(),
                    parent: Some(DepartmentRef::New(0)),
                },
                DepartmentStep::Repath {
                    department: DepartmentRef::Existing(3),
                    path: "Service / Innen / Nord".into(),
                },
            ]
        );
    }

    #[test]
    fn invalid_renames_are_explained() {
        let errors = tree().check_renames(&[
            ("Einkauf".into(), "Beschaffung".into()),
            ("Vertrieb".into(), "IT".into()),
            ("Vertrieb".into(), "Vertrieb / Neu".into()),
            ("IT".into(), "a//b".into()),
        ]);
        let messages: Vec<String> = errors.iter().map(LineError::en).collect();
        assert_eq!(
            messages,
            [
                "Rename “Einkauf” → “Beschaffung”: There is no department “Einkauf”.",
                "Rename “Vertrieb” → “IT”: A department “IT” exists already.",
                "Rename “Vertrieb” → “Vertrieb / Neu”: A department cannot move below itself.",
                "Rename “IT” → “a//b”: “a//b” is not a department path: a part between “/” is \
                 empty.",
            ]
        );
        assert!(errors.iter().all(|error| error.line == 0));
    }

    #[test]
    fn subtree_means_the_path_or_below_it() {
        assert!(is_in_subtree("IT", "IT"));
        assert!(is_in_subtree("IT / Netz", "IT"));
        assert!(!is_in_subtree("ITler", "IT"));
        assert_eq!(parent_path("A / B / C"), Some("A / B"));
        assert_eq!(parent_path("A"), None);
        assert_eq!(last_part("A / B / C"), "C");
    }
}
