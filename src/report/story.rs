//! "Auf einen Blick": a group's highlights (`highlights`) said in sentences in the reader's
//! language, each naming where its figure stands (`Target`), for the dashboard's pages and the
//! leadership digest alike; each door turns a target into its own link.

use serde::Serialize;

use super::highlights::{self, Attention, Concern, Highlights, ItemStanding, PillarMove};
use super::query::RoundResults;
use super::results::GroupReport;
use super::trend::RoundLabel;
use crate::i18n::{Locale, fill, number, percent, signed, text};
use crate::org::department::SEPARATOR;
use crate::vocab::Pillar;

/// Which way a sentence leans, for its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Good,
    Bad,
    Neutral,
}

/// Where the figure behind a sentence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// The item's row on the group's page.
    Item { question_id: i32 },
    /// The group's trend.
    Trend,
    /// A department's page for the round.
    Department { department_id: i32, round_id: i32 },
}

/// What an action (Maßnahme) started from a sentence would answer: a weak item or a falling
/// pillar of one department. Only for findings that call for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActOn {
    pub department_id: i32,
    pub question_id: Option<i32>,
    pub pillar: Option<Pillar>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sentence {
    pub text: String,
    pub target: Option<Target>,
    pub tone: Tone,
    pub act: Option<ActOn>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub strengths: Vec<Sentence>,
    pub weaknesses: Vec<Sentence>,
    pub changes: Vec<Sentence>,
    pub attention: Vec<Sentence>,
}

/// What the story is told against.
struct Frame<'a> {
    round: &'a RoundLabel,
    previous: Option<&'a RoundLabel>,
    /// The group the focus is compared with (the company for a department), if any.
    reference: Option<&'a GroupReport>,
    /// The name the attention list measures "behind" against: the focus group's.
    focus_name: &'a str,
    /// The focus group's department; `None` for the company, which has no actions of its own.
    focus_id: Option<i32>,
    locale: Locale,
}

fn pillar_name(locale: Locale, pillar: Pillar) -> &'static str {
    text(locale, &format!("pillar_{pillar}"))
}

fn p_value(p: f64, locale: Locale) -> String {
    if p < 0.001 {
        format!("< {}", number(0.001, 3, locale))
    } else {
        number(p, 3, locale)
    }
}

fn item_sentence(s: &ItemStanding, frame: &Frame<'_>, strong: bool) -> Sentence {
    let l = frame.locale;
    let share = percent(s.favourable_pct, 0, l);
    let said = match (s.against, frame.reference) {
        (Some((_, difference)), Some(reference)) => fill(
            text(
                l,
                if strong {
                    "story_item_above"
                } else {
                    "story_item_below"
                },
            ),
            &[
                ("item", &s.text),
                ("share", &share),
                ("points", &number(difference.abs(), 0, l)),
                ("reference", &reference.name),
            ],
        ),
        _ => fill(
            text(l, "story_item"),
            &[("item", &s.text), ("share", &share)],
        ),
    };
    let said = if s.reverse_coded {
        format!("{said} {}", text(l, "story_reverse"))
    } else {
        said
    };
    Sentence {
        text: said,
        target: Some(Target::Item {
            question_id: s.question_id,
        }),
        tone: if strong { Tone::Good } else { Tone::Bad },
        act: frame
            .focus_id
            .filter(|_| !strong)
            .map(|department_id| ActOn {
                department_id,
                question_id: Some(s.question_id),
                pillar: s.pillar,
            }),
    }
}

fn move_sentence(m: &PillarMove, previous: &RoundLabel, frame: &Frame<'_>) -> Sentence {
    let locale = frame.locale;
    let rose = m.difference > 0.0;
    Sentence {
        text: fill(
            text(locale, if rose { "story_rise" } else { "story_fall" }),
            &[
                ("pillar", pillar_name(locale, m.pillar)),
                ("points", &signed(m.difference, 1, locale)),
                ("previous", &previous.title),
                ("p", &p_value(m.p, locale)),
            ],
        ),
        target: Some(Target::Trend),
        tone: if rose { Tone::Good } else { Tone::Bad },
        act: frame.focus_id.filter(|_| !rose).map(|department_id| ActOn {
            department_id,
            question_id: None,
            pillar: Some(m.pillar),
        }),
    }
}

fn changes(h: &Highlights, frame: &Frame<'_>) -> Vec<Sentence> {
    let l = frame.locale;
    let Some(previous) = frame.previous.filter(|_| h.compared) else {
        return vec![Sentence {
            text: text(l, "story_no_previous").to_owned(),
            target: None,
            tone: Tone::Neutral,
            act: None,
        }];
    };
    let said: Vec<Sentence> = h
        .rises
        .iter()
        .chain(&h.falls)
        .map(|m| move_sentence(m, previous, frame))
        .collect();
    if said.is_empty() {
        return vec![Sentence {
            text: fill(text(l, "story_no_change"), &[("previous", &previous.title)]),
            target: Some(Target::Trend),
            tone: Tone::Neutral,
            act: None,
        }];
    }
    said
}

