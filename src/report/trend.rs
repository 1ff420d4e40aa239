//! One group over the closed rounds: the pillar indices over their core items (like with
//! like, DECISIONS.md "Trends compare like with like") and the overall index, each round gated
//! by the threshold and complementary suppression exactly as that round's results are.

use serde::Serialize;

use super::aggregate::RoundAggregates;
use super::results::{counts, placed};
use super::stats::{
    HiddenReason, OverallIndex, PillarIndex, Shown, meets_threshold, show_overall, show_pillar,
};
use super::suppress::{Tree, tree_nodes};
use crate::org::department::subtree_ids;
use crate::vocab::{Basis, Pillar};
use kundenpuls_charts as charts;

/// A closed round as the trend names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundLabel {
    pub id: i32,
    pub title: String,
    /// The local date the round opened, `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendRound {
    pub round: RoundLabel,
    pub responses: Shown<u64>,
    /// Core items only, in the order of [`Pillar::EACH`].
    pub pillars: Vec<Shown<PillarIndex>>,
    pub overall: Shown<OverallIndex>,
}

/// The trend of one group (`None`: the company) over these rounds, oldest first. Each round
/// is read over its own tree (the departments as it saw them), so a reorganisation changes no
/// point of the past. A round in which the group had no invitations, did not exist, or lay
/// outside the reader's `scope` is left out rather than shown as a gap.
pub fn build(
    rounds: &[(RoundLabel, &RoundAggregates)],
    group: Option<i32>,
    scope: Option<i32>,
    threshold: u32,
) -> Vec<TrendRound> {
    rounds
        .iter()
        .filter_map(|(label, aggregates)| {
            let departments = &aggregates.departments;
            if let Some(root) = scope {
                let allowed = subtree_ids(departments, &[root]);
                if !group.is_some_and(|g| allowed.contains(&g)) {
                    return None;
                }
            }
            let unit = match group {
                None => aggregates.sum_headline(aggregates.units.keys()),
                Some(root) => aggregates.sum_headline(&subtree_ids(departments, &[root])),
            };
            if unit.invited == 0 && unit.responses == 0 {
                return None;
            }
            let tree = Tree::new(&tree_nodes(departments));
            let placed = placed(&tree, aggregates);
            let groups = tree.visible(&counts(&placed, |u| u.responses), threshold, None);
            let group_hidden = if !meets_threshold(unit.responses, threshold) {
                Some(HiddenReason::NotEnoughAnswers)
            } else if !groups.shows(group) {
                Some(HiddenReason::ComplementarySuppression)
            } else {
                None
            };
            let pillars: Vec<Shown<PillarIndex>> = (0..Pillar::EACH.len())
                .map(|p| {
                    if let Some(reason) = group_hidden {
                        return Shown::hidden(reason);
                    }
                    let moments = &unit.pillars(Basis::Core)[p];
                    if !meets_threshold(moments.n, threshold) {
                        return Shown::hidden(HiddenReason::NotEnoughAnswers);
                    }
                    let gate = tree.visible(
                        &counts(&placed, |u| u.pillars(Basis::Core)[p].n),
                        threshold,
                        Some(&groups),
                    );
                    if !gate.shows(group) {
                        return Shown::hidden(HiddenReason::ComplementarySuppression);
                    }
                    show_pillar(moments, threshold)
                })
                .collect();
            let overall = match group_hidden {
                Some(reason) => Shown::hidden(reason),
                None => show_overall(&[pillars[0].clone(), pillars[1].clone(), pillars[2].clone()]),
            };
            Some(TrendRound {
                round: label.clone(),
                responses: match group_hidden {
                    Some(reason) => Shown::hidden(reason),
                    None => Shown::Shown(unit.responses),
                },
                pillars,
                overall,
            })
        })
        .collect()
}

/// The chart's data: hidden rounds become gaps.
pub fn chart_data(
    trend: &[TrendRound],
    pillar_labels: &[String; 3],
    overall: &str,
) -> charts::TrendData {
    let point = |index: Option<(f64, Option<(f64, f64)>)>| {
        index.map(|(value, ci95)| charts::TrendPoint { value, ci95 })
    };
    charts::TrendData {
        rounds: trend.iter().map(|r| r.round.date.clone()).collect(),
        responses: trend
            .iter()
            .map(|r| r.responses.as_shown().copied())
            .collect(),
        overall: charts::TrendLine {
            label: overall.to_owned(),
            points: trend
                .iter()
                .map(|r| {
                    point(
                        r.overall
                            .as_shown()
                            .map(|o| (o.index, o.ci95.map(|c| (c.low, c.high)))),
                    )
                })
                .collect(),
        },
        pillars: pillar_labels
            .iter()
            .enumerate()
            .map(|(p, label)| charts::TrendLine {
                label: label.clone(),
                points: trend
                    .iter()
                    .map(|r| {
                        point(
                            r.pillars[p]
                                .as_shown()
                                .map(|i| (i.index, i.ci95.map(|c| (c.low, c.high)))),
                        )
                    })
                    .collect(),
            })
            .collect(),
    }
}
