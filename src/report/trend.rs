//! One group over the closed rounds: the pillar indices over their core items (like with
//! like, DECISIONS.md "Trends compare like with like") and the overall index, each round gated
//! by the threshold and complementary suppression exactly as that round's results are.

use serde::Serialize;

use super::aggregate::RoundAggregates;
use super::results::{counts, placed};
use super::stats::{
    Change, DEFAULT_ALPHA, HiddenReason, OverallIndex, PillarIndex, Shown, change, meets_threshold,
    show_overall, show_pillar,
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
    /// Per pillar (in the order of `pillars`), the core index against the previous closed
    /// round, Welch's t-test, as that round's results show it; `None` where the previous closed
    /// round is not in this trend (the first one, or the group was not in it).
    pub changes: Vec<Option<Shown<Change>>>,
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
    let each: Vec<Option<TrendRound>> = rounds
        .iter()
        .map(|(label, aggregates)| round_of(label, aggregates, group, scope, threshold))
        .collect();
    let changes: Vec<Vec<Option<Shown<Change>>>> = (0..each.len())
        .map(|i| {
            let previous = i.checked_sub(1).and_then(|p| each[p].as_ref());
            each[i]
                .as_ref()
                .map_or_else(Vec::new, |round| changes(previous, round))
        })
        .collect();
    each.into_iter()
        .zip(changes)
        .filter_map(|(round, changes)| round.map(|round| TrendRound { changes, ..round }))
        .collect()
}

/// Each pillar's change from `previous` (the closed round before, if the trend has it).
fn changes(previous: Option<&TrendRound>, current: &TrendRound) -> Vec<Option<Shown<Change>>> {
    (0..Pillar::EACH.len())
        .map(|p| {
            previous.map(|before| change(&before.pillars[p], &current.pillars[p], DEFAULT_ALPHA))
        })
        .collect()
}

/// One round of the trend, without its changes; `None` where the group is left out.
fn round_of(
    label: &RoundLabel,
    aggregates: &RoundAggregates,
    group: Option<i32>,
    scope: Option<i32>,
    threshold: u32,
) -> Option<TrendRound> {
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
        changes: Vec::new(),
    })
}

/// The chart's data: hidden rounds become gaps, and a pillar's point whose change against
/// the previous round is significant is marked. A change is only ever shown between two shown
/// figures (`stats::change`), so no hidden round and no point after a gap is marked.
pub fn chart_data(
    trend: &[TrendRound],
    pillar_labels: &[String; 3],
    overall: &str,
) -> charts::TrendData {
    charts::TrendData {
        rounds: trend.iter().map(|r| chart_date(&r.round)).collect(),
        responses: trend
            .iter()
            .map(|r| r.responses.as_shown().copied())
            .collect(),
        overall: charts::TrendLine {
            label: overall.to_owned(),
            points: trend
                .iter()
                .map(|r| {
                    r.overall.as_shown().map(|o| charts::TrendPoint {
                        value: o.index,
                        ci95: o.ci95.map(|c| (c.low, c.high)),
                        // The overall index has no test of its own: its pillars carry the marks.
                        significant: None,
                    })
                })
                .collect(),
        },
        pillars: pillar_labels
            .iter()
            .enumerate()
            .map(|(p, label)| charts::TrendLine {
                label: label.clone(),
                points: trend.iter().map(|r| pillar_point(r, p)).collect(),
            })
            .collect(),
        // What happened between the rounds is the caller's to add (`charts::with_marks`).
        marks: Vec::new(),
    }
}

fn pillar_point(round: &TrendRound, pillar: usize) -> Option<charts::TrendPoint> {
    let index = round.pillars[pillar].as_shown()?;
    let significant = match round.changes.get(pillar) {
        Some(Some(Shown::Shown(c))) if c.significant => Some(if c.difference > 0.0 {
            charts::Significant::Rise
        } else {
            charts::Significant::Fall
        }),
        _ => None,
    };
    Some(charts::TrendPoint {
        value: index.index,
        ci95: index.ci95.map(|c| (c.low, c.high)),
        significant,
    })
}

