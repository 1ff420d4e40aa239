//! The results of one closed round for every group of the tree — the company and each
//! department with its subtree — with the threshold and complementary suppression applied to
//! every figure. Pages, the API, CSV and mail all read this one structure.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::aggregate::{RoundAggregates, Unit};
use super::participation::Counts;
use super::stats::{
    Change, DEFAULT_ALPHA, HiddenReason, ItemFigures, NetFigures, OverallIndex, PillarIndex, Shown,
    change, meets_threshold, show_item, show_net_score, show_overall, show_pillar,
};
use super::suppress::{Tree, Visible, tree_nodes};
use crate::entities::{department, question};
use crate::i18n::Locale;
use crate::org::department::SEPARATOR;
use crate::vocab::{Basis, Pillar, Scale};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Respondents a figure needs (`anonymity_threshold`).
    pub answers: u32,
    /// Respondents a comment list needs (`comment_threshold`).
    pub comments: u32,
}

/// One group's results. `department_id: None` is the company.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupReport {
    pub department_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub path: String,
    pub name: String,
    /// 0 for the company's departments at the top.
    pub depth: usize,
    pub participation: Shown<Participation>,
    pub responses: Shown<u64>,
    pub pillars: Vec<PillarReport>,
    pub overall: Shown<OverallIndex>,
    pub items: Vec<ItemReport>,
    pub net_scores: Vec<NetReport>,
    /// Whether this group's comments may be listed.
    pub comments: Shown<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Participation {
    pub invited: u64,
    pub answered: u64,
    /// 0–100.
    pub rate_pct: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PillarReport {
    pub key: Pillar,
    /// Over every item of the pillar the round asked.
    pub index: Shown<PillarIndex>,
    /// Over the core items only, as the trend shows it.
    pub core: Shown<PillarIndex>,
    /// Core index against the previous closed round, Welch's t-test; `None` without one.
    pub change: Option<Shown<Change>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemReport {
    pub question_id: i32,
    pub key: String,
    pub pillar: Option<Pillar>,
    pub text: String,
    pub reverse_coded: bool,
    pub core: bool,
    pub figures: Shown<ItemFigures>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NetReport {
    pub question_id: i32,
    pub key: String,
    pub text: String,
    pub figures: Shown<NetFigures>,
}

/// The tree as the round saw it, and the round's inputs.
pub struct Inputs<'a> {
    pub departments: &'a [department::Model],
    /// The round's questions in the order they were asked.
    pub questions: &'a [question::Model],
    pub current: &'a RoundAggregates,
    pub previous: Option<&'a RoundAggregates>,
    pub thresholds: Thresholds,
    pub locale: Locale,
}

/// Which group may show what, computed once for the whole tree.
struct Gates {
    groups: Visible,
    participation: Visible,
    comments: Visible,
    pillars: HashMap<(Basis, usize), Visible>,
    previous_core: Option<HashMap<usize, Visible>>,
    items: HashMap<i32, Visible>,
}

/// The round's units in tree order, so that each measure's counts are a plain vector.
pub fn placed<'a>(tree: &Tree, aggregates: &'a RoundAggregates) -> Vec<Option<&'a Unit>> {
    let mut placed = vec![None; tree.len()];
    for (id, unit) in &aggregates.units {
        if let Some(i) = tree.position(*id) {
            placed[i] = Some(unit);
        }
    }
    placed
}

pub fn counts(placed: &[Option<&Unit>], count: impl Fn(&Unit) -> u64) -> Vec<u64> {
    placed.iter().map(|u| u.map_or(0, &count)).collect()
}

fn pillar_gates(
    tree: &Tree,
    placed: &[Option<&Unit>],
    basis: Basis,
    groups: &Visible,
    threshold: u32,
) -> HashMap<usize, Visible> {
    (0..Pillar::EACH.len())
        .map(|p| {
            let own = counts(placed, |u| u.pillars(basis)[p].n);
            (p, tree.visible(&own, threshold, Some(groups)))
        })
        .collect()
}

