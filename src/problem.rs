//! What went wrong, as a value: a message key and its parameters. The domain says *what* is
//! wrong; each door says it in its reader's language (pages: the user's locale, API:
//! `Accept-Language`, CLI: `default_locale`) through `i18n::problem`. Texts live in
//! `templates/i18n/{de,en}/problems.toml` under the key, with `{name}` for each parameter.
//!
//! A leaf module: every layer can say what went wrong without knowing how it is shown.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// A parameter: a value shown as it is (a name, a number, a time as HR typed it) or another
/// problem, said in the same language (the reason an opening time was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Problem(Box<Problem>),
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

    /// The text `template` (the key's text in some language) with every `{name}` filled in;
    /// nested problems are said by `say`, in the same language.
    pub fn fill(&self, template: &str, say: &dyn Fn(&Problem) -> String) -> String {
        let mut out = template.to_owned();
        for (name, value) in &self.args {
            let value = match value {
                Arg::Text(text) => text.clone(),
                Arg::Problem(problem) => say(problem),
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
        let say_inner = |p: &Problem| p.fill("Uhrzeit {time} gibt es nicht", &|_| String::new());
        assert_eq!(
            outer.fill("{n} Fehler: {reason}", &say_inner),
            "3 Fehler: Uhrzeit 25:00 gibt es nicht"
        );
        assert_eq!(
            outer.to_string(),
            "problem_outer (n: 3, reason: problem_inner (time: 25:00))"
        );
    }
}
