//! `POST /webhook`: from the raw body to a committed effect, in the order a
//! receiver should check things: size, shape, signature, payload, then one
//! transaction. Each step that says no answers with its own status (see the
//! table in the module docs of `reference`).

use super::faults::Faults;
use super::store::{Change, Delivery, Effect, StoreError};
use super::{error_response, App};
use crate::model::{self, EventName, Record, RecordKind};
use crate::signing::{self, Profile, SignatureError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long the `lose-concurrent-update` fault waits between its read and
/// its write: wide enough that two deliveries sent a few milliseconds apart
/// race even on a loaded machine, so the fault reproduces reliably.
const LOST_UPDATE_WINDOW: Duration = Duration::from_millis(100);

/// The 200 body. It holds nothing that varies between runs (no ids, no
/// clock), so the harness can snapshot it.
#[derive(Serialize)]
struct Accepted {
    status: &'static str,
    event: String,
    effect: &'static str,
}

/// A refusal: the status and a one-line reason.
struct Refusal(StatusCode, String);

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Refusal {
        Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

pub(super) async fn handle(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if app.faults.slow_ms > 0 {
        tokio::time::sleep(Duration::from_millis(app.faults.slow_ms)).await;
    }
    let outcome = match body {
        Ok(body) => receive(&app, &body).await,
        // Over the body limit (413), or the client went away mid-body.
        Err(rejection) => Err(Refusal(rejection.status(), rejection.body_text())),
    };
    match outcome {
        Ok(accepted) => (StatusCode::OK, Json(accepted)).into_response(),
        Err(Refusal(status, message)) => error_response(status, &message),
    }
}

async fn receive(app: &App, body: &[u8]) -> Result<Accepted, Refusal> {
    let bad_request = |m: String| Refusal(StatusCode::BAD_REQUEST, m);
    // Keep the payload as the raw bytes it was sent as: the signature and the
    // delivery key are both computed over exactly these bytes.
    let fields: HashMap<String, &RawValue> = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("the body is not a JSON object: {e}")))?;
    let raw = fields
        .get("payload")
        .ok_or_else(|| bad_request("the body has no \"payload\" field".to_owned()))?;
    if !raw.get().starts_with('{') {
        return Err(bad_request("\"payload\" is not a JSON object".to_owned()));
    }
    if !app.faults.ignore_signature {
        // Raw bytes first; re-encoding under each profile only rescues a
        // body that a proxy pretty-printed.
        signing::verify_body(body, &app.secret, &Profile::ALL).map_err(|e| match e {
            SignatureError::NotJson(_) | SignatureError::NoPayload => bad_request(e.to_string()),
            _ => Refusal(StatusCode::UNAUTHORIZED, e.to_string()),
        })?;
    }
    let key = hex::encode(Sha256::digest(raw.get().as_bytes()));
    let value: Value = serde_json::from_str(raw.get()).map_err(|e| bad_request(e.to_string()))?;
    check_faults(app.faults, &value)?;

    let event_name = value.get("event").and_then(Value::as_str);
    let handled = event_name
        .and_then(EventName::parse)
        .is_some_and(|e| matches!(e.record(), RecordKind::Visit | RecordKind::Appointment));
    let (event, change) = match event_name {
        // An event this receiver does not handle is acknowledged whatever
        // its data looks like: its shape is not ours to judge.
        Some(event) if !handled => (event.to_owned(), None),
        _ => {
            let data = value.get("data").map(Value::to_string).unwrap_or_default();
            let payload = model::parse_payload(value, "payload")
                .map_err(|e| Refusal(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
            let change = change_of(&payload, data)?;
            (payload.event, change)
        }
    };

    // Fault lose-concurrent-update: read in a transaction of its own and
    // pause, so another delivery reads the same state before either writes.
    let seen = match change
        .as_ref()
        .filter(|_| app.faults.lose_concurrent_update)
    {
        Some(c) => {
            let seen = app.store.seen(c.kind, c.id).await?;
            tokio::time::sleep(LOST_UPDATE_WINDOW).await;
            Some(seen)
        }
        None => None,
    };
    let delivery = Delivery {
        key,
        event: event.clone(),
        change,
    };
    let effect: Effect = app.store.apply(delivery, app.faults, seen).await?;
    Ok(Accepted {
        status: "accepted",
        event,
        effect: effect.as_str(),
    })
}

/// The record change a visit or appointment payload carries; `None` for
/// other records.
fn change_of(payload: &model::Payload, data: String) -> Result<Option<Change>, Refusal> {
    let (kind, id, state, state_name, updated_at) = match &payload.data {
        Record::Visit(v) => ("visits", &v.id, &v.state, &v.state_name, &v.updated_at),
        Record::Appointment(a) => (
            "appointments",
            &a.id,
            &a.state,
            &a.state_name,
            &a.updated_at,
        ),
        _ => return Ok(None),
    };
    let unprocessable = |m: String| Refusal(StatusCode::UNPROCESSABLE_ENTITY, m);
    let id = id
        .value()
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| unprocessable(format!("payload.data.id: {id:?} is not a numeric id")))?;
    let instant = model::time::parse_timestamp(updated_at)
        .ok_or_else(|| {
            unprocessable(format!(
                "payload.data.updated_at: {updated_at:?} is not an ISO 8601 timestamp with an offset"
            ))
        })?
        .instant;
    let event = payload.event.as_str();
    Ok(Some(Change {
        kind,
        id,
        is_create: event.ends_with("_created"),
        is_delete: event.ends_with("_deleted"),
        state: state.code(),
        state_name: state_name.clone(),
        updated_at: updated_at.clone(),
        instant,
        data,
    }))
}

/// The faults that turn a well-signed payload into a 500.
fn check_faults(faults: Faults, payload: &Value) -> Result<(), Refusal> {
    let fail = |m: &str| Err(Refusal(StatusCode::INTERNAL_SERVER_ERROR, m.to_owned()));
    let data = payload.get("data").unwrap_or(&Value::Null);
    let event = payload.get("event").and_then(Value::as_str).unwrap_or("");
    if faults.crash_on_unknown_event
        && !(event.starts_with("live_queue_") || event.starts_with("appointment_"))
    {
        return fail("fault crash-on-unknown-event: no handler for this event");
    }
    if faults.reject_state_object && data.get("state").is_some_and(Value::is_object) {
        return fail("fault reject-state-object: data.state is an object");
    }
    if faults.reject_hostile_content && has_hostile_string(data) {
        return fail("fault reject-hostile-content: a string in data contains ' or <");
    }
    Ok(())
}

fn has_hostile_string(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains(['\'', '<']),
        Value::Array(items) => items.iter().any(has_hostile_string),
        Value::Object(map) => map.values().any(has_hostile_string),
        _ => false,
    }
}
