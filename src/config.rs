//! The typed settings of a deployment, read once from Rocket's figment (`Rocket.toml`, then
//! `ROCKET_<KEY>` environment variables) and validated before anything else starts.

use std::fmt;
use std::path::PathBuf;

use chrono_tz::Tz;
use lettre::message::Mailbox;
use rocket::figment::Figment;
use serde::de::DeserializeOwned;
use url::Url;

use crate::i18n::Locale;

/// The smallest group size the service will ever report on; below it single answers show.
pub const MIN_ANONYMITY_THRESHOLD: u32 = 3;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// Public address of the service, used in links that leave it (mail).
    pub base_url: Url,
    /// `None`: every mail is written as an `.eml` file into `mail_dir`.
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: Mailbox,
    /// Whether `mail_from` was left at its default (worth a warning once SMTP is configured).
    pub mail_from_is_default: bool,
    pub anonymity_threshold: u32,
    pub comment_threshold: u32,
    pub default_locale: Locale,
    pub timezone: Tz,
    pub rate_limit_login_per_minute: u32,
    /// Whether a `secret_key` was configured; otherwise the generated one from the database is used.
    pub secret_key_configured: bool,
}

/// A setting that cannot be used, named by its key so that one log line says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration key `{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// Reads and checks every key. The first unusable key is the error.
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        let database_url: String = read(figment, "database_url", || {
            "sqlite://kundenpuls.db?mode=rwc".to_owned()
        })?;
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }

        let base_url_raw: String = read(figment, "base_url", || "http://127.0.0.1:8000".into())?;
        let base_url = Url::parse(base_url_raw.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| {
                invalid(
                    "base_url",
                    format!("`{base_url_raw}` is not an absolute http(s) URL"),
                )
            })?;

        let smtp_url: Option<String> = read_opt(figment, "smtp_url")?
            .map(|url: String| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        if let Some(url) = &smtp_url {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url).map_err(|err| {
                invalid(
                    "smtp_url",
                    format!("cannot be used ({err}); expected smtp://host:25, smtp://host:587?tls=required or smtps://host:465"),
                )
            })?;
        }
        let mail_dir: PathBuf = read(figment, "mail_dir", || PathBuf::from("outbox"))?;

        let mail_from_raw: Option<String> = read_opt(figment, "mail_from")?;
        let mail_from_is_default = mail_from_raw.is_none();
        let mail_from_raw =
            mail_from_raw.unwrap_or_else(|| "kundenpuls <noreply@localhost>".into());
        let mail_from: Mailbox = mail_from_raw.parse().map_err(|err| {
            invalid(
                "mail_from",
                format!("`{mail_from_raw}` is not a mail address ({err})"),
            )
        })?;

        let anonymity_threshold: u32 = read(figment, "anonymity_threshold", || 5)?;
        if anonymity_threshold < MIN_ANONYMITY_THRESHOLD {
            return Err(invalid(
                "anonymity_threshold",
                format!(
                    "must be at least {MIN_ANONYMITY_THRESHOLD} (got {anonymity_threshold}): smaller groups expose single answers"
                ),
            ));
        }
        let comment_threshold: u32 = read(figment, "comment_threshold", || 10)?;
        if comment_threshold < anonymity_threshold {
            return Err(invalid(
                "comment_threshold",
                format!(
                    "must not be below anonymity_threshold ({anonymity_threshold}), got {comment_threshold}: free text identifies people sooner than scores"
                ),
            ));
        }

        let locale_raw: String = read(figment, "default_locale", || "de".into())?;
        let default_locale = Locale::parse(&locale_raw)
            .ok_or_else(|| invalid("default_locale", format!("`{locale_raw}` is not de or en")))?;

        let timezone_raw: String = read(figment, "timezone", || "Europe/Berlin".into())?;
        let timezone: Tz = timezone_raw.parse().map_err(|_| {
            invalid(
                "timezone",
                format!("`{timezone_raw}` is not an IANA time zone such as Europe/Berlin"),
            )
        })?;

        let rate_limit_login_per_minute: u32 = read(figment, "rate_limit_login_per_minute", || 10)?;

        // Rocket's own defaults carry an all-zero key, which means "none configured".
        let secret_key_configured = read_opt::<rocket::config::SecretKey>(figment, "secret_key")?
            .is_some_and(|key| !key.is_zero());

        Ok(Settings {
            database_url,
            base_url,
            smtp_url,
            mail_dir,
            mail_from,
            mail_from_is_default,
            anonymity_threshold,
            comment_threshold,
            default_locale,
            timezone,
            rate_limit_login_per_minute,
            secret_key_configured,
        })
    }

    /// Cookies need `Secure` whenever users reach the service over TLS, which behind a proxy
    /// only the public URL tells.
    pub fn uses_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    pub fn is_postgres(&self) -> bool {
        !self.database_url.starts_with("sqlite:")
    }
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        message: message.into(),
    }
}

