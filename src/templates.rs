//! Page and mail templates, embedded at build time (see `build.rs`) and rendered with
//! minijinja, which escapes HTML in `.html` templates automatically.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, Error, ErrorKind, State, Value, context};
use serde::Serialize;

use crate::brand;
use crate::embedded;
use crate::i18n::{self, Locale};

/// Files under `templates/static/` (stylesheets), served as they are.
pub fn static_file(name: &str) -> Option<&'static str> {
    embedded::file(&format!("static/{name}"))
}

pub struct Templates {
    env: Environment<'static>,
    /// Each language's texts as a template value, converted once: converting the whole table
    /// for every page took about a tenth of the service's CPU under a survey load. Cloning the
    /// value only counts a reference.
    de: Value,
    en: Value,
    /// The company's look, given to every template as `brand`.
    brand: brand::Current,
}

impl Templates {
    /// The templates, with `zone` as the clock that `moment` reads instants on unless told
    /// another (a schedule's own zone).
    pub fn load(zone: Tz) -> Self {
        let mut env = Environment::new();
        // Auto-escaping must be chosen before templates are added, or nothing is escaped.
        env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // One date style (`i18n::moment`, `i18n::date`) for every page and mail: templates get
        // instants and days as data and leave their writing to the reader's language.
        env.add_filter(
            "moment",
            move |state: &State, at: &str, other_zone: Option<&str>| -> Result<String, Error> {
                let at = DateTime::parse_from_rfc3339(at)
                    .map_err(|err| invalid(format!("`{at}` is not an instant: {err}")))?
                    .with_timezone(&Utc);
                let zone = match other_zone {
                    Some(name) => name
                        .parse::<Tz>()
                        .map_err(|_| invalid(format!("`{name}` is not a time zone")))?,
                    None => zone,
                };
                Ok(i18n::moment(at, zone, locale_of(state)?))
            },
        );
        // The machine-readable form of an instant for `<time datetime>`: whole seconds, as HTML
        // allows at most three decimals.
        env.add_filter("datetime", |at: &str| -> Result<String, Error> {
            let at = DateTime::parse_from_rfc3339(at)
                .map_err(|err| invalid(format!("`{at}` is not an instant: {err}")))?;
            Ok(at
                .with_timezone(&Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string())
        });
        env.add_filter("day", |state: &State, day: &str| -> Result<String, Error> {
            let parsed = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|err| invalid(format!("`{day}` is not a day: {err}")))?;
            Ok(i18n::date(parsed, locale_of(state)?))
        });
        for (name, source) in embedded::all() {
            if name.ends_with(".html") || name.ends_with(".txt") {
                env.add_template(name, source)
                    .unwrap_or_else(|err| panic!("template {name}: {err}"));
            }
        }
        Templates {
            env,
            de: Value::from_serialize(i18n::messages(Locale::De)),
            en: Value::from_serialize(i18n::messages(Locale::En)),
            brand: brand::Current::default(),
        }
    }

    /// Shows `brand` (the app's, which an admin may change while the service runs).
    pub fn with_brand(mut self, brand: brand::Current) -> Self {
        self.brand = brand;
        self
    }

    /// Renders `name` with `ctx`, adding the texts of `locale` as `t`, its code as `lang` and
    /// the company's look as `brand`.
    pub fn render(
        &self,
        name: &str,
        locale: Locale,
        ctx: impl Serialize,
    ) -> Result<String, minijinja::Error> {
        let template = self.env.get_template(name)?;
        let texts = match locale {
            Locale::De => &self.de,
            Locale::En => &self.en,
        };
        template.render(context! {
            t => texts.clone(),
            lang => locale.as_str(),
            brand => Value::from_serialize(self.brand.get().view()),
            ..Value::from_serialize(ctx)
        })
    }
}

fn invalid(detail: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, detail)
}

/// The reader's language, which `render` puts into every template as `lang`.
fn locale_of(state: &State) -> Result<Locale, Error> {
    state
        .lookup("lang")
        .and_then(|lang| lang.as_str().and_then(Locale::parse))
        .ok_or_else(|| invalid("rendered without `lang`".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_in_pages() {
        let templates = Templates::load(chrono_tz::Europe::Berlin);
        let html = templates
            .render(
                "pages/error.html",
                Locale::En,
                context! { status => 400, message => "<script>alert(1)</script>", user => () },
            )
            .expect("renders");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
    }

    #[test]
    fn instants_and_days_are_written_as_the_reader_s_language_writes_them() {
        let mut templates = Templates::load(chrono_tz::Europe::Berlin);
        templates
            .env
            .add_template(
                "t.txt",
                "{{ at | moment }} | {{ at | moment('America/New_York') }} | {{ d | day }} | {{ at | datetime }}",
            )
            .unwrap();
        let ctx = context! { at => "2026-12-07T08:00:00.548905627Z", d => "2026-12-24" };
        assert_eq!(
            templates.render("t.txt", Locale::De, &ctx).unwrap(),
            "07.12.2026, 09:00\u{a0}Uhr | 07.12.2026, 03:00\u{a0}Uhr | 24.12.2026 | 2026-12-07T08:00:00Z"
        );
        assert_eq!(
            templates.render("t.txt", Locale::En, &ctx).unwrap(),
            "7 Dec 2026, 09:00 | 7 Dec 2026, 03:00 | 24 Dec 2026 | 2026-12-07T08:00:00Z"
        );
        let bad = context! { at => "next Monday", d => "2026-12-24" };
        assert!(templates.render("t.txt", Locale::De, &bad).is_err());
    }
}
