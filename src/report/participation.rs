//! Participation per department — answered ÷ invited of the same snapshot — shown only for
//! units with at least `anonymity_threshold` invited. Smaller units are folded into their
//! parent, and units folded up past the top level form one "other" group; when that group is
//! itself too small, the smallest shown top-level unit joins it, so that "company total minus
//! the units shown" never reveals a small group.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::entities::{department, invitation};
use crate::error::AppResult;
use crate::org::department as departments;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub invited: u64,
    pub answered: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.invited += other.invited;
        self.answered += other.answered;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// `None` for the group of small units folded past the top level.
    pub department_id: Option<i32>,
    pub path: String,
    pub counts: Counts,
    /// Whether smaller units below it are counted in it.
    pub includes_smaller_units: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participation {
    pub total: Counts,
    pub units: Vec<Unit>,
}

/// A department of the tree with the invitations made directly to it.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub path: String,
    pub own: Counts,
}

/// Folds the tree bottom-up as described in the module documentation. Pure, for tests.
pub fn fold(nodes: &[Node], threshold: u64) -> Participation {
    let by_id: HashMap<i32, &Node> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut children: HashMap<Option<i32>, Vec<i32>> = HashMap::new();
    for node in nodes {
        // A parent outside the list (retired, or not in this round) counts as the top.
        let parent = node.parent_id.filter(|p| by_id.contains_key(p));
        children.entry(parent).or_default().push(node.id);
    }
    let mut shown: BTreeMap<String, Unit> = BTreeMap::new();
    let mut other = Counts::default();
    for root in children.get(&None).cloned().unwrap_or_default() {
        let carried = fold_node(root, &by_id, &children, threshold, &mut shown);
        other.add(carried);
    }
    let total = nodes.iter().fold(Counts::default(), |mut sum, n| {
        sum.add(n.own);
        sum
    });
    // Complementary suppression at the top: a small "other" would be the total minus the
    // units shown, so the smallest shown top-level unit joins it until it is big enough.
    let top_level: Vec<i32> = children.get(&None).cloned().unwrap_or_default();
    while other.invited > 0 && other.invited < threshold {
        let smallest = shown
            .values()
            .filter(|unit| unit.department_id.is_some_and(|id| top_level.contains(&id)))
            .min_by_key(|unit| unit.counts.invited)
            .map(|unit| unit.path.clone());
        let Some(path) = smallest else {
            break;
        };
        if let Some(unit) = shown.remove(&path) {
            other.add(unit.counts);
        }
    }
    let mut units: Vec<Unit> = shown
        .into_values()
        .filter(|unit| unit.counts.invited > 0)
        .collect();
    if other.invited >= threshold {
        units.push(Unit {
            department_id: None,
            path: String::new(),
            counts: other,
            includes_smaller_units: true,
        });
    }
    Participation { total, units }
}

/// Returns what the node passes up to its parent: nothing if it is shown, else its counts.
fn fold_node(
    id: i32,
    by_id: &HashMap<i32, &Node>,
    children: &HashMap<Option<i32>, Vec<i32>>,
    threshold: u64,
    shown: &mut BTreeMap<String, Unit>,
) -> Counts {
    let node = by_id[&id];
    let mut counts = node.own;
    let mut includes_smaller_units = false;
    for child in children.get(&Some(id)).into_iter().flatten() {
        let carried = fold_node(*child, by_id, children, threshold, shown);
        if carried.invited > 0 {
            includes_smaller_units = true;
        }
        counts.add(carried);
    }
    if counts.invited >= threshold {
        shown.insert(
            node.path.clone(),
            Unit {
                department_id: Some(id),
                path: node.path.clone(),
                counts,
                includes_smaller_units,
            },
        );
        Counts::default()
    } else {
        counts
    }
}

