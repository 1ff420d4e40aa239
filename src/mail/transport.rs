//! Where mail goes: an SMTP server from `smtp_url`, or `.eml` files in `mail_dir` when none is
//! configured (a new installation sends nothing by accident).

use std::path::PathBuf;
use std::time::Duration;

use lettre::Message;

use super::smtp::{Failure, SmtpConfig, SmtpPool};
use crate::config::Settings;

pub enum Transport {
    /// Boxed: the pool is large next to a path.
    Smtp(Box<SmtpPool>),
    Files(PathBuf),
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        match &settings.smtp_url {
            Some(url) => {
                let config = SmtpConfig::parse(url)?.with_extra_ca(settings.smtp_ca.clone());
                Ok(Transport::Smtp(Box::new(SmtpPool::new(
                    config,
                    settings.smtp_pool_size as usize,
                    Duration::from_secs(u64::from(settings.smtp_timeout_seconds)),
                ))))
            }
            None => Ok(Transport::Files(settings.mail_dir.clone())),
        }
    }

    /// Delivers one message; what the server (or the file system) answered on success.
    pub async fn send(&self, message: &Message, message_id: &str) -> Result<String, Failure> {
        match self {
            Transport::Smtp(pool) => pool.send(message.envelope(), &message.formatted()).await,
            Transport::Files(dir) => write_file(dir, message, message_id).await,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(pool) => {
                let config = pool.config();
                let ca = match &config.extra_ca {
                    Some(ca) => format!(
                        ", also trusting the {} CA certificate(s) in {}",
                        ca.count,
                        ca.path.display()
                    ),
                    None => String::new(),
                };
                format!(
                    "SMTP {}:{} ({:?}{ca})",
                    config.host, config.port, config.security
                )
            }
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }
}

/// One file per Message-ID, written under a temporary name and renamed: a resend after a crash
/// replaces the file instead of adding a second one.
async fn write_file(
    dir: &std::path::Path,
    message: &Message,
    message_id: &str,
) -> Result<String, Failure> {
    let name: String = message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.eml"));
    let temporary = dir.join(format!(".{name}.eml.tmp"));
    let write = async {
        tokio::fs::create_dir_all(dir).await?;
        tokio::fs::write(&temporary, message.formatted()).await?;
        tokio::fs::rename(&temporary, &path).await
    };
    write
        .await
        .map(|()| format!("written to {}", path.display()))
        .map_err(|err| Failure::Transient(format!("cannot write {}: {err}", path.display())))
}
