//! Mail through an SMTP server that wants TLS and a password, as company relays do: a real
//! in-process server (`smtp_server`) with a certificate from a CA made for the test, like an
//! internal CA that only `smtp_ca_file` makes trusted. Each test checks what the server actually
//! received.

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use kundenpuls::config::CaFile;
use kundenpuls::mail::outbox;
use kundenpuls::mail::smtp::{Failure, SmtpConfig, SmtpPool};
use kundenpuls::mail::transport::Transport;
use kundenpuls::mail::worker::Mailer;
use lettre::address::Envelope;
use rocket::figment::value::Value;

use crate::helpers::{TestApp, TestDb};
use crate::mail::{app_with_staff, mailer, open_round};
use crate::smtp_server::{Login, SmtpServer, TestCa};

const USER: &str = "kundenpuls@corp.example";
const PASSWORD: &str = "Relais-Passwort-2026";

/// `smtp://user:password@127.0.0.1:PORT?tls=required`, the user percent-encoded as in a
/// real configuration.
fn starttls_url(server: &SmtpServer, password: &str) -> String {
    format!(
        "smtp://{}:{password}@127.0.0.1:{}?tls=required",
        USER.replace('@', "%40"),
        server.port
    )
}

/// The app sending through `smtp_url`, trusting `ca` as an `smtp_ca_file` when given.
async fn app_with(smtp_url: &str, ca: Option<&TestCa>, per_department: usize) -> TestApp {
    let extra: Vec<(&str, Value)> = ca
        .map(|ca| {
            (
                "smtp_ca_file",
                Value::from(ca.ca_file.display().to_string()),
            )
        })
        .into_iter()
        .collect();
    app_with_staff(smtp_url, per_department, &extra).await
}

/// One mail straight through a pool, as the worker sends it.
async fn send_one(url: &str, ca: Option<&TestCa>) -> Result<String, Failure> {
    let extra_ca = ca.map(|ca| CaFile::load(&ca.ca_file).expect("the test CA loads"));
    let config = SmtpConfig::parse(url).unwrap().with_extra_ca(extra_ca);
    let pool = SmtpPool::new(config, 1, StdDuration::from_secs(10));
    let envelope = Envelope::new(
        Some("umfrage@corp.example".parse().unwrap()),
        vec!["postmaster@corp.example".parse().unwrap()],
    )
    .unwrap();
    pool.send(
        &envelope,
        b"Subject: TLS check\r\nFrom: umfrage@corp.example\r\n\r\nHallo\r\n",
    )
    .await
}

fn recipients_once(server: &SmtpServer) -> HashMap<String, usize> {
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for mail in server.received() {
        assert_eq!(mail.to.len(), 1, "one recipient per mail");
        *per_recipient.entry(mail.to[0].clone()).or_default() += 1;
    }
    per_recipient
}

#[rocket::async_test]
async fn starttls_with_the_company_ca_and_the_right_password_delivers_every_invitation() {
    let ca = TestCa::new();
    let server = SmtpServer::start_tls(&ca, Some((USER, PASSWORD)));
    let t = app_with(&starttls_url(&server, PASSWORD), Some(&ca), 2).await;
    assert_eq!(
        t.app.settings.smtp_ca.as_ref().map(|ca| ca.count),
        Some(1),
        "smtp_ca_file is read at start-up"
    );
    let view = open_round(&t, 14).await;
    assert_eq!(view.participation.invited, Some(4));

    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (4, 0, 0));

    let per_recipient = recipients_once(&server);
    assert_eq!(per_recipient.len(), 4, "{per_recipient:?}");
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
    for mail in server.received() {
        assert!(mail.link().is_some_and(|link| link.contains("/s/")));
        assert!(mail.header("Message-ID").is_some());
    }
    // AUTH is offered only after STARTTLS: every session was encrypted and logged in as USER.
    let logins = server.logins();
    assert!(!logins.is_empty());
    assert!(
        logins.iter().all(|login| *login
            == Login {
                user: USER.into(),
                accepted: true
            }),
        "{logins:?}"
    );
    // One pooled pass: at most a connection (and so a login) per conversation slot.
    assert!(
        logins.len() <= t.app.settings.smtp_pool_size as usize,
        "{logins:?}"
    );
    let log = outbox::send_log(&t.app.db, view.id).await.unwrap();
    assert_eq!(log.invitations.sent, 4);
}

