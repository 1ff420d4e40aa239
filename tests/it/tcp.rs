//! The service on a real TCP socket, as a browser or load balancer reaches it.

use std::net::TcpListener;

use kundenpuls::app::App;
use kundenpuls::config::Settings;
use kundenpuls::web;
use rocket::figment::value::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestDb, figment};

async fn get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[rocket::async_test]
async fn the_service_answers_over_tcp() {
    let db = TestDb::new().await;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let figment = figment(
        &db,
        &[
            ("port", Value::from(port)),
            ("address", Value::from("127.0.0.1")),
        ],
    );
    let app = App::start(Settings::from_figment(&figment).unwrap())
        .await
        .unwrap();
    let rocket = web::build(app, figment).ignite().await.expect("ignites");
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());

    let mut health = String::new();
    for _ in 0..100 {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await {
            drop(stream.shutdown().await);
            health = get(port, "/health").await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"database\":\"ok\""), "{health}");

    let login = get(port, "/login").await;
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    assert!(
        login.to_lowercase().contains("set-cookie: kp_csrf="),
        "{login}"
    );
    assert!(login.contains("<form method=\"post\" action=\"/login\""));

    shutdown.notify();
    server.await.unwrap().expect("clean shutdown");
}
