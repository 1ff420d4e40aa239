//! What went wrong, as a value: a message key and its parameters. The domain says *what* is
//! wrong; each door says it in its reader's language (pages: the user's locale, API:
//! `Accept-Language`, CLI: `default_locale`) through `i18n::problem`. Texts live in
//! `templates/i18n/{de,en}/problems.toml` under the key, with `{name}` for each parameter.
//!
//! A leaf module: every layer can say what went wrong without knowing how it is shown.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// A parameter: a value shown as it is (a name, a number, a time as HR typed it), another
/// problem said in the same language (the reason an opening time was refused), or a moment or
/// day, written as the reader's language writes dates (`i18n::moment`, `i18n::date`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Problem(Box<Problem>),
    /// An instant on the clock of `zone`.
    Moment {
        at: DateTime<Utc>,
        zone: Tz,
    },
    Day(NaiveDate),
    /// A number with a fixed count of decimals, `scaled` / 10^`decimals` (kept whole, so that
    /// problems compare exactly), written with the reader's decimal separator.
    Number {
        scaled: i64,
        decimals: u8,
    },
}

impl Problem {
    /// `key` names a text of `templates/i18n` (most in `problems.toml`).
    pub fn new(key: &'static str) -> Self {
        Problem {
            key,
            args: Vec::new(),
        }
    }

    /// Adds the parameter `{name}`.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// Adds the parameter `{name}`: an instant, shown on the clock of `zone`.
    pub fn moment(mut self, name: &'static str, at: DateTime<Utc>, zone: Tz) -> Self {
        self.args.push((name, Arg::Moment { at, zone }));
        self
    }

    /// Adds the parameter `{name}`: a calendar day.
    pub fn day(mut self, name: &'static str, day: NaiveDate) -> Self {
        self.args.push((name, Arg::Day(day)));
        self
    }

    /// Adds the parameter `{name}`: `value` cut (not rounded) to `decimals`, so that a ratio
    /// just below a limit never reads as the limit.
    pub fn number(mut self, name: &'static str, value: f64, decimals: u8) -> Self {
        let scale = 10f64.powi(i32::from(decimals));
        let scaled = (value * scale + 1e-9).floor() as i64;
        self.args.push((name, Arg::Number { scaled, decimals }));
        self
    }

    /// Adds the parameter `{name}`, itself a problem.
    pub fn cause(mut self, name: &'static str, problem: Problem) -> Self {
        self.args.push((name, Arg::Problem(Box::new(problem))));
        self
    }

    pub fn key(&self) -> &'static str {
        self.key
    }

    pub fn args(&self) -> &[(&'static str, Arg)] {
        &self.args
    }

    /// The text `template` (the key's text in some language) with every `{name}` filled in:
    /// texts as they are, everything else (nested problems, moments, days) as `say` says it in
    /// the same language.
    pub fn fill(&self, template: &str, say: &dyn Fn(&Arg) -> String) -> String {
        let mut out = template.to_owned();
        for (name, value) in &self.args {
            let value = match value {
                Arg::Text(text) => text.clone(),
                other => say(other),
            };
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        out
    }
}

/// Something the reader should know about what was done (a time in the autumn fold was taken
/// as its first occurrence, mail limits will make invitations late), said in the reader's
/// language by the door before it is shown or serialized (as its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    problem: Problem,
    text: String,
}

impl Note {
    pub fn new(problem: Problem) -> Self {
        Note {
            problem,
            text: String::new(),
        }
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// Keeps `text` as what the note says (the door's language).
    pub fn said(&mut self, text: String) {
        self.text = text;
    }

    /// The text once said; empty before.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl serde::Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// For logs and developers: the key and its parameters, in no language.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key)?;
        for (i, (name, value)) in self.args.iter().enumerate() {
            f.write_str(if i == 0 { " (" } else { ", " })?;
            match value {
                Arg::Text(text) => write!(f, "{name}: {text}")?,
                Arg::Problem(problem) => write!(f, "{name}: {problem}")?,
                Arg::Moment { at, zone } => write!(
                    f,
                    "{name}: {}",
                    at.with_timezone(zone).format("%Y-%m-%d %H:%M %Z")
                )?,
                Arg::Day(day) => write!(f, "{name}: {day}")?,
                Arg::Number { scaled, decimals } => {
                    let value = *scaled as f64 / 10f64.powi(i32::from(*decimals));
                    write!(f, "{name}: {value:.*}", usize::from(*decimals))?
                }
            }
        }
        if !self.args.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fill_their_places_and_nested_problems_are_said_alike() {
        let inner = Problem::new("problem_inner").arg("time", "25:00");
        let outer = Problem::new("problem_outer")
            .arg("n", 3)
            .cause("reason", inner);
        let say = |arg: &Arg| match arg {
            Arg::Problem(p) => p.fill("Uhrzeit {time} gibt es nicht", &|_| String::new()),
            _ => String::new(),
        };
        assert_eq!(
            outer.fill("{n} Fehler: {reason}", &say),
            "3 Fehler: Uhrzeit 25:00 gibt es nicht"
        );
        assert_eq!(
            outer.to_string(),
            "problem_outer (n: 3, reason: problem_inner (time: 25:00))"
        );
    }

    #[test]
    fn moments_and_days_are_left_to_the_reader_s_language_and_logged_in_iso() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        let problem = Problem::new("problem_inner_moment")
            .moment("at", at, chrono_tz::Europe::Berlin)
            .day("day", day);
        let said = problem.fill("{at} / {day}", &|arg| match arg {
            Arg::Moment { at, zone } => at.with_timezone(zone).format("%H:%M").to_string(),
            Arg::Day(day) => day.format("%d.%m.").to_string(),
            _ => String::new(),
        });
        assert_eq!(said, "09:00 / 24.12.");
        assert_eq!(
            problem.to_string(),
            "problem_inner_moment (at: 2026-12-07 09:00 CET, day: 2026-12-24)"
        );
    }
}
