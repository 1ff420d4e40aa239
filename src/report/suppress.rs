//! Which groups of the department tree may show a figure, so that no output — alone or
//! subtracted from another — describes fewer people than the threshold.
//!
//! A group is a department with its whole subtree; the company is the root. A group is shown
//! when its count reaches the threshold and its parent is shown. Then, for every shown group,
//! what the viewer can compute by subtraction — the group minus its shown children — must be
//! nobody or at least the threshold; otherwise the smallest shown child is hidden as well
//! (complementary suppression), with its whole subtree, until every remainder is safe. The
//! result is the same for every viewer; a viewer limited to a subtree sees a part of it and
//! can subtract less.

use std::collections::{HashMap, HashSet};

use crate::entities::department;

/// A department as the suppression sees it.
#[derive(Debug, Clone, Copy)]
pub struct TreeNode {
    pub id: i32,
    pub parent_id: Option<i32>,
}

/// The tree of `departments` (a round's snapshot or today's) as suppression walks it.
pub fn tree_nodes(departments: &[department::Model]) -> Vec<TreeNode> {
    departments
        .iter()
        .map(|d| TreeNode {
            id: d.id,
            parent_id: d.parent_id,
        })
        .collect()
}

/// The groups that may show a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    pub company: bool,
    pub departments: HashSet<i32>,
}

impl Visible {
    pub fn shows(&self, department: Option<i32>) -> bool {
        match department {
            None => self.company,
            Some(id) => self.departments.contains(&id),
        }
    }
}

/// The department tree, indexed once so that the many suppression passes of a report (per
/// measure, per round) work on plain vectors instead of hash maps.
#[derive(Debug, Clone)]
pub struct Tree {
    ids: Vec<i32>,
    index: HashMap<i32, usize>,
    children: Vec<Vec<usize>>,
    /// Departments at the top (their parent is the company), by id.
    top: Vec<usize>,
    /// Children before their parents.
    post_order: Vec<usize>,
}

