//! The two languages of kundenpuls and the interface texts in each.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

use crate::problem::{Arg, Note, Problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    De,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::De, Locale::En];

    /// Accepts the codes and the names HR files use ("de", "Deutsch", "English", …).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_lowercase().as_str() {
            "de" | "de-de" | "de-at" | "de-ch" | "deutsch" | "german" => Some(Locale::De),
            "en" | "en-gb" | "en-us" | "englisch" | "english" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::De => "de",
            Locale::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Interface texts of one language, by key: `templates/i18n/<locale>.toml` merged with every
/// `templates/i18n/<locale>/*.toml` (one file per area, e.g. `survey.toml`).
pub type Messages = HashMap<String, String>;

/// The texts of `locale`. All files are embedded; tests check that both languages have the same
/// keys and that no key is defined twice.
pub fn messages(locale: Locale) -> &'static Messages {
    static DE: OnceLock<Messages> = OnceLock::new();
    static EN: OnceLock<Messages> = OnceLock::new();
    let cell = match locale {
        Locale::De => &DE,
        Locale::En => &EN,
    };
    cell.get_or_init(|| {
        let mut all = Messages::new();
        for (name, source) in message_files(locale) {
            let texts: Messages =
                toml::from_str(source).unwrap_or_else(|err| panic!("templates/{name}: {err}"));
            for (key, text) in texts {
                if all.insert(key.clone(), text).is_some() {
                    panic!("templates/{name}: the text `{key}` is defined twice");
                }
            }
        }
        all
    })
}

fn message_files(locale: Locale) -> impl Iterator<Item = (&'static str, &'static str)> {
    let single = format!("i18n/{}.toml", locale.as_str());
    let area = format!("i18n/{}/", locale.as_str());
    crate::embedded::all().filter(move |(name, _)| {
        *name == single || (name.starts_with(&area) && name.ends_with(".toml"))
    })
}

/// A problem said in `locale`. A key without a text is a bug the catalogue test finds; should
/// one slip through, the reader gets the key and its values rather than a failed request.
pub fn problem(locale: Locale, problem: &Problem) -> String {
    match messages(locale).get(problem.key()) {
        Some(template) => problem.fill(template, &|arg| match arg {
            Arg::Text(text) => text.clone(),
            Arg::Problem(inner) => self::problem(locale, inner),
            Arg::Moment { at, zone } => moment(*at, *zone, locale),
            Arg::Day(day) => date(*day, locale),
            Arg::Number { scaled, decimals } => number(
                *scaled as f64 / 10f64.powi(i32::from(*decimals)),
                usize::from(*decimals),
                locale,
            ),
        }),
        None => {
            tracing::error!(key = problem.key(), %locale, "no text for a problem");
            problem.to_string()
        }
    }
}

/// A number as the language writes it: German with a decimal comma and `.` between thousands,
/// English with a point and `,`. A value that rounds to zero has no sign ("0,0", never "-0,0");
/// a negative one has the real minus sign (U+2212), as type sets it. For reading only: files
/// that programs read (CSV) write their numbers themselves.
pub fn number(value: f64, decimals: usize, locale: Locale) -> String {
    let formatted = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match formatted.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (formatted.as_str(), None),
    };
    let (thousands, decimal) = match locale {
        Locale::De => ('.', ','),
        Locale::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push(decimal);
        grouped.push_str(fraction);
    }
    let negative = value < 0.0 && grouped.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative {
        format!("\u{2212}{grouped}")
    } else {
        grouped
    }
}

/// A difference with its sign, the minus a typographic one: `+4,2`, `−3,1`, `0,0`.
pub fn signed(value: f64, decimals: usize, locale: Locale) -> String {
    let plain = number(value, decimals, locale);
    let zero = !plain.chars().any(|c| c.is_ascii_digit() && c != '0');
    if zero || plain.starts_with('\u{2212}') {
        plain
    } else {
        format!("+{plain}")
    }
}

/// A share in percent: `62 %` in German (kept on one line), `62%` in English.
pub fn percent(value: f64, decimals: usize, locale: Locale) -> String {
    let n = number(value, decimals, locale);
    match locale {
        Locale::De => format!("{n}\u{a0}%"),
        Locale::En => format!("{n}%"),
    }
}

/// Says every note in `locale`, for a door about to show or serialize them.
pub fn say_notes(locale: Locale, notes: &mut [Note]) {
    for note in notes {
        let text = problem(locale, note.problem());
        note.said(text);
    }
}

/// A day as the language writes it: "05.12.2026", "5 Dec 2026".
pub fn date(day: chrono::NaiveDate, locale: Locale) -> String {
    use chrono::Datelike;
    match locale {
        Locale::De => day.format("%d.%m.%Y").to_string(),
        Locale::En => format!(
            "{} {} {}",
            day.day(),
            text(locale, &format!("month_short_{}", day.month())),
            day.year()
        ),
    }
}

/// An instant as the language writes it, on the clock of `tz`: "07.12.2026, 09:00 Uhr",
/// "7 Dec 2026, 09:00".
pub fn moment(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz, locale: Locale) -> String {
    let local = at.with_timezone(&tz);
    let day = date(local.date_naive(), locale);
    let time = local.format("%H:%M");
    match locale {
        // Kept on the line of its time: "09:00" and "Uhr" never part at a line end.
        Locale::De => format!("{day}, {time}\u{a0}Uhr"),
        Locale::En => format!("{day}, {time}"),
    }
}

