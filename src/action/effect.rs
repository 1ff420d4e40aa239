//! Measured, not claimed: an action's item or pillar in its department, in the round it
//! started from and in every closed round since, with 95 % intervals and Welch's test against
//! the start. Only figures the report shows (threshold and complementary suppression decided
//! there), so the effect of an action never reveals a small group.

use super::rules::Subject;
use super::store::ActionRecord;
use crate::error::{AppError, AppResult};
use crate::report::aggregate;
use crate::report::context::Reports;
use crate::report::query::{self, Reader};
use crate::report::results::GroupReport;
use crate::report::stats::{self, Change, HiddenReason, ItemFigures, Moments, PillarIndex, Shown};
use crate::report::trend::RoundLabel;

/// Significance level of the test against the start, as on the dashboard.
const ALPHA: f64 = 0.05;

/// The figure in one round.
#[derive(Debug, Clone)]
pub struct Measure {
    pub round: RoundLabel,
    /// The item's score or the pillar's core index, 0–100; `None` when the round did not ask
    /// the item (or did not include the department).
    pub figure: Option<Shown<PillarIndex>>,
    /// An item's share of favourable answers.
    pub favourable: Option<f64>,
    /// Against the round the action started from; `None` for that round itself.
    pub change: Option<Shown<Change>>,
}

/// What the rounds since the start say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// No closed round since the start shows the figure yet.
    NotYet,
    /// The latest round that shows it differs from the start within noise.
    NoChange { difference: f64 },
    /// Beyond noise (Welch's test), up or down.
    Moved { difference: f64, p: f64 },
    /// The start itself is hidden: nothing can be compared.
    Hidden(HiddenReason),
}

#[derive(Debug, Clone)]
pub struct Effect {
    pub measures: Vec<Measure>,
    pub verdict: Verdict,
}

/// An item's answers as scores 0–100, like a respondent's pillar score of one item, so that
/// items and pillars read on one scale.
pub fn item_moments(figures: &ItemFigures) -> Moments {
    let mut moments = Moments::default();
    for (i, count) in figures.distribution.iter().enumerate() {
        let score = stats::likert_to_score((i + 1) as f64);
        moments.n += count;
        moments.sum += score * *count as f64;
        moments.sum_sq += score * score * *count as f64;
    }
    moments
}

/// The figure of `subject` in `group`: `None` when the round did not ask the item.
fn figure(group: &GroupReport, subject: Subject) -> Option<(Shown<PillarIndex>, Option<f64>)> {
    match subject {
        Subject::Item(id) => {
            let item = group.items.iter().find(|i| i.question_id == id)?;
            Some(match &item.figures {
                Shown::Shown(f) => (
                    PillarIndex::from_moments(&item_moments(f)).map_or(
                        Shown::hidden(HiddenReason::NotEnoughItemAnswers),
                        Shown::Shown,
                    ),
                    Some(f.favourable_pct),
                ),
                Shown::Hidden { reason } => (Shown::hidden(*reason), None),
            })
        }
        Subject::Pillar(pillar) => {
            let p = group.pillars.iter().find(|p| p.key == pillar)?;
            Some((p.core.clone(), None))
        }
    }
}

/// The action's figure from its round on, as `reader` may see it.
pub async fn of(reports: &Reports, reader: Reader, record: &ActionRecord) -> AppResult<Effect> {
    let tz = reports.settings.timezone;
    let closed = aggregate::closed_rounds(&reports.db).await?;
    let start = closed
        .iter()
        .position(|r| r.id == record.round.id)
        .ok_or(AppError::NotFound)?;
    let subject = record.subject();
    let mut measures = Vec::new();
    let mut origin: Option<Shown<PillarIndex>> = None;
    for round in &closed[start..] {
        let results = match query::round_results(reports, reader, round.id).await {
            Ok(results) => results,
            Err(AppError::NotFound) => continue,
            Err(other) => return Err(other),
        };
        let found = results
            .groups
            .iter()
            .find(|g| g.department_id == Some(record.department.id))
            .and_then(|g| figure(g, subject));
        let (figure, favourable) = match found {
            Some((figure, favourable)) => (Some(figure), favourable),
            None => (None, None),
        };
        let change = match (&origin, &figure) {
            (Some(first), Some(now)) => Some(stats::change(first, now, ALPHA)),
            _ => None,
        };
        if round.id == record.round.id {
            origin = figure.clone();
        }
        measures.push(Measure {
            round: query::label(round, tz),
            figure,
            favourable,
            change,
        });
    }
    Ok(Effect {
        verdict: verdict(&measures),
        measures,
    })
}

