//! Participation per department — answered ÷ invited of the same snapshot — is a figure like
//! any other (DECISIONS.md "Anonymity in every output"): a group (a department with its whole
//! subtree, or the company) shows it only when at least `anonymity_threshold` were invited, and
//! the same complementary suppression as every result (`suppress`) hides one more group where
//! "parent minus the groups shown" would single out a small one. It is computed over the whole
//! tree of the round, the same for every reader, and only then cut to a reader's part: what one
//! reader sees is a part of what another sees, and no two outputs can be subtracted.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::suppress::Tree;
use super::suppress::tree_nodes;
use crate::entities::{department, invitation, result_group};
use crate::error::AppResult;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub invited: u64,
    pub answered: u64,
}

/// A group below the reader's top whose participation may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub department_id: i32,
    pub path: String,
    /// The department with its whole subtree.
    pub counts: Counts,
    /// Whether departments below it that are not shown on their own are counted in it.
    pub includes_smaller_units: bool,
}

/// The participation a reader may see of one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participation {
    /// The reader's top (the company, or a scoped reader's department) when it may be shown.
    pub total: Option<Counts>,
    /// Whether anyone in the reader's part was invited at all.
    pub invited_any: bool,
    /// The groups below the top that may be shown, by path.
    pub units: Vec<Unit>,
}

/// The participation of the round whose tree is `tree` and whose own counts per department are
/// `own`, as a reader limited to `scope` may see it. Pure, for tests.
pub fn visible(
    tree: &[department::Model],
    own: &HashMap<i32, Counts>,
    scope: Option<i32>,
    threshold: u32,
) -> Participation {
    let index = Tree::new(&tree_nodes(tree));
    let invited_own: Vec<u64> = index
        .ids()
        .iter()
        .map(|id| own.get(id).map_or(0, |c| c.invited))
        .collect();
    let answered_own: Vec<u64> = index
        .ids()
        .iter()
        .map(|id| own.get(id).map_or(0, |c| c.answered))
        .collect();
    let invited = index.subtree_sums(&invited_own);
    let answered = index.subtree_sums(&answered_own);
    let shown = index.visible(&invited_own, threshold, None);
    let at = |i: usize| Counts {
        invited: invited[i],
        answered: answered[i],
    };
    let (total, invited_any, part) = match scope {
        None => {
            let company = Counts {
                invited: own.values().map(|c| c.invited).sum(),
                answered: own.values().map(|c| c.answered).sum(),
            };
            let everyone: Vec<usize> = (0..index.len()).collect();
            (
                shown.company.then_some(company),
                company.invited > 0,
                everyone,
            )
        }
        Some(root) => match index.position(root) {
            Some(r) => {
                let below = crate::org::department::subtree_ids(tree, &[root]);
                let part: Vec<usize> = below
                    .iter()
                    .filter(|id| **id != root)
                    .filter_map(|id| index.position(*id))
                    .collect();
                (
                    shown.departments.contains(&root).then_some(at(r)),
                    invited[r] > 0,
                    part,
                )
            }
            // A department the round did not know: nothing of the round is the reader's.
            None => (None, false, Vec::new()),
        },
    };
    let paths: HashMap<i32, &str> = tree.iter().map(|d| (d.id, d.path.as_str())).collect();
    let mut units: Vec<Unit> = part
        .into_iter()
        .filter(|&i| invited[i] > 0 && shown.departments.contains(&index.ids()[i]))
        .map(|i| {
            let id = index.ids()[i];
            let hidden_child = index
                .children_of(i)
                .iter()
                .any(|&c| invited[c] > 0 && !shown.departments.contains(&index.ids()[c]));
            Unit {
                department_id: id,
                path: paths.get(&id).copied().unwrap_or_default().to_owned(),
                counts: at(i),
                includes_smaller_units: hidden_child,
            }
        })
        .collect();
    units.sort_by(|a, b| a.path.cmp(&b.path));
    Participation {
        total,
        invited_any,
        units,
    }
}

