//! Load mode: counts follow the schedule, latency is measured from the
//! intended send time (a stalled receiver is charged for its queue), and
//! server errors are counted by kind.

use chup_harness::load::{self, LoadConfig, Mix};
use chup_harness::reference::{self, ReferenceConfig};
use chup_harness::signing::{Profile, Secret};
use chup_harness::transport::Target;
use std::net::SocketAddr;
use std::time::Duration;

fn config(target: &str, rate: f64, duration_ms: u64, connections: usize, mix: Mix) -> LoadConfig {
    LoadConfig {
        target: Target::parse(target).expect("url"),
        secret: Secret::default(),
        profile: Profile::Compact,
        rate,
        duration: Duration::from_millis(duration_ms),
        connections,
        mix,
        timeout: Duration::from_secs(5),
        seed: 7,
        id_base: 300_000_000,
        start_unix: 1_733_300_000,
        headers: Vec::new(),
    }
}

/// A receiver that answers `status` after `delay`.
async fn slow_server(delay: Duration, status: u16) -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move || async move {
            tokio::time::sleep(delay).await;
            axum::http::StatusCode::from_u16(status).expect("valid status")
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scheduled_delivery_reaches_the_reference_receiver() {
    let r = reference::start(
        ReferenceConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("reference");
    for mix in [Mix::Events, Mix::Scenarios] {
        let report = load::run(config(&r.webhook_url(), 300.0, 500, 8, mix), None)
            .await
            .expect("runs");
        assert_eq!(report.scheduled, 150, "{mix:?}: 300/s for 0.5 s");
        assert_eq!(report.completed, 150);
        assert_eq!(
            report.statuses.get("2xx"),
            Some(&150),
            "{:?}",
            report.statuses
        );
        assert!(report.is_clean(), "{}", load::summary(&report));
        assert!(report.latency_ms.p50 > 0.0 && report.latency_ms.max >= report.latency_ms.p99);
    }
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalling_receiver_is_charged_for_the_queue_it_causes() {
    // One connection, 100 ms a delivery, 40 due a second: the queue grows,
    // and the last of 20 deliveries waits about 1.5 s past its intended time.
    let (url, server) = slow_server(Duration::from_millis(100), 200).await;
    let report = load::run(config(&url, 40.0, 500, 1, Mix::Events), None)
        .await
        .expect("runs");
    server.abort();
    assert_eq!(report.completed, 20);
    assert!(
        report.latency_ms.max >= 1000.0,
        "latency from the intended time must include the queue: {}",
        load::summary(&report)
    );
    assert!(
        report.service_ms.max < report.latency_ms.max / 2.0,
        "service time alone hides the queue: {}",
        load::summary(&report)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_counted_by_kind() {
    let (url, server) = slow_server(Duration::ZERO, 503).await;
    let report = load::run(config(&url, 100.0, 200, 4, Mix::Events), None)
        .await
        .expect("runs");
    server.abort();
    assert_eq!(
        report.errors.get("HTTP 503"),
        Some(&20),
        "{:?}",
        report.errors
    );
    assert!(!report.is_clean());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_samples_never_carry_the_secret_a_receiver_echoes() {
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "bad signature, expected key S3CRET-load-canary",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut cfg = config(&url, 50.0, 100, 2, Mix::Events);
    cfg.secret = Secret::new("S3CRET-load-canary");
    let report = load::run(cfg, None).await.expect("runs");
    server.abort();
    assert_eq!(report.failures.len(), 5, "{:?}", report.failures);
    let json = serde_json::to_string(&report).expect("json");
    assert!(json.contains("bad signature, expected key"), "{json}");
    assert!(!json.contains("S3CRET-load-canary") && !load::summary(&report).contains("S3CRET"));
}
