//! The reference receiver over HTTP: every answer of its status table, its
//! effects as the state probe shows them, and each fault changing exactly the
//! behaviour it names.

use chup_harness::reference::{self, Faults, ReferenceConfig, RunningReference};
use chup_harness::signing::{self, Profile, Secret};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Not the default secret, so a body signed with the default one is wrong.
const SECRET: &str = "reference-test-secret";

fn secret() -> Secret {
    Secret::new(SECRET)
}

fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed")
}

/// The `payload` of a seed example body, by file name.
fn seed(name: &str) -> Value {
    let path = seed_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut body: Value = serde_json::from_str(&text).expect("seed fixtures are JSON");
    body["payload"].take()
}

fn signed(payload: &Value) -> Vec<u8> {
    signing::signed_body(payload, Profile::Compact, &secret())
}

/// `payload` with `data.<field>` set.
fn with(mut payload: Value, field: &str, value: Value) -> Value {
    payload["data"][field] = value;
    payload
}

/// 03-alert and 04-serving as two updates of visit 19738, older first.
fn alert_and_serving() -> (Value, Value) {
    (seed("03-alert.json"), seed("04-serving.json"))
}

struct Receiver {
    server: RunningReference,
    client: reqwest::Client,
}

impl Receiver {
    async fn start(config: ReferenceConfig) -> Receiver {
        let server = reference::start(config, "127.0.0.1:0".parse().expect("valid address"))
            .await
            .expect("the reference receiver starts");
        Receiver {
            server,
            client: reqwest::Client::new(),
        }
    }

    async fn with_faults(faults: Faults) -> Receiver {
        Receiver::start(ReferenceConfig {
            secret: secret(),
            faults,
            ..ReferenceConfig::default()
        })
        .await
    }

    async fn correct() -> Receiver {
        Receiver::with_faults(Faults::default()).await
    }

    async fn post(&self, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.server.webhook_url())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the receiver answers");
        read(response).await
    }

    async fn deliver(&self, payload: &Value) -> (StatusCode, Value) {
        self.post(signed(payload)).await
    }

    /// Delivers a signed payload that must be accepted; returns its effect.
    async fn effect(&self, payload: &Value) -> String {
        let (status, body) = self.deliver(payload).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["effect"]
            .as_str()
            .expect("a 200 names its effect")
            .to_owned()
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let url = format!(
            "{}{path}",
            self.server.webhook_url().trim_end_matches("/webhook")
        );
        read(
            self.client
                .get(url)
                .send()
                .await
                .expect("the receiver answers"),
        )
        .await
    }

    async fn probe(&self, kind: &str, id: u64) -> (StatusCode, Value) {
        let url = self
            .server
            .state_url_template()
            .replace("{kind}", kind)
            .replace("{id}", &id.to_string());
        read(
            self.client
                .get(url)
                .send()
                .await
                .expect("the receiver answers"),
        )
        .await
    }

    /// The probe of a record that must exist.
    async fn record(&self, kind: &str, id: u64) -> Value {
        let (status, body) = self.probe(kind, id).await;
        assert_eq!(status, StatusCode::OK, "{kind}/{id}: {body}");
        body
    }

    async fn stop(self) {
        self.server.shutdown().await;
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("a readable body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
    if !status.is_success() {
        assert_is_error(&body);
    }
    (status, body)
}

/// Every 4xx/5xx body is exactly `{"error": "<one line>"}`.
fn assert_is_error(body: &Value) {
    let object = body.as_object().expect("an error body is an object");
    assert_eq!(object.len(), 1, "{body}");
    let line = object["error"].as_str().expect("error is a string");
    assert!(!line.is_empty() && !line.contains('\n'), "{body}");
}

#[tokio::test]
async fn accepts_a_valid_signed_event_with_a_stable_body() {
    let r = Receiver::correct().await;
    let payload = seed("01-join.json");
    let response = r
        .client
        .post(r.server.webhook_url())
        .body(signed(&payload))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.expect("text"),
        r#"{"status":"accepted","event":"live_queue_created","effect":"applied"}"#
    );
    let record = r.record("visits", 19738).await;
    assert_eq!(
        (
            &record["kind"],
            &record["id"],
            &record["state"],
            &record["state_name"]
        ),
        (
            &json!("visits"),
            &json!(19738),
            &json!(1),
            &json!("In Queue")
        )
    );
    assert_eq!(record["updated_at"], "2024-01-18T20:48:00+08:00");
    assert_eq!(record["applied_count"], 1);
    assert_eq!(record["data"], payload["data"]);
    r.stop().await;
}

