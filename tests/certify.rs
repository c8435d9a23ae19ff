//! `chup-harness certify`, `keygen` and `verify-report` as a vendor and a
//! reviewer use them: levels against the reference receiver and a faulty
//! one, exit codes, the bundle's tamper evidence, signatures, identical
//! verdicts across runs, and the HTML page rendered in headless Chromium.

use chup_harness::certify::{self, CertifyConfig, Level, LoadPlan, Product};
use chup_harness::reference::{self, Faults, ReferenceConfig, RunningReference};
use chup_harness::runner::SCENARIO_ID_SPAN;
use chup_harness::signing::{Profile, Secret};
use chup_harness::transport::Target;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chup-harness"));
    c.env_remove("CHUP_SECRET")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chup-certify-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A reference receiver served in-process on its own runtime, on a free
/// loopback port; shut down on drop.
struct Receiver {
    rt: tokio::runtime::Runtime,
    running: Option<RunningReference>,
}

impl Receiver {
    fn start(faults: Faults) -> Receiver {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = ReferenceConfig {
            faults,
            ..ReferenceConfig::default()
        };
        let running = rt
            .block_on(reference::start(
                config,
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ))
            .expect("reference starts");
        Receiver {
            rt,
            running: Some(running),
        }
    }

    fn url(&self) -> String {
        self.running.as_ref().expect("running").webhook_url()
    }

    fn state(&self) -> String {
        self.running.as_ref().expect("running").state_url_template()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
    }
}

fn certify_cli(r: &Receiver, out: &Path, extra: &[&str]) -> Output {
    let out_s = out.display().to_string();
    let url = r.url();
    let state = r.state();
    let mut args = vec![
        "certify",
        "--target",
        &url,
        "--out",
        &out_s,
        "--vendor",
        "Acme <script>",
        "--product",
        "Klinik HIS",
        "--product-version",
        "2.1.0",
    ];
    if !extra.contains(&"--no-state") {
        args.extend(["--state-url", &state]);
    }
    args.extend(extra.iter().filter(|a| **a != "--no-state"));
    run(&args)
}

fn report_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
        .expect("report.json is JSON")
}

/// One passing bundle of the reference receiver, made once and shared: an
/// unsigned one and one signed with a fresh key (the key files beside it).
struct Bundles {
    unsigned: PathBuf,
    signed: PathBuf,
    keys: PathBuf,
    unsigned_run: Output,
}