fn read<T: DeserializeOwned>(
    figment: &Figment,
    key: &'static str,
    default: impl FnOnce() -> T,
) -> Result<T, ConfigError> {
    Ok(read_opt(figment, key)?.unwrap_or_else(default))
}

fn read_opt<T: DeserializeOwned>(
    figment: &Figment,
    key: &'static str,
) -> Result<Option<T>, ConfigError> {
    if !figment.contains(key) {
        return Ok(None);
    }
    figment
        .extract_inner_lossy::<T>(key)
        .map(Some)
        .map_err(|err| invalid(key, err.kind.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::figment::providers::Serialized;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut figment = Figment::new();
        for (key, value) in pairs {
            figment = figment.merge(Serialized::default(key, value));
        }
        Settings::from_figment(&figment)
    }

    #[test]
    fn defaults_make_a_working_configuration() {
        let settings = with(&[]).expect("defaults are valid");
        assert_eq!(settings.database_url, "sqlite://kundenpuls.db?mode=rwc");
        assert_eq!(settings.anonymity_threshold, 5);
        assert_eq!(settings.comment_threshold, 10);
        assert_eq!(settings.default_locale, Locale::De);
        assert_eq!(settings.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(settings.mail_dir, PathBuf::from("outbox"));
        assert!(settings.smtp_url.is_none());
        assert!(settings.mail_from_is_default);
        assert!(!settings.secret_key_configured);
    }

    #[test]
    fn a_threshold_below_three_is_refused_by_name() {
        let err = with(&[("anonymity_threshold", "2")]).unwrap_err();
        assert_eq!(err.key, "anonymity_threshold");
        assert!(err.to_string().contains("at least 3"), "{err}");
    }

    #[test]
    fn comment_threshold_may_not_undercut_the_anonymity_threshold() {
        let err = with(&[("anonymity_threshold", "6"), ("comment_threshold", "5")]).unwrap_err();
        assert_eq!(err.key, "comment_threshold");
        assert!(with(&[("anonymity_threshold", "6"), ("comment_threshold", "6")]).is_ok());
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let err = with(&[("anonymity_threshold", "many")]).unwrap_err();
        assert_eq!(err.key, "anonymity_threshold");
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (key, value) in [
            ("timezone", "Mars/Olympus"),
            ("default_locale", "fr"),
            ("base_url", "not a url"),
            ("mail_from", "nobody"),
            ("smtp_url", "gopher://mail"),
            ("database_url", "mysql://localhost/x"),
            ("secret_key", "  "),
        ] {
            let err = with(&[(key, value)]).unwrap_err();
            assert_eq!(err.key, key, "{err}");
        }
    }

    #[test]
    fn smtp_urls_in_lettres_convention_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtps://mail.example.com:465",
        ] {
            let settings = with(&[("smtp_url", url)]).expect(url);
            assert_eq!(settings.smtp_url.as_deref(), Some(url));
        }
    }
}
