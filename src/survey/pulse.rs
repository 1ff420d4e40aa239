//! Which questions a round asks. A pulse of N scored items (the 0-10 item included, the comment
//! extra) always asks the core items, so trends compare like with like, and fills the other
//! slots with the items asked longest ago, so that every active item comes round at least once
//! in every `ROTATION_ROUNDS` rounds of a schedule.

use std::collections::{HashMap, HashSet};

use crate::entities::question;
use crate::problem::Problem;
use crate::vocab::{Pillar, Scale};

pub const DEFAULT_PULSE_SIZE: usize = 8;
/// Every active item is asked at least once in this many consecutive rounds of a schedule.
pub const ROTATION_ROUNDS: usize = 4;
pub const MAX_PULSE_SIZE: usize = 30;

fn is_scored(question: &question::Model) -> bool {
    question.scale != Scale::Text
}

/// The smallest pulse that asks every core item and rotates all other active items through
/// within `ROTATION_ROUNDS` rounds.
pub fn minimum_size(catalog: &[question::Model]) -> usize {
    let scored = catalog.iter().filter(|q| q.active && is_scored(q));
    let (core, rotating): (Vec<_>, Vec<_>) = scored.partition(|q| q.core);
    core.len() + rotating.len().div_ceil(ROTATION_ROUNDS)
}

/// Checks a pulse size HR asked for against the catalog as it is now.
pub fn check_size(catalog: &[question::Model], size: usize) -> Result<(), Problem> {
    let minimum = minimum_size(catalog);
    if size < minimum {
        return Err(Problem::new("problem_pulse_too_small")
            .arg("size", size)
            .arg("rounds", ROTATION_ROUNDS)
            .arg("minimum", minimum));
    }
    if size > MAX_PULSE_SIZE {
        return Err(Problem::new("problem_pulse_too_large")
            .arg("size", size)
            .arg("maximum", MAX_PULSE_SIZE));
    }
    Ok(())
}

/// The question ids of the next pulse. `history` lists the question ids of the schedule's
/// earlier rounds, most recent first. The result is in catalog order, the comment last.
pub fn select(catalog: &[question::Model], size: usize, history: &[Vec<i32>]) -> Vec<i32> {
    let active: Vec<&question::Model> = catalog.iter().filter(|q| q.active).collect();
    let mut chosen: Vec<&question::Model> = active
        .iter()
        .copied()
        .filter(|q| q.core && is_scored(q))
        .collect();

    let rounds_since = rounds_since_asked(history);
    // Never asked counts as longest ago; ties go to the catalog order.
    let overdue = |q: &&question::Model| {
        (
            std::cmp::Reverse(rounds_since.get(&q.id).copied().unwrap_or(usize::MAX)),
            q.position,
        )
    };
    let mut rotating: Vec<&question::Model> = active
        .iter()
        .copied()
        .filter(|q| !q.core && is_scored(q))
        .collect();
    rotating.sort_by_key(overdue);

    // A pillar without an active core item still gets its most overdue item.
    for pillar in Pillar::EACH {
        let covered = chosen.iter().any(|q| q.pillar == Some(pillar));
        if !covered && let Some(item) = rotating.iter().find(|q| q.pillar == Some(pillar)) {
            chosen.push(item);
        }
    }
    let taken: HashSet<i32> = chosen.iter().map(|q| q.id).collect();
    let free = size.saturating_sub(chosen.len());
    chosen.extend(
        rotating
            .into_iter()
            .filter(|q| !taken.contains(&q.id))
            .take(free),
    );

    chosen.sort_by_key(|q| q.position);
    let mut ids: Vec<i32> = chosen.iter().map(|q| q.id).collect();
    ids.extend(active.iter().filter(|q| !is_scored(q)).map(|q| q.id));
    ids
}

/// For each question, how many rounds ago it was last asked (1 = the latest round).
fn rounds_since_asked(history: &[Vec<i32>]) -> HashMap<i32, usize> {
    let mut since = HashMap::new();
    for (age, round) in history.iter().enumerate() {
        for id in round {
            since.entry(*id).or_insert(age + 1);
        }
    }
    since
}