impl Tree {
    pub fn new(nodes: &[TreeNode]) -> Tree {
        let ids: Vec<i32> = nodes.iter().map(|n| n.id).collect();
        let index: HashMap<i32, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut children = vec![Vec::new(); ids.len()];
        let mut top = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            // A parent outside the list counts as the top.
            match node.parent_id.and_then(|p| index.get(&p)) {
                Some(&parent) => children[parent].push(i),
                None => top.push(i),
            }
        }
        for list in children.iter_mut().chain(std::iter::once(&mut top)) {
            list.sort_unstable_by_key(|&i| ids[i]);
        }
        let mut pre_order = Vec::with_capacity(ids.len());
        let mut stack: Vec<usize> = top.clone();
        while let Some(i) = stack.pop() {
            pre_order.push(i);
            stack.extend(children[i].iter().copied());
        }
        pre_order.reverse();
        Tree {
            ids,
            index,
            children,
            top,
            post_order: pre_order,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Where a department's count goes in the vectors [`Tree::visible`] takes.
    pub fn position(&self, id: i32) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// `own[i]` summed over each department's subtree, in tree order.
    pub fn subtree_sums(&self, own: &[u64]) -> Vec<u64> {
        let mut subtree = own.to_vec();
        subtree.resize(self.ids.len(), 0);
        for &i in &self.post_order {
            let below: u64 = self.children[i].iter().map(|&c| subtree[c]).sum();
            subtree[i] += below;
        }
        subtree
    }

    /// The department ids in tree order (the order of [`Tree::counts`]).
    pub fn ids(&self) -> &[i32] {
        &self.ids
    }

    /// Positions of a department's children.
    pub fn children_of(&self, position: usize) -> &[usize] {
        &self.children[position]
    }

    /// Counts by department id, as a vector in tree order.
    pub fn counts(&self, own: &HashMap<i32, u64>) -> Vec<u64> {
        self.ids
            .iter()
            .map(|id| own.get(id).copied().unwrap_or(0))
            .collect()
    }

    /// `own[i]` counts the members of the i-th department itself; subtrees are summed here.
    /// `allowed` restricts the candidates further (an item is shown only where its group is).
    pub fn visible(&self, own: &[u64], threshold: u32, allowed: Option<&Visible>) -> Visible {
        let threshold = u64::from(threshold.max(1));
        let n = self.ids.len();
        let subtree = self.subtree_sums(own);
        let company: u64 = self.top.iter().map(|&i| subtree[i]).sum();
        let company_shown = company >= threshold && allowed.is_none_or(|a| a.company);
        let mut shown = vec![false; n];
        if company_shown {
            let mut stack: Vec<usize> = self.top.clone();
            while let Some(i) = stack.pop() {
                let allowed_here = allowed.is_none_or(|a| a.departments.contains(&self.ids[i]));
                if subtree[i] >= threshold && allowed_here {
                    shown[i] = true;
                    stack.extend(self.children[i].iter().copied());
                }
            }
        }
        if company_shown {
            // Each pass hides at least one group, so this ends. Parents in id order, so that
            // equal inputs hide the same groups.
            let mut parents: Vec<Option<usize>> =
                std::iter::once(None).chain((0..n).map(Some)).collect();
            parents[1..].sort_unstable_by_key(|p| p.map(|i| self.ids[i]));
            loop {
                let mut hidden_one = false;
                for parent in &parents {
                    let (total, kids) = match parent {
                        None => (company, &self.top),
                        Some(i) if shown[*i] => (subtree[*i], &self.children[*i]),
                        Some(_) => continue,
                    };
                    let seen: u64 = kids
                        .iter()
                        .filter(|&&c| shown[c])
                        .map(|&c| subtree[c])
                        .sum();
                    let remainder = total - seen;
                    if remainder == 0 || remainder >= threshold {
                        continue;
                    }
                    let smallest = kids
                        .iter()
                        .copied()
                        .filter(|&c| shown[c])
                        .min_by_key(|&c| (subtree[c], self.ids[c]))
                        .expect("a remainder below a shown group's count needs a shown child");
                    let mut stack = vec![smallest];
                    while let Some(i) = stack.pop() {
                        shown[i] = false;
                        stack.extend(self.children[i].iter().copied());
                    }
                    hidden_one = true;
                }
                if !hidden_one {
                    break;
                }
            }
        }
        Visible {
            company: company_shown,
            departments: (0..n).filter(|&i| shown[i]).map(|i| self.ids[i]).collect(),
        }
    }
}

/// The groups that may be shown, by the count each group (subtree) has: respondents for
/// figures, item answers for an item, invited for participation. `own` counts the
/// department's own members. For many passes over one tree, build a [`Tree`] once.
pub fn visible(
    nodes: &[TreeNode],
    own: &HashMap<i32, u64>,
    threshold: u32,
    allowed: Option<&Visible>,
) -> Visible {
    let tree = Tree::new(nodes);
    tree.visible(&tree.counts(own), threshold, allowed)
}

#[cfg(test)]
fn sum_subtree(
    node: Option<i32>,
    children: &HashMap<Option<i32>, Vec<i32>>,
    own: &HashMap<i32, u64>,
    out: &mut HashMap<i32, u64>,
) -> u64 {
    let mut order = Vec::new();
    let mut stack: Vec<i32> = children.get(&node).cloned().unwrap_or_default();
    while let Some(id) = stack.pop() {
        order.push(id);
        stack.extend(children.get(&Some(id)).into_iter().flatten().copied());
    }
    for id in order.iter().rev() {
        let below: u64 = children
            .get(&Some(*id))
            .into_iter()
            .flatten()
            .map(|c| out[c])
            .sum();
        out.insert(*id, own.get(id).copied().unwrap_or(0) + below);
    }
    children
        .get(&node)
        .into_iter()
        .flatten()
        .map(|c| out[c])
        .sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(edges: &[(i32, Option<i32>)]) -> Vec<TreeNode> {
        edges
            .iter()
            .map(|(id, parent_id)| TreeNode {
                id: *id,
                parent_id: *parent_id,
            })
            .collect()
    }

    fn counts(pairs: &[(i32, u64)]) -> HashMap<i32, u64> {
        pairs.iter().copied().collect()
    }

    fn sorted(v: &Visible) -> Vec<i32> {
        let mut ids: Vec<i32> = v.departments.iter().copied().collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn groups_at_the_threshold_are_shown() {
        let nodes = tree(&[(1, None), (2, None)]);
        let v = visible(&nodes, &counts(&[(1, 5), (2, 9)]), 5, None);
        assert!(v.company);
        assert_eq!(sorted(&v), vec![1, 2]);
    }

    #[test]
    fn a_small_sibling_takes_the_next_smallest_with_it() {
        // Company 5 + 6 + 2 = 13; showing 1 and 2 would reveal 3 (2 people) as 13 − 11.
        let nodes = tree(&[(1, None), (2, None), (3, None)]);
        let v = visible(&nodes, &counts(&[(1, 5), (2, 6), (3, 2)]), 5, None);
        assert_eq!(sorted(&v), vec![2]);
    }

    #[test]
    fn a_parent_minus_its_shown_children_never_reveals_a_few() {
        // Sales has 2 own members and two teams of 6: Sales (14) − 12 = 2 people.
        let nodes = tree(&[(1, None), (2, Some(1)), (3, Some(1))]);
        let v = visible(&nodes, &counts(&[(1, 2), (2, 6), (3, 6)]), 5, None);
        assert!(v.departments.contains(&1));
        assert_eq!(
            v.departments
                .iter()
                .filter(|id| [2, 3].contains(id))
                .count(),
            1,
            "one team is hidden so that the remainder is 8"
        );
    }

    #[test]
    fn hiding_a_group_hides_its_subtree() {
        // 3 is hidden as a complement; its child 4 (shown before) must go too, or 3 could be
        // rebuilt from it.
        let nodes = tree(&[(1, None), (2, None), (3, None), (4, Some(3)), (5, None)]);
        let v = visible(
            &nodes,
            &counts(&[(1, 20), (2, 8), (3, 1), (4, 6), (5, 3)]),
            5,
            None,
        );
        assert!(!v.departments.contains(&5));
        assert!(!v.departments.contains(&3));
        assert!(!v.departments.contains(&4));
    }

    #[test]
    fn a_small_company_shows_nothing() {
        let nodes = tree(&[(1, None)]);
        let v = visible(&nodes, &counts(&[(1, 4)]), 5, None);
        assert!(!v.company);
        assert!(v.departments.is_empty());
    }

    #[test]
    fn allowed_restricts_the_candidates() {
        let nodes = tree(&[(1, None), (2, None), (3, None)]);
        let groups = visible(&nodes, &counts(&[(1, 5), (2, 5), (3, 5)]), 5, None);
        let mut narrower = groups.clone();
        narrower.departments.remove(&1);
        let items = visible(
            &nodes,
            &counts(&[(1, 5), (2, 5), (3, 5)]),
            5,
            Some(&narrower),
        );
        assert!(!items.departments.contains(&1));
    }

    /// Over many random trees: every shown group reaches the threshold, and every remainder
    /// a viewer can compute (a shown group minus its shown children) is 0 or reaches it.
    #[test]
    fn no_subtraction_reveals_a_small_group() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for case in 0..400 {
            let size = 2 + next(25) as i32;
            let nodes: Vec<TreeNode> = (1..=size)
                .map(|id| TreeNode {
                    id,
                    parent_id: (id > 1 && next(4) != 0).then(|| 1 + next((id - 1) as u64) as i32),
                })
                .collect();
            let own: HashMap<i32, u64> = (1..=size).map(|id| (id, next(9))).collect();
            for threshold in [3u32, 5, 10] {
                let v = visible(&nodes, &own, threshold, None);
                let mut children: HashMap<Option<i32>, Vec<i32>> = HashMap::new();
                for n in &nodes {
                    children.entry(n.parent_id).or_default().push(n.id);
                }
                let mut subtree = HashMap::new();
                let company = sum_subtree(None, &children, &own, &mut subtree);
                let t = u64::from(threshold);
                for id in &v.departments {
                    assert!(subtree[id] >= t, "case {case}: group {id} is too small");
                }
                let parents = std::iter::once(None)
                    .filter(|_| v.company)
                    .chain(v.departments.iter().copied().map(Some));
                for parent in parents {
                    let total = parent.map_or(company, |id| subtree[&id]);
                    let seen: u64 = children
                        .get(&parent)
                        .into_iter()
                        .flatten()
                        .filter(|c| v.departments.contains(c))
                        .map(|c| subtree[c])
                        .sum();
                    let rest = total - seen;
                    assert!(
                        rest == 0 || rest >= t,
                        "case {case}, threshold {threshold}: {parent:?} leaves {rest}"
                    );
                }
            }
        }
    }
}