#[rocket::async_test]
async fn a_wrong_password_is_a_setup_problem_that_is_retried_not_a_refused_address() {
    let ca = TestCa::new();
    let server = SmtpServer::start_tls(&ca, Some((USER, PASSWORD)));

    // What the caller of the transport sees.
    let failure = send_one(&starttls_url(&server, "falsch"), Some(&ca))
        .await
        .unwrap_err();
    let Failure::Setup(reply) = &failure else {
        panic!("an authentication failure is a set-up problem: {failure:?}");
    };
    assert!(
        reply.contains("authentication failed") && reply.contains("535"),
        "{reply}"
    );
    assert!(
        !reply.contains("falsch"),
        "no password in the reply: {reply}"
    );
    assert!(server.received().is_empty());
    assert_eq!(
        server.logins(),
        vec![Login {
            user: USER.into(),
            accepted: false
        }]
    );

    // What the worker makes of it: every mail waits, none is marked as undeliverable.
    let t = app_with(&starttls_url(&server, "falsch"), Some(&ca), 1).await;
    let view = open_round(&t, 14).await;
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (0, 2, 0));
    let log = outbox::send_log(&t.app.db, view.id).await.unwrap();
    assert_eq!((log.invitations.retrying, log.invitations.failed), (2, 0));
    for line in &log.invitation_problems {
        assert_eq!(
            line.state,
            kundenpuls::vocab::MailState::Retrying,
            "{line:?}"
        );
        let reply = line.last_reply.as_deref().unwrap_or_default();
        assert!(
            reply.contains("authentication failed") && reply.contains("535"),
            "HR sees why: {reply}"
        );
    }
    assert!(server.received().is_empty());
    assert!(server.logins().iter().all(|login| !login.accepted));

    // The operator fixes the password: after the backoff every mail goes out, once.
    let mut fixed = (*t.app.settings).clone();
    fixed.smtp_url = Some(starttls_url(&server, PASSWORD));
    let fixed = Mailer::new(t.app.clone(), Transport::from_settings(&fixed).unwrap());
    assert_eq!(
        fixed.deliver_all(Utc::now()).await.unwrap().sent,
        0,
        "backoff"
    );
    let later = Utc::now() + Duration::minutes(5);
    assert_eq!(fixed.deliver_all(later).await.unwrap().sent, 2);
    let per_recipient = recipients_once(&server);
    assert_eq!(per_recipient.len(), 2, "{per_recipient:?}");
    assert!(per_recipient.values().all(|n| *n == 1));
    assert!(server.logins().iter().any(|login| login.accepted));
}

#[rocket::async_test]
async fn without_smtp_ca_file_the_internal_ca_is_refused_and_no_password_is_sent() {
    let ca = TestCa::new();
    let server = SmtpServer::start_tls(&ca, Some((USER, PASSWORD)));

    let failure = send_one(&starttls_url(&server, PASSWORD), None)
        .await
        .unwrap_err();
    let Failure::Setup(reply) = &failure else {
        panic!("an untrusted certificate is a set-up problem: {failure:?}");
    };
    assert!(
        reply.contains("TLS") && reply.contains("smtp_ca_file"),
        "{reply}"
    );
    assert!(
        reply.to_lowercase().contains("certificate"),
        "the TLS library's reason: {reply}"
    );

    let t = app_with(&starttls_url(&server, PASSWORD), None, 1).await;
    assert!(t.app.settings.smtp_ca.is_none());
    let view = open_round(&t, 14).await;
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (0, 2, 0));
    let log = outbox::send_log(&t.app.db, view.id).await.unwrap();
    assert!(log.invitation_problems.iter().all(|line| {
        line.last_reply
            .as_deref()
            .is_some_and(|reply| reply.contains("TLS"))
    }));

    assert!(server.received().is_empty(), "nothing delivered");
    assert!(
        server.logins().is_empty(),
        "the password never travels over an untrusted connection"
    );
}

