//! The two languages of kundenpuls and the interface texts in each.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

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

    #[test]
    fn locale_names_from_hr_files_are_understood() {
        assert_eq!(Locale::parse(" Deutsch "), Some(Locale::De));
        assert_eq!(Locale::parse("EN"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
    }
}