#[tokio::test]
async fn rejects_each_signature_problem_with_401_and_no_effect() {
    let r = Receiver::correct().await;
    let payload = seed("01-join.json");
    let p = String::from_utf8(signing::encode(&payload, Profile::Compact)).expect("utf8");
    let good = signing::sign(p.as_bytes(), &secret());
    let tampered = p.replace("\"state\":1", "\"state\":5");
    assert_ne!(tampered, p, "the tamper changed the payload");
    let bodies = [
        ("missing", format!(r#"{{"payload":{p}}}"#)),
        ("null", format!(r#"{{"payload":{p},"signature":null}}"#)),
        (
            "not a string",
            format!(r#"{{"payload":{p},"signature":12345}}"#),
        ),
        (
            "not hex",
            format!(r#"{{"payload":{p},"signature":"{}"}}"#, "zz".repeat(32)),
        ),
        (
            "short",
            format!(r#"{{"payload":{p},"signature":"{}"}}"#, &good[..63]),
        ),
        (
            "well-formed but wrong",
            format!(r#"{{"payload":{p},"signature":"{}"}}"#, "0".repeat(64)),
        ),
        (
            "signed with another secret",
            String::from_utf8(signing::signed_body(
                &payload,
                Profile::Compact,
                &Secret::default(),
            ))
            .expect("utf8"),
        ),
        (
            "payload changed after signing",
            format!(r#"{{"payload":{tampered},"signature":"{good}"}}"#),
        ),
    ];
    for (what, body) in bodies {
        let (status, error) = r.post(body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {error}");
    }
    // The documentation's own example: pretty-printed, 63 characters, non-hex.
    let doc_example = std::fs::read(seed_dir().join("02-appointment.json")).expect("seed exists");
    assert_eq!(r.post(doc_example).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(r.probe("visits", 19738).await.0, StatusCode::NOT_FOUND);
    assert_eq!(r.probe("appointments", 9994).await.0, StatusCode::NOT_FOUND);
    // The same payload correctly signed is accepted: the 401s were the signature's doing.
    assert_eq!(
        r.post(format!(r#"{{"payload":{p},"signature":"{good}"}}"#))
            .await
            .0,
        StatusCode::OK
    );
    r.stop().await;
}

#[tokio::test]
async fn rejects_bodies_that_are_not_json_or_lack_a_payload_with_400() {
    let r = Receiver::correct().await;
    let sig = "0".repeat(64);
    for body in [
        String::new(),
        "not json".to_owned(),
        "{\"payload\":".to_owned(),
        "[1, 2]".to_owned(),
        "\"payload\"".to_owned(),
        format!(r#"{{"signature":"{sig}"}}"#),
        format!(r#"{{"payload":5,"signature":"{sig}"}}"#),
        format!(r#"{{"payload":[],"signature":"{sig}"}}"#),
        format!(r#"{{"payload":null,"signature":"{sig}"}}"#),
    ] {
        let (status, error) = r.post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {error}");
    }
    r.stop().await;
}

#[tokio::test]
async fn answers_422_naming_the_field_when_a_signed_payload_does_not_fit_the_model() {
    let r = Receiver::correct().await;
    let join = seed("01-join.json");
    let mut no_data = join.clone();
    no_data.as_object_mut().expect("object").remove("data");
    let mut no_updated_at = join.clone();
    no_updated_at["data"]
        .as_object_mut()
        .expect("object")
        .remove("updated_at");
    let cases = [
        (
            with(join.clone(), "state", json!("three")),
            "payload.data.state",
        ),
        // serde names a missing field at its parent: `payload.data: missing field `updated_at``.
        (no_updated_at, "payload.data: missing field `updated_at`"),
        (
            with(join.clone(), "updated_at", json!("yesterday")),
            "payload.data.updated_at",
        ),
        (with(join.clone(), "id", json!("abc")), "payload.data.id"),
        (no_data, "payload.data"),
        (
            json!({"event": 7, "timestamp": "x", "data": {}}),
            "payload.event",
        ),
    ];
    for (payload, path) in cases {
        let (status, body) = r.deliver(&payload).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        let error = body["error"].as_str().expect("error line");
        assert!(error.starts_with(path), "{error:?} should name {path}");
    }
    assert_eq!(r.probe("visits", 19738).await.0, StatusCode::NOT_FOUND);
    r.stop().await;
}

#[tokio::test]
async fn acknowledges_unhandled_events_as_ignored() {
    let r = Receiver::correct().await;
    for event in [
        "client_created",
        "service_staffs_updated",
        "staff_deleted",
        "patient_teleported",
    ] {
        // Their data shape is not the receiver's business: even a number is fine.
        for data in [json!({"id": 1, "name": "Ali"}), json!(5)] {
            let payload =
                json!({"event": event, "timestamp": "2024-01-18T20:48:00+08:00", "data": data});
            let (status, body) = r.deliver(&payload).await;
            assert_eq!(status, StatusCode::OK, "{event}: {body}");
            assert_eq!(
                body,
                json!({"status": "accepted", "event": event, "effect": "ignored"})
            );
        }
    }
    r.stop().await;
}

#[tokio::test]
async fn redelivery_is_a_duplicate_with_no_second_effect() {
    let r = Receiver::correct().await;
    let join = seed("01-join.json");
    assert_eq!(r.effect(&join).await, "applied");
    let before = r.record("visits", 19738).await;
    assert_eq!(r.effect(&join).await, "duplicate");
    assert_eq!(r.record("visits", 19738).await, before);
    assert_eq!(before["applied_count"], 1);
    let client =
        json!({"event": "client_created", "timestamp": "2024-01-18T20:48:00+08:00", "data": {}});
    assert_eq!(r.effect(&client).await, "ignored");
    assert_eq!(r.effect(&client).await, "duplicate");
    r.stop().await;
}

#[tokio::test]
async fn out_of_order_delivery_leaves_the_newer_state() {
    let r = Receiver::correct().await;
    let (alert, serving) = alert_and_serving();
    assert_eq!(r.effect(&serving).await, "applied");
    assert_eq!(r.effect(&alert).await, "stale");
    let record = r.record("visits", 19738).await;
    assert_eq!(
        (&record["state"], &record["applied_count"]),
        (&json!(4), &json!(1))
    );
    assert_eq!(record["data"], serving["data"]);
    r.stop().await;
}

#[tokio::test]
async fn string_and_number_ids_name_the_same_record() {
    let r = Receiver::correct().await;
    let (alert, serving) = alert_and_serving();
    assert_eq!(r.effect(&alert).await, "applied");
    assert_eq!(
        r.effect(&with(serving, "id", json!("19738"))).await,
        "applied"
    );
    let record = r.record("visits", 19738).await;
    assert_eq!(
        (&record["state"], &record["applied_count"]),
        (&json!(4), &json!(2))
    );
    assert_eq!(record["data"]["id"], "19738", "data is kept as sent");
    r.stop().await;
}

#[tokio::test]
async fn deleted_record_is_404_and_an_older_update_cannot_bring_it_back() {
    let r = Receiver::correct().await;
    let (alert, serving) = alert_and_serving();
    assert_eq!(r.effect(&alert).await, "applied");
    let mut delete = with(
        serving.clone(),
        "updated_at",
        json!("2024-01-18T21:00:00+08:00"),
    );
    delete["event"] = json!("live_queue_deleted");
    assert_eq!(r.effect(&delete).await, "applied");
    let (status, body) = r.probe("visits", 19738).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(r.effect(&serving).await, "stale");
    assert_eq!(r.probe("visits", 19738).await.0, StatusCode::NOT_FOUND);

    let mut cancel = seed("02-appointment.json");
    cancel["event"] = json!("appointment_deleted");
    assert_eq!(r.effect(&cancel).await, "applied");
    assert_eq!(r.probe("appointments", 9994).await.0, StatusCode::NOT_FOUND);
    r.stop().await;
}

#[tokio::test]
async fn accepts_every_seed_example_under_both_signing_profiles() {
    let mut names: Vec<String> = std::fs::read_dir(seed_dir())
        .expect("seed dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 16);
    for profile in Profile::ALL {
        let r = Receiver::correct().await;
        for name in &names {
            let payload = seed(name);
            let (status, body) = r
                .post(signing::signed_body(&payload, profile, &secret()))
                .await;
            assert_eq!(status, StatusCode::OK, "{name} ({profile}): {body}");
            assert_eq!(body["effect"], "applied", "{name} ({profile})");
        }
        let overview = r.record("visits", 19242).await;
        assert_eq!(overview["state"], 3);
        assert_eq!(overview["data"], seed("00-overview.json")["data"]);
        assert_eq!(
            overview["data"]["state"],
            json!({"name": "ARRIVED", "value": 3})
        );
        // The last word on visit 19738 is 04-serving; on appointment 9994, 09-reschedule.
        assert_eq!(r.record("visits", 19738).await["state"], 4);
        assert_eq!(
            r.record("appointments", 9994).await["data"],
            seed("09-reschedule.json")["data"]
        );
        r.stop().await;
    }
}

#[tokio::test]
async fn stores_a_256_kib_hostile_note_verbatim() {
    let r = Receiver::correct().await;
    let hostile = "'; DROP TABLE records; -- <script>alert(1)</script> \" \\ 😀 مرحبا \u{202e}txt.exe \u{0} %s {{x}} ";
    let mut note = String::with_capacity(256 * 1024 + hostile.len());
    while note.len() < 256 * 1024 {
        note.push_str(hostile);
    }
    let mut payload = seed("04-serving.json");
    payload["data"]["notes"][0]["content"] = json!(note);
    payload["data"]["client_name"] = json!("O'Brien <b>陈</b> \u{200f}علي");
    let (status, body) = r.deliver(&payload).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record = r.record("visits", 19738).await;
    assert_eq!(record["data"], payload["data"]);
    assert_eq!(
        record["data"]["notes"][0]["content"].as_str().map(str::len),
        Some(note.len())
    );
    r.stop().await;
}

#[tokio::test]
async fn refuses_a_body_over_the_limit_with_413() {
    let r = Receiver::correct().await;
    let mut payload = seed("04-serving.json");
    payload["data"]["notes"][0]["content"] = json!("x".repeat(1_100_000));
    let (status, body) = r.deliver(&payload).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(r.probe("visits", 19738).await.0, StatusCode::NOT_FOUND);

    let small = Receiver::start(ReferenceConfig {
        secret: secret(),
        max_body_bytes: 200,
        ..ReferenceConfig::default()
    })
    .await;
    assert_eq!(
        small.deliver(&seed("01-join.json")).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    small.stop().await;
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_64_concurrent_deliveries_without_errors() {
    let r = std::sync::Arc::new(Receiver::correct().await);
    let join = seed("01-join.json");
    let tasks: Vec<_> = (1..=64u64)
        .map(|id| {
            let r = std::sync::Arc::clone(&r);
            let payload = with(join.clone(), "id", json!(id));
            tokio::spawn(async move { r.deliver(&payload).await })
        })
        .collect();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for id in 1..=64 {
        assert_eq!(r.record("visits", id).await["applied_count"], 1);
    }
    let r = std::sync::Arc::into_inner(r).expect("all tasks done");
    r.stop().await;
}

#[tokio::test]
async fn keeps_state_across_a_restart_with_a_database_file() {
    let dir = std::env::temp_dir().join(format!("chup-reference-{}", std::process::id()));
    // A directory left by a crashed run would hold old state.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = ReferenceConfig {
        secret: secret(),
        db: Some(dir.join("receiver.sqlite")),
        ..ReferenceConfig::default()
    };
    let (alert, serving) = alert_and_serving();
    let first = Receiver::start(config.clone()).await;
    assert_eq!(first.effect(&serving).await, "applied");
    assert!(
        dir.join("receiver.sqlite-wal").exists(),
        "the database runs in WAL mode"
    );
    first.stop().await;

    let second = Receiver::start(config).await;
    assert_eq!(second.record("visits", 19738).await["state"], 4);
    assert_eq!(second.effect(&serving).await, "duplicate");
    assert_eq!(second.effect(&alert).await, "stale");
    second.stop().await;
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn answers_health_and_unknown_routes_in_json() {
    let r = Receiver::correct().await;
    assert_eq!(r.get("/health").await.0, StatusCode::OK);
    assert_eq!(r.get("/nowhere").await.0, StatusCode::NOT_FOUND);
    assert_eq!(r.get("/webhook").await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.get("/visits/abc").await.0, StatusCode::NOT_FOUND);
    assert_eq!(r.get("/patients/1").await.0, StatusCode::NOT_FOUND);
    assert!(r.server.webhook_url().starts_with("http://127.0.0.1:"));
    assert!(r.server.state_url_template().ends_with("/{kind}/{id}"));
    r.stop().await;
}

// ---- faults: each changes exactly the behaviour it names ----

fn fault(name: &str) -> Faults {
    Faults::parse_list(name).expect("a known fault")
}

#[tokio::test]
async fn fault_ignore_signature_applies_unsigned_deliveries() {
    let r = Receiver::with_faults(fault("ignore-signature")).await;
    let p =
        String::from_utf8(signing::encode(&seed("01-join.json"), Profile::Compact)).expect("utf8");
    let (status, body) = r
        .post(format!(
            r#"{{"payload":{p},"signature":"{}"}}"#,
            "0".repeat(64)
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = r
        .post(format!(r#"{{"payload":{}}}"#, p.replace("19738", "19739")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r.record("visits", 19739).await["state"], 1);
    r.stop().await;
}

#[tokio::test]
async fn fault_reject_state_object_fails_the_overview_example() {
    let r = Receiver::with_faults(fault("reject-state-object")).await;
    assert_eq!(
        r.deliver(&seed("00-overview.json")).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(r.deliver(&seed("01-join.json")).await.0, StatusCode::OK);
    r.stop().await;
}

#[tokio::test]
async fn fault_stale_update_wins_lets_the_older_state_stand() {
    let r = Receiver::with_faults(fault("stale-update-wins")).await;
    let (alert, serving) = alert_and_serving();
    assert_eq!(r.effect(&serving).await, "applied");
    assert_eq!(r.effect(&alert).await, "applied");
    assert_eq!(r.record("visits", 19738).await["state"], 2);
    r.stop().await;
}

#[tokio::test]
async fn fault_fail_duplicate_create_fails_a_redelivered_create() {
    let r = Receiver::with_faults(fault("fail-duplicate-create")).await;
    let join = seed("01-join.json");
    assert_eq!(r.effect(&join).await, "applied");
    assert_eq!(r.deliver(&join).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    // Updates are unaffected.
    assert_eq!(r.effect(&seed("03-alert.json")).await, "applied");
    r.stop().await;
}

/// Sends 8 concurrent updates to visit 19738 after its create, all with the
/// same newer `updated_at` but each with another staff name (so none is a
/// duplicate or stale, whatever order they land in); returns its
/// applied_count afterwards.
async fn applied_count_after_concurrent_updates(faults: Faults) -> u64 {
    let r = std::sync::Arc::new(Receiver::with_faults(faults).await);
    assert_eq!(r.effect(&seed("01-join.json")).await, "applied");
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let r = std::sync::Arc::clone(&r);
            let update = with(
                seed("03-alert.json"),
                "staff_name",
                json!(format!("Nurse {i}")),
            );
            tokio::spawn(async move { r.deliver(&update).await.0 })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    let count = r.record("visits", 19738).await["applied_count"]
        .as_u64()
        .expect("count");
    std::sync::Arc::into_inner(r)
        .expect("all tasks done")
        .stop()
        .await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_lose_concurrent_update_loses_updates_to_one_record() {
    assert_eq!(
        applied_count_after_concurrent_updates(Faults::default()).await,
        9
    );
    let lossy = applied_count_after_concurrent_updates(fault("lose-concurrent-update")).await;
    assert!(lossy < 9, "applied_count {lossy}: no update was lost");
}

#[tokio::test]
async fn fault_apply_duplicates_applies_a_redelivery_again() {
    let r = Receiver::with_faults(fault("apply-duplicates")).await;
    let join = seed("01-join.json");
    assert_eq!(r.effect(&join).await, "applied");
    assert_eq!(r.effect(&join).await, "applied");
    assert_eq!(r.record("visits", 19738).await["applied_count"], 2);
    r.stop().await;
}

#[tokio::test]
async fn fault_crash_on_unknown_event_fails_client_events() {
    let r = Receiver::with_faults(fault("crash-on-unknown-event")).await;
    let client =
        json!({"event": "client_created", "timestamp": "2024-01-18T20:48:00+08:00", "data": {}});
    assert_eq!(
        r.deliver(&client).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(r.deliver(&seed("01-join.json")).await.0, StatusCode::OK);
    r.stop().await;
}

#[tokio::test]
async fn fault_reject_hostile_content_fails_on_a_quote_or_angle_bracket() {
    let r = Receiver::with_faults(fault("reject-hostile-content")).await;
    let join = seed("01-join.json");
    for name in ["O'Brien", "<b>Ali</b>"] {
        assert_eq!(
            r.deliver(&with(join.clone(), "client_name", json!(name)))
                .await
                .0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    assert_eq!(
        r.deliver(&with(join, "client_name", json!("陈 😀")))
            .await
            .0,
        StatusCode::OK
    );
    r.stop().await;
}

#[tokio::test]
async fn fault_slow_ms_delays_every_answer() {
    let r = Receiver::with_faults(fault("slow-ms=300")).await;
    let cases = [
        (signed(&seed("01-join.json")), StatusCode::OK),
        (b"not json".to_vec(), StatusCode::BAD_REQUEST),
    ];
    for (body, expected) in cases {
        let started = Instant::now();
        assert_eq!(r.post(body).await.0, expected);
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
    }
    r.stop().await;
}
