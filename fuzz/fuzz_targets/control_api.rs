//! The mock server's request parsing: the control API (`POST /control/events`,
//! `POST /control/scenarios/{name}/run`, `POST /control/deliveries/{id}/resend`)
//! and the mock Chup API (`POST /api/v1/auth/token`, `POST /api/v1/alerts`)
//! on arbitrary bodies and path segments, straight into the router with no
//! socket. The server must answer, never panic and never a 5xx. Its target
//! is a closed loopback port with a single attempt, so what it sends fails
//! at once and nothing piles up.
#![no_main]

use axum::body::Body;
use axum::http::Request;
use chup_harness::mock::{self, MockConfig, RetrySchedule};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn app() -> &'static axum::Router {
    static APP: OnceLock<axum::Router> = OnceLock::new();
    APP.get_or_init(|| {
        let _guard = rt().enter();
        let mut config = MockConfig::new("http://127.0.0.1:9/webhook");
        config.retry = RetrySchedule::parse("0").expect("one attempt");
        config.timeout = std::time::Duration::from_millis(50);
        mock::router(config).expect("an in-memory mock server")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // A path segment from the first bytes (up to a NUL), the body from the rest.
    let (segment, body) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b""[..], rest),
    };
    let segment: String = String::from_utf8_lossy(segment)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let segment = if segment.is_empty() { "x".to_owned() } else { segment };
    let path = match mode % 5 {
        0 => "/control/events".to_owned(),
        1 => format!("/control/scenarios/{segment}/run"),
        2 => format!("/control/deliveries/{segment}/resend"),
        3 => "/api/v1/auth/token".to_owned(),
        _ => "/api/v1/alerts".to_owned(),
    };
    let req = Request::post(path.as_str())
        .header("content-type", "application/json")
        .header("authorization", "Bearer fuzz")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    let resp = rt()
        .block_on(app().clone().oneshot(req))
        .expect("the router is infallible");
    assert!(
        !resp.status().is_server_error(),
        "{path} answered {}",
        resp.status()
    );
});
