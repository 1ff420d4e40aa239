//! The typed settings of a deployment, read once from Rocket's figment (`Rocket.toml`, then
//! `ROCKET_<KEY>` environment variables) and validated before anything else starts.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

use chrono_tz::Tz;
use lettre::message::Mailbox;
use rocket::figment::Figment;
use serde::de::DeserializeOwned;
use url::Url;

use crate::i18n::Locale;
use crate::working_time::{State, WorkingTime};

mod ca_file;
pub use ca_file::CaFile;

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
    /// POSTs per survey link and minute; 0 turns the limit off.
    pub rate_limit_token_per_minute: u32,
    /// Requests to `/s/*` per client address and minute; 0 turns the limit off. High by
    /// default because a whole office may share one address.
    pub rate_limit_survey_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` is believed; empty means the peer address counts.
    pub trusted_proxies: Vec<IpNet>,
    /// Whether a `secret_key` was configured; otherwise the generated one from the database is used.
    pub secret_key_configured: bool,
    /// SMTP conversations at once (the pool keeps as many connections open).
    pub smtp_pool_size: u32,
    /// Upper bound of one SMTP conversation: lettre itself bounds only the connect.
    pub smtp_timeout_seconds: u32,
    /// `smtp_ca_file`: CA certificates trusted for the SMTP server besides the webpki roots.
    pub smtp_ca: Option<CaFile>,
    /// Mails per minute for the whole deployment; `None`: as fast as the relay takes them.
    pub mail_rate_per_minute: Option<u32>,
    /// Mails per day (in `timezone`) for the whole deployment; `None`: no daily quota.
    pub mail_daily_limit: Option<u32>,
    /// Open Maßnahmen (planned or running) a department may have at once: a few that are
    /// carried through beat many that are not.
    pub actions_open_limit: u32,
    /// Days after a round closes by which its results are shared: the thank-you page promises
    /// it to everyone who answered.
    pub results_days_after_close: u32,
    /// Where the results are shared, as the thank-you page says it in German and in English.
    pub results_where_de: String,
    pub results_where_en: String,
    /// When reminders may go: `reminder_hours` on working days, without the public holidays of
    /// `reminder_holidays` (a German state) when set.
    pub working_time: WorkingTime,
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
        let rate_limit_token_per_minute: u32 = read(figment, "rate_limit_token_per_minute", || 5)?;
        let rate_limit_survey_per_minute: u32 =
            read(figment, "rate_limit_survey_per_minute", || 600)?;
        let trusted_proxies = read_opt::<OneOrMany>(figment, "trusted_proxies")?
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
            .iter()
            .flat_map(|entry| entry.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry.parse::<IpNet>().map_err(|err| {
                    invalid("trusted_proxies", format!("`{entry}` is not usable: {err}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        // Rocket's own defaults carry an all-zero key, which means "none configured".
        let smtp_pool_size: u32 = read(figment, "smtp_pool_size", || 4)?;
        if !(1..=256).contains(&smtp_pool_size) {
            return Err(invalid(
                "smtp_pool_size",
                format!("must be between 1 and 256 (got {smtp_pool_size})"),
            ));
        }
        let smtp_timeout_seconds: u32 = read(figment, "smtp_timeout_seconds", || 30)?;
        if !(1..=600).contains(&smtp_timeout_seconds) {
            return Err(invalid(
                "smtp_timeout_seconds",
                format!("must be between 1 and 600 (got {smtp_timeout_seconds})"),
            ));
        }

        let mail_rate_per_minute = positive_limit(figment, "mail_rate_per_minute")?;
        let mail_daily_limit = positive_limit(figment, "mail_daily_limit")?;

        let smtp_ca = read_opt::<PathBuf>(figment, "smtp_ca_file")?
            .filter(|path| !path.as_os_str().is_empty())
            .map(|path| CaFile::load(&path))
            .transpose()
            .map_err(|err| invalid("smtp_ca_file", err))?;

        let actions_open_limit: u32 = read(figment, "actions_open_limit", || 3)?;
        if actions_open_limit == 0 {
            return Err(invalid(
                "actions_open_limit",
                "must be at least 1: with 0 no department could start an action".to_owned(),
            ));
        }

        let results_days_after_close: u32 = read(figment, "results_days_after_close", || 14)?;
        if results_days_after_close > 90 {
            return Err(invalid(
                "results_days_after_close",
                "must be at most 90: results that come a season later tell people nothing"
                    .to_owned(),
            ));
        }
        let results_where_de = where_shared(
            figment,
            "results_where_de",
            "in Ihrer nächsten Teambesprechung",
        )?;
        let results_where_en =
            where_shared(figment, "results_where_en", "at your next team meeting")?;

        let (start, end) = WorkingTime::parse_hours(&read(figment, "reminder_hours", || {
            "09:00-17:00".to_owned()
        })?)
        .map_err(|err| invalid("reminder_hours", err.to_string()))?;
        let holidays = match read_opt::<String>(figment, "reminder_holidays")? {
            None => None,
            Some(code) if code.trim().is_empty() => None,
            Some(code) => Some(State::parse(&code).ok_or_else(|| {
                invalid(
                    "reminder_holidays",
                    format!(
                        "`{code}` is not a German state; one of {}",
                        State::codes().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?),
        };
        let working_time = WorkingTime {
            start,
            end,
            holidays,
        };

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
            rate_limit_token_per_minute,
            rate_limit_survey_per_minute,
            trusted_proxies,
            secret_key_configured,
            smtp_pool_size,
            smtp_timeout_seconds,
            smtp_ca,
            mail_rate_per_minute,
            mail_daily_limit,
            actions_open_limit,
            results_days_after_close,
            results_where_de,
            results_where_en,
            working_time,
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

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a network of
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match value.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (value, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| "expected an IP address or a network such as 10.0.0.0/8".to_owned())?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= max)
                .ok_or_else(|| format!("the prefix length must be a number from 0 to {max}"))?,
        };
        Ok(IpNet { addr, prefix })
    }
}

/// A list in Rocket.toml, or one comma-separated string from an environment variable.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// Where results are shared: a phrase for the thank-you page, one line of at most 200
/// characters.
fn where_shared(
    figment: &Figment,
    key: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let text: String = read(figment, key, || default.to_owned())?;
    let text = text.trim().to_owned();
    if text.is_empty() || text.chars().count() > 200 || text.chars().any(char::is_control) {
        return Err(invalid(
            key,
            "must be one line of 1 to 200 characters, e.g. \"im Intranet unter Umfragen\"",
        ));
    }
    Ok(text)
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        message: message.into(),
    }
}

/// A limit that is either unset (no limit) or a whole number of at least 1: 0 would stop all
/// mail, which is not what anybody means by a limit.
fn positive_limit(figment: &Figment, key: &'static str) -> Result<Option<u32>, ConfigError> {
    match read_opt::<i64>(figment, key)? {
        None => Ok(None),
        Some(value) if (1..=i64::from(u32::MAX)).contains(&value) => Ok(Some(value as u32)),
        Some(value) => Err(invalid(
            key,
            format!("must be a whole number of at least 1, or unset for no limit (got {value})"),
        )),
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
        assert_eq!(settings.rate_limit_token_per_minute, 5);
        assert_eq!(settings.rate_limit_survey_per_minute, 600);
        assert!(settings.trusted_proxies.is_empty());
    }

    #[test]
    fn where_and_when_results_are_shared_is_one_checked_line() {
        let settings = with(&[]).unwrap();
        assert_eq!(settings.results_days_after_close, 14);
        assert_eq!(
            settings.results_where_de,
            "in Ihrer nächsten Teambesprechung"
        );
        assert_eq!(settings.results_where_en, "at your next team meeting");
        let settings = with(&[
            ("results_days_after_close", "0"),
            ("results_where_de", "  im Intranet unter „Kundenpuls“ "),
        ])
        .unwrap();
        assert_eq!(settings.results_days_after_close, 0);
        assert_eq!(settings.results_where_de, "im Intranet unter „Kundenpuls“");
        let key = |pairs: &[(&str, &str)]| with(pairs).unwrap_err().key;
        assert_eq!(
            key(&[("results_days_after_close", "91")]),
            "results_days_after_close"
        );
        assert_eq!(
            key(&[("results_days_after_close", "-1")]),
            "results_days_after_close"
        );
        assert_eq!(key(&[("results_where_en", " ")]), "results_where_en");
        assert_eq!(
            key(&[("results_where_de", "eins\nzwei")]),
            "results_where_de"
        );
        let long = "x".repeat(201);
        assert_eq!(
            key(&[("results_where_de", long.as_str())]),
            "results_where_de"
        );
    }

    #[test]
    fn reminders_keep_to_working_hours_and_optionally_a_states_holidays() {
        let settings = with(&[]).unwrap();
        assert_eq!(settings.working_time, WorkingTime::default());
        let settings = with(&[
            ("reminder_hours", "07:30-16:00"),
            ("reminder_holidays", "by"),
        ])
        .unwrap();
        assert_eq!(settings.working_time.start.to_string(), "07:30:00");
        assert_eq!(settings.working_time.holidays.map(|s| s.code), Some("BY"));
        let key = |pairs: &[(&str, &str)]| with(pairs).unwrap_err().key;
        assert_eq!(key(&[("reminder_hours", "17:00-09:00")]), "reminder_hours");
        assert_eq!(key(&[("reminder_holidays", "Bayern")]), "reminder_holidays");
        let err = with(&[("reminder_holidays", "XX")]).unwrap_err();
        assert!(err.message.contains("BW, BY, BE"), "{}", err.message);
    }

    #[test]
    fn survey_rate_limits_can_be_set_or_turned_off() {
        let settings = with(&[
            ("rate_limit_token_per_minute", "0"),
            ("rate_limit_survey_per_minute", "1200"),
        ])
        .unwrap();
        assert_eq!(settings.rate_limit_token_per_minute, 0);
        assert_eq!(settings.rate_limit_survey_per_minute, 1200);
        for key in [
            "rate_limit_token_per_minute",
            "rate_limit_survey_per_minute",
        ] {
            assert_eq!(with(&[(key, "-1")]).unwrap_err().key, key);
            assert_eq!(with(&[(key, "lots")]).unwrap_err().key, key);
        }
    }

    #[test]
    fn trusted_proxies_take_a_list_or_a_comma_separated_string() {
        let figment = Figment::new().merge(Serialized::default(
            "trusted_proxies",
            vec!["10.0.0.0/8", "2001:db8::/32"],
        ));
        let settings = Settings::from_figment(&figment).unwrap();
        assert_eq!(settings.trusted_proxies.len(), 2);
        let settings = with(&[("trusted_proxies", "192.168.1.10, 172.16.0.0/12")]).unwrap();
        assert_eq!(settings.trusted_proxies.len(), 2);
        assert!(
            with(&[("trusted_proxies", "")])
                .unwrap()
                .trusted_proxies
                .is_empty()
        );
    }

    #[test]
    fn bad_trusted_proxies_are_refused_by_name() {
        for value in ["10.0.0.0/33", "proxy.local", "10.0.0.0/x", "::1/129"] {
            let err = with(&[("trusted_proxies", value)]).unwrap_err();
            assert_eq!(err.key, "trusted_proxies", "{value}");
            assert!(err.message.contains(value), "{err}");
        }
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let one: IpNet = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
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
    fn mail_limits_are_unset_by_default_and_read_when_given() {
        let settings = with(&[]).unwrap();
        assert_eq!(settings.mail_rate_per_minute, None);
        assert_eq!(settings.mail_daily_limit, None);
        let settings = with(&[
            ("mail_rate_per_minute", "30"),
            ("mail_daily_limit", "10000"),
        ])
        .unwrap();
        assert_eq!(settings.mail_rate_per_minute, Some(30));
        assert_eq!(settings.mail_daily_limit, Some(10_000));
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
            ("smtp_pool_size", "0"),
            ("smtp_timeout_seconds", "0"),
            ("smtp_ca_file", "/nonexistent/ca.pem"),
            ("mail_rate_per_minute", "0"),
            ("mail_rate_per_minute", "-5"),
            ("mail_rate_per_minute", "fast"),
            ("mail_daily_limit", "0"),
            ("mail_daily_limit", "-1"),
            ("mail_daily_limit", "lots"),
        ] {
            let err = with(&[(key, value)]).unwrap_err();
            assert_eq!(err.key, key, "{err}");
        }
    }

    #[test]
    fn smtp_ca_file_must_hold_readable_certificates() {
        assert!(with(&[]).unwrap().smtp_ca.is_none(), "webpki roots only");
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for path in [&missing, &empty, &broken, &garbage] {
            let err = with(&[("smtp_ca_file", path.to_str().unwrap())]).unwrap_err();
            assert_eq!(err.key, "smtp_ca_file", "{err}");
            assert!(err.message.contains(path.to_str().unwrap()), "{err}");
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