/// The template with each `{key}` replaced in one pass, so that a value (a question's text, a
/// department's name) that happens to contain braces is never filled in itself.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
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

/// One text, for code outside templates (CLI, error bodies).
pub fn text(locale: Locale, key: &str) -> &'static str {
    messages(locale)
        .get(key)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no text `{key}` for {locale}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_the_language_s_way() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(date(day, Locale::De), "05.12.2026");
        assert_eq!(date(day, Locale::En), "5 Dec 2026");
    }

    #[test]
    fn moments_are_on_the_company_clock() {
        use chrono::TimeZone;
        // 23:30 UTC is already the next day in Berlin, an hour later in winter.
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 12, 6, 23, 30, 0)
            .unwrap();
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(moment(at, berlin, Locale::De), "07.12.2026, 00:30\u{a0}Uhr");
        assert_eq!(moment(at, berlin, Locale::En), "7 Dec 2026, 00:30");
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
    fn both_languages_have_the_same_keys_and_no_empty_text() {
        let de = messages(Locale::De);
        let en = messages(Locale::En);
        let mut de_keys: Vec<_> = de.keys().collect();
        let mut en_keys: Vec<_> = en.keys().collect();
        de_keys.sort();
        en_keys.sort();
        assert_eq!(de_keys, en_keys);
        assert!(
            de.values()
                .chain(en.values())
                .all(|text| !text.trim().is_empty())
        );
    }

    /// Every problem the code can raise, found in the sources as `Problem::new("key")` with the
    /// `.arg`/`.cause` names that follow it, said in both languages.
    fn problems_in_the_sources() -> Vec<(String, Vec<String>, String)> {
        fn visit(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let quoted = |text: &str| -> Option<String> {
            let rest = text.trim_start().strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        };
        let mut found = Vec::new();
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (at, _) in source.match_indices("Problem::new(") {
                let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
                if source[line_start..at].trim_start().starts_with("//") {
                    continue;
                }
                let rest = &source[at + "Problem::new(".len()..];
                let Some(key) = quoted(rest).filter(|k| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }) else {
                    continue;
                };
                // The parameters are the calls chained on this problem: up to the end of the
                // statement or the next problem.
                let end = [
                    rest.find(';'),
                    rest[1..].find("Problem::new(").map(|i| i + 1),
                ]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(rest.len());
                let chain = &rest[..end];
                let args = [".arg(", ".cause(", ".moment(", ".day(", ".number("]
                    .iter()
                    .flat_map(|call| chain.match_indices(call).map(move |(i, _)| i + call.len()))
                    .filter_map(|i| quoted(&chain[i..]))
                    .collect();
                found.push((key, args, file.display().to_string()));
            }
        }
        found
    }

    #[test]
    fn every_problem_is_said_in_both_languages_and_german_has_no_english() {
        let found = problems_in_the_sources();
        assert!(
            found.len() > 40,
            "the scan found only {} problems",
            found.len()
        );
        // Words of English sentences that German never uses on their own.
        const ENGLISH: [&str; 16] = [
            "the", "is", "not", "must", "cannot", "has", "does", "should", "please", "use", "this",
            "that", "there", "than", "only", "already",
        ];
        for (key, args, file) in &found {
            if key.starts_with("problem_outer") || key.starts_with("problem_inner") {
                continue; // the type's own unit test
            }
            let mut problem = Problem::new(Box::leak(key.clone().into_boxed_str()));
            for name in args {
                problem = problem.arg(Box::leak(name.clone().into_boxed_str()), "⟨wert⟩");
            }
            for locale in [Locale::De, Locale::En] {
                let Some(template) = messages(locale).get(key.as_str()) else {
                    panic!("{file}: no {locale} text for `{key}`");
                };
                let said = problem.fill(template, &|_| String::new());
                assert!(
                    !said.contains('{'),
                    "{file}: `{key}` in {locale} leaves a parameter unfilled: {said}"
                );
                if locale == Locale::De {
                    for word in said.split(|c: char| !c.is_alphabetic()) {
                        assert!(
                            !ENGLISH.contains(&word.to_lowercase().as_str()),
                            "{file}: `{key}` in German has the English word `{word}`: {said}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(number(61.24, 1, Locale::De), "61,2");
        assert_eq!(number(61.26, 1, Locale::En), "61.3");
        assert_eq!(number(1234.0, 0, Locale::De), "1.234");
        assert_eq!(number(1234567.26, 1, Locale::En), "1,234,567.3");
        assert_eq!(number(-3.04, 1, Locale::De), "−3,0");
        assert_eq!(number(-0.04, 1, Locale::De), "0,0");
        assert_eq!(signed(4.25, 1, Locale::De), "+4,2");
        assert_eq!(signed(-12.34, 1, Locale::En), "−12.3");
        assert_eq!(signed(-0.01, 1, Locale::De), "0,0");
        assert_eq!(signed(0.0, 0, Locale::En), "0");
        assert_eq!(percent(62.4, 0, Locale::De), "62\u{a0}%");
        assert_eq!(percent(62.4, 0, Locale::En), "62%");
    }

    #[test]
    fn locale_names_from_hr_files_are_understood() {
        assert_eq!(Locale::parse(" Deutsch "), Some(Locale::De));
        assert_eq!(Locale::parse("EN"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
    }
}
