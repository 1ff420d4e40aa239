//! The answering form without HTTP: which items a round asks, what a filled-in form means, and
//! what is wrong with it. Field names are `q_<question key>`; values are the scale points as
//! numbers, or [`CANT_JUDGE`] on a Likert item.

use std::collections::HashMap;

use serde::Serialize;

use crate::entities::question;
use crate::i18n::{self, Locale};
use crate::vocab::{Pillar, Scale};

pub const MAX_COMMENT_CHARS: usize = 2_000;
/// The form value of "can't judge", stored as an answer without a value.
pub const CANT_JUDGE: &str = "x";

/// One question of a round, as the form asks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub question_id: i32,
    pub key: String,
    pub pillar: Option<Pillar>,
    pub scale: Scale,
    pub text_de: String,
    pub text_en: String,
}

impl Item {
    pub fn from_question(question: &question::Model) -> Item {
        Item {
            question_id: question.id,
            key: question.key.clone(),
            pillar: question.pillar,
            scale: question.scale,
            text_de: question.text_de.clone(),
            text_en: question.text_en.clone(),
        }
    }

    pub fn field(&self) -> String {
        field_name(&self.key)
    }

    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::De => &self.text_de,
            Locale::En => &self.text_en,
        }
    }

    fn is_scored(&self) -> bool {
        self.scale != Scale::Text
    }
}

pub fn field_name(key: &str) -> String {
    format!("q_{key}")
}

/// What is stored for one item of a valid submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerValue {
    pub question_id: i32,
    /// `None` on a scored item: "can't judge".
    pub value: Option<i32>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Missing,
    Invalid,
    TooLong,
}

/// A submission that cannot be stored: what is wrong per item, and what to show again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejected {
    pub problems: HashMap<String, Problem>,
    /// Form values by question key, to show the form again as it was filled in.
    pub kept: HashMap<String, String>,
}

/// A scale point as the form sends it: plain digits only, so "+3" or " 3" are no answers.
fn parse_point(scale: Scale, raw: &str) -> Option<Option<i32>> {
    if scale == Scale::Likert5 && raw == CANT_JUDGE {
        return Some(None);
    }
    let (low, high) = scale.points()?;
    if raw.is_empty() || raw.len() > 2 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i32 = raw.parse().ok()?;
    (low..=high).contains(&value).then_some(Some(value))
}

/// Browsers send line breaks as CRLF while their length counters count one character; and
/// PostgreSQL cannot store NUL in text, which would fail the whole batch.
fn normalize_text(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\0', "")
}

/// Checks a posted form against the round's items: every scored item answered ("can't judge"
/// counts), values on the item's scale, comments at most [`MAX_COMMENT_CHARS`] characters.
/// Fields that belong to no item are ignored; an item sent twice with different values is
/// invalid.
///
/// Every submission passes here, so the valid case allocates only its answers: an item's
/// values are found by walking the fields (a form has a dozen), and what a rejected form shows
/// again is written out only when there is a problem.
pub fn validate(items: &[Item], fields: &[(String, String)]) -> Result<Vec<AnswerValue>, Rejected> {
    let mut problems: HashMap<String, Problem> = HashMap::new();
    // What a rejected form shows again, per item: the raw value, or the answer's text.
    let mut kept: Vec<(&str, Kept<'_>)> = Vec::new();
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        let values = Values::of(fields, &item.key);
        if item.scale == Scale::Text {
            let text = values
                .clone()
                .map(normalize_text)
                .find(|text| !text.trim().is_empty());
            let Some(text) = text else { continue };
            if values.count() > 1 {
                problems.insert(item.key.clone(), Problem::Invalid);
            } else if text.chars().count() > MAX_COMMENT_CHARS {
                problems.insert(item.key.clone(), Problem::TooLong);
            }
            kept.push((&item.key, Kept::Text(answers.len())));
            answers.push(AnswerValue {
                question_id: item.question_id,
                value: None,
                text: Some(text),
            });
            continue;
        }
        let mut distinct = values.clone();
        let problem = match (distinct.next(), distinct.next()) {
            (None | Some(""), None) => Some(Problem::Missing),
            (Some(raw), None) => match parse_point(item.scale, raw) {
                Some(value) => {
                    kept.push((&item.key, Kept::Raw(raw)));
                    answers.push(AnswerValue {
                        question_id: item.question_id,
                        value,
                        text: None,
                    });
                    None
                }
                None => Some(Problem::Invalid),
            },
            _ => Some(Problem::Invalid),
        };
        if let Some(problem) = problem {
            problems.insert(item.key.clone(), problem);
        }
    }
    if problems.is_empty() {
        return Ok(answers);
    }
    let kept = kept
        .into_iter()
        .map(|(key, kept)| {
            let value = match kept {
                Kept::Raw(raw) => raw.to_owned(),
                Kept::Text(at) => answers[at].text.clone().unwrap_or_default(),
            };
            (key.to_owned(), value)
        })
        .collect();
    Err(Rejected { problems, kept })
}

