//! The reference receiver's request handling (`POST /webhook`) on arbitrary
//! bodies, straight into the router with no socket. The first byte picks
//! the shape: the bytes as a raw body, or as a payload the fuzzer signs with
//! the receiver's secret so it gets past the signature into parsing and the
//! store. The receiver must answer (never panic) and never a 5xx.
//!
//! The mock server's control API lives on another branch; this is the
//! request parser the harness ships today.
#![no_main]

use axum::body::Body;
use axum::http::Request;
use chup_harness::reference::{self, ReferenceConfig};
use chup_harness::signing::{self, Secret};
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
        reference::router(ReferenceConfig {
            secret: Secret::new("fuzz-secret"),
            ..ReferenceConfig::default()
        })
        .expect("an in-memory reference receiver")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let sig = signing::sign(rest, &Secret::new("fuzz-secret"));
        let mut out = Vec::new();
        signing::write_body(rest, &sig, &mut out);
        out
    };
    let req = Request::post("/webhook")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a request");
    let resp = rt()
        .block_on(app().clone().oneshot(req))
        .expect("the router is infallible");
    assert!(
        !resp.status().is_server_error(),
        "the reference receiver answered {}",
        resp.status()
    );
});
