//! The control API under `/control`: list and run scenarios, send one
//! generated event, read, resend and clear the delivery log. JSON in and
//! out; every error is `{"error": "..."}`. With a control token every route
//! here demands `Authorization: Bearer <token>`.
//!
//! It leaves signing and queueing to [`App`], the retries to `retry.rs`
//! and the wire contract of the document to `openapi.rs`.

use super::{error_response, ApiError, App, Origin};
use crate::clinic::ID_SPAN;
use crate::model::{
    self, AppointmentState, DialectMode, EventName, Record, StateField, VisitState,
};
use crate::rng::Rng;
use crate::scenario::CompileCtx;
use crate::signing::Profile;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub(crate) fn routes(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/info", get(info))
        .route("/scenarios", get(scenarios))
        .route("/scenarios/{name}/run", post(run_scenario))
        .route("/events", post(send_event))
        .route("/deliveries", get(deliveries).delete(clear))
        .route("/deliveries/{id}", get(delivery))
        .route("/deliveries/{id}/resend", post(resend))
        .route("/visits", get(visits))
        .route_layer(middleware::from_fn_with_state(app, require_token))
}

/// Compares digests, so the time taken says nothing about the token.
fn same_token(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

async fn require_token(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(expected) = &app.control_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(t) if same_token(t.trim(), expected) => {}
            Some(_) => {
                return error_response(StatusCode::UNAUTHORIZED, "wrong control token");
            }
            None => {
                let mut r = error_response(
                    StatusCode::UNAUTHORIZED,
                    "this server demands the control token: Authorization: Bearer <token>",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
                return r;
            }
        }
    }
    next.run(req).await
}

/// Reads an optional JSON body into `T` (an empty body is `T::default()`);
/// a bad body is a 413 or a 422 naming the field.
pub(crate) fn json_body<T: DeserializeOwned + Default>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        ApiError::new(
            e.status(),
            format!("cannot read the request body: {}", e.body_text()),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let msg = if at == "." {
            format!("bad request body: {}", e.inner())
        } else {
            format!("bad request body at {at}: {}", e.inner())
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, msg)
    })
}

/// Like [`json_body`], but an empty body is a 422 too.
pub(crate) fn json_required<T: DeserializeOwned + Default>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    if matches!(&body, Ok(b) if b.iter().all(u8::is_ascii_whitespace)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the request body is empty: expected a JSON object",
        ));
    }
    json_body(body)
}

fn unprocessable(msg: &str) -> Response {
    error_response(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

async fn info(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "harness_version": env!("CARGO_PKG_VERSION"),
        "target": app.target.shown(),
        "signing": app.profile.as_str(),
        "secret_fingerprint": app.secret.fingerprint(),
        "retry": {
            "schedule": app.retry.show(),
            "delays_ms": app.retry.delays_ms(),
            "compress": app.retry.compress(),
            "attempts": app.retry.attempts(),
        },
        "timeout_ms": app.transport.timeout().as_millis(),
        "control_token_required": app.control_token.is_some(),
        "chup_api": {
            "auth_path": app.api.auth_path,
            "alerts_path": app.api.alerts_path,
            "business_id": app.api.business_id,
            "email": app.api.email,
        },
        "events": EventName::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "dialects": DialectMode::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "signing_profiles": Profile::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    }))
    .into_response()
}

async fn scenarios(State(app): State<Arc<App>>) -> Response {
    let list: Vec<Value> = app
        .scenarios
        .iter()
        .map(|s| {
            let steps: Vec<Value> = s
                .compile(&CompileCtx::DRY_RUN)
                .map(|steps| {
                    steps
                        .iter()
                        .map(|st| json!({"name": st.name, "event": st.payload.event}))
                        .collect()
                })
                .unwrap_or_default();
            json!({"name": s.name(), "description": s.description(), "steps": steps})
        })
        .collect();
    Json(list).into_response()
}

/// Options of a scenario run; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    /// canonical (default), seed or mixed.
    dialect: Option<String>,
    /// compact or php [default: the server's].
    signing: Option<String>,
}

fn parse_dialect(d: Option<&str>, default: DialectMode) -> Result<DialectMode, ApiError> {
    match d {
        None => Ok(default),
        Some(d) => d
            .parse()
            .map_err(|e: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e)),
    }
}