/// Invited and answered per department (own members) of one round's snapshot.
pub async fn counts_by_department(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> AppResult<HashMap<i32, Counts>> {
    // A closed round's invitations are deleted at close; its counts are in its aggregates.
    let closed = result_group::Entity::find()
        .filter(result_group::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    if !closed.is_empty() {
        return Ok(closed
            .into_iter()
            .map(|row| {
                let counts = Counts {
                    invited: row.invited.max(0) as u64,
                    answered: row.responses.max(0) as u64,
                };
                (row.department_id, counts)
            })
            .collect());
    }
    // Grouped in the database: a round of 100,000 invitations is a few rows here.
    let grouped = |answered_only: bool| {
        let mut query = invitation::Entity::find()
            .select_only()
            .column(invitation::Column::DepartmentId)
            .column_as(invitation::Column::Id.count(), "n")
            .filter(invitation::Column::RoundId.eq(round_id))
            .group_by(invitation::Column::DepartmentId);
        if answered_only {
            query = query.filter(invitation::Column::Answered.eq(true));
        }
        query.into_tuple::<(i32, i64)>().all(db)
    };
    let mut own: HashMap<i32, Counts> = HashMap::new();
    for (department_id, n) in grouped(false).await? {
        own.entry(department_id).or_default().invited = n as u64;
    }
    for (department_id, n) in grouped(true).await? {
        own.entry(department_id).or_default().answered = n as u64;
    }
    Ok(own)
}

/// Participation of one round as a reader limited to `scope` may see it, over the round's tree.
pub async fn of_round(
    db: &impl ConnectionTrait,
    round_id: i32,
    scope: Option<i32>,
    threshold: u32,
) -> AppResult<Participation> {
    let own = counts_by_department(db, round_id).await?;
    let tree = crate::org::round_tree::of_round(db, round_id).await?;
    Ok(visible(&tree, &own, scope, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn dept(id: i32, parent_id: Option<i32>, path: &str) -> department::Model {
        department::Model {
            id,
            parent_id,
            name: path.rsplit(" / ").next().unwrap().to_owned(),
            path: path.to_owned(),
            created_at: Utc::now(),
            retired_at: None,
        }
    }

    fn counts(list: &[(i32, u64, u64)]) -> HashMap<i32, Counts> {
        list.iter()
            .map(|(id, invited, answered)| {
                (
                    *id,
                    Counts {
                        invited: *invited,
                        answered: *answered,
                    },
                )
            })
            .collect()
    }

    fn paths(participation: &Participation) -> Vec<(&str, u64)> {
        participation
            .units
            .iter()
            .map(|unit| (unit.path.as_str(), unit.counts.invited))
            .collect()
    }

    /// Vertrieb (no members of its own) with Nord 6 and Süd 3; Technik 8.
    fn sales() -> Vec<department::Model> {
        vec![
            dept(1, None, "Vertrieb"),
            dept(2, Some(1), "Vertrieb / Nord"),
            dept(3, Some(1), "Vertrieb / Süd"),
            dept(4, None, "Technik"),
        ]
    }

    #[test]
    fn groups_at_or_above_the_threshold_are_shown_with_their_subtree() {
        let p = visible(
            &sales(),
            &counts(&[(2, 6, 6), (3, 6, 2), (4, 8, 1)]),
            None,
            5,
        );
        assert_eq!(
            paths(&p),
            vec![
                ("Technik", 8),
                ("Vertrieb", 12),
                ("Vertrieb / Nord", 6),
                ("Vertrieb / Süd", 6)
            ]
        );
        assert_eq!(
            p.total,
            Some(Counts {
                invited: 20,
                answered: 9
            })
        );
    }

    #[test]
    fn a_scoped_reader_cannot_subtract_a_small_team() {
        // The attack of the trust issue: Vertrieb 9/9 and Nord 6/6 would give Süd 3/3.
        let own = counts(&[(2, 6, 6), (3, 3, 3), (4, 8, 1)]);
        let p = visible(&sales(), &own, Some(1), 5);
        assert_eq!(p.total.map(|c| c.invited), Some(9));
        assert!(paths(&p).is_empty(), "{p:?}");
        // The same for the company and for a reader rooted at Nord: what one sees is part of
        // what the other sees.
        let company = visible(&sales(), &own, None, 5);
        assert_eq!(paths(&company), vec![("Technik", 8), ("Vertrieb", 9)]);
        assert!(company.units[1].includes_smaller_units);
        let north = visible(&sales(), &own, Some(2), 5);
        assert_eq!(north.total, None, "Nord is hidden for everyone");
    }

    #[test]
    fn a_small_company_shows_nothing() {
        let p = visible(&sales(), &counts(&[(3, 3, 1)]), None, 5);
        assert_eq!(p.total, None);
        assert!(p.invited_any);
        assert!(p.units.is_empty());
    }

    #[test]
    fn a_department_the_round_did_not_know_sees_nothing() {
        let p = visible(&sales(), &counts(&[(2, 6, 6)]), Some(99), 5);
        assert_eq!(p.total, None);
        assert!(!p.invited_any);
    }

    #[test]
    fn no_shown_figure_can_be_subtracted_down_to_fewer_than_the_threshold() {
        let tree: Vec<department::Model> = (1..=30)
            .map(|i| {
                let parent = if i > 5 { Some((i % 5) + 1) } else { None };
                dept(i, parent, &format!("d{i}"))
            })
            .collect();
        let own: HashMap<i32, Counts> = (1..=30)
            .map(|i| {
                (
                    i,
                    Counts {
                        invited: (i % 7) as u64,
                        answered: 0,
                    },
                )
            })
            .collect();
        for threshold in [3u32, 5, 10] {
            let p = visible(&tree, &own, None, threshold);
            let t = u64::from(threshold);
            assert!(p.units.iter().all(|u| u.counts.invited >= t));
            // Every shown group minus its shown children is nobody or at least the threshold.
            let shown: HashMap<i32, u64> = p
                .units
                .iter()
                .map(|u| (u.department_id, u.counts.invited))
                .collect();
            let mut parents: Vec<(Option<i32>, u64)> = p
                .units
                .iter()
                .map(|u| (Some(u.department_id), u.counts.invited))
                .collect();
            if let Some(total) = p.total {
                parents.push((None, total.invited));
            }
            for (parent, count) in parents {
                let children: u64 = tree
                    .iter()
                    .filter(|d| d.parent_id == parent)
                    .filter_map(|d| shown.get(&d.id))
                    .sum();
                let rest = count - children;
                assert!(
                    rest == 0 || rest >= t,
                    "threshold {threshold}: {parent:?} leaves {rest} to subtract"
                );
            }
        }
    }
}
