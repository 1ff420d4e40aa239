//! A real SMTP server inside the test process, recording what it received and refusing the
//! recipients a test names; with STARTTLS (a certificate from a CA made for the test) and AUTH
//! for one user when a test asks for it.
//!
//! Written here rather than taken from a crate: the one embeddable server (mailin-embedded)
//! pulled in aws-lc-rs, a C library that was the longest single step of the test build, for
//! the few commands lettre speaks. It speaks RFC 5321 as far as a relay answers lettre: EHLO,
//! STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .lines()
            .take_while(|line| !line.is_empty())
            .find(|line| line.to_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    /// The first `/s/<token>` link of the plain-text part.
    pub fn link(&self) -> Option<String> {
        let start = self.data.find("http://")?;
        let link: String = self.data[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
            .collect();
        Some(link)
    }
}

/// One AUTH attempt as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub accepted: bool,
}

#[derive(Clone, Default)]
struct Recorder {
    received: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<HashSet<String>>>,
    /// The one user and password AUTH accepts.
    account: Option<(String, String)>,
    logins: Arc<Mutex<Vec<Login>>>,
    /// Answer `452 4.7.0` (throttling) to every n-th recipient given; 0: never.
    throttle_every: Arc<AtomicUsize>,
    /// Recipients given (one per message here), throttled ones included.
    messages: Arc<AtomicUsize>,
}

impl Recorder {
    fn login(&self, user: &str, password: &str) -> &'static str {
        let accepted = self
            .account
            .as_ref()
            .is_some_and(|(u, p)| u == user && p == password);
        self.logins.lock().unwrap().push(Login {
            user: user.to_owned(),
            accepted,
        });
        if accepted {
            "235 2.7.0 Authentication successful"
        } else {
            "535 5.7.8 Authentication credentials invalid"
        }
    }

    fn rcpt(&self, to: &str) -> &'static str {
        if self.refused.lock().unwrap().contains(to) {
            return "550 5.1.1 No such mailbox";
        }
        // Throttling at RCPT, as relays that count messages per minute answer.
        let every = self.throttle_every.load(Ordering::SeqCst);
        let seen = self.messages.fetch_add(1, Ordering::SeqCst) + 1;
        if every > 0 && seen.is_multiple_of(every) {
            return "452 4.7.0 Too many messages, slow down";
        }
        "250 2.1.5 OK"
    }
}

/// How a conversation over one stream ended.
enum Ended {
    /// QUIT, or the client went away.
    Closed,
    /// STARTTLS was accepted: the same session goes on over TLS.
    Upgrade,
}

