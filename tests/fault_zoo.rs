//! The fault zoo: for each protocol check, a receiver that breaks exactly
//! that check, and a test that the harness flags it (and nothing it should
//! not). Stateful faults use the reference receiver's test-only fault
//! switch; stateless ones are wiremock receivers with an HMAC matcher.
//! The correct reference receiver passes every check, run after run.

use chup_harness::check::CheckId;
use chup_harness::reference::{self, Faults, ReferenceConfig};
use chup_harness::runner::{self, RunConfig, RunError, RunReport};
use chup_harness::signing::{self, Profile, Secret};
use chup_harness::snapshot::{Mode, Store};
use chup_harness::transport::Target;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

static NEXT_BASE: AtomicU64 = AtomicU64::new(0);

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "chup-zoo-{tag}-{}-{}",
        std::process::id(),
        NEXT_BASE.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn config(target: &str, state_url: Option<String>, snapshots: Store) -> RunConfig {
    let n = NEXT_BASE.fetch_add(1, Ordering::Relaxed);
    RunConfig {
        target: Target::parse(target).expect("target URL"),
        secret: Secret::default(),
        profile: Profile::Compact,
        state_url,
        timeout: Duration::from_secs(5),
        budget: Duration::from_secs(5),
        concurrency: 8,
        burst: 32,
        selected: CheckId::ALL.into_iter().collect(),
        expect: Default::default(),
        scenarios: chup_harness::scenario::builtin(),
        snapshots,
        id_base: 100_000_000 + n * 50_000_000,
        start_unix: 1_733_300_000,
        headers: Vec::new(),
        stop_after: chup_harness::runner::DEFAULT_STOP_AFTER,
        rerun: "chup-harness run".to_owned(),
    }
}

fn failing(r: &RunReport) -> BTreeSet<CheckId> {
    r.failed_cases().map(|c| c.check).collect()
}

