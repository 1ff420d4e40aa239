//! Spawning the real application per test, each with its own database.

use std::path::PathBuf;

use kundenpuls::app::App;
use kundenpuls::auth::staff;
use kundenpuls::config::Settings;
use kundenpuls::i18n::Locale;
use kundenpuls::vocab::Role;
use kundenpuls::web;
use rocket::figment::Figment;
use rocket::figment::value::Value;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

pub const PASSWORD: &str = "Sommer-Regen-2026";

/// A database of its own: a SQLite file in a temporary directory, or a fresh PostgreSQL
/// database when KUNDENPULS_TEST_DATABASE_URL is set (dropped again afterwards).
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        match std::env::var("KUNDENPULS_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|err| {
                    panic!("PostgreSQL at KUNDENPULS_TEST_DATABASE_URL: {err}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("a database URL");
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: url.to_string(),
                    dir,
                    postgres: Some((admin_url, name)),
                }
            }
            _ => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("kundenpuls.db").display()
                );
                TestDb {
                    url,
                    dir,
                    postgres: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a runtime of its own on a plain thread avoids
        // blocking it.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Rocket's debug defaults plus the test database; never the repository's Rocket.toml.
pub fn figment(db: &TestDb, overrides: &[(&str, Value)]) -> Figment {
    let mut figment = Figment::from(rocket::Config::debug_default())
        .merge(("database_url", db.url.clone()))
        .merge(("mail_dir", mail_dir(db).display().to_string()))
        .merge(("log_level", "off"));
    for (key, value) in overrides {
        figment = figment.merge((*key, value.clone()));
    }
    figment
}

pub fn mail_dir(db: &TestDb) -> PathBuf {
    db.dir.path().join("outbox")
}

pub struct TestApp {
    pub client: Client,
    pub app: App,
    /// Kept so that the database outlives the client.
    _db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(overrides: &[(&str, Value)]) -> TestApp {
        let db = TestDb::new().await;
        Self::spawn_on(db, overrides).await
    }

    pub async fn spawn_on(db: TestDb, overrides: &[(&str, Value)]) -> TestApp {
        let figment = figment(&db, overrides);
        let settings = Settings::from_figment(&figment).expect("test settings are valid");
        let app = App::start(settings).await.expect("app starts");
        let client = Client::tracked(web::build(app.clone(), figment))
            .await
            .expect("rocket ignites");
        TestApp {
            client,
            app,
            _db: db,
        }
    }

    pub async fn add_staff(&self, email: &str, role: Role) {
        staff::add(
            &self.app.db,
            staff::NewStaffUser {
                email,
                password: PASSWORD,
                role,
                department: None,
                locale: Locale::De,
            },
        )
        .await
        .expect("staff user added");
    }

    /// The CSRF token the login page hands out (and sets as a cookie).
    pub async fn csrf(&self) -> String {
        let page = self.client.get("/login").dispatch().await;
        assert_eq!(page.status(), Status::Ok);
        csrf_in(&page.into_string().await.expect("body"))
    }

    pub async fn login(&self, email: &str, password: &str) -> LocalResponse<'_> {
        let csrf = self.csrf().await;
        self.client
            .post("/login")
            .header(ContentType::Form)
            .body(form(&[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
            ]))
            .dispatch()
            .await
    }
}

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

pub fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

pub fn location<'a>(response: &'a LocalResponse<'_>) -> &'a str {
    response.headers().get_one("Location").unwrap_or("")
}

/// A small organisation written straight into the database: departments by path (parents
/// first) and `per_department` active employees in each.
pub async fn seed_org(
    db: &sea_orm::DatabaseConnection,
    paths: &[&str],
    per_department: usize,
) -> std::collections::HashMap<String, i32> {
    use kundenpuls::entities::{department, employee};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let now = chrono::Utc::now();
    let mut ids = std::collections::HashMap::new();
    for path in paths {
        let (parent, name) = match path.rsplit_once(" / ") {
            Some((parent, name)) => (Some(ids[parent]), name),
            None => (None, *path),
        };
        let record = department::ActiveModel {
            parent_id: Set(parent),
            name: Set(name.to_owned()),
            path: Set((*path).to_owned()),
            created_at: Set(now),
            retired_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("department");
        ids.insert((*path).to_owned(), record.id);
        for n in 0..per_department {
            employee::ActiveModel {
                email: Set(format!(
                    "{}.{n}@example.de",
                    name.to_lowercase().replace(' ', "-")
                )),
                name: Set(format!("{name} {n}")),
                department_id: Set(record.id),
                locale: Set(if n % 3 == 0 { "en" } else { "de" }.to_owned()),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("employee");
        }
    }
    ids
}

pub fn bearer(token: &str) -> rocket::http::Header<'static> {
    rocket::http::Header::new("Authorization", format!("Bearer {token}"))
}

impl TestApp {
    /// The database the app runs on, for a second process on the same one.
    pub fn test_db(&self) -> &TestDb {
        &self._db
    }

    /// A fresh API token of `role`.
    pub async fn token(&self, role: Role) -> String {
        kundenpuls::auth::api_token::create(&self.app.db, "test", role, None)
            .await
            .expect("token")
            .token
    }
}

/// Where the file transport of `t` writes its `.eml` files.
pub fn mail_dir_of(t: &TestApp) -> PathBuf {
    t.app.settings.mail_dir.clone()
}

/// What a reader sees of a page: its text without tags and attributes (a space where a tag
/// was), minijinja's entity for `/` turned back.
pub fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#x2f;", "/")
}
