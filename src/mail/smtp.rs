//! SMTP delivery with connections kept open between mails.
//!
//! lettre's own pooled transport never sets TCP_NODELAY, so every mail waits for a delayed ACK
//! (about 44 ms) and bounds only the connect with its timeout (STACK-NOTES.md). Here each
//! connection is opened on our own `TcpStream` with `set_nodelay(true)` and handed to lettre's
//! `AsyncSmtpConnection`, every conversation is bounded by `tokio::time::timeout`, and the
//! number of concurrent conversations is capped by a semaphore, not by the pool size.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore};
use url::Url;

/// How the connection is protected, in lettre's URL convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://host:25`: plain, for a relay on the local network.
    Plain,
    /// `smtp://host:587?tls=required`: STARTTLS or fail; `?tls=opportunistic`: when offered.
    StartTls { required: bool },
    /// `smtps://host:465`: TLS from the first byte.
    Implicit,
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    /// Trusted for the server's certificate besides the webpki roots (`smtp_ca_file`).
    pub extra_ca: Option<crate::config::CaFile>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("auth", &self.credentials.is_some())
            .field("extra_ca", &self.extra_ca.as_ref().map(|ca| &ca.path))
            .finish()
    }
}

impl SmtpConfig {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|err| format!("not a URL: {err}"))?;
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtps", _) => Security::Implicit,
            ("smtp", None) => Security::Plain,
            ("smtp", Some("required")) => Security::StartTls { required: true },
            ("smtp", Some("opportunistic")) => Security::StartTls { required: false },
            ("smtp", Some(other)) => {
                return Err(format!("tls={other}: use required or opportunistic"));
            }
            (scheme, _) => return Err(format!("{scheme}:// is not smtp:// or smtps://")),
        };
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or("the URL names no host")?
            .to_owned();
        let port = url.port().unwrap_or(match security {
            Security::Implicit => 465,
            Security::StartTls { .. } => 587,
            Security::Plain => 25,
        });
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or_default()),
            )
        });
        Ok(SmtpConfig {
            host,
            port,
            security,
            credentials,
            extra_ca: None,
        })
    }

    /// Also trusts the certificates of `smtp_ca_file`.
    pub fn with_extra_ca(mut self, ca: Option<crate::config::CaFile>) -> Self {
        self.extra_ca = ca;
        self
    }

    /// How certificates are checked: the webpki roots, plus the `smtp_ca_file` when set.
    pub fn tls_parameters(&self) -> Result<TlsParameters, lettre::transport::smtp::Error> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(ca) = &self.extra_ca {
            builder = builder.add_root_certificate(ca.certificate.clone());
        }
        builder.build_rustls()
    }
}

/// User and password come percent-encoded in the URL (`@` as `%40`).
fn percent_decode(part: &str) -> String {
    percent_encoding::percent_decode_str(part)
        .decode_utf8_lossy()
        .into_owned()
}

/// Why a mail did not go out, as the worker needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later: a 4xx reply, a broken connection, a timeout.
    Transient(String),
    /// The relay asks everyone to slow down (421, or an enhanced status 4.7.x).
    Throttled(String),
    /// This recipient or message is refused for good (5xx).
    Permanent(String),
    /// The server refuses us, not the mail: wrong credentials, a certificate we do not trust.
    /// A configuration problem: every mail is retried with backoff (fixing the settings fixes
    /// them all), none is marked as undeliverable.
    Setup(String),
}

impl Failure {
    pub fn reply(&self) -> &str {
        match self {
            Failure::Transient(reply)
            | Failure::Throttled(reply)
            | Failure::Permanent(reply)
            | Failure::Setup(reply) => reply,
        }
    }
}

/// How a conversation on one connection failed: the server answered with a refusal, or the
/// connection broke (closed, reset, timed out) before it did.
enum Sent {
    Answered(Failure),
    Broken(Failure),
}

impl Sent {
    fn into_failure(self) -> Failure {
        match self {
            Sent::Answered(failure) | Sent::Broken(failure) => failure,
        }
    }
}

/// Sorts a failed conversation by what the server said. lettre gives the three digits; the
/// enhanced status code (RFC 3463) is read from the reply text.
pub fn classify(error: &lettre::transport::smtp::Error) -> Failure {
    let text = error.to_string();
    if error.is_permanent() {
        return Failure::Permanent(text);
    }
    let code = error.status().map(|code| code.to_string());
    let throttled = code.as_deref() == Some("421")
        || enhanced_status(&text).is_some_and(|s| s.starts_with("4.7."));
    if throttled {
        Failure::Throttled(text)
    } else {
        Failure::Transient(text)
    }
}