fn bundles() -> &'static Bundles {
    static B: OnceLock<Bundles> = OnceLock::new();
    B.get_or_init(|| {
        let root = temp("shared");
        let keys = root.join("keys");
        std::fs::create_dir_all(&keys).expect("keys dir");
        for name in ["a", "b"] {
            let prefix = keys.join(name).display().to_string();
            let out = run(&["keygen", "--out", &prefix]);
            assert_eq!(out.status.code(), Some(0), "keygen: {}", text(&out.stderr));
        }
        let r = Receiver::start(Faults::default());
        let unsigned = root.join("unsigned");
        let unsigned_run = certify_cli(&r, &unsigned, &[]);
        let signed = root.join("signed");
        let key = keys.join("a.key").display().to_string();
        let out = certify_cli(&r, &signed, &["--sign-key", &key]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        Bundles {
            unsigned,
            signed,
            keys,
            unsigned_run,
        }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).expect("read");
    b[at] ^= 0x01;
    std::fs::write(path, b).expect("write");
}

#[test]
fn certify_against_the_reference_passes_every_level_and_the_bundle_verifies() {
    let b = bundles();
    let out = &b.unsigned_run;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("highest level reached: Load"), "{stdout}");
    let r = report_json(&b.unsigned);
    assert_eq!(r["highest_level"], "load");
    for l in r["levels"].as_array().expect("levels") {
        assert_eq!(l["passed"], true, "{l}");
    }
    assert_eq!(r["suite"]["name"], certify::SUITE_NAME);
    assert_eq!(r["suite"]["version"], certify::SUITE_VERSION);
    assert_eq!(r["suite"]["journeys"], "required by robust");
    // Every check and case with its timing is in the report.
    let cases = r["run"]["cases"].as_array().expect("cases");
    assert!(cases.len() > 100, "{} cases", cases.len());
    assert!(cases.iter().all(|c| c["received"].is_array()));
    // The load figures were measured.
    let load = &r["load"];
    assert_eq!(load["deliveries"], 100);
    assert_eq!(load["answered_2xx"], 100);
    assert!(
        load["achieved_rate_per_s"].as_f64().expect("rate") >= 45.0,
        "{load}"
    );
    assert!(load["p99_ms"].as_f64().expect("p99") > 0.0);

    let m: Value =
        serde_json::from_slice(&std::fs::read(b.unsigned.join("manifest.json")).expect("manifest"))
            .expect("json");
    let files: Vec<&str> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(files, ["report.json", "report.html", "junit.xml"]);
    assert_eq!(m["secret_fingerprint"], Secret::default().fingerprint());
    assert_eq!(m["signing_profile"], "compact");
    assert_eq!(m["suite"]["seed"], certify::SUITE_SEED);
    assert_eq!(m["product"]["vendor"], "Acme <script>");

    let v = run(&["verify-report", &b.unsigned.display().to_string()]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    assert!(
        text(&v.stdout).starts_with("ok: 3 files match"),
        "{}",
        text(&v.stdout)
    );

    let junit = std::fs::read_to_string(b.unsigned.join("junit.xml")).expect("junit");
    assert!(junit.contains("certification-levels"));
    assert!(junit.contains("name=\"load\""));
}

#[test]
fn changing_one_byte_of_any_file_fails_verify_report_naming_the_file() {
    let b = bundles();
    for (bundle, files) in [
        (
            &b.unsigned,
            &["report.json", "report.html", "junit.xml", "manifest.json"][..],
        ),
        (
            &b.signed,
            &[
                "report.json",
                "report.html",
                "junit.xml",
                "manifest.json",
                "manifest.sig",
            ][..],
        ),
    ] {
        for file in files {
            let len = std::fs::metadata(bundle.join(file)).expect("file").len() as usize;
            for at in [0, len / 3, len / 2, len - 1] {
                let copy = temp(&format!("flip-{file}-{at}"));
                copy_dir(bundle, &copy);
                flip(&copy.join(file), at);
                let out = run(&["verify-report", &copy.display().to_string()]);
                let stdout = text(&out.stdout);
                assert_eq!(
                    out.status.code(),
                    Some(1),
                    "{file} byte {at} changed, yet: {stdout}"
                );
                assert!(
                    stdout.contains(&format!("changed: {file}:")),
                    "{file} byte {at}: {stdout}"
                );
                let _ = std::fs::remove_dir_all(&copy);
            }
        }
    }
}

#[test]
fn every_single_byte_of_the_manifest_and_signature_is_covered() {
    // Exhaustive, through the library (a process per byte would be slow).
    let b = bundles();
    let key = certify::read_public_key(&b.keys.join("a.pub")).expect("key");
    let copy = temp("exhaustive");
    copy_dir(&b.signed, &copy);
    for file in ["manifest.json", "manifest.sig"] {
        let original = std::fs::read(copy.join(file)).expect("read");
        for at in 0..original.len() {
            let mut changed = original.clone();
            changed[at] ^= 0x01;
            std::fs::write(copy.join(file), &changed).expect("write");
            for expected in [None, Some(&key)] {
                let (_, problems) = certify::verify_bundle(&copy, expected).expect("readable");
                assert!(
                    !problems.is_empty(),
                    "{file} byte {at} ({:?}) changed, yet it verifies",
                    original[at] as char
                );
            }
        }
        std::fs::write(copy.join(file), &original).expect("restore");
    }
    let (_, problems) = certify::verify_bundle(&copy, Some(&key)).expect("readable");
    assert!(problems.is_empty(), "{problems:?}");
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn an_added_or_removed_file_fails_verification() {
    let b = bundles();
    let copy = temp("added");
    copy_dir(&b.unsigned, &copy);
    std::fs::write(copy.join("extra.txt"), "hello").expect("write");
    let out = run(&["verify-report", &copy.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("changed: extra.txt: is not listed"));
    std::fs::remove_file(copy.join("extra.txt")).expect("rm");
    std::fs::remove_file(copy.join("junit.xml")).expect("rm");
    let out = run(&["verify-report", &copy.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("changed: junit.xml: is missing"));
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn a_signed_bundle_verifies_with_its_key_and_fails_with_another() {
    let b = bundles();
    let dir = b.signed.display().to_string();
    let a_pub = b.keys.join("a.pub").display().to_string();
    let b_pub = b.keys.join("b.pub").display().to_string();
    let out = run(&["verify-report", &dir, "--public-key", &a_pub]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("signed by the given key"));
    let out = run(&["verify-report", &dir, "--public-key", &b_pub]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("changed: manifest.sig: was made with key"),
        "{}",
        text(&out.stdout)
    );
    // An unsigned bundle does not pass for a signed one.
    let out = run(&[
        "verify-report",
        &b.unsigned.display().to_string(),
        "--public-key",
        &a_pub,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("the bundle is unsigned"));
    // A secret key file is not accepted as a public one.
    let a_key = b.keys.join("a.key").display().to_string();
    let out = run(&["verify-report", &dir, "--public-key", &a_key]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("this is a secret key file"));
}

#[test]
fn keygen_never_overwrites_a_key_without_force() {
    let dir = temp("keygen");
    let prefix = dir.join("k").display().to_string();
    assert_eq!(run(&["keygen", "--out", &prefix]).status.code(), Some(0));
    let before = std::fs::read(dir.join("k.key")).expect("key");
    let out = run(&["keygen", "--out", &prefix]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists (pass --force"));
    assert_eq!(std::fs::read(dir.join("k.key")).expect("key"), before);
    assert_eq!(
        run(&["keygen", "--out", &prefix, "--force"]).status.code(),
        Some(0)
    );
    assert_ne!(std::fs::read(dir.join("k.key")).expect("key"), before);
    let text_key = std::fs::read_to_string(dir.join("k.pub")).expect("pub");
    assert!(text_key.starts_with("chup-harness ed25519 public key\n"));
    assert_eq!(text_key.lines().nth(1).expect("hex").len(), 64);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_receiver_that_ignores_signatures_fails_core_and_the_html_says_why() {
    let r = Receiver::start(Faults::parse_list("ignore-signature").expect("fault"));
    let dir = temp("ignore-signature");
    let out = certify_cli(&r, &dir.join("b"), &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("not certified: the Core level failed"),
        "{stdout}"
    );
    let report = report_json(&dir.join("b"));
    assert_eq!(report["highest_level"], Value::Null);
    let core = &report["levels"][0];
    assert_eq!(core["level"], "core");
    assert_eq!(core["passed"], false);
    let html = std::fs::read_to_string(dir.join("b/report.html")).expect("html");
    assert!(html.contains("Not certified: the Core level failed"));
    assert!(html.contains("bad-signature-rejected: 4 of 4 cases failed"));
    assert!(html.contains("answered 200, expected 401, 403"));
    assert!(html.contains("missing-signature-rejected"));
    // The vendor's markup is shown, never interpreted.
    assert!(html.contains("Acme &lt;script&gt;"));
    assert!(!html.contains("<script"));
    // The bundle of a failed run verifies all the same.
    let v = run(&["verify-report", &dir.join("b").display().to_string()]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn require_level_makes_a_lower_result_exit_1() {
    // Without a state URL the reference receiver reaches Core only: Robust
    // needs its effects observed.
    let r = Receiver::start(Faults::default());
    let dir = temp("require");
    let out = certify_cli(&r, &dir.join("plain"), &["--no-state"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("highest level reached: Core"), "{stdout}");
    assert!(
        stdout.contains("state-observed: no --state-url"),
        "{stdout}"
    );
    for (level, code) in [("core", 0), ("robust", 1), ("load", 1)] {
        let out = certify_cli(
            &r,
            &dir.join(level),
            &["--no-state", "--require-level", level],
        );
        assert_eq!(out.status.code(), Some(code), "--require-level {level}");
        if code == 1 {
            assert!(text(&out.stderr).contains(&format!("--require-level {level} was not reached")));
        }
    }
    let out = certify_cli(&r, &dir.join("full"), &["--require-level", "load"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // A non-empty --out is refused before anything is sent.
    let out = certify_cli(&r, &dir.join("full"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not empty"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_target_exits_3_and_writes_nothing() {
    let dir = temp("unreachable");
    // A port that was free a moment ago: bind, read it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let out = run(&[
        "certify",
        "--target",
        &format!("http://127.0.0.1:{port}/webhook"),
        "--out",
        &dir.join("b").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(!dir.join("b").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_runs_against_the_same_receiver_give_identical_verdicts() {
    let r = Receiver::start(Faults::default());
    let config = |id_base: u64| lib_config(&r, id_base);
    // The receiver keeps its state: the second run must not trip on the first.
    let first =
        r.rt.block_on(certify::certify(config(100_000_000)))
            .expect("first run");
    let second =
        r.rt.block_on(certify::certify(config(
            100_000_000 + 64 * SCENARIO_ID_SPAN,
        )))
        .expect("second run");
    assert_eq!(first.highest_level, Some(Level::Load));
    assert_eq!(first.verdicts, second.verdicts);
    let levels = |r: &certify::CertReport| -> Vec<(Level, bool, Vec<bool>)> {
        r.levels
            .iter()
            .map(|l| {
                (
                    l.level,
                    l.passed,
                    l.requirements.iter().map(|q| q.passed).collect(),
                )
            })
            .collect()
    };
    assert_eq!(levels(&first), levels(&second));
    assert!(first
        .verdicts
        .iter()
        .any(|v| v.case.contains("visits/<id>")));
    assert_ne!(first.run.meta.id_base, second.run.meta.id_base);
}

fn lib_config(r: &Receiver, id_base: u64) -> CertifyConfig {
    CertifyConfig {
        target: Target::parse(&r.url()).expect("url"),
        secret: Secret::default(),
        profile: Profile::Compact,
        state_url: Some(r.state()),
        product: Product::default(),
        id_base,
        start_unix: 1_790_000_000,
        load: LoadPlan::default(),
        journeys: None,
        command: "test".to_owned(),
    }
}

/// A stand-in for the property-journey runner: reports what it is told to.
struct FakeJourneys {
    failures: Vec<String>,
}

impl certify::JourneyRunner for FakeJourneys {
    fn run<'a>(
        &'a self,
        ctx: &'a certify::JourneyContext,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = certify::JourneyOutcome> + Send + 'a>>
    {
        Box::pin(async move {
            assert_eq!(ctx.seed, certify::SUITE_SEED);
            certify::JourneyOutcome {
                journeys: 4,
                failures: self.failures.clone(),
            }
        })
    }
}

#[test]
fn a_plugged_in_journey_runner_becomes_a_robust_requirement() {
    let r = Receiver::start(Faults::default());
    let mut ok = lib_config(&r, 300_000_000);
    ok.journeys = Some(std::sync::Arc::new(FakeJourneys { failures: vec![] }));
    let report = r.rt.block_on(certify::certify(ok)).expect("runs");
    assert_eq!(report.highest_level, Some(Level::Load));
    let robust = report.level(Level::Robust).expect("robust");
    assert!(robust
        .requirements
        .iter()
        .any(|q| q.name == "property-journeys" && q.passed));
    assert_eq!(report.suite.journeys, "required by robust");

    let mut bad = lib_config(&r, 300_000_000 + 64 * SCENARIO_ID_SPAN);
    bad.journeys = Some(std::sync::Arc::new(FakeJourneys {
        failures: vec!["journey 3 (seed 77): visit ended Serving, expected Served".to_owned()],
    }));
    let report = r.rt.block_on(certify::certify(bad)).expect("runs");
    assert_eq!(report.highest_level, Some(Level::Core));
    let robust = report.level(Level::Robust).expect("robust");
    assert!(!robust.passed);
    assert_eq!(
        robust.why,
        ["property-journeys: 1 of 4 journeys failed, first: journey 3 (seed 77): visit ended Serving, expected Served"]
    );
}

#[test]
fn a_receiver_that_cannot_keep_the_stated_rate_fails_load_only() {
    // 200 deliveries stated for one millisecond: no receiver answers 180,000
    // a second over loopback, so the measured rate must fall short.
    let r = Receiver::start(Faults::default());
    let mut c = lib_config(&r, 500_000_000);
    c.load = LoadPlan {
        rate_per_s: 200_000,
        duration: std::time::Duration::from_millis(1),
    };
    let report = r.rt.block_on(certify::certify(c)).expect("runs");
    assert_eq!(report.highest_level, Some(Level::Robust));
    assert_eq!(report.load.deliveries, 200);
    let load = report.level(Level::Load).expect("load");
    assert!(!load.passed);
    assert_eq!(load.why.len(), 1, "{:?}", load.why);
    assert!(
        load.why[0].starts_with("sustained-rate: achieved ")
            && load.why[0].contains("of the stated 200000 per second"),
        "{:?}",
        load.why
    );
    let html = chup_harness::report::certify_html(&report);
    assert!(html.contains("Highest level reached: Robust"));
}

/// Renders a page in headless Chromium: (stderr log, dumped DOM).
fn chromium(page: &Path, screenshot: Option<&Path>) -> Option<(String, String)> {
    if std::env::var("CHUP_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        return None;
    }
    let profile = temp("chromium-profile");
    let mut base = Command::new("chromium");
    base.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    let url = format!("file://{}", page.display());
    let out = base
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap_or_else(|e| {
            panic!("chromium is needed for this test ({e}); install it (apt-get install chromium) or set CHUP_SKIP_BROWSER=1")
        });
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    if let Some(png) = screenshot {
        let mut shot = Command::new("chromium");
        shot.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url);
        let s = shot.output().expect("chromium runs");
        assert!(s.status.success(), "screenshot: {}", text(&s.stderr));
        assert!(png.exists());
    }
    let _ = std::fs::remove_dir_all(&profile);
    Some((text(&out.stderr), text(&out.stdout)))
}

fn console_problems(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn the_console_check_catches_a_page_that_logs_an_error() {
    // The browser check below can fail: a page with a script error is caught.
    let dir = temp("console");
    let page = dir.join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom'); nope();</script></body></html>",
    )
    .expect("write");
    if let Some((log, _)) = chromium(&page, None) {
        assert!(!console_problems(&log).is_empty(), "{log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_in_chromium_without_console_errors() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // A receiver that accepts everything and answers with markup and script:
    // Core fails, so its bodies are shown in the page, and must stay text.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "<script>console.error('injected')</script><img src=x onerror=\"console.error('img')\">",
        ))
        .mount(&server)
        .await;
    let target = format!("{}/webhook?token=sekrit", server.uri());
    let dir = temp("html");
    let bundle = dir.join("b");
    let (bundle_s, target_c) = (bundle.display().to_string(), target.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(&["certify", "--target", &target_c, "--out", &bundle_s])
    })
    .await
    .expect("certify ran");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let html = std::fs::read_to_string(bundle.join("report.html")).expect("html");
    assert!(html.contains("&lt;script&gt;console.error(&#39;injected&#39;)"));
    assert!(!html.contains("<script") && !html.contains("<img"));
    for f in ["report.html", "report.json", "junit.xml", "manifest.json"] {
        let body = std::fs::read_to_string(bundle.join(f)).expect("file");
        assert!(!body.contains("sekrit"), "{f} shows the token");
        assert!(!body.contains("chup-test-secret"), "{f} shows the secret");
    }

    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&artefacts).expect("artefacts dir");
    let png = artefacts.join("certify-report-failing.png");
    let _ = std::fs::remove_file(&png);
    let page = bundle.join("report.html");
    let Some((log, dom)) = tokio::task::spawn_blocking(move || chromium(&page, Some(&png)))
        .await
        .expect("chromium ran")
    else {
        eprintln!("CHUP_SKIP_BROWSER=1: the page was not rendered");
        return;
    };
    assert!(console_problems(&log).is_empty(), "console: {log}");
    assert!(dom.contains("id=\"summary\""), "{dom}");
    assert!(dom.contains("Not certified: the Core level failed"));
    assert!(dom.contains("id=\"environment\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_passing_html_report_renders_in_chromium() {
    let b = bundles();
    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&artefacts).expect("artefacts dir");
    let png = artefacts.join("certify-report.png");
    let Some((log, dom)) = chromium(&b.unsigned.join("report.html"), Some(&png)) else {
        return;
    };
    assert!(console_problems(&log).is_empty(), "console: {log}");
    assert!(dom.contains("Highest level reached: Load"), "{dom}");
}
