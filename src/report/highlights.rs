//! What a reader should see first about one group of a round: its strongest and weakest items,
//! what rose or fell significantly since the previous round, and which groups below it most
//! need attention. Pure: it reads only figures the results already show (threshold and
//! complementary suppression decided there), so a hidden figure can neither be named nor
//! ranked, and ranking the shown ones reveals nothing the pages do not already show.

use serde::Serialize;

use super::results::{GroupReport, ItemReport};
use super::stats::Shown;
use crate::vocab::Pillar;

/// How many items, changes and groups each list names at most.
pub const TOP: usize = 3;

/// A department counts as falling behind its reference from this many index points below.
pub const BEHIND_POINTS: f64 = 5.0;

/// A pillar counts as falling behind from this many index points below the focus group's.
pub const PILLAR_BEHIND_POINTS: f64 = 10.0;

/// An item's favourable share must differ from the reference's by this many percentage points
/// to be called a strength or a weakness of a department; smaller differences are noise for
/// the group sizes the threshold allows.
pub const ITEM_POINTS: f64 = 5.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStanding {
    pub question_id: i32,
    pub text: String,
    pub pillar: Option<Pillar>,
    pub reverse_coded: bool,
    /// Favourable share of the group, 0–100 (reverse-worded items already turned).
    pub favourable_pct: f64,
    /// The reference group's share and the difference to it, when compared with one.
    pub against: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PillarMove {
    pub pillar: Pillar,
    /// Core index points against the previous round.
    pub difference: f64,
    /// Welch's two-sided p.
    pub p: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Concern {
    /// A pillar fell significantly since the previous round.
    Fell(PillarMove),
    /// The overall index lies this many points below the focus group's.
    Behind { difference: f64 },
    /// One pillar's index lies this many points below the focus group's.
    PillarBehind { pillar: Pillar, difference: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    pub department_id: i32,
    pub name: String,
    pub path: String,
    /// Most telling first: significant falls, then the distances behind.
    pub concerns: Vec<Concern>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Highlights {
    pub strengths: Vec<ItemStanding>,
    pub weaknesses: Vec<ItemStanding>,
    pub rises: Vec<PillarMove>,
    pub falls: Vec<PillarMove>,
    pub attention: Vec<Attention>,
    /// Whether the round had a previous one to compare with (otherwise no change can be told).
    pub compared: bool,
}

/// The highlights of `focus`. `reference`: the larger group its items are compared with (the
/// company for a department), `None` when `focus` is the reader's top: then its items are
/// ranked by their own favourable share. `below`: every group under `focus` the reader may
/// see, at any depth.
pub fn of(
    focus: &GroupReport,
    reference: Option<&GroupReport>,
    below: &[&GroupReport],
    compared: bool,
) -> Highlights {
    let (strengths, weaknesses) = standings(focus, reference);
    let (rises, falls) = moves(focus);
    Highlights {
        strengths,
        weaknesses,
        rises,
        falls,
        attention: attention(focus, below),
        compared,
    }
}

fn favourable(item: &ItemReport) -> Option<f64> {
    match &item.figures {
        Shown::Shown(f) => Some(f.favourable_pct),
        Shown::Hidden { .. } => None,
    }
}

fn standing(item: &ItemReport, own: f64, reference: Option<&GroupReport>) -> ItemStanding {
    let against = reference
        .and_then(|r| r.items.iter().find(|i| i.question_id == item.question_id))
        .and_then(favourable)
        .map(|theirs| (theirs, own - theirs));
    ItemStanding {
        question_id: item.question_id,
        text: item.text.clone(),
        pillar: item.pillar,
        reverse_coded: item.reverse_coded,
        favourable_pct: own,
        against,
    }
}

/// Best and worst items. Against a reference: by the difference, only beyond
/// [`ITEM_POINTS`]; without one: by the share itself, the shown items split so that no item is
/// both.
fn standings(
    focus: &GroupReport,
    reference: Option<&GroupReport>,
) -> (Vec<ItemStanding>, Vec<ItemStanding>) {
    let mut shown: Vec<ItemStanding> = focus
        .items
        .iter()
        .filter_map(|item| favourable(item).map(|own| standing(item, own, reference)))
        .collect();
    match reference {
        Some(_) => {
            shown.retain(|s| s.against.is_some());
            let by = |s: &ItemStanding| s.against.map_or(0.0, |(_, d)| d);
            shown.sort_by(|a, b| by(b).total_cmp(&by(a)));
            let strengths = shown
                .iter()
                .filter(|s| by(s) >= ITEM_POINTS)
                .take(TOP)
                .cloned()
                .collect();
            let weaknesses = shown
                .iter()
                .rev()
                .filter(|s| by(s) <= -ITEM_POINTS)
                .take(TOP)
                .cloned()
                .collect();
            (strengths, weaknesses)
        }
        None => {
            shown.sort_by(|a, b| b.favourable_pct.total_cmp(&a.favourable_pct));
            let each = TOP.min(shown.len() / 2);
            let weaknesses = shown.iter().rev().take(each).cloned().collect();
            shown.truncate(each);
            (shown, weaknesses)
        }
    }
}

fn significant_moves(group: &GroupReport) -> impl Iterator<Item = PillarMove> + '_ {
    group.pillars.iter().filter_map(|p| match &p.change {
        Some(Shown::Shown(c)) if c.significant => Some(PillarMove {
            pillar: p.key,
            difference: c.difference,
            p: c.p,
        }),
        _ => None,
    })
}

/// Significant rises (largest first) and falls (deepest first): only Welch's test decides
/// what is called a change.
fn moves(focus: &GroupReport) -> (Vec<PillarMove>, Vec<PillarMove>) {
    let (mut rises, mut falls): (Vec<_>, Vec<_>) =
        significant_moves(focus).partition(|m| m.difference > 0.0);
    rises.sort_by(|a, b| b.difference.total_cmp(&a.difference));
    falls.sort_by(|a, b| a.difference.total_cmp(&b.difference));
    (rises, falls)
}

fn overall(group: &GroupReport) -> Option<f64> {
    group.overall.as_shown().map(|o| o.index)
}

/// The pillars of `group` at least [`PILLAR_BEHIND_POINTS`] below the same pillar of `focus`.
fn pillars_behind(group: &GroupReport, focus: &GroupReport) -> Vec<Concern> {
    group
        .pillars
        .iter()
        .zip(&focus.pillars)
        .filter(|(own, top)| own.key == top.key)
        .filter_map(|(own, top)| {
            let difference = own.index.as_shown()?.index - top.index.as_shown()?.index;
            (difference <= -PILLAR_BEHIND_POINTS).then_some(Concern::PillarBehind {
                pillar: own.key,
                difference,
            })
        })
        .collect()
}

/// Groups below `focus` with a significant fall, an overall index at least [`BEHIND_POINTS`]
/// or a pillar at least [`PILLAR_BEHIND_POINTS`] below the focus group's: most falls first,
/// then the furthest behind.
fn attention(focus: &GroupReport, below: &[&GroupReport]) -> Vec<Attention> {
    let top = overall(focus);
    let mut found: Vec<(usize, f64, Attention)> = below
        .iter()
        .filter_map(|group| {
            let department_id = group.department_id?;
            let mut falls: Vec<PillarMove> = significant_moves(group)
                .filter(|m| m.difference < 0.0)
                .collect();
            falls.sort_by(|a, b| a.difference.total_cmp(&b.difference));
            let count = falls.len();
            let mut concerns: Vec<Concern> = falls.into_iter().map(Concern::Fell).collect();
            if let (Some(own), Some(top)) = (overall(group), top)
                && own - top <= -BEHIND_POINTS
            {
                concerns.push(Concern::Behind {
                    difference: own - top,
                });
            }
            concerns.extend(pillars_behind(group, focus));
            let worst = concerns
                .iter()
                .map(|c| match c {
                    Concern::Fell(_) => 0.0,
                    Concern::Behind { difference } | Concern::PillarBehind { difference, .. } => {
                        *difference
                    }
                })
                .fold(0.0, f64::min);
            (!concerns.is_empty()).then(|| {
                (
                    count,
                    worst,
                    Attention {
                        department_id,
                        name: group.name.clone(),
                        path: group.path.clone(),
                        concerns,
                    },
                )
            })
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.total_cmp(&b.1)));
    found.into_iter().take(TOP).map(|(_, _, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::{Participation, PillarReport};
    use crate::report::stats::{
        Change, HiddenReason, ItemFigures, Moments, OverallIndex, PillarIndex,
    };

    fn figures(favourable_pct: f64) -> Shown<ItemFigures> {
        Shown::Shown(ItemFigures {
            n: 10,
            mean: 3.0,
            favourable_pct,
            neutral_pct: 0.0,
            unfavourable_pct: 100.0 - favourable_pct,
            cant_judge_pct: 0.0,
            distribution: [0; 5],
        })
    }

    fn item(question_id: i32, figures: Shown<ItemFigures>) -> ItemReport {
        ItemReport {
            question_id,
            key: format!("q{question_id}"),
            pillar: Some(Pillar::Values),
            text: format!("Frage {question_id}"),
            reverse_coded: false,
            core: false,
            figures,
        }
    }

    fn index(value: f64) -> PillarIndex {
        PillarIndex::from_moments(&Moments::from_values([value - 1.0, value + 1.0]))
            .expect("an index")
    }

    fn pillar(key: Pillar, change: Option<(f64, bool)>) -> PillarReport {
        PillarReport {
            key,
            index: Shown::Shown(index(60.0)),
            core: Shown::Shown(index(60.0)),
            change: change.map(|(difference, significant)| {
                Shown::Shown(Change {
                    difference,
                    p: if significant { 0.01 } else { 0.4 },
                    significant,
                })
            }),
        }
    }

    fn group(id: Option<i32>, overall: Option<f64>, items: Vec<ItemReport>) -> GroupReport {
        GroupReport {
            department_id: id,
            parent_id: None,
            path: format!("Bereich {id:?}"),
            name: format!("Bereich {id:?}"),
            depth: 0,
            participation: Shown::Shown(Participation {
                invited: 20,
                answered: 10,
                rate_pct: 50.0,
            }),
            responses: Shown::Shown(10),
            pillars: Pillar::EACH.iter().map(|p| pillar(*p, None)).collect(),
            overall: match overall {
                Some(index) => Shown::Shown(OverallIndex { index, ci95: None }),
                None => Shown::hidden(HiddenReason::NotEnoughAnswers),
            },
            items,
            net_scores: Vec::new(),
            comments: Shown::hidden(HiddenReason::NotEnoughAnswers),
        }
    }

    #[test]
    fn the_top_ranks_its_items_by_their_share_and_never_names_one_twice() {
        let company = group(
            None,
            Some(60.0),
            (1..=5)
                .map(|q| item(q, figures(f64::from(q) * 10.0)))
                .collect(),
        );
        let h = of(&company, None, &[], true);
        let ids = |list: &[ItemStanding]| list.iter().map(|s| s.question_id).collect::<Vec<_>>();
        // Five items: two strongest, two weakest, the middle one in neither.
        assert_eq!(ids(&h.strengths), [5, 4]);
        assert_eq!(ids(&h.weaknesses), [1, 2]);
    }

    #[test]
    fn a_department_is_strong_or_weak_only_against_the_company_and_beyond_noise() {
        let company = group(
            None,
            Some(60.0),
            (1..=4).map(|q| item(q, figures(50.0))).collect(),
        );
        let department = group(
            Some(7),
            Some(58.0),
            vec![
                item(1, figures(70.0)),
                item(2, figures(53.0)),
                item(3, figures(30.0)),
                item(4, Shown::hidden(HiddenReason::NotEnoughItemAnswers)),
            ],
        );
        let h = of(&department, Some(&company), &[], true);
        assert_eq!(h.strengths.len(), 1);
        assert_eq!(h.strengths[0].question_id, 1);
        assert_eq!(h.strengths[0].against, Some((50.0, 20.0)));
        assert_eq!(h.weaknesses.len(), 1);
        assert_eq!(h.weaknesses[0].question_id, 3);
        // 3 points above the company is noise; the hidden item is never named.
        assert!(
            h.strengths
                .iter()
                .chain(&h.weaknesses)
                .all(|s| s.question_id != 2 && s.question_id != 4)
        );
    }

    #[test]
    fn only_significant_changes_are_called_rises_and_falls() {
        let mut company = group(None, Some(60.0), Vec::new());
        company.pillars = vec![
            pillar(Pillar::CustomerFocus, Some((6.0, true))),
            pillar(Pillar::Leadership, Some((-9.0, false))),
            pillar(Pillar::Values, Some((-4.0, true))),
        ];
        let h = of(&company, None, &[], true);
        assert_eq!(h.rises.len(), 1);
        assert_eq!(h.rises[0].pillar, Pillar::CustomerFocus);
        assert_eq!(h.falls.len(), 1);
        assert_eq!(h.falls[0].pillar, Pillar::Values);
    }

    #[test]
    fn the_groups_needing_attention_are_those_falling_or_behind_worst_first() {
        let company = group(None, Some(60.0), Vec::new());
        let mut falling = group(Some(1), Some(59.0), Vec::new());
        falling.pillars[1] = pillar(Pillar::Leadership, Some((-12.0, true)));
        let far_behind = group(Some(2), Some(48.0), Vec::new());
        let a_bit_behind = group(Some(3), Some(54.0), Vec::new());
        let fine = group(Some(4), Some(58.0), Vec::new());
        let hidden = group(Some(5), None, Vec::new());
        let below = [&fine, &a_bit_behind, &far_behind, &hidden, &falling];
        let h = of(&company, None, &below, true);
        let ids: Vec<i32> = h.attention.iter().map(|a| a.department_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(matches!(h.attention[0].concerns[0], Concern::Fell(_)));
        assert_eq!(
            h.attention[1].concerns,
            [Concern::Behind { difference: -12.0 }]
        );
    }

    #[test]
    fn a_department_far_behind_on_one_pillar_needs_attention_too() {
        let company = group(None, Some(60.0), Vec::new());
        let mut one_pillar = group(Some(9), Some(57.0), Vec::new());
        one_pillar.pillars[1].index = Shown::Shown(index(47.0));
        let mut a_little = group(Some(8), Some(58.0), Vec::new());
        a_little.pillars[1].index = Shown::Shown(index(52.0));
        let h = of(&company, None, &[&a_little, &one_pillar], true);
        assert_eq!(h.attention.len(), 1);
        assert_eq!(h.attention[0].department_id, 9);
        match &h.attention[0].concerns[..] {
            [Concern::PillarBehind { pillar, difference }] => {
                assert_eq!(*pillar, Pillar::Leadership);
                assert!((difference + 13.0).abs() < 1e-9, "{difference}");
            }
            other => panic!("{other:?}"),
        }
    }
}
