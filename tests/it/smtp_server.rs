//! A real SMTP server inside the test process (mailin-embedded), recording what it received and
//! refusing the recipients a test names; with TLS (a certificate from a CA made for the test) and
//! AUTH for one user when a test asks for it.

use std::collections::HashSet;
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig, response};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;

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
    current_to: Vec<String>,
    current_data: Vec<u8>,
}

impl Recorder {
    fn login(&self, user: &str, password: &str) -> Response {
        let accepted = self
            .account
            .as_ref()
            .is_some_and(|(u, p)| u == user && p == password);
        self.logins.lock().unwrap().push(Login {
            user: user.to_owned(),
            accepted,
        });
        if accepted {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

impl Handler for Recorder {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.current_to.clear();
        self.current_data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.refused.lock().unwrap().contains(to) {
            return response::NO_MAILBOX;
        }
        // Throttling at RCPT, as relays that count messages per minute answer (mailin keeps
        // a session in its DATA state after an error at the end of the data, so the end of
        // the data cannot be the place).
        let every = self.throttle_every.load(Ordering::SeqCst);
        let seen = self.messages.fetch_add(1, Ordering::SeqCst) + 1;
        if every > 0 && seen.is_multiple_of(every) {
            return Response::custom(452, "4.7.0 Too many messages, slow down".into());
        }
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current_to = to.to_vec();
        self.current_data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current_data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.received.lock().unwrap().push(Received {
            to: std::mem::take(&mut self.current_to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.current_data)).into_owned(),
        });
        response::OK
    }

    fn auth_plain(
        &mut self,
        _authorization_id: &str,
        authentication_id: &str,
        password: &str,
    ) -> Response {
        self.login(authentication_id, password)
    }

    fn auth_login(&mut self, username: &str, password: &str) -> Response {
        self.login(username, password)
    }
}

/// rustls cannot pick a process-wide crypto provider by itself here (mailin-embedded brings
/// aws-lc-rs, the service uses ring): install ring before any TLS, once per process.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A certificate authority made for one test, like a company's internal CA, and a server
/// certificate for 127.0.0.1 and localhost that it signed; all as PEM files in a tempdir.
pub struct TestCa {
    /// The CA certificate: what `smtp_ca_file` points at.
    pub ca_file: PathBuf,
    cert_file: PathBuf,
    key_file: PathBuf,
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
        let cert_file = dir.path().join("smtp-cert.pem");
        let key_file = dir.path().join("smtp-key.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        std::fs::write(&cert_file, cert.pem()).unwrap();
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        TestCa {
            ca_file,
            cert_file,
            key_file,
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
            _dir: dir,
        }
    }

    fn ssl_config(&self) -> SslConfig {
        SslConfig::SelfSigned {
            cert_path: self.cert_file.display().to_string(),
            key_path: self.key_file.display().to_string(),
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
    /// only; mailin-embedded offers AUTH after STARTTLS only, so a session that authenticated
    /// was encrypted. Without an account every AUTH is refused.
    pub fn start_tls(ca: &TestCa, account: Option<(&str, &str)>) -> SmtpServer {
        install_crypto_provider();
        let recorder = Recorder {
            account: account.map(|(user, password)| (user.to_owned(), password.to_owned())),
            ..Recorder::default()
        };
        Self::serve(Self::any_port(), recorder, Some(ca.ssl_config()))
    }

    /// Implicit TLS (smtps://): mailin-embedded can only upgrade with STARTTLS, so a TLS front
    /// on `port` (as stunnel would be) does the handshake with a certificate of `ca` and passes
    /// the decrypted conversation to a plain mailin-embedded server. That server offers no
    /// AUTH (it does so only after its own STARTTLS).
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
    /// confirming it: a plain front before a mailin-embedded server that swallows the server's
    /// first `250` after the end of a message's data and closes both sides.
    pub fn start_dropping_first_confirmation() -> SmtpServer {
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        Self::front(move |client, server| drop_first_confirmation(client, server, dropped.clone()))
    }

    /// A front on a port of its own before a plain mailin-embedded server: each client
    /// connection is handed to `pass` with a fresh connection to that server. Its own runtime on
    /// its own thread: the front must keep answering while a test blocks (a CLI run) or between
    /// the tests' runtimes. It ends with the test process.
    fn front<F, Fut>(pass: F) -> SmtpServer
    where
        F: Fn(tokio::net::TcpStream, tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let backend = Self::serve(Self::any_port(), Recorder::default(), None);
        let listener = Self::any_port();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let backend_port = backend.port;
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
                    let Ok(server) =
                        tokio::net::TcpStream::connect(("127.0.0.1", backend_port)).await
                    else {
                        continue;
                    };
                    tokio::spawn(pass(client, server));
                }
            });
        });
        SmtpServer {
            port,
            recorder: backend.recorder,
        }
    }

    fn serve(listener: TcpListener, recorder: Recorder, tls: Option<SslConfig>) -> SmtpServer {
        let port = listener.local_addr().unwrap().port();
        let mut server = Server::new(recorder.clone());
        server
            .with_name("test.smtp.local")
            .with_tcp_listener(listener);
        if let Some(tls) = tls {
            server
                .with_ssl(tls)
                .expect("the test certificate loads")
                .with_auth(AuthMechanism::Plain)
                .with_auth(AuthMechanism::Login);
        }
        // serve() never returns: the thread ends with the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
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
