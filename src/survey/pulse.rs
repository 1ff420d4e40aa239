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
/// earlier rounds, most recent first. `pinned`: items open actions answer, most urgent first;
/// they are asked in the slots the rotation can spare, so that an action's effect is measured
/// in every round while every other item still comes round within `ROTATION_ROUNDS`. The
/// result is in catalog order, the comment last.
pub fn select(
    catalog: &[question::Model],
    size: usize,
    history: &[Vec<i32>],
    pinned: &[i32],
) -> Vec<i32> {
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
    // The rotation comes first: pinned items take only the slots it can spare in this round
    // (see `spare_slots`), the rest of the rotation what remains, most overdue first.
    let mut taken: HashSet<i32> = chosen.iter().map(|q| q.id).collect();
    let free = size.saturating_sub(chosen.len());
    let mut pins: Vec<&question::Model> = Vec::new();
    for id in pinned {
        if let Some(q) = rotating.iter().find(|q| q.id == *id)
            && !taken.contains(id)
            && !pins.iter().any(|p| p.id == *id)
        {
            pins.push(q);
        }
    }
    let waiting = |pins: &[&question::Model]| -> Vec<usize> {
        rotating
            .iter()
            .filter(|q| !taken.contains(&q.id) && !pins.iter().any(|p| p.id == q.id))
            .map(|q| {
                rounds_since
                    .get(&q.id)
                    .copied()
                    .unwrap_or(history.len() + 1)
            })
            .collect()
    };
    // The most pins that leave the rotation feasible.
    let mut asked_pins = pins.len();
    while asked_pins > 0 && asked_pins > spare_slots(&waiting(&pins[..asked_pins]), free) {
        asked_pins -= 1;
    }
    let mut free = free;
    for q in pins[..asked_pins].iter().copied().chain(rotating) {
        if free == 0 {
            break;
        }
        if taken.insert(q.id) {
            chosen.push(q);
            free -= 1;
        }
    }

    chosen.sort_by_key(|q| q.position);
    let mut ids: Vec<i32> = chosen.iter().map(|q| q.id).collect();
    ids.extend(active.iter().filter(|q| !is_scored(q)).map(|q| q.id));
    ids
}

/// How many of `free` rotation slots this round can give to something else while every item
/// still comes round in time. `since`: for each item waiting in the rotation, how many rounds
/// ago it was last asked (1 = the latest round; an item never asked counts as asked just before
/// the schedule's first round). An item asked `s` rounds ago is due within
/// `ROTATION_ROUNDS − s` rounds after this one; earliest deadline first is feasible exactly
/// when, for every horizon, the items due by it fit into this round's slots and those of the
/// rounds before it.
fn spare_slots(since: &[usize], free: usize) -> usize {
    let needed_now = (0..ROTATION_ROUNDS)
        .map(|horizon| {
            let due = since
                .iter()
                .filter(|s| ROTATION_ROUNDS.saturating_sub(**s) <= horizon)
                .count();
            due.saturating_sub(horizon * free)
        })
        .max()
        .unwrap_or(0);
    free.saturating_sub(needed_now)
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
        let ids = select(&catalog, 8, &[], &[]);
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
            let next = select(&catalog, DEFAULT_PULSE_SIZE, &history, &[]);
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
    fn an_item_an_action_answers_is_asked_in_the_slots_the_rotation_spares() {
        let catalog = catalog();
        let pinned = catalog
            .iter()
            .rfind(|q| q.active && !q.core && q.scale == Scale::Likert5)
            .unwrap()
            .id;
        for size in [DEFAULT_PULSE_SIZE, DEFAULT_PULSE_SIZE + 1] {
            let mut history: Vec<Vec<i32>> = Vec::new();
            for _ in 0..16 {
                let next = select(&catalog, size, &history, &[pinned]);
                assert_eq!(scored_count(&catalog, &next), size, "within the pulse size");
                history.insert(0, next);
            }
            for window in history.windows(ROTATION_ROUNDS) {
                let asked: HashSet<i32> = window.iter().flatten().copied().collect();
                for q in catalog.iter().filter(|q| q.active) {
                    assert!(asked.contains(&q.id), "{} missed a window", q.key);
                }
            }
            let pinned_in = history.iter().filter(|r| r.contains(&pinned)).count();
            // At the smallest size the rotation needs every slot: the item comes in its turn.
            // One slot more, and it is asked in every round.
            let expected = if size == DEFAULT_PULSE_SIZE { 4 } else { 16 };
            assert_eq!(
                pinned_in, expected,
                "asked in {pinned_in} of 16 rounds at size {size}"
            );
        }
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
        let ids = select(&catalog, 5, &[], &[]);
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
