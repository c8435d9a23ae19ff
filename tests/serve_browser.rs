//! The dashboard of `chup-harness serve` in a real headless Chromium,
//! driven over WebDriver (chromedriver) with plain HTTP calls: click a
//! scenario, see its deliveries appear with the receiver's status, open
//! one, send an event from the composer, and save a screenshot under
//! `target/test-artefacts/`.
//!
//! Chromium and chromedriver come from Debian's `chromium` and
//! `chromium-driver` packages, which `.ci/run` installs. Without them this
//! test fails, unless `CHUP_SKIP_BROWSER=1` is set.

use chup_harness::mock::{self, MockConfig, RetrySchedule};
use chup_harness::reference::{self, ReferenceConfig};
use chup_harness::signing::Secret;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "browser-test-secret-Kx7!never-shown";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A chromedriver child process, killed when dropped.
struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

struct Session {
    http: reqwest::Client,
    url: String,
}

impl Session {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("chromedriver answers");
        let status = resp.status();
        let v: Value = resp.json().await.expect("WebDriver answers JSON");
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {v}"
        );
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// Polls `script` until `done` holds for its value, or panics with `what`.
    async fn until(&self, what: &str, script: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.script(script).await;
            if done(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {what}: last saw {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        let el = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        let id = el[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {el}"));
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decoder_reads_padded_and_unpadded_text() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8h"), b"hello!");
    assert_eq!(base64_decode("aA=="), b"h");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_a_scenario_shows_its_deliveries_with_the_receivers_status() {
    let skip = std::env::var("CHUP_SKIP_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = find_program(&["chromedriver"]);
    let (chromium, chromedriver) = match (chromium, chromedriver) {
        (Some(c), Some(d)) => (c, d),
        (c, d) => {
            let msg = format!(
                "the browser test needs chromium and chromedriver on PATH (found chromium: {}, \
                 chromedriver: {}); .ci/run installs them (apt-get install chromium \
                 chromium-driver); set CHUP_SKIP_BROWSER=1 to skip this test",
                c.is_some(),
                d.is_some()
            );
            if skip {
                eprintln!("skipped: {msg}");
                return;
            }
            panic!("{msg}");
        }
    };

    let secret = Secret::new(SECRET);
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let his = reference::start(
        ReferenceConfig {
            secret: secret.clone(),
            ..ReferenceConfig::default()
        },
        loopback,
    )
    .await
    .expect("the reference receiver starts");
    let server = mock::start(
        MockConfig {
            secret,
            retry: RetrySchedule::default()
                .compressed(1000.0)
                .expect("positive"),
            ..MockConfig::new(his.webhook_url())
        },
        loopback,
    )
    .await
    .expect("the mock server starts");

    let port = free_port();
    let profile = std::env::temp_dir().join(format!("chup-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let driver = Driver {
        child: Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display())),
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = http
            .get(format!("{}/status", driver.base))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success());
        if ready.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let created: Value = http
        .post(format!("{}/session", driver.base))
        .json(&json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}
        }}}))
        .send()
        .await
        .expect("chromedriver answers")
        .json()
        .await
        .expect("JSON");
    let id = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
        .to_owned();
    let s = Session {
        http: http.clone(),
        url: format!("{}/session/{id}", driver.base),
    };

    s.post("/url", json!({"url": format!("{}/", server.url())}))
        .await;
    s.until(
        "the scenario buttons",
        "return document.querySelectorAll('button[data-scenario]').length",
        |v| v.as_u64().unwrap_or(0) >= 18,
    )
    .await;
    s.click("button[data-scenario='alert']").await;
    let rows = s
        .until(
            "three delivered rows answered 200",
            "return Array.from(document.querySelectorAll('tr.delivery')).map(r => \
             [r.dataset.state, r.dataset.status, r.textContent])",
            |v| {
                v.as_array().is_some_and(|rows| {
                    rows.len() == 3 && rows.iter().all(|r| r[0] == "delivered" && r[1] == "200")
                })
            },
        )
        .await;
    let text = rows.to_string();
    for step in ["alert / book", "alert / check-in", "alert / alert"] {
        assert!(text.contains(step), "no row for {step}: {text}");
    }
    let status = s
        .script("return document.getElementById('status').textContent")
        .await;
    assert!(
        status.as_str().is_some_and(|t| t.contains("200")),
        "{status}"
    );

    // Open the newest delivery: its attempts, signature and request bytes.
    s.click("tr.delivery").await;
    s.until(
        "the delivery's detail",
        "const d = document.querySelector('tr.detail'); return d ? d.textContent : ''",
        |v| {
            v.as_str()
                .is_some_and(|t| t.contains("Attempts") && t.contains("live_queue_updated"))
        },
    )
    .await;

    // Send one event from the composer.
    s.click("#c-send").await;
    s.until(
        "a fourth row from the composer",
        "return document.querySelectorAll('tr.delivery[data-state=delivered]').length",
        |v| v.as_u64() == Some(4),
    )
    .await;

    let html = s.script("return document.documentElement.outerHTML").await;
    assert!(
        !html.as_str().unwrap_or_default().contains(SECRET),
        "the secret is on the page"
    );

    s.script("window.scrollTo(0, 0); return true").await;
    let png = s.cmd(reqwest::Method::GET, "/screenshot", None).await;
    let bytes = base64_decode(png.as_str().expect("base64 PNG"));
    assert!(bytes.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&dir).expect("artefact dir");
    let file = dir.join("serve-dashboard.png");
    std::fs::write(&file, &bytes).expect("screenshot written");
    eprintln!("screenshot: {}", file.display());

    s.cmd(reqwest::Method::DELETE, "", None).await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    server.shutdown().await;
    his.shutdown().await;
}
