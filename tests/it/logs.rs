//! What the service writes to its log at the most talkative level: never a survey link, an API
//! token, a session cookie or a password, however a client spells the path. The service runs as
//! its own process (the log subscriber is one per process), driven over TCP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{TestDb, csrf_in, form, mail_dir};

const PASSWORD: &str = "Herbst-Laub-2026-geheim";

fn kundenpuls(db: &TestDb, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kundenpuls"))
        .args(args)
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("KUNDENPULS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

struct Serve {
    child: Child,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &TestDb, log: &Path) -> Serve {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_kundenpuls"))
        .arg("serve")
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ROCKET_MAIL_DIR", mail_dir(db))
        .env("KUNDENPULS_LOG", "trace")
        .env("ROCKET_LOG_LEVEL", "debug")
        .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("the service starts");
    let serve = Serve { child, port };
    wait_until("the service answers", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    serve
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "gave up waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.1 exchange; the answer's head and body.
fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_owned(), body.to_owned())
}

/// `name=value` of every cookie the answer sets.
fn cookies(head: &str) -> Vec<String> {
    head.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim().split(';').next().unwrap().to_owned())
        })
        .collect()
}

#[rocket::async_test]
async fn at_trace_level_no_token_cookie_or_password_reaches_the_log() {
    let db = TestDb::new().await;
    kundenpuls(&db, &["migrate"], "");
    kundenpuls(
        &db,
        &["user", "add", "--email", "hr@example.de", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    let api_token = kundenpuls(
        &db,
        &["token", "create", "--role", "admin", "--name", "hr-system"],
        "",
    )
    .trim()
    .to_owned();
    let file = db.dir.path().join("org.csv");
    let mut csv = String::from("email,name,department\n");
    for n in 0..6 {
        csv.push_str(&format!("p{n}@example.de,Person {n},Vertrieb\n"));
    }
    std::fs::write(&file, csv).unwrap();
    kundenpuls(&db, &["import", "employees", file.to_str().unwrap()], "");
    let berlin = |minutes: i64| {
        (chrono::Utc::now() + chrono::Duration::minutes(minutes))
            .with_timezone(&chrono_tz::Europe::Berlin)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    kundenpuls(
        &db,
        &[
            "round",
            "create",
            "--title",
            "Puls",
            "--opens",
            &berlin(-1),
            "--closes",
            &berlin(60 * 24),
        ],
        "",
    );

    let log = db.dir.path().join("serve.log");
    let service = serve(&db, &log);
    let port = service.port;
    // The worker writes the invitations as files: the survey links are in them (a reminder
    // may already follow each invitation, with the same link).
    let mut links = std::collections::BTreeSet::new();
    wait_until("the invitations are written", || {
        let Ok(dir) = std::fs::read_dir(mail_dir(&db)) else {
            return false;
        };
        links = dir
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
            .filter_map(|mail| {
                let at = mail.find("/s/")?;
                let token: String = mail[at + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                Some(token)
            })
            .collect();
        links.len() == 6
    });
    let links: Vec<String> = links.into_iter().collect();
    let token = links[0].clone();
    let secret = token.split_once('-').unwrap().1.to_owned();

    // Staff: login page, login, a page, logout, and the cookie replayed.
    let (head, body) = http(port, "GET", "/login?next=/admin", &[], "");
    let csrf_cookie = cookies(&head).join("; ");
    let csrf = csrf_in(&body);
    let login_body = form(&[
        ("csrf", &csrf),
        ("email", "hr@example.de"),
        ("password", PASSWORD),
        ("next", "/admin"),
    ]);
    let (head, _) = http(
        port,
        "POST",
        "/login",
        &[
            ("Cookie", &csrf_cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &login_body,
    );
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    let session = cookies(&head)
        .into_iter()
        .find(|c| c.starts_with("kp_session="))
        .expect("a session cookie");
    let session_value = session.split_once('=').unwrap().1.to_owned();
    let all_cookies = format!("{csrf_cookie}; {session}");
    let (head, _) = http(port, "GET", "/admin", &[("Cookie", &all_cookies)], "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // A failed login with the password in the wrong field, and a broken form.
    http(
        port,
        "POST",
        "/login",
        &[
            ("Cookie", &csrf_cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form(&[("csrf", &csrf), ("email", PASSWORD), ("password", PASSWORD)]),
    );
    http(
        port,
        "POST",
        "/login",
        &[
            ("Cookie", &csrf_cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!("password={PASSWORD}&email=%ZZ"),
    );

    // API: with the token, with a broken token that contains it, and with JSON bodies.
    let bearer = format!("Bearer {api_token}");
    let (head, _) = http(
        port,
        "GET",
        "/api/v1/rounds",
        &[("Authorization", &bearer)],
        "",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    http(
        port,
        "GET",
        "/api/v1/rounds",
        &[("Authorization", &format!("Bearer x{api_token}"))],
        "",
    );
    http(
        port,
        "POST",
        "/api/v1/rounds",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        &format!("{{\"title\": 5, \"opens_at\": \"{api_token}\"}}"),
    );

    // Survey: the link, its privacy page, the link spelled with escapes, answers that do not
    // parse, and paths that match no route.
    for (method, target) in [
        ("GET", format!("/s/{token}")),
        ("GET", format!("/s/{token}?lang=en")),
        ("GET", format!("/s/{token}/privacy")),
        ("GET", format!("/%73/{token}")),
        ("GET", format!("/s%2F{token}")),
        ("GET", format!("/%73/{}", token.replace('-', "%2D"))),
        ("POST", format!("/s/{token}")),
        ("POST", format!("/%73/{token}")),
        ("GET", format!("/s/{token}/nichts/da")),
        ("GET", format!("//s/{token}")),
    ] {
        let (head, _) = http(
            port,
            method,
            &target,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &all_cookies),
            ],
            "q=%ZZ&antwort=7",
        );
        assert!(!head.starts_with("HTTP/1.1 5"), "{method} {target}: {head}");
    }
    let (head, _) = http(port, "GET", &format!("/%73/{token}"), &[], "");
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "the escaped link still works: {head}"
    );

    let (head, _) = http(
        port,
        "POST",
        "/logout",
        &[
            ("Cookie", &all_cookies),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form(&[("csrf", &csrf)]),
    );
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    drop(service);

    let written = std::fs::read_to_string(&log).unwrap()
        + &std::fs::read_to_string(log.with_extension("out")).unwrap();
    assert!(
        written.contains(" TRACE ") || written.contains(" DEBUG "),
        "the service logged at trace level: {written}"
    );
    assert!(
        written.contains("/s/…"),
        "survey requests are logged, without their token"
    );
    for (what, value) in [
        ("survey token", secret.as_str()),
        ("start of the survey token", &secret[..12]),
        ("API token", api_token.as_str()),
        ("API token's secret part", &api_token[3..20]),
        ("session cookie", session_value.as_str()),
        ("password", PASSWORD),
    ] {
        if let Some(at) = written.find(value) {
            let from = written[..at].rfind('\n').map_or(0, |n| n + 1);
            let to = written[at..].find('\n').map_or(written.len(), |n| at + n);
            panic!("the {what} is in the log: {}", &written[from..to]);
        }
    }
}
