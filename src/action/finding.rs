//! What an action starts from, said for its form: the finding of one round about one item or
//! pillar of one department, as the reader sees it (only figures the report shows), in the
//! reader's language. The person starting the action may change every word of it.

use super::rules::{self, Subject};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, fill, number, percent, signed, text};
use crate::org::department::shorten;
use crate::report::context::Reports;
use crate::report::query::{self, Reader, RoundResults};
use crate::report::results::GroupReport;
use crate::vocab::Pillar;

/// A proposal for the form: a title and the why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub title: String,
    pub why: String,
}

fn pillar_name(locale: Locale, pillar: Pillar) -> &'static str {
    text(locale, &format!("pillar_{pillar}"))
}

fn group(results: &RoundResults, id: Option<i32>) -> Option<&GroupReport> {
    results.groups.iter().find(|g| g.department_id == id)
}

/// The finding of round `round_id` about `subject` in department `department_id`, compared
/// with the company (or the reader's own department when the reader sees only that).
pub async fn describe(
    reports: &Reports,
    reader: Reader,
    department_id: i32,
    round_id: i32,
    subject: Subject,
) -> AppResult<Finding> {
    let results = query::round_results(reports, reader, round_id).await?;
    let focus = group(&results, Some(department_id)).ok_or(AppError::NotFound)?;
    let reference = group(&results, None)
        .or_else(|| group(&results, reader.scope))
        .filter(|r| r.department_id != Some(department_id));
    say(&results, focus, reference, subject, reader.locale)
}

/// Pure: the finding as [`describe`] says it.
pub fn say(
    results: &RoundResults,
    focus: &GroupReport,
    reference: Option<&GroupReport>,
    subject: Subject,
    l: Locale,
) -> AppResult<Finding> {
    let round = results.round.title.as_str();
    let (subject_name, why) = match subject {
        Subject::Item(question_id) => {
            let item = focus
                .items
                .iter()
                .find(|i| i.question_id == question_id)
                .ok_or(AppError::NotFound)?;
            let theirs = reference
                .and_then(|r| r.items.iter().find(|i| i.question_id == question_id))
                .and_then(|i| i.figures.as_shown());
            let why = match (item.figures.as_shown(), theirs, reference) {
                (Some(own), Some(other), Some(r)) => fill(
                    text(l, "action_finding_item_against"),
                    &[
                        ("round", round),
                        ("item", &item.text),
                        ("department", &focus.name),
                        ("share", &percent(own.favourable_pct, 0, l)),
                        ("reference", &r.name),
                        ("reference_share", &percent(other.favourable_pct, 0, l)),
                    ],
                ),
                (Some(own), _, _) => fill(
                    text(l, "action_finding_item"),
                    &[
                        ("round", round),
                        ("item", &item.text),
                        ("department", &focus.name),
                        ("share", &percent(own.favourable_pct, 0, l)),
                    ],
                ),
                (None, _, _) => fill(
                    text(l, "action_finding_item_hidden"),
                    &[
                        ("round", round),
                        ("item", &item.text),
                        ("department", &focus.name),
                    ],
                ),
            };
            let why = if item.reverse_coded {
                format!("{why} {}", text(l, "story_reverse"))
            } else {
                why
            };
            (item.text.clone(), why)
        }
        Subject::Pillar(pillar) => {
            let own = focus
                .pillars
                .iter()
                .find(|p| p.key == pillar)
                .ok_or(AppError::NotFound)?;
            let mut why = match own.core.as_shown().or(own.index.as_shown()) {
                Some(index) => fill(
                    text(l, "action_finding_pillar"),
                    &[
                        ("round", round),
                        ("pillar", pillar_name(l, pillar)),
                        ("department", &focus.name),
                        ("index", &number(index.index, 1, l)),
                    ],
                ),
                None => fill(
                    text(l, "action_finding_pillar_hidden"),
                    &[
                        ("round", round),
                        ("pillar", pillar_name(l, pillar)),
                        ("department", &focus.name),
                    ],
                ),
            };
            if let (Some(change), Some(previous)) = (
                own.change.as_ref().and_then(|c| c.as_shown()),
                results.previous.as_ref(),
            ) {
                why.push(' ');
                why.push_str(&fill(
                    text(
                        l,
                        if change.significant {
                            "action_finding_change_significant"
                        } else {
                            "action_finding_change"
                        },
                    ),
                    &[
                        ("points", &signed(change.difference, 1, l)),
                        ("previous", &previous.title),
                    ],
                ));
            }
            let theirs = reference.and_then(|r| {
                r.pillars
                    .iter()
                    .find(|p| p.key == pillar)
                    .and_then(|p| p.core.as_shown().or(p.index.as_shown()))
                    .map(|i| (r.name.as_str(), i.index))
            });
            if let Some((name, index)) = theirs {
                why.push(' ');
                why.push_str(&fill(
                    text(l, "action_finding_reference"),
                    &[("reference", name), ("index", &number(index, 1, l))],
                ));
            }
            (pillar_name(l, pillar).to_owned(), why)
        }
    };
    let title = fill(
        text(l, "action_finding_title"),
        &[
            ("subject", &shorten(&subject_name, 120)),
            ("department", &shorten(&focus.name, 60)),
        ],
    );
    Ok(Finding {
        title: shorten(&title, rules::TITLE_MAX - 1),
        why,
    })
}
