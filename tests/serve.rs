//! The mock Chup Online server (`chup-harness serve`) over HTTP: the control
//! API and its OpenAPI document, the control token and the loopback rule,
//! the mock Chup API (auth, alert → signed Alerted webhook), retries of
//! failing deliveries, the SQLite log across a restart, body limits, and
//! the secret never leaving the server.

use axum::http::StatusCode as AxStatus;
use axum::routing::post;
use chup_harness::mock::{self, MockConfig, MockError, RetrySchedule, RunningMock};
use chup_harness::reference::{self, ReferenceConfig, RunningReference};
use chup_harness::signing::{self, Matched, Secret};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Distinctive, so a leak is found by searching for it.
const SECRET: &str = "serve-test-secret-Zq9!never-shown";

fn secret() -> Secret {
    Secret::new(SECRET)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("valid address")
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "chup-serve-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn config(target: &str) -> MockConfig {
    MockConfig {
        secret: secret(),
        // The whole default schedule (36 minutes) in about 2 ms per retry step.
        retry: RetrySchedule::default()
            .compressed(100_000.0)
            .expect("positive"),
        timeout: Duration::from_secs(5),
        ..MockConfig::new(target)
    }
}

async fn receiver() -> RunningReference {
    reference::start(
        ReferenceConfig {
            secret: secret(),
            ..ReferenceConfig::default()
        },
        loopback(),
    )
    .await
    .expect("the reference receiver starts")
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(server: &RunningMock) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: server.url(),
            token: None,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, text) = self.call_text(method, path, body).await;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: answer is not JSON ({e}): {text}"));
        (status, value)
    }

    async fn call_text(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let method: reqwest::Method = method.parse().expect("method");
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the mock server answers");
        let status = resp.status();
        (status, resp.text().await.expect("a body"))
    }

    async fn raw(&self, path: &str, bearer: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("the mock server answers");
        let status = resp.status();
        let text = resp.text().await.expect("a body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("POST {path}: answer is not JSON ({e}): {text}"));
        (status, value)
    }

    async fn deliveries(&self) -> Vec<Value> {
        let (status, log) = self.call("GET", "/control/deliveries", None).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        log["deliveries"].as_array().expect("an array").clone()
    }

    /// Polls the log until `done` holds for delivery `id`, or panics.
    async fn wait_for(&self, id: u64, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, d) = self
                .call("GET", &format!("/control/deliveries/{id}"), None)
                .await;
            if status == StatusCode::OK && done(&d) {
                return d;
            }
            assert!(Instant::now() < deadline, "delivery {id} never {what}: {d}");
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn error_of(v: &Value) -> &str {
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("not a JSON error: {v}"))
}

/// The payload of a delivery's request bytes, after checking the bytes
/// verify under the test secret as they stand.
fn verified_payload(delivery: &Value) -> Value {
    let request = delivery["request"].as_str().expect("request bytes");
    assert_eq!(
        signing::verify_body(request.as_bytes(), &secret(), &[]),
        Ok(Matched::Raw),
        "request does not verify: {request}"
    );
    let body: Value = serde_json::from_str(request).expect("JSON");
    assert_eq!(body["signature"], delivery["signature"]);
    body["payload"].clone()
}

async fn probe_state(his: &RunningReference, visit: u64) -> Option<i64> {
    let url = format!("http://{}/visits/{visit}", his.addr());
    let resp = reqwest::get(url).await.expect("probe answers");
    if resp.status() != StatusCode::OK {
        return None;
    }
    let v: Value = resp.json().await.expect("JSON");
    v["state"].as_i64()
}