/// One SMTP session on `stream`: plain first, and after STARTTLS (when `tls` is given) again
/// over TLS, where AUTH is offered.
async fn session(
    stream: tokio::net::TcpStream,
    recorder: Recorder,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let (ended, stream) = converse(stream, &recorder, tls.is_some(), false, true).await;
    if let (Ended::Upgrade, Some(acceptor)) = (ended, tls)
        && let Ok(secure) = acceptor.accept(stream).await
    {
        converse(secure, &recorder, false, true, false).await;
    }
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    recorder: &Recorder,
    offer_starttls: bool,
    secure: bool,
    greet: bool,
) -> (Ended, S) {
    let mut stream = BufReader::new(stream);
    // The server may only offer AUTH over TLS, as relays do.
    let offer_auth = secure;
    let mut to: Vec<String> = Vec::new();
    if greet
        && reply(&mut stream, "220 test.smtp.local ESMTP")
            .await
            .is_err()
    {
        return (Ended::Closed, stream.into_inner());
    }
    loop {
        let Some(line) = read_line(&mut stream).await else {
            return (Ended::Closed, stream.into_inner());
        };
        let (verb, rest) = match line.split_once(' ') {
            Some((verb, rest)) => (verb.to_ascii_uppercase(), rest.trim().to_owned()),
            None => (line.to_ascii_uppercase(), String::new()),
        };
        let answer = match verb.as_str() {
            "EHLO" => {
                let mut lines = vec!["250-test.smtp.local".to_owned()];
                if offer_starttls {
                    lines.push("250-STARTTLS".to_owned());
                }
                if offer_auth {
                    lines.push("250-AUTH PLAIN LOGIN".to_owned());
                }
                lines.push("250 8BITMIME".to_owned());
                to.clear();
                lines.join("\r\n")
            }
            "HELO" => "250 test.smtp.local".to_owned(),
            "STARTTLS" if offer_starttls => {
                if reply(&mut stream, "220 2.0.0 Ready to start TLS")
                    .await
                    .is_err()
                {
                    return (Ended::Closed, stream.into_inner());
                }
                return (Ended::Upgrade, stream.into_inner());
            }
            "AUTH" if offer_auth => auth(&mut stream, recorder, &rest).await.to_owned(),
            "MAIL" => {
                to.clear();
                "250 2.1.0 OK".to_owned()
            }
            "RCPT" => {
                let address = rest
                    .split_once(':')
                    .map(|(_, path)| path.trim().trim_start_matches('<'))
                    .and_then(|path| path.split('>').next())
                    .unwrap_or_default()
                    .to_owned();
                let answer = recorder.rcpt(&address);
                if answer.starts_with("250") {
                    to.push(address);
                }
                answer.to_owned()
            }
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first".to_owned(),
            "DATA" => {
                if reply(&mut stream, "354 End data with <CR><LF>.<CR><LF>")
                    .await
                    .is_err()
                {
                    return (Ended::Closed, stream.into_inner());
                }
                let Some(data) = read_data(&mut stream).await else {
                    return (Ended::Closed, stream.into_inner());
                };
                recorder.received.lock().unwrap().push(Received {
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 2.0.0 OK queued".to_owned()
            }
            "RSET" => {
                to.clear();
                "250 2.0.0 OK".to_owned()
            }
            "NOOP" => "250 2.0.0 OK".to_owned(),
            "QUIT" => {
                let _ = reply(&mut stream, "221 2.0.0 Bye").await;
                return (Ended::Closed, stream.into_inner());
            }
            _ => "502 5.5.2 Command not implemented".to_owned(),
        };
        if reply(&mut stream, &answer).await.is_err() {
            return (Ended::Closed, stream.into_inner());
        }
    }
}

/// AUTH PLAIN (with or without the initial response) and AUTH LOGIN.
async fn auth<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    recorder: &Recorder,
    rest: &str,
) -> &'static str {
    const MALFORMED: &str = "501 5.5.2 Cannot decode the response";
    let decode = |text: &str| {
        BASE64
            .decode(text.trim())
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let (mechanism, initial) = match rest.split_once(' ') {
        Some((mechanism, initial)) => (mechanism.to_ascii_uppercase(), Some(initial.to_owned())),
        None => (rest.to_ascii_uppercase(), None),
    };
    let mut ask = async |prompt: &str| -> Option<String> {
        reply(stream, prompt).await.ok()?;
        read_line(stream).await
    };
    match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(initial) => initial,
                None => match ask("334 ").await {
                    Some(line) => line,
                    None => return MALFORMED,
                },
            };
            let Some(decoded) = decode(&response) else {
                return MALFORMED;
            };
            let mut parts = decoded.split('\0');
            let (_authorization, user, password) = (parts.next(), parts.next(), parts.next());
            match (user, password) {
                (Some(user), Some(password)) => recorder.login(user, password),
                _ => MALFORMED,
            }
        }
        "LOGIN" => {
            let user = match initial {
                Some(initial) => decode(&initial),
                None => ask("334 VXNlcm5hbWU6").await.and_then(|l| decode(&l)),
            };
            let Some(user) = user else {
                return MALFORMED;
            };
            let Some(password) = ask("334 UGFzc3dvcmQ6").await.and_then(|l| decode(&l)) else {
                return MALFORMED;
            };
            recorder.login(&user, &password)
        }
        _ => "504 5.5.4 Unrecognized authentication type",
    }
}

/// A command line without its line end; `None` when the client is gone.
async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>) -> Option<String> {
    let mut line = Vec::new();
    match stream.read_until(b'\n', &mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(
            String::from_utf8_lossy(&line)
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        ),
    }
}

/// The message after DATA up to the lone dot, dot-unstuffed, line ends kept.
async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>) -> Option<String> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        match stream.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(String::from_utf8_lossy(&data).into_owned());
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(line);
    }
}

async fn reply<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    text: &str,
) -> std::io::Result<()> {
    // One write per reply: two small writes meet Nagle's algorithm and the client's delayed
    // ACK, 40 ms a command.
    let stream = stream.get_mut();
    stream.write_all(format!("{text}\r\n").as_bytes()).await?;
    stream.flush().await
}

/// Makes ring the process-wide crypto provider before any TLS, once per process, so that no
/// TLS set-up depends on which providers the dependencies happen to enable.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A certificate authority made for one test, like a company's internal CA, and a server
/// certificate for 127.0.0.1 and localhost that it signed; all as PEM files in a tempdir.
pub struct TestCa {
    /// The CA certificate: what `smtp_ca_file` points at.
    pub ca_file: PathBuf,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
    _dir: TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "kundenpuls test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "test.smtp.local");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("corp-ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        TestCa {
            ca_file,
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
            _dir: dir,
        }
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![self.cert_der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
        )
        .unwrap();
        Arc::new(config)
    }
}

pub struct SmtpServer {
    pub port: u16,
    recorder: Recorder,
}