fn explain(r: &RunReport) -> String {
    r.failed_cases()
        .map(|c| {
            format!(
                "{} {}: {}",
                c.check,
                c.name,
                c.reason.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn reference_with(faults: Faults) -> reference::RunningReference {
    let cfg = ReferenceConfig {
        faults,
        ..ReferenceConfig::default()
    };
    reference::start(cfg, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("reference starts")
}

/// Runs every check except snapshots against the reference with `faults`.
async fn run_faulty(faults: Faults, tweak: impl FnOnce(&mut RunConfig)) -> RunReport {
    let r = reference_with(faults).await;
    let mut cfg = config(
        &r.webhook_url(),
        Some(r.state_url_template()),
        Store::new(temp_dir("f"), Mode::Ci),
    );
    cfg.selected.remove(&CheckId::SnapshotMatch);
    tweak(&mut cfg);
    let report = runner::run(cfg, None).await.expect("run completes");
    r.shutdown().await;
    report
}

fn assert_flags(report: &RunReport, expected: &[CheckId], allowed_too: &[CheckId]) {
    let got = failing(report);
    for e in expected {
        assert!(
            got.contains(e),
            "expected {e} to fail; failing: {got:?}\n{}",
            explain(report)
        );
    }
    for g in &got {
        assert!(
            expected.contains(g) || allowed_too.contains(g),
            "{g} failed but the fault does not concern it:\n{}",
            explain(report)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_receiver_passes_every_check_run_after_run() {
    let snaps = temp_dir("ok");
    let r = reference_with(Faults::default()).await;
    // First run approves the snapshots, the next ones must match them with fresh ids.
    let first = runner::run(
        config(
            &r.webhook_url(),
            Some(r.state_url_template()),
            Store::new(&snaps, Mode::Accept),
        ),
        None,
    )
    .await
    .expect("run");
    assert!(first.passed, "{}", explain(&first));
    for _ in 0..19 {
        let report = runner::run(
            config(
                &r.webhook_url(),
                Some(r.state_url_template()),
                Store::new(&snaps, Mode::Ci),
            ),
            None,
        )
        .await
        .expect("run");
        assert!(report.passed, "{}", explain(&report));
        assert!(
            report.checks.iter().all(|c| !c.effects_not_observed),
            "with a probe every effect is observed"
        );
        assert!(
            report.snapshots.matched > 0
                && report.snapshots.new == 0
                && report.snapshots.changed == 0
        );
    }
    r.shutdown().await;
    std::fs::remove_dir_all(&snaps).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_signatures_fails_both_signature_checks() {
    let report = run_faulty(
        Faults::parse_list("ignore-signature").expect("fault"),
        |_| {},
    )
    .await;
    assert_flags(
        &report,
        &[
            CheckId::BadSignatureRejected,
            CheckId::MissingSignatureRejected,
        ],
        &[],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_for_the_object_form_of_state_fails_dialects() {
    let report = run_faulty(
        Faults::parse_list("reject-state-object").expect("fault"),
        |_| {},
    )
    .await;
    // Scenarios that mirror the overview example send the object form too.
    assert_flags(
        &report,
        &[CheckId::DialectsAccepted],
        &[CheckId::ValidAccepted],
    );
    let why = explain(&report);
    assert!(
        why.contains("dialects-accepted visit in dialect state-object"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letting_a_stale_update_win_fails_out_of_order() {
    let report = run_faulty(
        Faults::parse_list("stale-update-wins").expect("fault"),
        |_| {},
    )
    .await;
    assert_flags(
        &report,
        &[CheckId::OutOfOrderNewestWins],
        &[CheckId::DuplicateIdempotent],
    );
    let why = explain(&report);
    assert!(
        why.contains("should show state 4, the probe shows state 2"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_concurrent_updates_fails_out_of_order() {
    let report = run_faulty(
        Faults::parse_list("lose-concurrent-update").expect("fault"),
        |c| {
            c.selected = [CheckId::OutOfOrderNewestWins, CheckId::BurstNo5xx]
                .into_iter()
                .collect();
        },
    )
    .await;
    assert_flags(&report, &[CheckId::OutOfOrderNewestWins], &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_duplicates_fails_duplicate_idempotent() {
    let report = run_faulty(
        Faults::parse_list("apply-duplicates").expect("fault"),
        |_| {},
    )
    .await;
    assert_flags(&report, &[CheckId::DuplicateIdempotent], &[]);
    assert!(
        explain(&report).contains("the duplicate changed visits/"),
        "{}",
        explain(&report)
    );
    // Failing a second create of one id also fails a create that arrives after its update.
    let report = run_faulty(
        Faults::parse_list("fail-duplicate-create").expect("fault"),
        |_| {},
    )
    .await;
    assert_flags(
        &report,
        &[CheckId::DuplicateIdempotent],
        &[CheckId::OutOfOrderNewestWins],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashing_on_unhandled_events_fails_unknown_event() {
    let report = run_faulty(
        Faults::parse_list("crash-on-unknown-event").expect("fault"),
        |_| {},
    )
    .await;
    assert_flags(&report, &[CheckId::UnknownEventAccepted], &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choking_on_hostile_content_fails_hostile_content() {
    let report = run_faulty(
        Faults::parse_list("reject-hostile-content").expect("fault"),
        |_| {},
    )
    .await;
    // A docs example names a doctor "DATO' DR. ..." and so trips the same fault.
    assert_flags(
        &report,
        &[CheckId::HostileContentSafe],
        &[CheckId::DialectsAccepted, CheckId::ValidAccepted],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_fails_the_latency_budget_only() {
    let report = run_faulty(Faults::parse_list("slow-ms=120").expect("fault"), |c| {
        c.budget = Duration::from_millis(60);
        c.selected = [
            CheckId::LatencyBudget,
            CheckId::MalformedRejected,
            CheckId::UnknownEventAccepted,
        ]
        .into_iter()
        .collect();
    })
    .await;
    assert_flags(&report, &[CheckId::LatencyBudget], &[]);
}

/// Matches a body whose signature verifies with the test secret.
struct SignedWithTestSecret;
impl Match for SignedWithTestSecret {
    fn matches(&self, r: &Request) -> bool {
        signing::verify_body(&r.body, &Secret::default(), &Profile::ALL).is_ok()
    }
}

/// Matches a JSON body with a `payload` object.
struct HasPayload;
impl Match for HasPayload {
    fn matches(&self, r: &Request) -> bool {
        serde_json::from_slice::<serde_json::Value>(&r.body).is_ok_and(|v| v["payload"].is_object())
    }
}

/// A stateless receiver: 200 for signed payloads, 401 for unsigned ones,
/// and `malformed` for bodies that are not a payload.
async fn stateless(malformed: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(HasPayload)
        .and(SignedWithTestSecret)
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(HasPayload)
        .respond_with(ResponseTemplate::new(401))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(malformed))
        .with_priority(3)
        .mount(&server)
        .await;
    server
}

fn stateless_config(server: &MockServer) -> RunConfig {
    let mut cfg = config(&server.uri(), None, Store::new(temp_dir("s"), Mode::Ci));
    cfg.selected.remove(&CheckId::SnapshotMatch);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_stateless_receiver_passes_with_effects_not_observed() {
    let server = stateless(400).await;
    let report = runner::run(stateless_config(&server), None)
        .await
        .expect("run");
    assert!(report.passed, "{}", explain(&report));
    let dup = report
        .checks
        .iter()
        .find(|c| c.check == CheckId::DuplicateIdempotent)
        .expect("summary");
    assert!(
        dup.effects_not_observed,
        "without a state URL effects are not observed, never passed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_for_malformed_bodies_fails_malformed_rejected() {
    let server = stateless(500).await;
    let report = runner::run(stateless_config(&server), None)
        .await
        .expect("run");
    assert_flags(&report, &[CheckId::MalformedRejected], &[]);
    assert!(explain(&report).contains("a server error"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_accepts_anything_fails_the_signature_and_malformed_checks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let report = runner::run(stateless_config(&server), None)
        .await
        .expect("run");
    assert_flags(
        &report,
        &[
            CheckId::BadSignatureRejected,
            CheckId::MissingSignatureRejected,
            CheckId::MalformedRejected,
        ],
        &[],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_response_fails_snapshot_match_with_a_diff() {
    let snaps = temp_dir("snap");
    let a = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "ok"})))
        .mount(&a)
        .await;
    let mut cfg = config(&a.uri(), None, Store::new(&snaps, Mode::Accept));
    cfg.selected = [CheckId::SnapshotMatch].into_iter().collect();
    let first = runner::run(cfg, None).await.expect("run");
    assert!(first.passed, "{}", explain(&first));

    let b = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "okay"})),
        )
        .mount(&b)
        .await;
    let mut cfg = config(&b.uri(), None, Store::new(&snaps, Mode::Ci));
    cfg.selected = [CheckId::SnapshotMatch, CheckId::ValidAccepted]
        .into_iter()
        .collect();
    let second = runner::run(cfg, None).await.expect("run");
    assert_flags(&second, &[CheckId::SnapshotMatch], &[]);
    let case = second.failed_cases().next().expect("a failure");
    let diff = case.diff.as_deref().unwrap_or_default();
    assert!(
        diff.contains("-  \"status\": \"ok\"") && diff.contains("+  \"status\": \"okay\""),
        "{diff}"
    );
    std::fs::remove_dir_all(&snaps).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_sheds_load_fails_burst() {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    // Answers 503 when more than 4 deliveries are in flight.
    let in_flight = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |body: axum::body::Bytes| {
            let in_flight = in_flight.clone();
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(30)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let ok = signing::verify_body(&body, &Secret::default(), &Profile::ALL).is_ok();
                let payload = serde_json::from_slice::<serde_json::Value>(&body)
                    .is_ok_and(|v| v["payload"].is_object());
                match (payload, ok) {
                    (false, _) => axum::http::StatusCode::BAD_REQUEST,
                    (true, false) => axum::http::StatusCode::UNAUTHORIZED,
                    (true, true) if now > 4 => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    (true, true) => axum::http::StatusCode::OK,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut cfg = config(
        &format!("http://{addr}/"),
        None,
        Store::new(temp_dir("b"), Mode::Ci),
    );
    cfg.selected = [
        CheckId::BurstNo5xx,
        CheckId::MalformedRejected,
        CheckId::BadSignatureRejected,
    ]
    .into_iter()
    .collect();
    let report = runner::run(cfg, None).await.expect("run");
    server.abort();
    assert_flags(&report, &[CheckId::BurstNo5xx], &[]);
    assert!(explain(&report).contains("answered 503"));
}

#[tokio::test]
async fn an_unreachable_target_is_a_run_error_not_a_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let cfg = config(
        &format!("http://{addr}/webhook"),
        None,
        Store::new(temp_dir("u"), Mode::Ci),
    );
    match runner::run(cfg, None).await {
        Err(RunError::Unreachable { target, .. }) => {
            assert!(target.contains(&addr.port().to_string()))
        }
        other => panic!("expected unreachable, got {:?}", other.map(|r| r.passed)),
    }
}
