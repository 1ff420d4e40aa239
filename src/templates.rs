//! Page and mail templates, embedded at build time (see `build.rs`) and rendered with
//! minijinja, which escapes HTML in `.html` templates automatically.

use minijinja::{Environment, Value, context};
use serde::Serialize;

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
}

impl Templates {
    pub fn load() -> Self {
        let mut env = Environment::new();
        // Auto-escaping must be chosen before templates are added, or nothing is escaped.
        env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
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
        }
    }

    /// Renders `name` with `ctx`, adding the texts of `locale` as `t` and its code as `lang`.
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
            ..Value::from_serialize(ctx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_in_pages() {
        let templates = Templates::load();
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
}