fn gates(inputs: &Inputs<'_>, tree: &Tree) -> Gates {
    let t = inputs.thresholds.answers;
    let current = placed(tree, inputs.current);
    let responses = counts(&current, |u| u.responses);
    let groups = tree.visible(&responses, t, None);
    let participation = tree.visible(&counts(&current, |u| u.invited), t, None);
    let comments = tree.visible(&responses, inputs.thresholds.comments.max(t), Some(&groups));
    let mut pillars = HashMap::new();
    for basis in [Basis::Core, Basis::Round] {
        for (p, gate) in pillar_gates(tree, &current, basis, &groups, t) {
            pillars.insert((basis, p), gate);
        }
    }
    let previous_core = inputs.previous.map(|previous| {
        let previous = placed(tree, previous);
        let previous_groups = tree.visible(&counts(&previous, |u| u.responses), t, None);
        pillar_gates(tree, &previous, Basis::Core, &previous_groups, t)
    });
    let mut items = HashMap::new();
    for question in inputs.questions {
        let own = counts(&current, |u| {
            u.likert
                .get(&question.id)
                .map(|h| h.n())
                .or_else(|| u.net.get(&question.id).map(|h| h.n()))
                .unwrap_or(0)
        });
        items.insert(question.id, tree.visible(&own, t, Some(&groups)));
    }
    Gates {
        groups,
        participation,
        comments,
        pillars,
        previous_core,
        items,
    }
}

/// A figure through its gate: hidden for too few, or for complementary suppression.
fn gate<T>(
    gate: &Visible,
    group: Option<i32>,
    count: u64,
    threshold: u32,
    too_few: HiddenReason,
    figure: impl FnOnce() -> Shown<T>,
) -> Shown<T> {
    if !meets_threshold(count, threshold) {
        return Shown::hidden(too_few);
    }
    if !gate.shows(group) {
        return Shown::hidden(HiddenReason::ComplementarySuppression);
    }
    figure()
}