#[tokio::test]
async fn lists_scenarios_and_runs_one_in_order_against_the_reference_receiver() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);

    let (status, list) = c.call("GET", "/control/scenarios", None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    for def in chup_harness::scenario::builtin() {
        assert!(
            names.contains(&def.name()),
            "{} missing from {names:?}",
            def.name()
        );
    }
    let alert = list
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["name"] == "alert")
        .expect("the alert scenario");
    assert_eq!(alert["steps"].as_array().expect("steps").len(), 3);

    let (status, run) = c
        .call("POST", "/control/scenarios/alert/run", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    let sent = run["deliveries"].as_array().expect("deliveries");
    let steps: Vec<&str> = sent
        .iter()
        .map(|d| d["step"].as_str().expect("step"))
        .collect();
    assert_eq!(steps, ["book", "check-in", "alert"]);
    assert!(
        sent.iter()
            .all(|d| d["status"] == 200 && d["state"] == "delivered"),
        "{run}"
    );

    let log = c.deliveries().await;
    assert_eq!(log.len(), 3);
    for d in &log {
        assert_eq!(d["attempts"].as_array().expect("attempts").len(), 1);
        assert_eq!(d["attempts"][0]["status"], 200);
        assert!(d["attempts"][0]["latency_ms"].as_f64().expect("latency") > 0.0);
        assert!(d["attempts"][0]["body"]
            .as_str()
            .expect("body")
            .contains("accepted"));
        assert_eq!(d["origin"]["kind"], "scenario");
        verified_payload(d);
    }
    let visit = verified_payload(&log[2])["data"]["id"]
        .as_u64()
        .expect("visit id");
    assert_eq!(
        probe_state(&his, visit).await,
        Some(2),
        "the receiver applied the alert"
    );

    // A second run uses fresh ids.
    let (_, again) = c.call("POST", "/control/scenarios/alert/run", None).await;
    assert_ne!(again["id_base"], run["id_base"]);
    assert_ne!(
        again["deliveries"][2]["record"],
        run["deliveries"][2]["record"]
    );

    let (status, err) = c.call("POST", "/control/scenarios/nope/run", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_of(&err).contains("nope"));
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn every_scenario_runs_against_the_reference_receiver_in_each_dialect() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let mut sent = 0;
    for (i, def) in chup_harness::scenario::builtin().iter().enumerate() {
        let dialect = ["canonical", "seed", "mixed"][i % 3];
        let signing = ["compact", "php"][i % 2];
        let (status, run) = c
            .call(
                "POST",
                &format!("/control/scenarios/{}/run", def.name()),
                Some(json!({"dialect": dialect, "signing": signing})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {run}", def.name());
        let steps = run["deliveries"].as_array().expect("deliveries");
        assert!(!steps.is_empty());
        for d in steps {
            assert_eq!(
                d["status"],
                200,
                "{} ({dialect}, {signing}): {run}",
                def.name()
            );
        }
        sent += steps.len();
    }
    let log = c.deliveries().await;
    assert_eq!(log.len(), sent);
    assert!(log.iter().all(|d| d["state"] == "delivered"));
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn sends_one_generated_event_with_state_dialect_signing_and_overrides() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let (status, d) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({
                "event": "live_queue_updated",
                "state": 3,
                "dialect": "canonical",
                "seed": 7,
                "overrides": {"client_name": "Tan Mei Ling 陈美玲"}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["seed"], 7);
    assert_eq!(d["state"], "delivered");
    assert_eq!(d["origin"]["kind"], "event");
    let p = verified_payload(&d);
    assert_eq!(p["event"], "live_queue_updated");
    assert_eq!(p["data"]["state"], 3);
    assert_eq!(p["data"]["state_name"], "Arrived");
    assert_eq!(p["data"]["client_name"], "Tan Mei Ling 陈美玲");
    assert_eq!(d["record"], format!("visits/{}", p["data"]["id"]));

    // The same seed gives the same record; php signing escapes non-ASCII.
    let (_, php) = c
        .call(
            "POST",
            "/control/events",
            Some(
                json!({"event": "live_queue_updated", "state": 3, "dialect": "canonical",
                        "seed": 7, "signing": "php", "overrides": {"client_name": "陈"}}),
            ),
        )
        .await;
    assert_eq!(php["signing"], "php");
    assert!(
        php["request"].as_str().expect("bytes").contains("\\u9648"),
        "{php}"
    );
    assert_eq!(verified_payload(&php)["data"]["id"], p["data"]["id"]);

    // The state's object form is kept when the dialect produced it.
    let (_, mixed) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "appointment_created", "state": 1, "dialect": "mixed"})),
        )
        .await;
    let ap = verified_payload(&mixed);
    assert_eq!(ap["data"]["state_name"], "Booked");
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn bad_control_bodies_get_422_naming_the_problem() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let cases = [
        (json!({"event": "patient_teleported"}), "patient_teleported"),
        (
            json!({"event": "live_queue_created", "colour": 1}),
            "colour",
        ),
        (
            json!({"event": "live_queue_created", "state": 6}),
            "state 6",
        ),
        (json!({"event": "client_created", "state": 1}), "state"),
        (
            json!({"event": "live_queue_created", "dialect": "klingon"}),
            "klingon",
        ),
        (
            json!({"event": "live_queue_created", "signing": "md5"}),
            "md5",
        ),
        (json!({"event": 5}), "event"),
    ];
    for (body, needle) in cases {
        let (status, err) = c.call("POST", "/control/events", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert!(error_of(&err).contains(needle), "{body}: {err}");
    }
    let (status, err) = c.raw("/control/events", None, "{not json").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    error_of(&err);
    let (status, err) = c.raw("/control/events", None, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&err).contains("empty"));
    assert!(c.deliveries().await.is_empty(), "nothing was sent");
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn resends_the_same_bytes_or_re_signs_and_clears_the_log() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let (_, first) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "live_queue_created", "overrides": {"client_name": "Ali/陈"}})),
        )
        .await;
    let id = first["id"].as_u64().expect("id");
    let (status, same) = c
        .call("POST", &format!("/control/deliveries/{id}/resend"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["request"], first["request"], "same bytes");
    assert_eq!(
        same["origin"],
        json!({"kind": "resend", "of": id, "resigned": false})
    );
    assert!(
        same["attempts"][0]["body"]
            .as_str()
            .expect("body")
            .contains("duplicate"),
        "the receiver saw a redelivery: {same}"
    );

    let (_, resigned) = c
        .call(
            "POST",
            &format!("/control/deliveries/{id}/resend"),
            Some(json!({"signing": "php"})),
        )
        .await;
    assert_eq!(resigned["origin"]["resigned"], true);
    assert_eq!(resigned["signing"], "php");
    assert_ne!(resigned["request"], first["request"]);
    assert!(resigned["request"]
        .as_str()
        .expect("bytes")
        .contains("Ali\\/\\u9648"));
    assert_eq!(verified_payload(&resigned), verified_payload(&first));

    let (status, _) = c.call("POST", "/control/deliveries/999/resend", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(c.deliveries().await.len(), 3);
    let (status, cleared) = c.call("DELETE", "/control/deliveries", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["cleared"], 3);
    assert!(c.deliveries().await.is_empty());
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn openapi_document_is_json_naming_every_route_at_the_configured_paths() {
    let his = receiver().await;
    let mut cfg = config(&his.webhook_url());
    cfg.api.auth_path = "/v2/oauth".to_owned();
    cfg.api.alerts_path = "/v2/notify".to_owned();
    let server = mock::start(cfg, loopback()).await.expect("starts");
    let c = Client::new(&server);
    let (status, doc) = c.call("GET", "/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let routes = [
        ("get", "/control/scenarios"),
        ("post", "/control/scenarios/{name}/run"),
        ("post", "/control/events"),
        ("get", "/control/deliveries"),
        ("delete", "/control/deliveries"),
        ("get", "/control/deliveries/{id}"),
        ("post", "/control/deliveries/{id}/resend"),
        ("get", "/control/info"),
        ("get", "/control/visits"),
        ("get", "/openapi.json"),
        ("post", "/v2/oauth"),
        ("post", "/v2/notify"),
    ];
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert!(
            op["responses"].is_object(),
            "{method} {path} has no responses"
        );
    }
    assert_eq!(doc["paths"].as_object().expect("paths").len(), 11);
    // Every $ref points at a schema that exists.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &r[..r.find('"').expect("closing quote")];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
    // The configured paths really serve the mock Chup API.
    let (status, _) = c
        .raw(
            "/v2/oauth",
            None,
            r#"{"api_key":"x","business_id":"1","email":"e"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn control_token_is_demanded_on_every_control_call_when_given() {
    let his = receiver().await;
    let mut cfg = config(&his.webhook_url());
    cfg.control_token = Some("tok-123".to_owned());
    let server = mock::start(cfg, loopback()).await.expect("starts");
    let mut c = Client::new(&server);
    let calls = [
        ("GET", "/control/info"),
        ("GET", "/control/scenarios"),
        ("POST", "/control/scenarios/join/run"),
        ("POST", "/control/events"),
        ("GET", "/control/deliveries"),
        ("GET", "/control/deliveries/1"),
        ("POST", "/control/deliveries/1/resend"),
        ("DELETE", "/control/deliveries"),
        ("GET", "/control/visits"),
    ];
    for token in [None, Some("wrong")] {
        c.token = token.map(str::to_owned);
        for (method, path) in calls {
            let (status, err) = c.call(method, path, None).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {token:?}"
            );
            error_of(&err);
        }
    }
    assert!(
        c.deliveries_unchecked().await.is_none(),
        "nothing ran without the token"
    );
    c.token = Some("tok-123".to_owned());
    let (status, run) = c.call("POST", "/control/scenarios/join/run", None).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(
        c.deliveries().await.len(),
        run["deliveries"].as_array().expect("a").len()
    );
    // The page and the document are public; they hold nothing secret.
    c.token = None;
    let (status, page) = c.call_text("GET", "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("tok-123"));
    let (_, doc) = c.call("GET", "/openapi.json", None).await;
    assert_eq!(
        doc["paths"]["/control/events"]["post"]["security"],
        json!([{"controlToken": []}])
    );
    server.shutdown().await;
    his.shutdown().await;
}

impl Client {
    /// The log, or `None` when the call is refused.
    async fn deliveries_unchecked(&self) -> Option<Vec<Value>> {
        let (status, log) = self.call("GET", "/control/deliveries", None).await;
        (status == StatusCode::OK)
            .then(|| log["deliveries"].as_array().cloned().unwrap_or_default())
    }
}

#[tokio::test]
async fn refuses_a_non_loopback_address_without_a_control_token() {
    let cfg = config("http://127.0.0.1:9/webhook");
    let open: SocketAddr = "0.0.0.0:0".parse().expect("address");
    match mock::start(cfg.clone(), open).await {
        Err(MockError::OpenWithoutToken(a)) => assert_eq!(a, open),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let mut empty = cfg;
    empty.control_token = Some(String::new());
    assert!(matches!(
        mock::start(empty, loopback()).await,
        Err(MockError::EmptyToken)
    ));
}

async fn token(c: &Client, body: &str) -> (StatusCode, Value) {
    c.raw("/api/v1/auth/token", None, body).await
}

const CREDENTIALS: &str =
    r#"{"api_key":"chup-test-api-key","business_id":1,"email":"his@clinic.test"}"#;

#[tokio::test]
async fn mock_chup_api_alert_sends_the_signed_alerted_webhook_for_that_visit() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);

    // The patient joins: a scenario step the server sent.
    let (_, run) = c.call("POST", "/control/scenarios/join/run", None).await;
    let sent_before = c.deliveries().await;
    let joined = sent_before.last().cloned().expect("a delivery");
    let before = verified_payload(&joined);
    assert_eq!(before["data"]["state"], 1, "{run}");
    let visit = before["data"]["id"].as_u64().expect("id");
    assert_eq!(probe_state(&his, visit).await, Some(1));

    for wrong in [
        r#"{"api_key":"nope","business_id":1,"email":"his@clinic.test"}"#,
        r#"{"api_key":"chup-test-api-key","business_id":2,"email":"his@clinic.test"}"#,
        r#"{"api_key":"chup-test-api-key","business_id":"1","email":"other@clinic.test"}"#,
    ] {
        let (status, err) = token(&c, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}");
        assert!(err.get("token").is_none());
        error_of(&err);
    }
    let (status, err) = token(&c, r#"{"api_key":"chup-test-api-key"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&err).contains("business_id"), "{err}");
    let (status, auth) = token(&c, CREDENTIALS).await;
    assert_eq!(status, StatusCode::OK, "{auth}");
    assert_eq!(auth["token_type"], "Bearer");
    assert_eq!(auth["expires_in"], 3600);
    let tok = auth["token"].as_str().expect("token").to_owned();

    let alert = |bearer: Option<&str>, body: String| {
        let c = &c;
        let bearer = bearer.map(str::to_owned);
        async move { c.raw("/api/v1/alerts", bearer.as_deref(), &body).await }
    };
    let body = format!(r#"{{"live_queue_id":{visit}}}"#);
    let (status, err) = alert(None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    error_of(&err);
    let (status, _) = alert(Some("chupmock_forged"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, err) = alert(Some(&tok), r#"{"live_queue_id":424242}"#.to_owned()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_of(&err).contains("424242"));
    for bad in [
        "{}",
        "not json",
        r#"{"live_queue_id":"abc"}"#,
        r#"{"live_queue_id":true}"#,
        "",
    ] {
        let (status, err) = alert(Some(&tok), bad.to_owned()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {err}");
        error_of(&err);
    }
    assert_eq!(
        c.deliveries().await.len(),
        sent_before.len(),
        "refused alerts sent nothing"
    );

    let (status, ok) = alert(Some(&tok), body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ok}");
    assert_eq!(ok["status"], "alerted");
    assert_eq!(ok["live_queue_id"], visit);
    let id = ok["delivery_id"].as_u64().expect("delivery id");
    let d = c
        .wait_for(id, "delivered", |d| d["state"] == "delivered")
        .await;
    assert_eq!(d["origin"]["kind"], "alert");
    assert_eq!(d["attempts"][0]["status"], 200);
    let after = verified_payload(&d);
    assert_eq!(after["event"], "live_queue_updated");
    assert_eq!(after["data"]["id"], visit);
    assert_eq!(after["data"]["state"], 2);
    assert_eq!(after["data"]["state_name"], "Alerted");
    assert_eq!(after["data"]["client_name"], before["data"]["client_name"]);
    assert_eq!(after["data"]["created_at"], before["data"]["created_at"]);
    let t = |v: &Value| {
        chup_harness::model::time::parse_timestamp(v.as_str().expect("text"))
            .expect("a timestamp")
            .instant
            .unix
    };
    assert!(t(&after["data"]["updated_at"]) > t(&before["data"]["updated_at"]));
    assert_eq!(
        probe_state(&his, visit).await,
        Some(2),
        "the receiver applied it"
    );
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn alerting_a_served_visit_is_a_conflict() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let (_, d) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "live_queue_updated", "state": 5, "dialect": "canonical"})),
        )
        .await;
    let visit = verified_payload(&d)["data"]["id"].as_u64().expect("id");
    let (_, auth) = token(&c, CREDENTIALS).await;
    let (status, err) = c
        .raw(
            "/api/v1/alerts",
            auth["token"].as_str(),
            &format!(r#"{{"live_queue_id":"{visit}"}}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(error_of(&err).contains("Served"));
    server.shutdown().await;
    his.shutdown().await;
}

/// A receiver answering each request with the next status of a script
/// (the last one repeats), keeping every body it got.
struct Scripted {
    addr: SocketAddr,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

async fn scripted(statuses: &'static [u16], first_delay: Duration) -> Scripted {
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let seen = bodies.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let n = {
                    let mut b = seen.lock().expect("lock");
                    b.push(body.to_vec());
                    b.len()
                };
                if n == 1 && !first_delay.is_zero() {
                    // The receiver is slow on purpose, past the mock's timeout.
                    tokio::time::sleep(first_delay).await;
                }
                let code = statuses[(n - 1).min(statuses.len() - 1)];
                (
                    AxStatus::from_u16(code).expect("status"),
                    format!("{{\"answer\":{n}}}"),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(loopback())
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Scripted { addr, bodies, stop }
}

impl Scripted {
    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }
}

#[tokio::test]
async fn a_receiver_failing_twice_then_accepting_shows_three_attempts_of_the_same_bytes() {
    let his = scripted(&[500, 500, 200], Duration::ZERO).await;
    let server = mock::start(config(&his.url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let (status, first) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "live_queue_created"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["attempts"][0]["status"], 500);
    assert_eq!(first["state"], "pending");
    let id = first["id"].as_u64().expect("id");
    let d = c
        .wait_for(id, "delivered", |d| d["state"] == "delivered")
        .await;
    let statuses: Vec<&Value> = d["attempts"]
        .as_array()
        .expect("a")
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(200)]);
    let ns: Vec<&Value> = d["attempts"]
        .as_array()
        .expect("a")
        .iter()
        .map(|a| &a["n"])
        .collect();
    assert_eq!(ns, [&json!(1), &json!(2), &json!(3)]);
    assert_eq!(d["attempts"][1]["body"], "{\"answer\":2}");
    let bodies = his.bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 3);
    assert!(bodies
        .iter()
        .all(|b| b == d["request"].as_str().expect("s").as_bytes()));
    server.shutdown().await;
    let _ = his.stop.send(());
}

#[tokio::test]
async fn gives_up_after_the_schedule_and_retries_timeouts() {
    let always = scripted(&[503], Duration::ZERO).await;
    let mut cfg = config(&always.url());
    cfg.retry = RetrySchedule::parse("0,1ms,2ms").expect("schedule");
    let server = mock::start(cfg, loopback()).await.expect("starts");
    let c = Client::new(&server);
    let (_, first) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "client_created"})),
        )
        .await;
    let d = c
        .wait_for(first["id"].as_u64().expect("id"), "failed", |d| {
            d["state"] == "failed"
        })
        .await;
    assert_eq!(d["attempts"].as_array().expect("a").len(), 3);
    assert_eq!(always.bodies.lock().expect("lock").len(), 3);
    server.shutdown().await;
    let _ = always.stop.send(());

    let slow = scripted(&[200], Duration::from_secs(2)).await;
    let mut cfg = config(&slow.url());
    cfg.timeout = Duration::from_millis(200);
    let server = mock::start(cfg, loopback()).await.expect("starts");
    let c = Client::new(&server);
    let (_, first) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "staff_created"})),
        )
        .await;
    assert!(first["attempts"][0]["status"].is_null());
    assert!(
        first["attempts"][0]["error"]
            .as_str()
            .expect("error")
            .contains("timed out"),
        "{first}"
    );
    let d = c
        .wait_for(first["id"].as_u64().expect("id"), "delivered", |d| {
            d["state"] == "delivered"
        })
        .await;
    assert_eq!(d["attempts"].as_array().expect("a").len(), 2);
    server.shutdown().await;
    let _ = slow.stop.send(());
}