#[rocket::async_test]
async fn smtps_with_the_company_ca_delivers_and_without_it_is_refused() {
    let ca = TestCa::new();
    let server = SmtpServer::start_implicit_tls(&ca);
    let url = format!("smtps://127.0.0.1:{}", server.port);

    let failure = send_one(&url, None).await.unwrap_err();
    assert!(
        matches!(&failure, Failure::Setup(reply) if reply.contains("TLS")),
        "{failure:?}"
    );
    assert!(server.received().is_empty());

    let reply = send_one(&url, Some(&ca)).await.unwrap();
    assert!(reply.starts_with("250"), "{reply}");

    let t = app_with(&url, Some(&ca), 1).await;
    open_round(&t, 14).await;
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!((done.sent, done.failed), (2, 0));
    let received = server.received();
    assert_eq!(received.len(), 3);
    assert_eq!(received[0].to, vec!["postmaster@corp.example".to_owned()]);
    assert!(received[0].data.contains("Subject: TLS check"));
}

fn kundenpuls(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kundenpuls"));
    command
        .args(args)
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("KUNDENPULS_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[rocket::async_test]
async fn mail_test_through_starttls_and_auth_prints_the_servers_answer() {
    let db = TestDb::new().await;
    let ca = TestCa::new();
    let server = SmtpServer::start_tls(&ca, Some((USER, PASSWORD)));
    let ca_file = ca.ca_file.display().to_string();
    let args = ["mail", "test", "--to", "postmaster@example.de"];

    let right = starttls_url(&server, PASSWORD);
    let output = kundenpuls(
        &db,
        &args,
        &[
            ("ROCKET_SMTP_URL", &right),
            ("ROCKET_SMTP_CA_FILE", &ca_file),
        ],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!("127.0.0.1:{}", server.port)) && stdout.contains(&ca_file),
        "says where it sends and which CA it trusts: {stdout}"
    );
    assert!(
        stdout.contains("sent to postmaster@example.de: 250"),
        "{stdout}"
    );
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, vec!["postmaster@example.de".to_owned()]);
    assert_eq!(
        server.logins(),
        vec![Login {
            user: USER.into(),
            accepted: true
        }]
    );

    // A wrong password: the operator reads the server's refusal.
    let wrong = starttls_url(&server, "falsch");
    let failed = kundenpuls(
        &db,
        &args,
        &[
            ("ROCKET_SMTP_URL", &wrong),
            ("ROCKET_SMTP_CA_FILE", &ca_file),
        ],
    );
    let stderr = text(&failed.stderr);
    assert!(!failed.status.success());
    assert!(
        stderr.contains("not sent")
            && stderr.contains("authentication failed")
            && stderr.contains("535"),
        "{stderr}"
    );
    assert_eq!(server.received().len(), 1, "nothing more arrived");

    // Without the CA: a TLS error, nothing delivered, no password sent.
    let untrusted = kundenpuls(&db, &args, &[("ROCKET_SMTP_URL", &right)]);
    let stderr = text(&untrusted.stderr);
    assert!(!untrusted.status.success());
    assert!(
        stderr.contains("not sent") && stderr.contains("smtp_ca_file"),
        "{stderr}"
    );
    assert_eq!(server.received().len(), 1);
    assert_eq!(server.logins().len(), 2);

    // A CA file that is not there stops start-up with one line naming the key.
    let missing = db.dir.path().join("no-such-ca.pem").display().to_string();
    let bad = kundenpuls(
        &db,
        &args,
        &[
            ("ROCKET_SMTP_URL", &right),
            ("ROCKET_SMTP_CA_FILE", &missing),
        ],
    );
    let stderr = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("smtp_ca_file") && stderr.contains(&missing),
        "{stderr}"
    );
}