/// A value a rejected form shows again.
enum Kept<'a> {
    Raw(&'a str),
    /// The text of the answer at this index.
    Text(usize),
}

/// The values posted for the item `key` (field `q_<key>`), in order, a value repeated right
/// after itself counted once.
#[derive(Clone)]
struct Values<'a> {
    fields: std::slice::Iter<'a, (String, String)>,
    key: &'a str,
    last: Option<&'a str>,
}

impl<'a> Values<'a> {
    fn of(fields: &'a [(String, String)], key: &'a str) -> Values<'a> {
        Values {
            fields: fields.iter(),
            key,
            last: None,
        }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        for (name, value) in self.fields.by_ref() {
            if name.strip_prefix("q_") != Some(self.key) || self.last == Some(value.as_str()) {
                continue;
            }
            self.last = Some(value);
            return Some(value);
        }
        None
    }
}

/// The answer a one-click link from the mail (`?q=<key>&v=<value>`) preselects, if it names a
/// scored item of the round and a point on its scale.
pub fn preselect(items: &[Item], key: &str, value: &str) -> Option<(String, String)> {
    let item = items
        .iter()
        .find(|item| item.key == key && item.is_scored())?;
    parse_point(item.scale, value)?;
    Some((item.key.clone(), value.to_owned()))
}

/// The form as a page shows it, in one language.
#[derive(Debug, Serialize)]
pub struct FormView {
    /// Pillars in their fixed order; the items without a pillar (the 0–10 item) last.
    pub groups: Vec<GroupView>,
    pub texts: Vec<ItemView>,
    /// In the order of the form, for the summary at the top.
    pub errors: Vec<ItemView>,
    pub max_comment: usize,
}

#[derive(Debug, Serialize)]
pub struct GroupView {
    pub pillar: Option<Pillar>,
    pub legend: Option<String>,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub key: String,
    pub field: String,
    pub scale: Scale,
    pub text: String,
    /// The value to show selected or filled in.
    pub value: Option<String>,
    pub problem: Option<Problem>,
}

