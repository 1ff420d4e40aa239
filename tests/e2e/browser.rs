//! Debian's chromium through chromedriver, one browser profile per person, and the evidence of
//! each step: a screenshot, the page's HTML for the Nu validator, and axe-core's findings.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Where the checkers come from: `npm ci --prefix tests/e2e` (pinned in its package-lock.json).
fn checkers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/node_modules")
}

fn program(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

pub struct Driver {
    port: u16,
    child: Child,
    profiles: Vec<TempDir>,
}

/// The screen a person looks at the service on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Desktop,
    /// 390 × 844 CSS pixels at 3× with touch, the size of a current iPhone.
    Phone,
    /// 360 × 740 CSS pixels at 3× with touch: the narrowest phones still common.
    SmallPhone,
}

impl Driver {
    pub async fn start() -> Driver {
        let chromedriver = program("KUNDENPULS_E2E_CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "{chromedriver} does not start ({err}): install Debian's chromium and \
                     chromium-driver (apt-get install chromium chromium-driver)"
                )
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver {
            port,
            child,
            profiles: Vec::new(),
        }
    }

    /// A browser of its own (own profile, so own cookies), as on one person's device.
    pub async fn open(&mut self, screen: Screen) -> Client {
        let profile = tempfile::tempdir().expect("a browser profile");
        // The flags the machine notes give for a closed network: without them chromium keeps
        // trying to reach Google's hosts.
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--lang=de-DE",
        ]
        .iter()
        .map(|flag| flag.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut options = json!({
            "binary": program("KUNDENPULS_E2E_CHROMIUM", "/usr/bin/chromium"),
        });
        match screen {
            Screen::Desktop => args.push("--window-size=1280,1000".into()),
            Screen::Phone | Screen::SmallPhone => {
                let (width, height) = if screen == Screen::Phone {
                    (390, 844)
                } else {
                    (360, 740)
                };
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true },
                    "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) \
                                  AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 \
                                  Mobile/15E148 Safari/604.1",
                });
            }
        }
        options["args"] = json!(args);
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        self.profiles.push(profile);
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("chromium starts through chromedriver")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A test that failed half-way never closed its sessions, and chromium outlives
        // chromedriver: its processes go too, found by their profile directory.
        for profile in &self.profiles {
            let _ = Command::new("pkill")
                .args(["-f", "--"])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a page's HTML for the validator comes from.
pub enum Source {
    /// Fetched again with the browser's cookies: exactly what the server sends. For pages a
    /// GET shows.
    Served,
    /// The browser's DOM, for pages that answer a POST and cannot be fetched again.
    Dom,
}

/// The screenshots and pages of one run, in `target/e2e/`.
pub struct Evidence {
    pub dir: PathBuf,
    port: u16,
    axe: String,
    pages: Vec<PathBuf>,
    step: usize,
}

impl Evidence {
    pub fn new(port: u16) -> Evidence {
        Self::in_dir(port, "e2e")
    }

    /// Evidence kept in `target/<name>`, apart from another test's.
    pub fn in_dir(port: u16, name: &str) -> Evidence {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("target/e2e");
        let axe_file = checkers().join("axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&axe_file).unwrap_or_else(|err| {
            panic!(
                "{}: {err}; install the checkers with `npm ci --prefix tests/e2e`",
                axe_file.display()
            )
        });
        Evidence {
            dir,
            port,
            axe,
            pages: Vec::new(),
            step: 0,
        }
    }

    /// A screenshot of the step, its HTML kept for the validator, and axe-core run on it: any
    /// serious or critical finding fails the test.
    pub async fn page(&mut self, browser: &Client, name: &str, source: Source) {
        self.step += 1;
        let stem = format!("{:02}-{name}", self.step);
        let png = browser.screenshot().await.expect("screenshot");
        std::fs::write(self.dir.join(format!("{stem}.png")), png).expect("screenshot saved");
        let html = match source {
            Source::Served => {
                let url = browser.current_url().await.expect("url");
                let path = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                };
                let cookies: Vec<String> = browser
                    .get_all_cookies()
                    .await
                    .expect("cookies")
                    .iter()
                    .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
                    .collect();
                let (status, body) = crate::service::get(self.port, &path, &cookies.join("; "))
                    .await
                    .expect("page fetched again");
                assert_eq!(status, 200, "{path} fetched again for the validator");
                body
            }
            Source::Dom => {
                let dom = browser
                    .execute("return document.documentElement.outerHTML;", vec![])
                    .await
                    .expect("DOM");
                format!("<!DOCTYPE html>\n{}", dom.as_str().unwrap_or_default())
            }
        };
        let file = self.dir.join(format!("{stem}.html"));
        std::fs::write(&file, html).expect("page saved");
        self.pages.push(file);
        self.assert_accessible(browser, &stem).await;
    }

    /// axe-core's violations on the page as it stands (also kept beside the screenshot).
    async fn axe(&self, browser: &Client, stem: &str) -> Vec<Value> {
        // WebDriver scripts are not bound by the page's Content-Security-Policy, so axe-core
        // goes in this way although the pages allow no inline script.
        browser
            .execute(&self.axe, vec![])
            .await
            .expect("axe-core loads into the page");
        let found = browser
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(JSON.stringify(r.violations)))
                   .catch(e => done(JSON.stringify({ error: String(e) })));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        let found: Value =
            serde_json::from_str(found.as_str().unwrap_or("null")).expect("axe-core's JSON");
        if let Some(error) = found.get("error") {
            panic!("{stem}: axe-core failed: {error}");
        }
        std::fs::write(
            self.dir.join(format!("{stem}.axe.json")),
            serde_json::to_string_pretty(&found).expect("JSON"),
        )
        .expect("axe findings saved");
        found.as_array().expect("a list of violations").clone()
    }

    /// Fails on serious or critical findings; prints the others.
    async fn assert_accessible(&self, browser: &Client, stem: &str) {
        let mut serious = Vec::new();
        for violation in self.axe(browser, stem).await {
            let impact = violation["impact"].as_str().unwrap_or("unknown");
            let targets: Vec<String> = violation["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|node| node["target"].to_string())
                .collect();
            let line = format!(
                "{stem}: axe {impact} {}: {} at {}",
                violation["id"].as_str().unwrap_or("?"),
                violation["help"].as_str().unwrap_or(""),
                targets.join(", ")
            );
            if matches!(impact, "serious" | "critical") {
                serious.push(line);
            } else {
                println!("{line}");
            }
        }
        assert!(
            serious.is_empty(),
            "axe-core found serious problems:\n{}",
            serious.join("\n")
        );
    }

    /// Proves that axe-core really runs on these pages: an image without a text alternative
    /// added to the current page must be reported as critical. A set-up in which axe found
    /// nothing because it never ran would otherwise pass every page.
    pub async fn axe_catches_a_fault(&self, browser: &Client) {
        browser
            .execute(
                "const img = document.createElement('img');
                 img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
                 img.width = 20; img.height = 20;
                 document.querySelector('main').appendChild(img);",
                vec![],
            )
            .await
            .expect("an image added");
        let found = self.axe(browser, "00-canary").await;
        assert!(
            found
                .iter()
                .any(|v| v["id"] == "image-alt" && v["impact"] == "critical"),
            "axe-core did not report an image without alt text: {found:?}"
        );
        browser.refresh().await.expect("page restored");
    }

    /// The Nu HTML checker (vnu.jar) over every page of the run at once; errors fail the test.
    /// A page without a `<title>` goes along, and its error must be reported: proof that the
    /// checker ran and read the files.
    pub fn validate_html(&self) {
        let jar = checkers().join("vnu-jar/build/dist/vnu.jar");
        assert!(
            jar.exists(),
            "{}: install the checkers with `npm ci --prefix tests/e2e`",
            jar.display()
        );
        let canary = self.dir.join("00-canary.html");
        std::fs::write(
            &canary,
            "<!DOCTYPE html>\n<html lang=\"en\"><head></head><body><p>canary</p></body></html>\n",
        )
        .expect("canary page");
        let out = Command::new(program("KUNDENPULS_E2E_JAVA", "java"))
            .arg("-jar")
            .arg(&jar)
            .args(["--errors-only", "--format", "gnu"])
            .arg(&canary)
            .args(&self.pages)
            .output()
            .expect("java runs the Nu HTML checker");
        let report = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let (canary_errors, errors): (Vec<&str>, Vec<&str>) = report
            .lines()
            .filter(|line| !line.trim().is_empty())
            .partition(|line| line.contains("00-canary.html"));
        assert!(
            canary_errors
                .iter()
                .any(|line| line.contains("error") && line.contains("title")),
            "the Nu HTML checker did not report the page without a title:\n{report}"
        );
        assert!(
            errors.is_empty(),
            "the Nu HTML checker found errors in the {} pages:\n{}",
            self.pages.len(),
            errors.join("\n")
        );
        println!("Nu HTML checker: {} pages without errors", self.pages.len());
    }
}

/// Waits until `find` locates an element, up to 30 s.
pub async fn wait_for(browser: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(locator)
        .await
        .unwrap_or_else(|err| panic!("waiting for {locator:?}: {err}"))
}

/// Clicks what `locator` finds once it is there, as a person would once the page has drawn it.
pub async fn click(browser: &Client, locator: Locator<'_>) {
    wait_for(browser, locator)
        .await
        .click()
        .await
        .unwrap_or_else(|err| panic!("clicking {locator:?}: {err}"));
}

/// The text of the page's first `<h1>`.
pub async fn heading(browser: &Client) -> String {
    wait_for(browser, Locator::Css("h1"))
        .await
        .text()
        .await
        .expect("heading text")
}

/// Nothing is wider than the screen (no sideways scrolling on a phone); the screen's width.
pub async fn fits_the_screen(browser: &Client, what: &str) -> i64 {
    let widths = browser
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{what} is {scroll} px wide on a {inner} px screen"
    );
    inner
}
