//! The release binary as an operator runs it: its own directory and SQLite database, configured
//! through `ROCKET_*` variables, on a real TCP port, with mail going to a real SMTP server.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const PASSWORD: &str = "Kunden-Puls-2026!";

pub struct Service {
    pub port: u16,
    child: Child,
    /// The service's database and secrets; removed when the service is dropped.
    _dir: TempDir,
}

impl Service {
    /// The binary `cargo test --release --features e2e` built beside this test.
    pub fn binary() -> PathBuf {
        PathBuf::from(env!("CARGO_BIN_EXE_kundenpuls"))
    }

    /// Adds the staff users through the CLI, then starts `kundenpuls serve` and waits for
    /// `/health`. Its log goes to `log`.
    pub async fn start(smtp_url: &str, staff: &[(&str, &str)], log: &Path) -> Service {
        let dir = tempfile::tempdir().expect("a directory for the service");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        for (email, role) in staff {
            let mut add = command(dir.path(), port, smtp_url)
                .args(["user", "add", "--email", email, "--role", role])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("kundenpuls user add starts");
            writeln!(add.stdin.take().expect("stdin"), "{PASSWORD}").expect("password written");
            let out = add.wait_with_output().expect("kundenpuls user add ends");
            assert!(
                out.status.success(),
                "kundenpuls user add --email {email}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let log_file = std::fs::File::create(log).expect("service log");
        let child = command(dir.path(), port, smtp_url)
            .arg("serve")
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("kundenpuls serve starts");
        let service = Service {
            port,
            child,
            _dir: dir,
        };
        service.wait_healthy(log).await;
        service
    }

    /// `kundenpuls demo` into a fresh database, then `kundenpuls serve` on it. Returns the
    /// service and the printed login (e-mail, password).
    pub async fn start_demo(smtp_url: &str, log: &Path) -> (Service, String, String) {
        let dir = tempfile::tempdir().expect("a directory for the service");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let out = command(dir.path(), port, smtp_url)
            .arg("demo")
            .stdin(Stdio::null())
            .output()
            .expect("kundenpuls demo runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kundenpuls demo: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (email, password) = stdout
            .lines()
            .find_map(|line| line.strip_prefix("Login: "))
            .and_then(|login| login.split_once(" / "))
            .map(|(email, password)| (email.trim().to_owned(), password.trim().to_owned()))
            .unwrap_or_else(|| panic!("no login line in {stdout}"));
        let log_file = std::fs::File::create(log).expect("service log");
        let child = command(dir.path(), port, smtp_url)
            .arg("serve")
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("kundenpuls serve starts");
        let service = Service {
            port,
            child,
            _dir: dir,
        };
        service.wait_healthy(log).await;
        (service, email, password)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    async fn wait_healthy(&self, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((status, _)) = get(self.port, "/health", "").await
                && status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the service did not answer /health within 60 s; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(dir: &Path, port: u16, smtp_url: &str) -> Command {
    let mut command = Command::new(Service::binary());
    // A directory of its own: no Rocket.toml of the repository, a fresh database and secrets.
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(
            "ROCKET_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("kundenpuls.db").display()),
        )
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ROCKET_SMTP_URL", smtp_url)
        .env("ROCKET_MAIL_FROM", "kundenpuls <umfrage@example.com>")
        .env("ROCKET_MAIL_DIR", dir.join("outbox"))
        .env("ROCKET_LOG_LEVEL", "normal");
    command
}

/// A plain HTTP/1.0 GET (no chunking) with the browser's cookies: the bytes the server sent,
/// for the HTML validator, rather than the browser's re-serialised DOM.
pub async fn get(port: u16, path: &str, cookies: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    if !cookies.is_empty() {
        request.push_str(&format!("Cookie: {cookies}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
