//! "Auf einen Blick": a group's highlights (`report::highlights`) said in sentences in the
//! reader's language, each with a link down to where its figure stands.

use serde::Serialize;

use crate::i18n::{Locale, number, percent, signed, text};
use crate::report::highlights::{self, Attention, Concern, Highlights, ItemStanding, PillarMove};
use crate::report::results::GroupReport;
use crate::report::trend::RoundLabel;
use crate::vocab::Pillar;

/// Which way a sentence leans, for its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Good,
    Bad,
    Neutral,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sentence {
    pub text: String,
    /// Where the figure behind it is: an anchor on the page or a department's page.
    pub link: Option<String>,
    pub tone: Tone,
}

#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub strengths: Vec<Sentence>,
    pub weaknesses: Vec<Sentence>,
    pub changes: Vec<Sentence>,
    pub attention: Vec<Sentence>,
}

/// What the story is told against.
pub struct Frame<'a> {
    pub round: &'a RoundLabel,
    pub previous: Option<&'a RoundLabel>,
    /// The group the focus is compared with (the company for a department), if any.
    pub reference: Option<&'a GroupReport>,
    /// The name the attention list measures "behind" against: the focus group's.
    pub focus_name: &'a str,
    pub locale: Locale,
}

/// The template with each `{key}` replaced in one pass, so that a value (a question's text, a
/// department's name) that happens to contain braces is never filled in itself.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
        link: Some(format!("#item-{}", s.question_id)),
        tone: if strong { Tone::Good } else { Tone::Bad },
    }
}

fn move_sentence(m: &PillarMove, previous: &RoundLabel, locale: Locale) -> Sentence {
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
        link: Some("#trend-heading".to_owned()),
        tone: if rose { Tone::Good } else { Tone::Bad },
    }
}

fn changes(h: &Highlights, frame: &Frame<'_>) -> Vec<Sentence> {
    let l = frame.locale;
    let Some(previous) = frame.previous.filter(|_| h.compared) else {
        return vec![Sentence {
            text: text(l, "story_no_previous").to_owned(),
            link: None,
            tone: Tone::Neutral,
        }];
    };
    let said: Vec<Sentence> = h
        .rises
        .iter()
        .chain(&h.falls)
        .map(|m| move_sentence(m, previous, l))
        .collect();
    if said.is_empty() {
        return vec![Sentence {
            text: fill(text(l, "story_no_change"), &[("previous", &previous.title)]),
            link: Some("#trend-heading".to_owned()),
            tone: Tone::Neutral,
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
        link: Some(format!(
            "/dashboard/departments/{}?round={}",
            a.department_id, frame.round.id
        )),
        tone: Tone::Bad,
    }
}

fn none(locale: Locale, key: &str, values: &[(&str, &str)]) -> Vec<Sentence> {
    vec![Sentence {
        text: fill(text(locale, key), values),
        link: None,
        tone: Tone::Neutral,
    }]
}

/// The story of `focus`, with `below`: every group under it the reader may see.
pub fn tell(focus: &GroupReport, below: &[&GroupReport], frame: &Frame<'_>) -> Story {
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
    fn a_value_with_braces_is_not_filled_again() {
        assert_eq!(
            fill(
                "„{item}“ liegt über {reference}",
                &[("item", "Wir sagen {reference}"), ("reference", "Vertrieb")]
            ),
            "„Wir sagen {reference}“ liegt über Vertrieb"
        );
        assert_eq!(fill("{unknown} {", &[]), "{unknown} {");
    }

    #[test]
    fn a_tiny_p_is_said_as_a_bound() {
        assert_eq!(p_value(0.0001, Locale::De), "< 0,001");
        assert_eq!(p_value(0.0123, Locale::En), "0.012");
    }
}