#[tokio::test]
async fn clearing_the_log_stops_retries_in_flight() {
    let always = scripted(&[500], Duration::ZERO).await;
    let mut cfg = config(&always.url());
    cfg.retry = RetrySchedule::parse("0,1h").expect("schedule");
    let server = mock::start(cfg, loopback()).await.expect("starts");
    let c = Client::new(&server);
    let (_, first) = c
        .call(
            "POST",
            "/control/events",
            Some(json!({"event": "client_created"})),
        )
        .await;
    assert_eq!(first["state"], "pending");
    c.wait_for(first["id"].as_u64().expect("id"), "scheduled", |d| {
        d["next_attempt_unix_ms"].is_i64()
    })
    .await;
    let (_, cleared) = c.call("DELETE", "/control/deliveries", None).await;
    assert_eq!(cleared["cleared"], 1);
    assert!(c.deliveries().await.is_empty());
    server.shutdown().await;
    let _ = always.stop.send(());
}

#[tokio::test]
async fn the_secret_appears_in_no_response_or_page() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let mut seen = String::new();
    let (_, t) = c
        .call_text("POST", "/control/scenarios/alert/run", None)
        .await;
    seen.push_str(&t);
    let (_, t) = c
        .call_text(
            "POST",
            "/control/events",
            Some(json!({"event": "live_queue_created"})),
        )
        .await;
    seen.push_str(&t);
    let (_, t) = c
        .call_text(
            "POST",
            "/control/deliveries/1/resend",
            Some(json!({"resign": true})),
        )
        .await;
    seen.push_str(&t);
    for path in [
        "/",
        "/assets/app.js",
        "/assets/style.css",
        "/openapi.json",
        "/control/info",
        "/control/scenarios",
        "/control/deliveries",
        "/control/deliveries/1",
        "/control/visits",
        "/no/such/route",
    ] {
        let (_, t) = c.call_text("GET", path, None).await;
        seen.push_str(&t);
    }
    let (_, t) = c
        .call_text("POST", "/control/events", Some(json!({"event": "x"})))
        .await;
    seen.push_str(&t);
    let (_, t) = token(&c, CREDENTIALS).await;
    seen.push_str(&t.to_string());
    assert!(seen.len() > 10_000, "the responses were read");
    assert!(!seen.contains(SECRET), "the secret leaked");
    assert!(!seen.contains(&hex_of(SECRET)), "the secret leaked as hex");
    let (_, info) = c.call("GET", "/control/info", None).await;
    assert_eq!(info["secret_fingerprint"], secret().fingerprint());
    server.shutdown().await;
    his.shutdown().await;
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary_with_nothing_from_the_network() {
    let his = receiver().await;
    let server = mock::start(config(&his.webhook_url()), loopback())
        .await
        .expect("starts");
    let c = Client::new(&server);
    let resp = reqwest::get(format!("{}/", server.url()))
        .await
        .expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp
        .headers()
        .get("content-security-policy")
        .expect("a CSP")
        .to_str()
        .expect("text")
        .to_owned();
    assert!(csp.contains("default-src 'self'"));
    let page = resp.text().await.expect("html");
    assert!(page.contains("src=\"/assets/app.js\""));
    for path in ["/", "/assets/app.js", "/assets/style.css"] {
        let (status, text) = c.call_text("GET", path, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path} loads from the network"
        );
    }
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn request_bodies_over_the_limit_get_413() {
    let his = receiver().await;
    let mut cfg = config(&his.webhook_url());
    cfg.max_body_bytes = 1024;
    let server = mock::start(cfg, loopback()).await.expect("starts");
    let c = Client::new(&server);
    let big =
        json!({"event": "live_queue_created", "overrides": {"client_name": "x".repeat(4096)}});
    let (status, err) = c.call("POST", "/control/events", Some(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    error_of(&err);
    let (status, _) = c.raw("/api/v1/auth/token", None, &"x".repeat(4096)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    server.shutdown().await;
    his.shutdown().await;
}

#[tokio::test]
async fn the_sqlite_log_and_the_visits_survive_a_restart() {
    let his = receiver().await;
    let dir = temp_dir("db");
    let db = dir.join("log.sqlite");
    let mut cfg = config(&his.webhook_url());
    cfg.db = Some(db.clone());
    let server = mock::start(cfg.clone(), loopback()).await.expect("starts");
    let c = Client::new(&server);
    let (_, run) = c.call("POST", "/control/scenarios/join/run", None).await;
    let before = c.deliveries().await;
    assert!(!before.is_empty(), "{run}");
    server.shutdown().await;

    let server = mock::start(cfg, loopback()).await.expect("restarts");
    let c = Client::new(&server);
    let after = c.deliveries().await;
    assert_eq!(after, before, "the log is as it was");
    // The visit sent before the restart can still be alerted.
    let visit = verified_payload(before.last().expect("one"))["data"]["id"]
        .as_u64()
        .expect("id");
    let (_, auth) = token(&c, CREDENTIALS).await;
    let (status, ok) = c
        .raw(
            "/api/v1/alerts",
            auth["token"].as_str(),
            &format!(r#"{{"live_queue_id":{visit}}}"#),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ok}");
    // New deliveries continue the numbering.
    assert!(ok["delivery_id"].as_u64().expect("id") > before.len() as u64);
    server.shutdown().await;
    his.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The `serve` verb as a user runs it.
mod cli {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    fn bin() -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chup-harness"));
        c.env_remove("CHUP_SECRET").env_remove("CHUP_CONTROL_TOKEN");
        c
    }

    #[test]
    fn refuses_a_non_loopback_listen_address_without_a_token_with_exit_2() {
        let out = bin()
            .args([
                "serve",
                "--listen",
                "0.0.0.0:0",
                "--target",
                "http://127.0.0.1:9/",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--control-token") && err.contains("0.0.0.0"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_retry_schedule_is_a_usage_error_naming_the_flag() {
        let out = bin()
            .args([
                "serve",
                "--retry-schedule",
                "0,5x",
                "--listen",
                "127.0.0.1:0",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--retry-schedule") && err.contains("5x"),
            "{err}"
        );
    }

    #[test]
    fn help_teaches_the_routes_and_exit_codes() {
        let out = bin().args(["serve", "--help"]).output().expect("runs");
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        for needle in [
            "/control/scenarios",
            "/api/v1/alerts",
            "--retry-compress",
            "--control-token",
            "Exit codes",
        ] {
            assert!(help.contains(needle), "help lacks {needle}");
        }
    }

    #[test]
    fn prints_where_the_dashboard_is_and_only_the_secrets_fingerprint() {
        let secret = "cli-serve-secret-never-printed";
        let mut child = bin()
            .args(["serve", "--listen", "127.0.0.1:0", "--secret", secret])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            let last = line.contains("openapi.json");
            lines.push(line);
            if last {
                break;
            }
        }
        let text = lines.join("\n");
        let url = text
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:") && w.ends_with('/'))
            .unwrap_or_else(|| panic!("no dashboard URL in {text}"))
            .to_owned();
        let page = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async { reqwest::get(&url).await?.text().await });
        let _ = child.kill();
        let _ = child.wait();
        assert!(page
            .expect("the dashboard answers")
            .contains("mock Chup Online"));
        assert!(text.contains("reference receiver"), "{text}");
        let fp = chup_harness::signing::Secret::new(secret).fingerprint();
        assert!(text.contains(&fp), "{text}");
        assert!(!text.contains(secret), "the secret was printed");
    }
}