fn attention_sentence(a: &Attention, frame: &Frame<'_>) -> Sentence {
    let l = frame.locale;
    let concerns: Vec<String> = a
        .concerns
        .iter()
        .map(|c| match c {
            Concern::Fell(m) => fill(
                text(l, "story_attention_fell"),
                &[
                    ("pillar", pillar_name(l, m.pillar)),
                    ("points", &signed(m.difference, 1, l)),
                ],
            ),
            Concern::Behind { difference } => fill(
                text(l, "story_attention_behind"),
                &[
                    ("points", &number(difference.abs(), 1, l)),
                    ("reference", frame.focus_name),
                ],
            ),
            Concern::PillarBehind { pillar, difference } => fill(
                text(l, "story_attention_pillar_behind"),
                &[
                    ("pillar", pillar_name(l, *pillar)),
                    ("points", &number(difference.abs(), 1, l)),
                    ("reference", frame.focus_name),
                ],
            ),
        })
        .collect();
    Sentence {
        text: fill(
            text(l, "story_attention"),
            &[("name", &a.path), ("concerns", &concerns.join("; "))],
        ),
        target: Some(Target::Department {
            department_id: a.department_id,
            round_id: frame.round.id,
        }),
        tone: Tone::Bad,
        // The pillar most telling about the group: its fall, else its distance behind.
        act: a
            .concerns
            .iter()
            .find_map(|c| match c {
                Concern::Fell(m) => Some(m.pillar),
                Concern::PillarBehind { pillar, .. } => Some(*pillar),
                Concern::Behind { .. } => None,
            })
            .map(|pillar| ActOn {
                department_id: a.department_id,
                question_id: None,
                pillar: Some(pillar),
            }),
    }
}

fn none(locale: Locale, key: &str, values: &[(&str, &str)]) -> Vec<Sentence> {
    vec![Sentence {
        text: fill(text(locale, key), values),
        target: None,
        tone: Tone::Neutral,
        act: None,
    }]
}

/// Every group of the round under `group`, at any depth, that the reader sees.
fn below<'a>(results: &'a RoundResults, group: &GroupReport) -> Vec<&'a GroupReport> {
    let prefix = format!("{}{SEPARATOR}", group.path);
    results
        .groups
        .iter()
        .filter(|g| {
            g.department_id.is_some()
                && g.department_id != group.department_id
                && (group.department_id.is_none() || g.path.starts_with(&prefix))
        })
        .collect()
}

/// The story of the group `focus` of `results`, compared with `reference` (the company for a
/// department; `None` for the reader's top).
pub fn of_round(
    results: &RoundResults,
    focus: &GroupReport,
    reference: Option<&GroupReport>,
    locale: Locale,
) -> Story {
    let frame = Frame {
        round: &results.round,
        previous: results.previous.as_ref(),
        reference,
        focus_name: &focus.name,
        focus_id: focus.department_id,
        locale,
    };
    tell(focus, &below(results, focus), &frame)
}

/// The story of `focus`, with `below`: every group under it the reader may see.
fn tell(focus: &GroupReport, below: &[&GroupReport], frame: &Frame<'_>) -> Story {
    let h = highlights::of(focus, frame.reference, below, frame.previous.is_some());
    let l = frame.locale;
    let points = number(highlights::ITEM_POINTS, 0, l);
    let reference = frame.reference.map_or("", |r| r.name.as_str());
    let mut strengths: Vec<Sentence> = h
        .strengths
        .iter()
        .map(|s| item_sentence(s, frame, true))
        .collect();
    let mut weaknesses: Vec<Sentence> = h
        .weaknesses
        .iter()
        .map(|s| item_sentence(s, frame, false))
        .collect();
    if strengths.is_empty() {
        strengths = match frame.reference {
            Some(_) => none(
                l,
                "story_none_above",
                &[("points", &points), ("reference", reference)],
            ),
            None => none(l, "story_too_few_items", &[]),
        };
    }
    if weaknesses.is_empty() {
        weaknesses = match frame.reference {
            Some(_) => none(
                l,
                "story_none_below",
                &[("points", &points), ("reference", reference)],
            ),
            None => none(l, "story_too_few_items", &[]),
        };
    }
    let mut attention: Vec<Sentence> = h
        .attention
        .iter()
        .map(|a| attention_sentence(a, frame))
        .collect();
    if attention.is_empty() && !below.is_empty() {
        attention = none(l, "story_attention_none", &[]);
    }
    Story {
        strengths,
        weaknesses,
        changes: changes(&h, frame),
        attention,
    }
}

impl Story {
    /// At most `n` sentences on what moved: significant changes first, then the groups that
    /// need attention; "no significant change" when nothing did. For the digest.
    pub fn what_moved(&self, n: usize) -> Vec<Sentence> {
        let moved = self
            .changes
            .iter()
            .filter(|s| s.tone != Tone::Neutral)
            .chain(self.attention.iter().filter(|s| s.tone != Tone::Neutral));
        let mut out: Vec<Sentence> = moved.take(n).cloned().collect();
        if out.is_empty() {
            out.extend(self.changes.first().cloned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_filled_by_name() {
        assert_eq!(
            fill(
                "{pillar} ist deutlich gestiegen: {points}",
                &[("pillar", "Kundenfokus"), ("points", "+6,2")]
            ),
            "Kundenfokus ist deutlich gestiegen: +6,2"
        );
    }

    #[test]
    fn a_tiny_p_is_said_as_a_bound() {
        assert_eq!(p_value(0.0001, Locale::De), "< 0,001");
        assert_eq!(p_value(0.0123, Locale::En), "0.012");
    }
}