/// The first enhanced status code ("4.7.0") in a reply text.
pub fn enhanced_status(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == ';')
        .find(|word| {
            let parts: Vec<&str> = word.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "2" | "4" | "5")
                && parts[1..]
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

pub struct SmtpPool {
    config: SmtpConfig,
    hello: ClientId,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    concurrency: Semaphore,
    timeout: Duration,
}

impl SmtpPool {
    pub fn new(config: SmtpConfig, concurrency: usize, timeout: Duration) -> Self {
        SmtpPool {
            config,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            concurrency: Semaphore::new(concurrency.max(1)),
            timeout,
        }
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Sends one message; the reply of the server on success.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, Failure> {
        let _permit = self
            .concurrency
            .acquire()
            .await
            .map_err(|_| Failure::Transient("the mail transport is shutting down".into()))?;
        // A kept connection may have been closed by the server meanwhile: one fresh retry.
        // Not after an answer: a server that said "later" (4xx) or "less" (421, 4.7.x) means
        // it, and asking again at once is what a throttling relay punishes.
        // Taken in its own statement: the lock must be released before the conversation, which
        // puts the connection back.
        let reused = self.idle.lock().await.pop();
        if let Some(connection) = reused {
            match self.send_on(connection, envelope, message).await {
                Ok(reply) => return Ok(reply),
                Err(Sent::Answered(failure)) => return Err(failure),
                Err(Sent::Broken(_)) => {}
            }
        }
        let connection = tokio::time::timeout(self.timeout, self.connect())
            .await
            .map_err(|_| {
                Failure::Transient(format!(
                    "no answer from {} within {:?}",
                    self.config.host, self.timeout
                ))
            })??;
        self.send_on(connection, envelope, message)
            .await
            .map_err(Sent::into_failure)
    }

    async fn send_on(
        &self,
        mut connection: AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<String, Sent> {
        match tokio::time::timeout(self.timeout, connection.send(envelope, message)).await {
            Ok(Ok(response)) => {
                let reply = format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                );
                self.idle.lock().await.push(connection);
                Ok(reply)
            }
            Ok(Err(error)) => {
                let failure = classify(&error);
                // After a refused recipient the conversation is still usable; after anything
                // else it is not.
                if matches!(failure, Failure::Permanent(_)) && !connection.has_broken() {
                    let _ =
                        tokio::time::timeout(self.timeout, connection.command("RSET\r\n")).await;
                    self.idle.lock().await.push(connection);
                } else {
                    connection.abort().await;
                }
                Err(if error.status().is_some() {
                    Sent::Answered(failure)
                } else {
                    Sent::Broken(failure)
                })
            }
            Err(_) => {
                connection.abort().await;
                Err(Sent::Broken(Failure::Transient(format!(
                    "the server did not finish within {:?}",
                    self.timeout
                ))))
            }
        }
    }

    /// Opens a conversation up to the point where mail can be sent: greeting, EHLO, TLS,
    /// AUTH. Whatever fails here concerns the server and our settings, never one mail: a
    /// refusal is `Setup` (retried, nobody's address marked as bad), the rest stays
    /// `Transient` or `Throttled`.
    async fn connect(&self) -> Result<AsyncSmtpConnection, Failure> {
        let config = &self.config;
        let tls = || {
            config
                .tls_parameters()
                .map_err(|err| Failure::Setup(format!("TLS set-up: {err}")))
        };
        let mut connection = match config.security {
            Security::Implicit => AsyncSmtpConnection::connect_tokio1(
                (config.host.as_str(), config.port),
                Some(self.timeout),
                &self.hello,
                Some(tls()?),
                None,
            )
            .await
            .map_err(|err| session_failure(config, &err))?,
            Security::Plain | Security::StartTls { .. } => {
                let stream = TcpStream::connect((config.host.as_str(), config.port))
                    .await
                    .map_err(|err| {
                        Failure::Transient(format!(
                            "cannot connect to {}:{}: {err}",
                            config.host, config.port
                        ))
                    })?;
                stream
                    .set_nodelay(true)
                    .map_err(|err| Failure::Transient(format!("TCP_NODELAY: {err}")))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                    .await
                    .map_err(|err| session_failure(config, &err))?
            }
        };
        if let Security::StartTls { required } = config.security {
            if connection.can_starttls() {
                // No `abort()` (QUIT) after a failed upgrade: lettre has already given up the
                // socket, and writing to it panics in debug builds. Dropping closes it.
                connection
                    .starttls(tls()?, &self.hello)
                    .await
                    .map_err(|err| session_failure(config, &err))?;
            } else if required {
                connection.abort().await;
                return Err(Failure::Transient(format!(
                    "{} does not offer STARTTLS, which smtp_url requires",
                    config.host
                )));
            }
        }
        if let Some(credentials) = &config.credentials {
            let authenticated = connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await;
            if let Err(err) = authenticated {
                connection.abort().await;
                let reply = format!(
                    "authentication failed at {} (check user and password in smtp_url): {err}",
                    config.host
                );
                // 454 "temporary authentication failure" is the server's problem, not ours.
                return Err(if err.is_transient() {
                    Failure::Transient(reply)
                } else {
                    Failure::Setup(reply)
                });
            }
        }
        Ok(connection)
    }
}

/// A failure before the first mail of a conversation: a refusal of the whole session (5xx to
/// the greeting or EHLO, a TLS handshake that fails on the certificate) is `Setup`.
fn session_failure(config: &SmtpConfig, error: &lettre::transport::smtp::Error) -> Failure {
    if let Some(cause) = tls_refusal(error) {
        let hint = if config.extra_ca.is_some() {
            "is its certificate issued for this host by a CA in smtp_ca_file?"
        } else {
            "a certificate of an internal CA needs smtp_ca_file"
        };
        return Failure::Setup(format!(
            "TLS with {}:{} failed ({hint}): {cause}",
            config.host, config.port
        ));
    }
    match classify(error) {
        Failure::Permanent(reply) => {
            Failure::Setup(format!("{} refuses the session: {reply}", config.host))
        }
        other => other,
    }
}

/// The TLS library's verdict when the handshake was refused (an untrusted or mismatched
/// certificate, no common protocol): tokio-rustls reports it as an `InvalidData` I/O error
/// somewhere down lettre's chain of causes. A connection that merely broke is not one.
fn tls_refusal(error: &lettre::transport::smtp::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::InvalidData
        {
            return Some(match io.get_ref() {
                Some(inner) => inner.to_string(),
                None => io.to_string(),
            });
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_lettres_convention() {
        let plain = SmtpConfig::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, Security::Plain)
        );
        assert!(plain.credentials.is_none());
        let starttls =
            SmtpConfig::parse("smtp://user%40corp:p%C3%A4ss@mail.example.com?tls=required")
                .unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, Security::StartTls { required: true })
        );
        assert!(starttls.credentials.is_some());
        let tls = SmtpConfig::parse("smtps://mail.example.com").unwrap();
        assert_eq!((tls.port, tls.security), (465, Security::Implicit));
        assert!(SmtpConfig::parse("smtp://mail?tls=maybe").is_err());
        assert!(SmtpConfig::parse("http://mail").is_err());
        assert!(
            !format!("{starttls:?}").contains("p%C3%A4ss"),
            "no password in logs"
        );
    }

    #[test]
    fn a_ca_file_may_hold_several_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        let mut pem = String::new();
        for name in ["Corp Root CA", "Corp Issuing CA"] {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            let key = rcgen::KeyPair::generate().unwrap();
            pem.push_str(&params.self_signed(&key).unwrap().pem());
        }
        std::fs::write(&path, pem).unwrap();
        let ca = crate::config::CaFile::load(&path).unwrap();
        assert_eq!(ca.count, 2);
        let config = SmtpConfig::parse("smtp://mail.corp.example?tls=required")
            .unwrap()
            .with_extra_ca(Some(ca));
        assert!(config.tls_parameters().is_ok());
        assert!(format!("{config:?}").contains("ca.pem"));
    }

    #[test]
    fn enhanced_status_codes_are_read_from_the_reply_text() {
        assert_eq!(
            enhanced_status("451 4.7.1 Please try again later"),
            Some("4.7.1")
        );
        assert_eq!(enhanced_status("452 4.2.2 Mailbox full"), Some("4.2.2"));
        assert_eq!(enhanced_status("450 Requested mail action not taken"), None);
        assert_eq!(enhanced_status("version 1.2.3 of something"), None);
    }
}