impl FormView {
    pub fn new(
        items: &[Item],
        locale: Locale,
        kept: &HashMap<String, String>,
        problems: &HashMap<String, Problem>,
    ) -> FormView {
        let view = |item: &Item| ItemView {
            key: item.key.clone(),
            field: item.field(),
            scale: item.scale,
            text: item.text(locale).to_owned(),
            value: kept.get(&item.key).cloned(),
            problem: problems.get(&item.key).copied(),
        };
        // Pillar-less items (the recommendation) come after every pillar.
        let pillars = Pillar::EACH.into_iter().map(Some).chain([None]);
        let groups: Vec<GroupView> = pillars
            .map(|pillar| GroupView {
                pillar,
                legend: pillar
                    .map(|p| i18n::text(locale, &format!("survey_pillar_{p}")).to_owned()),
                items: items
                    .iter()
                    .filter(|item| item.is_scored() && item.pillar == pillar)
                    .map(view)
                    .collect(),
            })
            .filter(|group| !group.items.is_empty())
            .collect();
        let texts: Vec<ItemView> = items
            .iter()
            .filter(|item| !item.is_scored())
            .map(view)
            .collect();
        let errors = groups
            .iter()
            .flat_map(|group| group.items.iter())
            .chain(texts.iter())
            .filter(|item| item.problem.is_some())
            .cloned()
            .collect();
        FormView {
            groups,
            texts,
            errors,
            max_comment: MAX_COMMENT_CHARS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i32, key: &str, pillar: Option<Pillar>, scale: Scale) -> Item {
        Item {
            question_id: id,
            key: key.to_owned(),
            pillar,
            scale,
            text_de: format!("{key} de"),
            text_en: format!("{key} en"),
        }
    }

    fn round() -> Vec<Item> {
        vec![
            item(1, "cf_a", Some(Pillar::CustomerFocus), Scale::Likert5),
            item(2, "le_a", Some(Pillar::Leadership), Scale::Likert5),
            item(3, "recommend", None, Scale::Nps11),
            item(4, "comment", None, Scale::Text),
        ]
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_complete_form_becomes_one_answer_per_item_and_cant_judge_has_no_value() {
        let answers = validate(
            &round(),
            &fields(&[
                ("csrf", "ignored"),
                ("q_cf_a", "5"),
                ("q_le_a", "x"),
                ("q_recommend", "0"),
                ("q_comment", "Mehr <b>Zeit</b>\r\nfür Kunden"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            answers,
            vec![
                AnswerValue {
                    question_id: 1,
                    value: Some(5),
                    text: None
                },
                AnswerValue {
                    question_id: 2,
                    value: None,
                    text: None
                },
                AnswerValue {
                    question_id: 3,
                    value: Some(0),
                    text: None
                },
                AnswerValue {
                    question_id: 4,
                    value: None,
                    text: Some("Mehr <b>Zeit</b>\nfür Kunden".to_owned())
                },
            ]
        );
    }

    #[test]
    fn the_comment_is_optional_and_blank_means_none() {
        for comment in [None, Some(""), Some("  \r\n ")] {
            let mut pairs = vec![("q_cf_a", "1"), ("q_le_a", "2"), ("q_recommend", "10")];
            if let Some(comment) = comment {
                pairs.push(("q_comment", comment));
            }
            let answers = validate(&round(), &fields(&pairs)).expect("valid");
            assert_eq!(answers.len(), 3, "{comment:?}");
        }
    }

    #[test]
    fn missing_and_out_of_range_items_are_named_and_valid_ones_kept() {
        let rejected = validate(
            &round(),
            &fields(&[
                ("q_cf_a", "6"),
                ("q_recommend", "7"),
                ("q_comment", "bleibt"),
            ]),
        )
        .unwrap_err();
        assert_eq!(rejected.problems["cf_a"], Problem::Invalid);
        assert_eq!(rejected.problems["le_a"], Problem::Missing);
        assert_eq!(rejected.problems.len(), 2);
        assert_eq!(rejected.kept["recommend"], "7");
        assert_eq!(rejected.kept["comment"], "bleibt");
        assert!(!rejected.kept.contains_key("cf_a"));
    }

    #[test]
    fn only_plain_scale_points_count() {
        let items = round();
        for bad in ["0", "-1", "+3", " 3", "3.0", "03x", "", "x5", "99999999999"] {
            let rejected = validate(
                &items,
                &fields(&[("q_cf_a", bad), ("q_le_a", "3"), ("q_recommend", "3")]),
            )
            .unwrap_err();
            let expected = if bad.is_empty() {
                Problem::Missing
            } else {
                Problem::Invalid
            };
            assert_eq!(rejected.problems["cf_a"], expected, "{bad:?}");
        }
        let rejected = validate(
            &items,
            &fields(&[("q_cf_a", "3"), ("q_le_a", "3"), ("q_recommend", "x")]),
        )
        .unwrap_err();
        assert_eq!(
            rejected.problems["recommend"],
            Problem::Invalid,
            "no \"can't judge\" on the 0-10 item"
        );
        assert!(
            validate(
                &items,
                &fields(&[("q_cf_a", "3"), ("q_le_a", "3"), ("q_recommend", "11")])
            )
            .is_err()
        );
    }

    #[test]
    fn two_different_values_for_one_item_are_invalid() {
        let rejected = validate(
            &round(),
            &fields(&[
                ("q_cf_a", "3"),
                ("q_cf_a", "4"),
                ("q_le_a", "3"),
                ("q_recommend", "3"),
            ]),
        )
        .unwrap_err();
        assert_eq!(rejected.problems["cf_a"], Problem::Invalid);
        assert!(
            validate(
                &round(),
                &fields(&[
                    ("q_cf_a", "3"),
                    ("q_cf_a", "3"),
                    ("q_le_a", "3"),
                    ("q_recommend", "3"),
                ]),
            )
            .is_ok(),
            "a repeated identical value is harmless"
        );
    }

    #[test]
    fn comments_are_limited_in_characters_not_bytes_and_crlf_counts_once() {
        let base = [("q_cf_a", "3"), ("q_le_a", "3"), ("q_recommend", "3")];
        let at_limit = "ä".repeat(MAX_COMMENT_CHARS);
        let mut pairs = base.to_vec();
        pairs.push(("q_comment", &at_limit));
        assert!(validate(&round(), &fields(&pairs)).is_ok());

        let lines = "a\r\n".repeat(MAX_COMMENT_CHARS / 2);
        let mut pairs = base.to_vec();
        pairs.push(("q_comment", &lines));
        assert!(validate(&round(), &fields(&pairs)).is_ok());

        let over = "a".repeat(MAX_COMMENT_CHARS + 1);
        let mut pairs = base.to_vec();
        pairs.push(("q_comment", &over));
        let rejected = validate(&round(), &fields(&pairs)).unwrap_err();
        assert_eq!(rejected.problems["comment"], Problem::TooLong);
        assert_eq!(
            rejected.kept["comment"], over,
            "the text comes back to be shortened"
        );
    }

    #[test]
    fn nul_characters_are_dropped_from_comments() {
        let answers = validate(
            &round(),
            &fields(&[
                ("q_cf_a", "3"),
                ("q_le_a", "3"),
                ("q_recommend", "3"),
                ("q_comment", "a\0b"),
            ]),
        )
        .unwrap();
        assert_eq!(answers[3].text.as_deref(), Some("ab"));
    }

    #[test]
    fn a_preselected_answer_must_fit_its_item() {
        let items = round();
        assert_eq!(
            preselect(&items, "cf_a", "4"),
            Some(("cf_a".to_owned(), "4".to_owned()))
        );
        assert_eq!(
            preselect(&items, "cf_a", "x"),
            Some(("cf_a".to_owned(), "x".to_owned()))
        );
        assert_eq!(preselect(&items, "recommend", "10").unwrap().1, "10");
        assert_eq!(preselect(&items, "cf_a", "9"), None);
        assert_eq!(preselect(&items, "comment", "3"), None);
        assert_eq!(preselect(&items, "unknown", "3"), None);
    }

    #[test]
    fn the_view_groups_by_pillar_with_the_recommendation_last_and_lists_errors_in_order() {
        let mut items = round();
        items.insert(0, item(5, "va_a", Some(Pillar::Values), Scale::Likert5));
        let problems = HashMap::from([
            ("recommend".to_owned(), Problem::Missing),
            ("cf_a".to_owned(), Problem::Invalid),
        ]);
        let kept = HashMap::from([("le_a".to_owned(), "x".to_owned())]);
        let view = FormView::new(&items, Locale::En, &kept, &problems);
        let order: Vec<Option<Pillar>> = view.groups.iter().map(|g| g.pillar).collect();
        assert_eq!(
            order,
            [
                Some(Pillar::CustomerFocus),
                Some(Pillar::Leadership),
                Some(Pillar::Values),
                None
            ]
        );
        assert_eq!(view.groups[0].legend.as_deref(), Some("Customer focus"));
        assert_eq!(view.groups[1].items[0].value.as_deref(), Some("x"));
        assert_eq!(view.groups[1].items[0].text, "le_a en");
        assert_eq!(view.texts.len(), 1);
        let errors: Vec<&str> = view.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(errors, ["cf_a", "recommend"]);
    }
}