/// The day a round opened, from its label (`YYYY-MM-DD`, written by `query::label`). A label
/// that is not a date gives day 0, which the chart refuses with the reason rather than drawing
/// a wrong axis.
fn chart_date(label: &RoundLabel) -> charts::RoundDate {
    use chrono::Datelike;
    match chrono::NaiveDate::parse_from_str(&label.date, "%Y-%m-%d") {
        Ok(date) => charts::RoundDate {
            year: date.year(),
            month: date.month(),
            day: date.day(),
        },
        Err(_) => charts::RoundDate {
            year: 0,
            month: 0,
            day: 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::Moments;

    fn label(id: i32, date: &str) -> RoundLabel {
        RoundLabel {
            id,
            title: format!("R{id}"),
            date: date.to_owned(),
        }
    }

    /// A shown round whose three pillars have these respondents' scores.
    fn shown(id: i32, date: &str, scores: [f64; 6]) -> TrendRound {
        let index = show_pillar(&Moments::from_values(scores), 5);
        let pillars = vec![index.clone(), index.clone(), index];
        TrendRound {
            round: label(id, date),
            responses: Shown::Shown(6),
            overall: show_overall(&[pillars[0].clone(), pillars[1].clone(), pillars[2].clone()]),
            pillars,
            changes: Vec::new(),
        }
    }

    fn hidden(id: i32, date: &str) -> TrendRound {
        TrendRound {
            round: label(id, date),
            responses: Shown::hidden(HiddenReason::NotEnoughAnswers),
            pillars: vec![Shown::hidden(HiddenReason::NotEnoughAnswers); 3],
            overall: Shown::hidden(HiddenReason::NotEnoughAnswers),
            changes: Vec::new(),
        }
    }

    /// `rounds` as `build` leaves them: each with its changes from the one before.
    fn with_changes(rounds: Vec<TrendRound>) -> Vec<TrendRound> {
        let each: Vec<Option<&TrendRound>> = rounds.iter().map(Some).collect();
        rounds
            .iter()
            .enumerate()
            .map(|(i, round)| TrendRound {
                changes: changes(i.checked_sub(1).and_then(|p| each[p]), round),
                ..round.clone()
            })
            .collect()
    }

    fn marks(data: &charts::TrendData) -> Vec<Vec<Option<charts::Significant>>> {
        data.pillars
            .iter()
            .map(|line| {
                line.points
                    .iter()
                    .map(|p| p.and_then(|p| p.significant))
                    .collect()
            })
            .collect()
    }

    const LOW: [f64; 6] = [40.0, 45.0, 50.0, 42.0, 48.0, 46.0];
    const NEAR_LOW: [f64; 6] = [41.0, 46.0, 49.0, 44.0, 47.0, 45.0];
    const HIGH: [f64; 6] = [80.0, 85.0, 90.0, 82.0, 88.0, 86.0];

    fn labels() -> [String; 3] {
        ["A", "B", "C"].map(String::from)
    }

    #[test]
    fn only_significant_changes_between_shown_rounds_are_marked() {
        use charts::Significant::{Fall, Rise};
        let trend = with_changes(vec![
            shown(1, "2026-01-12", LOW),
            shown(2, "2026-02-09", NEAR_LOW),
            shown(3, "2026-03-09", HIGH),
            hidden(4, "2026-04-13"),
            // After a gap: a change from a hidden figure would reveal it, so none is shown.
            shown(5, "2026-05-11", LOW),
            shown(6, "2026-06-08", HIGH),
            shown(7, "2026-07-13", LOW),
        ]);
        let data = chart_data(&trend, &labels(), "Overall");
        let expected = vec![None, None, Some(Rise), None, None, Some(Rise), Some(Fall)];
        assert_eq!(marks(&data), vec![expected.clone(); 3]);
        assert!(
            data.overall
                .points
                .iter()
                .flatten()
                .all(|p| p.significant.is_none())
        );
        assert!(
            data.pillars[0].points[3].is_none(),
            "the hidden round stays a gap"
        );
        assert!(
            trend[4]
                .changes
                .iter()
                .all(|c| matches!(c, Some(Shown::Hidden { .. })))
        );
        assert!(
            trend[0].changes.iter().all(Option::is_none),
            "nothing before the first"
        );
    }

    #[test]
    fn rounds_are_dated_by_the_day_they_opened() {
        let data = chart_data(&[shown(1, "2026-10-05", LOW)], &labels(), "Overall");
        assert_eq!(
            data.rounds,
            vec![charts::RoundDate {
                year: 2026,
                month: 10,
                day: 5
            }]
        );
        let broken = chart_data(&[shown(1, "Oktober", LOW)], &labels(), "Overall");
        let texts = crate::report::charts::trend(&[], "x", crate::i18n::Locale::De);
        let crate::report::charts::Chart::Trend(_, texts) = texts else {
            unreachable!()
        };
        let refused = charts::trend_svg(&broken, &texts, charts::Size::new(800, 450));
        assert!(matches!(refused, Err(charts::ChartError::InvalidData(_))));
    }
}