/// The results of every group that took part in the round, the company first, then the
/// departments in tree order.
pub fn build(inputs: &Inputs<'_>) -> Vec<GroupReport> {
    let tree = Tree::new(&tree_nodes(inputs.departments));
    let gates = gates(inputs, &tree);
    let t = inputs.thresholds.answers;

    // Departments that were part of the round, with their ancestors.
    let by_id: HashMap<i32, &department::Model> =
        inputs.departments.iter().map(|d| (d.id, d)).collect();
    let mut taking_part: HashSet<i32> = HashSet::new();
    for (id, unit) in &inputs.current.units {
        if unit.invited == 0 {
            continue;
        }
        let mut next = Some(*id);
        while let Some(id) = next {
            if !taking_part.insert(id) {
                break;
            }
            next = by_id.get(&id).and_then(|d| d.parent_id);
        }
    }
    let mut members: HashMap<i32, Vec<i32>> = HashMap::new();
    for department in inputs.departments {
        let mut next = Some(department.id);
        while let Some(ancestor) = next {
            members.entry(ancestor).or_default().push(department.id);
            next = by_id.get(&ancestor).and_then(|d| d.parent_id);
        }
    }

    let mut groups: Vec<Option<&department::Model>> = vec![None];
    let mut listed: Vec<&department::Model> = inputs
        .departments
        .iter()
        .filter(|d| taking_part.contains(&d.id))
        .collect();
    listed.sort_by(|a, b| a.path.cmp(&b.path));
    groups.extend(listed.into_iter().map(Some));

    let company_name = match inputs.locale {
        Locale::De => "Gesamtes Unternehmen",
        Locale::En => "Whole company",
    };
    groups
        .into_iter()
        .map(|department| {
            let id = department.map(|d| d.id);
            let (unit, previous) = match department {
                None => (
                    inputs.current.total(),
                    inputs.previous.map(RoundAggregates::total),
                ),
                Some(d) => {
                    let ids = &members[&d.id];
                    (inputs.current.sum(ids), inputs.previous.map(|p| p.sum(ids)))
                }
            };
            let counts = Counts {
                invited: unit.invited,
                answered: unit.responses,
            };
            group_report(
                inputs,
                &gates,
                t,
                department,
                id,
                &unit,
                previous.as_ref(),
                counts,
                company_name,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn group_report(
    inputs: &Inputs<'_>,
    gates: &Gates,
    t: u32,
    department: Option<&department::Model>,
    id: Option<i32>,
    unit: &Unit,
    previous: Option<&Unit>,
    counts: Counts,
    company_name: &str,
) -> GroupReport {
    let group_gate = |count: u64, too_few: HiddenReason| -> Result<(), HiddenReason> {
        if !meets_threshold(unit.responses, t) {
            return Err(HiddenReason::NotEnoughAnswers);
        }
        if !gates.groups.shows(id) {
            return Err(HiddenReason::ComplementarySuppression);
        }
        if !meets_threshold(count, t) {
            return Err(too_few);
        }
        Ok(())
    };
    let participation = gate(
        &gates.participation,
        id,
        counts.invited,
        t,
        HiddenReason::NotEnoughAnswers,
        || {
            Shown::Shown(Participation {
                invited: counts.invited,
                answered: counts.answered,
                rate_pct: if counts.invited == 0 {
                    0.0
                } else {
                    counts.answered as f64 * 100.0 / counts.invited as f64
                },
            })
        },
    );
    let responses = match group_gate(unit.responses, HiddenReason::NotEnoughAnswers) {
        Ok(()) => Shown::Shown(unit.responses),
        Err(reason) => Shown::hidden(reason),
    };
    let pillars: Vec<PillarReport> = Pillar::EACH
        .into_iter()
        .enumerate()
        .map(|(p, key)| {
            let through = |basis: Basis, moments: &super::stats::Moments| match group_gate(
                moments.n,
                HiddenReason::NotEnoughAnswers,
            ) {
                Err(reason) => Shown::hidden(reason),
                Ok(()) if !gates.pillars[&(basis, p)].shows(id) => {
                    Shown::hidden(HiddenReason::ComplementarySuppression)
                }
                Ok(()) => show_pillar(moments, t),
            };
            let index = through(Basis::Round, &unit.round[p]);
            let core = through(Basis::Core, &unit.core[p]);
            let change = match (previous, &gates.previous_core) {
                (Some(previous), Some(previous_gates)) => {
                    let before = if previous_gates[&p].shows(id) {
                        show_pillar(&previous.core[p], t)
                    } else {
                        Shown::hidden(HiddenReason::NotEnoughAnswers)
                    };
                    Some(change(&before, &core, DEFAULT_ALPHA))
                }
                _ => None,
            };
            PillarReport {
                key,
                index,
                core,
                change,
            }
        })
        .collect();
    let overall = match responses {
        Shown::Hidden { reason } => Shown::hidden(reason),
        Shown::Shown(_) => show_overall(&[
            pillars[0].index.clone(),
            pillars[1].index.clone(),
            pillars[2].index.clone(),
        ]),
    };
    let text_of = |q: &question::Model| match inputs.locale {
        Locale::De => q.text_de.clone(),
        Locale::En => q.text_en.clone(),
    };
    let mut items = Vec::new();
    let mut net_scores = Vec::new();
    for question in inputs.questions {
        let item_gate = &gates.items[&question.id];
        match question.scale {
            Scale::Likert5 => {
                let histogram = unit.likert.get(&question.id).copied().unwrap_or_default();
                let figures = match group_gate(histogram.n(), HiddenReason::NotEnoughItemAnswers) {
                    Err(reason) => Shown::hidden(reason),
                    Ok(()) if !item_gate.shows(id) => {
                        Shown::hidden(HiddenReason::ComplementarySuppression)
                    }
                    Ok(()) => show_item(&histogram, t),
                };
                items.push(ItemReport {
                    question_id: question.id,
                    key: question.key.clone(),
                    pillar: question.pillar,
                    text: text_of(question),
                    reverse_coded: question.reverse_coded,
                    core: question.core,
                    figures,
                });
            }
            Scale::Nps11 => {
                let histogram = unit.net.get(&question.id).copied().unwrap_or_default();
                let figures = match group_gate(histogram.n(), HiddenReason::NotEnoughItemAnswers) {
                    Err(reason) => Shown::hidden(reason),
                    Ok(()) if !item_gate.shows(id) => {
                        Shown::hidden(HiddenReason::ComplementarySuppression)
                    }
                    Ok(()) => show_net_score(&histogram, t),
                };
                net_scores.push(NetReport {
                    question_id: question.id,
                    key: question.key.clone(),
                    text: text_of(question),
                    figures,
                });
            }
            Scale::Text => {}
        }
    }
    let comments = gate(
        &gates.comments,
        id,
        unit.responses,
        inputs.thresholds.comments.max(t),
        HiddenReason::NotEnoughAnswers,
        || Shown::Shown(unit.comments),
    );
    GroupReport {
        department_id: id,
        parent_id: department.and_then(|d| d.parent_id),
        path: department.map_or_else(String::new, |d| d.path.clone()),
        name: department.map_or_else(|| company_name.to_owned(), |d| d.name.clone()),
        depth: department.map_or(0, |d| d.path.matches(SEPARATOR).count()),
        participation,
        responses,
        pillars,
        overall,
        items,
        net_scores,
        comments,
    }
}

/// Keeps the groups a viewer limited to `scope` (a department subtree) may see; the company
/// group only for a viewer of the whole company.
pub fn within_scope(
    groups: Vec<GroupReport>,
    scope: Option<i32>,
    departments: &[department::Model],
) -> Vec<GroupReport> {
    let Some(root) = scope else {
        return groups;
    };
    let allowed = crate::org::department::subtree_ids(departments, &[root]);
    groups
        .into_iter()
        .filter(|g| g.department_id.is_some_and(|id| allowed.contains(&id)))
        .collect()
}