/// Invited and answered per department (own members) of one round's snapshot.
pub async fn counts_by_department(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> AppResult<HashMap<i32, Counts>> {
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

/// Participation of one round per department of its snapshot.
pub async fn of_round(
    db: &impl ConnectionTrait,
    round_id: i32,
    threshold: u32,
) -> AppResult<Participation> {
    let own = counts_by_department(db, round_id).await?;
    let all: Vec<department::Model> = departments::all(db).await?;
    let nodes: Vec<Node> = all
        .iter()
        .map(|d| Node {
            id: d.id,
            parent_id: d.parent_id,
            path: d.path.clone(),
            own: own.get(&d.id).copied().unwrap_or_default(),
        })
        .collect();
    Ok(fold(&nodes, u64::from(threshold)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i32, parent_id: Option<i32>, path: &str, invited: u64, answered: u64) -> Node {
        Node {
            id,
            parent_id,
            path: path.into(),
            own: Counts { invited, answered },
        }
    }

    fn paths(participation: &Participation) -> Vec<(&str, u64)> {
        participation
            .units
            .iter()
            .map(|unit| (unit.path.as_str(), unit.counts.invited))
            .collect()
    }

    #[test]
    fn units_at_or_above_the_threshold_are_shown_as_they_are() {
        let p = fold(&[node(1, None, "A", 5, 2), node(2, None, "B", 7, 7)], 5);
        assert_eq!(paths(&p), vec![("A", 5), ("B", 7)]);
        assert_eq!(
            p.total,
            Counts {
                invited: 12,
                answered: 9
            }
        );
    }

    #[test]
    fn a_small_child_is_folded_into_its_parent() {
        let p = fold(
            &[
                node(1, None, "Vertrieb", 6, 3),
                node(2, Some(1), "Vertrieb / Innendienst", 2, 2),
            ],
            5,
        );
        assert_eq!(paths(&p), vec![("Vertrieb", 8)]);
        assert!(p.units[0].includes_smaller_units);
        assert_eq!(p.units[0].counts.answered, 5);
    }

    #[test]
    fn small_units_fold_up_level_by_level() {
        let p = fold(
            &[
                node(1, None, "A", 0, 0),
                node(2, Some(1), "A / B", 3, 1),
                node(3, Some(2), "A / B / C", 3, 1),
                node(4, None, "D", 9, 4),
            ],
            5,
        );
        assert_eq!(paths(&p), vec![("A / B", 6), ("D", 9)]);
    }

    #[test]
    fn a_small_top_level_group_takes_the_smallest_shown_unit_with_it() {
        // E (2 invited) is too small even at the top; showing A, B and D would reveal it as
        // total − shown. The smallest top-level unit (B) joins it in "other".
        let p = fold(
            &[
                node(1, None, "A", 9, 0),
                node(2, None, "B", 5, 0),
                node(3, None, "D", 7, 0),
                node(4, None, "E", 2, 1),
            ],
            5,
        );
        assert_eq!(paths(&p), vec![("A", 9), ("D", 7), ("", 7)]);
        let shown: u64 = p.units.iter().map(|u| u.counts.invited).sum();
        assert_eq!(shown, p.total.invited, "nothing is left to subtract");
    }

    #[test]
    fn no_shown_figure_stems_from_fewer_than_threshold_people() {
        let nodes: Vec<Node> = (1..=30)
            .map(|i| {
                node(
                    i,
                    if i > 5 { Some((i % 5) + 1) } else { None },
                    &format!("d{i}"),
                    (i % 7) as u64,
                    0,
                )
            })
            .collect();
        for threshold in [3, 5, 10] {
            let p = fold(&nodes, threshold);
            assert!(p.units.iter().all(|u| u.counts.invited >= threshold));
            let shown: u64 = p.units.iter().map(|u| u.counts.invited).sum();
            let rest = p.total.invited - shown;
            assert!(
                rest == 0 || rest >= threshold,
                "threshold {threshold}: a remainder of {rest} is exposed"
            );
        }
    }
}