/// Pure: the verdict of the measures, the first being the start.
pub fn verdict(measures: &[Measure]) -> Verdict {
    match measures.first().and_then(|m| m.figure.as_ref()) {
        Some(Shown::Hidden { reason }) => return Verdict::Hidden(*reason),
        None => return Verdict::NotYet,
        Some(Shown::Shown(_)) => {}
    }
    let latest = measures[1..].iter().rev().find_map(|m| match &m.change {
        Some(Shown::Shown(change)) => Some(*change),
        _ => None,
    });
    match latest {
        None => Verdict::NotYet,
        Some(change) if change.significant => Verdict::Moved {
            difference: change.difference,
            p: change.p,
        },
        Some(change) => Verdict::NoChange {
            difference: change.difference,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(distribution: [u64; 5]) -> ItemFigures {
        let n: u64 = distribution.iter().sum();
        let favourable = (distribution[3] + distribution[4]) as f64 * 100.0 / n as f64;
        ItemFigures {
            n,
            mean: 0.0,
            favourable_pct: favourable,
            neutral_pct: 0.0,
            unfavourable_pct: 0.0,
            cant_judge_pct: 0.0,
            distribution,
        }
    }

    fn measure(distribution: Option<[u64; 5]>, origin: Option<&Shown<PillarIndex>>) -> Measure {
        let figure = distribution
            .map(|d| Shown::Shown(PillarIndex::from_moments(&item_moments(&figures(d))).unwrap()));
        let change = match (origin, &figure) {
            (Some(o), Some(f)) => Some(stats::change(o, f, ALPHA)),
            _ => None,
        };
        Measure {
            round: RoundLabel {
                id: 0,
                title: String::new(),
                date: String::new(),
            },
            figure,
            favourable: None,
            change,
        }
    }

    #[test]
    fn item_answers_read_on_the_pillar_scale() {
        // Two answers of 1 and two of 5: scores 0 and 100, mean 50.
        let m = item_moments(&figures([2, 0, 0, 0, 2]));
        assert_eq!(m.n, 4);
        assert_eq!(m.mean(), Some(50.0));
    }

    #[test]
    fn a_change_within_noise_is_called_so() {
        let start = measure(Some([2, 3, 3, 2, 1]), None);
        let origin = start.figure.clone().unwrap();
        let later = measure(Some([2, 2, 3, 3, 1]), Some(&origin));
        match verdict(&[start, later]) {
            Verdict::NoChange { difference } => assert!(difference > 0.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_clear_rise_is_called_so_and_later_rounds_count() {
        let start = measure(Some([4, 5, 1, 0, 0]), None);
        let origin = start.figure.clone().unwrap();
        let not_asked = measure(None, Some(&origin));
        let risen = measure(Some([0, 0, 1, 5, 4]), Some(&origin));
        match verdict(&[start.clone(), risen, not_asked]) {
            Verdict::Moved { difference, p } => {
                assert!(difference > 40.0 && p < 0.05, "{difference} {p}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(verdict(&[start]), Verdict::NotYet);
    }

    #[test]
    fn a_hidden_start_compares_nothing() {
        let hidden = Measure {
            figure: Some(Shown::hidden(HiddenReason::NotEnoughAnswers)),
            ..measure(None, None)
        };
        assert_eq!(
            verdict(&[hidden]),
            Verdict::Hidden(HiddenReason::NotEnoughAnswers)
        );
    }
}