impl SmtpServer {
    /// A port that nothing listens on yet: mail to it fails until `start_on` serves it.
    pub fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    pub fn start() -> SmtpServer {
        Self::start_on(Self::free_port())
    }

    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the SMTP port is free");
        Self::serve(listener, Recorder::default(), None)
    }

    /// A listener on a port the system picks: no race with other tests for a free port.
    fn any_port() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").unwrap()
    }

    /// STARTTLS with a certificate of `ca`, and AUTH (PLAIN, LOGIN) that accepts `account`
    /// only; AUTH is offered after STARTTLS only, so a session that authenticated was
    /// encrypted. Without an account every AUTH is refused.
    pub fn start_tls(ca: &TestCa, account: Option<(&str, &str)>) -> SmtpServer {
        install_crypto_provider();
        let recorder = Recorder {
            account: account.map(|(user, password)| (user.to_owned(), password.to_owned())),
            ..Recorder::default()
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config());
        Self::serve(Self::any_port(), recorder, Some(acceptor))
    }

    /// Implicit TLS (smtps://): a TLS front on `port` (as stunnel would be) does the handshake
    /// with a certificate of `ca` and passes the decrypted conversation to a plain server. That
    /// server offers no AUTH (it does so only after its own STARTTLS).
    pub fn start_implicit_tls(ca: &TestCa) -> SmtpServer {
        install_crypto_provider();
        let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config());
        Self::front(move |client, mut plain| {
            let acceptor = acceptor.clone();
            async move {
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            }
        })
    }

    /// A relay that keeps the first message it is given but drops the connection instead of
    /// confirming it: a plain front before a plain server that swallows the server's
    /// first `250` after the end of a message's data and closes both sides.
    pub fn start_dropping_first_confirmation() -> SmtpServer {
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        Self::front(move |client, server| drop_first_confirmation(client, server, dropped.clone()))
    }

    /// A front on a port of its own before a plain server: each client connection is handed
    /// to `pass` with a fresh connection to that server, on a runtime of its own (see `serve`).
    fn front<F, Fut>(pass: F) -> SmtpServer
    where
        F: Fn(tokio::net::TcpStream, tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let backend = Self::serve(Self::any_port(), Recorder::default(), None);
        let backend_port = backend.port;
        let pass = Arc::new(pass);
        let port = accept_on_own_thread(Self::any_port(), move |client| {
            let pass = pass.clone();
            async move {
                if let Ok(server) =
                    tokio::net::TcpStream::connect(("127.0.0.1", backend_port)).await
                {
                    pass(client, server).await;
                }
            }
        });
        SmtpServer {
            port,
            recorder: backend.recorder,
        }
    }

    /// Serves SMTP on `listener` from a runtime of its own on its own thread: the server must
    /// keep answering while a test blocks (a CLI run) or between the tests' runtimes.
    fn serve(
        listener: TcpListener,
        recorder: Recorder,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> SmtpServer {
        let sessions = recorder.clone();
        let port = accept_on_own_thread(listener, move |client| {
            session(client, sessions.clone(), tls.clone())
        });
        SmtpServer { port, recorder }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn refuse(&self, address: &str) {
        self.recorder
            .refused
            .lock()
            .unwrap()
            .insert(address.to_owned());
    }

    /// From now on every n-th message is answered `452 4.7.0` at RCPT (the relay asks for less) and
    /// not kept; 0 turns it off.
    pub fn throttle_every(&self, n: usize) {
        self.recorder.throttle_every.store(n, Ordering::SeqCst);
    }

    /// How many messages were throttled so far.
    pub fn throttled(&self) -> usize {
        let every = self.recorder.throttle_every.load(Ordering::SeqCst);
        let seen = self.recorder.messages.load(Ordering::SeqCst);
        seen.checked_div(every).unwrap_or(0)
    }

    pub fn received(&self) -> Vec<Received> {
        self.recorder.received.lock().unwrap().clone()
    }

    /// Every AUTH attempt, in order.
    pub fn logins(&self) -> Vec<Login> {
        self.recorder.logins.lock().unwrap().clone()
    }
}

/// Accepts connections on `listener` from a runtime of its own on its own thread, each handed to
/// `handle` as a task; returns the port. The thread ends with the test process.
fn accept_on_own_thread<H, Fut>(listener: TcpListener, handle: H) -> u16
where
    H: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                tokio::spawn(handle(client));
            }
        });
    });
    port
}

/// Passes one conversation through; the first `250` that answers the end of a message's data
/// (in any conversation: `dropped`) is not passed on, and the connection is closed instead.
async fn drop_first_confirmation(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    dropped: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let data_ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen_end = data_ended.clone();
    let upstream = tokio::spawn(async move {
        let mut buffer = [0u8; 8192];
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let Ok(n) = client_read.read(&mut buffer).await else {
                return;
            };
            if n == 0 {
                return;
            }
            // Noted before it is passed on, so that the answer cannot arrive first.
            tail.extend_from_slice(&buffer[..n]);
            if tail.windows(5).any(|w| w == b"\r\n.\r\n") {
                seen_end.store(true, Ordering::SeqCst);
            }
            let keep = tail.len().saturating_sub(4);
            tail.drain(..keep);
            if server_write.write_all(&buffer[..n]).await.is_err() {
                return;
            }
        }
    });
    let mut replies = BufReader::new(&mut server_read);
    let mut line = String::new();
    loop {
        line.clear();
        match replies.read_line(&mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.starts_with("250 ")
            && data_ended.swap(false, Ordering::SeqCst)
            && !dropped.swap(true, Ordering::SeqCst)
        {
            break;
        }
        if client_write.write_all(line.as_bytes()).await.is_err() {
            break;
        }
    }
    upstream.abort();
}