fn parse_signing(app: &App, s: Option<&str>) -> Result<Profile, ApiError> {
    match s {
        None => Ok(app.profile),
        Some(s) => s
            .parse()
            .map_err(|e: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e)),
    }
}

fn now_unix() -> i64 {
    super::retry::now_ms() / 1000
}

async fn run_scenario(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: RunRequest = match json_body(body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let Some(def) = app.scenarios.iter().find(|s| s.name() == name) else {
        let known: Vec<&str> = app.scenarios.iter().map(|s| s.name()).collect();
        return error_response(
            StatusCode::NOT_FOUND,
            &format!("no scenario {name:?} (known: {})", known.join(", ")),
        );
    };
    let (mode, profile) = match (
        parse_dialect(req.dialect.as_deref(), DialectMode::Canonical),
        parse_signing(&app, req.signing.as_deref()),
    ) {
        (Ok(m), Ok(p)) => (m, p),
        (Err(r), _) | (_, Err(r)) => return r.into_response(),
    };
    // Every run gets ids never used by an earlier run of this server.
    let run = app.runs.fetch_add(1, Ordering::Relaxed) + 1;
    let ctx = CompileCtx {
        id_base: app.id_base + run * ID_SPAN,
        start_unix: now_unix(),
    };
    let steps = match def.compile(&ctx) {
        Ok(s) => s,
        Err(e) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("scenario {name} does not compile: {e}"),
            )
        }
    };
    let mut rng = Rng::new(ctx.id_base ^ ctx.start_unix as u64);
    let mut sent = Vec::new();
    // Steps go out in order, each after the first attempt of the one
    // before: Chup sends a visit's changes in the order they happen.
    for mut step in steps {
        model::restyle(&mut step.payload, mode, &mut rng);
        let value = serde_json::to_value(&step.payload).expect("a payload serializes to JSON");
        let queued = app.send_value(
            &value,
            profile,
            Origin::Scenario {
                scenario: name.clone(),
                step: step.name.clone(),
            },
        );
        let _ = queued.first.await;
        sent.push(app.log.get(queued.id).map_or_else(
            || json!({"id": queued.id, "step": step.name}),
            |d| {
                json!({
                    "id": d.id,
                    "step": step.name,
                    "event": d.event,
                    "record": d.record,
                    "state": d.state,
                    "status": d.attempts.last().and_then(|a| a.status),
                })
            },
        ));
    }
    Json(json!({
        "scenario": name,
        "id_base": ctx.id_base,
        "deliveries": sent,
    }))
    .into_response()
}

/// One event to generate and send.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRequest {
    event: String,
    /// The record's state code (visits and appointments); its name follows.
    state: Option<i64>,
    /// canonical, seed (default) or mixed.
    dialect: Option<String>,
    /// compact or php [default: the server's].
    signing: Option<String>,
    /// Seed of the generator [default: a new one per event].
    seed: Option<u64>,
    /// Fields of `data` to set after generating, e.g. {"client_name": "Ali"}.
    overrides: Option<Map<String, Value>>,
}

/// Sets a record's state, keeping the integer or object form it has.
fn set_state(record: &mut Record, code: i64) -> Result<(), String> {
    let (state, state_name, name, object) = match record {
        Record::Visit(v) => {
            let s = VisitState(code);
            (&mut v.state, &mut v.state_name, s.name(), s.object_name())
        }
        Record::Appointment(a) => {
            let s = AppointmentState(code);
            (&mut a.state, &mut a.state_name, s.name(), s.object_name())
        }
        _ => {
            return Err(
                "\"state\" applies to live_queue_* and appointment_* events only".to_owned(),
            )
        }
    };
    let Some(name) = name else {
        return Err(format!(
            "state {code} has no documented name; to send it anyway set \"state\" and \
             \"state_name\" in \"overrides\""
        ));
    };
    *state_name = name.to_owned();
    *state = match (&*state, object) {
        (StateField::Object { .. }, Some(object)) => StateField::Object {
            name: object,
            value: code,
        },
        _ => StateField::Code(code),
    };
    Ok(())
}