/// The question ids for keys HR listed explicitly, in catalog order. Unknown keys are refused;
/// listed inactive items are asked, since HR chose them by name.
pub fn by_keys(catalog: &[question::Model], keys: &[String]) -> Result<Vec<i32>, Problem> {
    let by_key: HashMap<&str, &question::Model> =
        catalog.iter().map(|q| (q.key.as_str(), q)).collect();
    let unknown: Vec<&str> = keys
        .iter()
        .map(|key| key.trim())
        .filter(|key| !by_key.contains_key(key))
        .collect();
    if !unknown.is_empty() {
        return Err(Problem::new("problem_unknown_questions").arg("keys", unknown.join(", ")));
    }
    let mut chosen: Vec<&question::Model> = keys
        .iter()
        .map(|key| by_key[key.trim()])
        .collect::<Vec<_>>();
    chosen.sort_by_key(|q| q.position);
    chosen.dedup_by_key(|q| q.id);
    if !chosen.iter().any(|q| is_scored(q)) {
        return Err(Problem::new("problem_no_scored_question"));
    }
    Ok(chosen.iter().map(|q| q.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use migration::catalog::CATALOG;

    fn catalog() -> Vec<question::Model> {
        CATALOG
            .iter()
            .enumerate()
            .map(|(index, item)| question::Model {
                id: index as i32 + 1,
                key: item.key.into(),
                pillar: item.pillar.map(|p| p.parse().unwrap()),
                scale: item.scale.parse().unwrap(),
                reverse_coded: item.reverse_coded,
                core: item.core,
                text_de: item.text_de.into(),
                text_en: item.text_en.into(),
                active: item.active,
                position: index as i32,
            })
            .collect()
    }

    fn scored_count(catalog: &[question::Model], ids: &[i32]) -> usize {
        ids.iter()
            .filter(|id| {
                catalog
                    .iter()
                    .any(|q| q.id == **id && q.scale != Scale::Text)
            })
            .count()
    }

    #[test]
    fn the_seeded_catalog_fits_the_default_pulse() {
        let catalog = catalog();
        assert_eq!(minimum_size(&catalog), DEFAULT_PULSE_SIZE);
        assert!(check_size(&catalog, DEFAULT_PULSE_SIZE).is_ok());
        let err = check_size(&catalog, 6).unwrap_err();
        assert_eq!(
            err,
            Problem::new("problem_pulse_too_small")
                .arg("size", 6)
                .arg("rounds", ROTATION_ROUNDS)
                .arg("minimum", 8)
        );
        assert!(check_size(&catalog, 31).is_err());
    }

    #[test]
    fn a_pulse_asks_the_cores_the_recommendation_and_the_comment() {
        let catalog = catalog();
        let ids = select(&catalog, 8, &[]);
        assert_eq!(scored_count(&catalog, &ids), 8);
        let keys: Vec<&str> = ids
            .iter()
            .map(|id| catalog.iter().find(|q| q.id == *id).unwrap().key.as_str())
            .collect();
        for key in [
            "cf_goals_customer_value",
            "ld_leadership_customer_centred",
            "va_values_practised",
            "recommend",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        assert_eq!(*keys.last().unwrap(), "comment");
    }

    #[test]
    fn every_active_item_comes_round_within_every_four_rounds() {
        let catalog = catalog();
        let mut history: Vec<Vec<i32>> = Vec::new();
        for _ in 0..16 {
            let next = select(&catalog, DEFAULT_PULSE_SIZE, &history);
            history.insert(0, next);
        }
        for window in history.windows(ROTATION_ROUNDS) {
            let asked: HashSet<i32> = window.iter().flatten().copied().collect();
            for q in catalog.iter().filter(|q| q.active) {
                assert!(
                    asked.contains(&q.id),
                    "{} missing from a window of 4 rounds",
                    q.key
                );
            }
        }
        let inactive = catalog.iter().find(|q| !q.active).unwrap();
        assert!(
            history.iter().flatten().all(|id| *id != inactive.id),
            "inactive items stay out"
        );
    }

    #[test]
    fn a_pillar_without_a_core_item_is_still_covered() {
        let mut catalog = catalog();
        for q in catalog
            .iter_mut()
            .filter(|q| q.pillar == Some(Pillar::Values) && q.core)
        {
            q.active = false;
        }
        let ids = select(&catalog, 5, &[]);
        assert!(ids.iter().any(|id| {
            catalog
                .iter()
                .any(|q| q.id == *id && q.pillar == Some(Pillar::Values))
        }));
    }

    #[test]
    fn explicit_keys_are_checked_and_ordered_like_the_catalog() {
        let catalog = catalog();
        let ids = by_keys(
            &catalog,
            &["recommend".into(), "va_trust".into(), "va_trust".into()],
        )
        .unwrap();
        assert_eq!(ids.len(), 2);
        let err = by_keys(&catalog, &["va_trust".into(), "nope".into()]).unwrap_err();
        assert_eq!(
            err,
            Problem::new("problem_unknown_questions").arg("keys", "nope")
        );
        assert!(by_keys(&catalog, &["comment".into()]).is_err());
    }
}