async fn send_event(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    let req: EventRequest = match json_required(body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let Some(event) = EventName::parse(&req.event) else {
        let known: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
        return unprocessable(&format!(
            "event {:?} is not a Chup event (known: {})",
            req.event,
            known.join(", ")
        ));
    };
    let (mode, profile) = match (
        parse_dialect(req.dialect.as_deref(), DialectMode::Seed),
        parse_signing(&app, req.signing.as_deref()),
    ) {
        (Ok(m), Ok(p)) => (m, p),
        (Err(r), _) | (_, Err(r)) => return r.into_response(),
    };
    let seed = req
        .seed
        .unwrap_or_else(|| Rng::new(app.seeds.fetch_add(1, Ordering::Relaxed)).next_u64() >> 11);
    let mut payload = crate::generate::payload(event, mode, &mut Rng::new(seed));
    if let Some(code) = req.state {
        if let Err(e) = set_state(&mut payload.data, code) {
            return unprocessable(&e);
        }
    }
    let mut value = serde_json::to_value(&payload).expect("a payload serializes to JSON");
    if let Some(overrides) = req.overrides {
        let Some(data) = value.get_mut("data").and_then(Value::as_object_mut) else {
            return unprocessable("the generated payload has no data object to override");
        };
        for (k, v) in overrides {
            data.insert(k, v);
        }
    }
    let queued = app.send_value(&value, profile, Origin::Event);
    let _ = queued.first.await;
    delivery_response(&app, queued.id, StatusCode::OK, Some(seed))
}

fn delivery_response(app: &App, id: u64, status: StatusCode, seed: Option<u64>) -> Response {
    match app.log.get(id) {
        Some(d) => {
            let mut v = serde_json::to_value(&d).expect("a delivery serializes to JSON");
            if let (Some(seed), Some(m)) = (seed, v.as_object_mut()) {
                m.insert("seed".to_owned(), json!(seed));
            }
            (status, Json(v)).into_response()
        }
        None => error_response(
            StatusCode::GONE,
            &format!("delivery {id} was cleared from the log"),
        ),
    }
}

async fn deliveries(State(app): State<Arc<App>>) -> Response {
    let (version, list) = app.log.list();
    Json(json!({"version": version, "deliveries": list})).into_response()
}

fn parse_id(id: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no delivery {id:?} (ids are integers)"),
        )
    })
}

async fn delivery(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    match app.log.get(id) {
        Some(d) => Json(d).into_response(),
        None => error_response(StatusCode::NOT_FOUND, &format!("no delivery {id}")),
    }
}

/// How to resend.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResendRequest {
    /// Re-encode and re-sign the payload instead of sending the same bytes.
    #[serde(default)]
    resign: bool,
    /// The profile to re-sign under [default: the server's]; implies resign.
    signing: Option<String>,
}

async fn resend(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: ResendRequest = match json_body(body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    let Some(old) = app.log.get(id) else {
        return error_response(StatusCode::NOT_FOUND, &format!("no delivery {id}"));
    };
    let queued = if req.resign || req.signing.is_some() {
        let profile = match parse_signing(&app, req.signing.as_deref()) {
            Ok(p) => p,
            Err(r) => return r.into_response(),
        };
        let payload = serde_json::from_str::<Value>(&old.request)
            .ok()
            .and_then(|mut v| v.get_mut("payload").map(Value::take));
        let Some(payload) = payload else {
            return unprocessable(&format!(
                "delivery {id} has no payload to re-sign; resend its bytes instead"
            ));
        };
        app.send_value(
            &payload,
            profile,
            Origin::Resend {
                of: id,
                resigned: true,
            },
        )
    } else {
        app.queue(
            old.request.clone().into_bytes(),
            old.event.clone(),
            old.record.clone(),
            &old.signing,
            old.signature.clone(),
            Origin::Resend {
                of: id,
                resigned: false,
            },
        )
    };
    let _ = queued.first.await;
    delivery_response(&app, queued.id, StatusCode::OK, None)
}

async fn clear(State(app): State<Arc<App>>) -> Response {
    app.stop_retries();
    let n = app.log.clear();
    Json(json!({"cleared": n})).into_response()
}

async fn visits(State(app): State<Arc<App>>) -> Response {
    let list: Vec<Value> = app
        .log
        .visits()
        .into_iter()
        .filter_map(|(id, p)| match &p.data {
            Record::Visit(v) => Some(json!({
                "id": id,
                "event": p.event,
                "state": v.state.code(),
                "state_name": v.state_name,
                "client_name": v.client_name,
                "service_name": v.service_name,
                "updated_at": v.updated_at,
            })),
            _ => None,
        })
        .collect();
    Json(list).into_response()
}
