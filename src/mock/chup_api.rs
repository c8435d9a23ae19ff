//! The mock Chup REST API an HIS calls (SPEC section 6): exchange
//! `{api_key, business_id, email}` for a bearer token, then alert a patient
//! with `{"live_queue_id": <id>}`. An accepted alert makes the server send
//! the signed `live_queue_updated` (state 2, Alerted) for that visit to the
//! receiver, as Chup does.
//!
//! | request | answer |
//! |---|---|
//! | auth with the configured credentials | 200 `{"token", "token_type": "Bearer", "expires_in": 3600}` |
//! | auth with other credentials | 401 |
//! | alert without a valid, unexpired token | 401 |
//! | body not JSON, no `live_queue_id`, or not an id | 422 |
//! | a visit this server never sent (or deleted) | 404 |
//! | a visit whose state cannot be alerted (Served, Cancelled...) | 409 |
//! | accepted | 202 `{"status": "alerted", "live_queue_id", "delivery_id"}` |
//!
//! Errors are `{"error": "..."}`. The visits come from what the server sent
//! (`log.rs` keeps the last payload per visit); the alerted payload is that
//! one with state 2 "Alerted" and `updated_at` advanced.

use super::control::json_required;
use super::{error_response, App, Origin};
use crate::clinic::VisitAction;
use crate::model::time::{format_myt, parse_timestamp};
use crate::model::{EventName, Id, Payload, Record, StateField, VisitState};
use crate::rng::Rng;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How long a token lives, in seconds.
const TOKEN_TTL_SECS: i64 = 3600;

#[derive(Debug, Default, Deserialize)]
struct AuthRequest {
    api_key: String,
    business_id: BusinessId,
    email: String,
}

/// A business id as a number or a string; compared as text.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum BusinessId {
    #[default]
    None,
    Num(u64),
    Text(String),
}

impl BusinessId {
    fn text(&self) -> String {
        match self {
            BusinessId::None => String::new(),
            BusinessId::Num(n) => n.to_string(),
            BusinessId::Text(t) => t.clone(),
        }
    }
}

fn now_unix() -> i64 {
    super::retry::now_ms() / 1000
}

pub(crate) async fn token(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: AuthRequest = match json_required(body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let ok = req.api_key == app.api.api_key
        && req.business_id.text() == app.api.business_id
        && req.email.eq_ignore_ascii_case(&app.api.email);
    if !ok {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "wrong credentials: api_key, business_id and email do not match",
        );
    }
    let mut rng = Rng::new(
        app.seeds.fetch_add(1, Ordering::Relaxed) ^ (super::retry::now_ms() as u64).rotate_left(17),
    );
    let token = format!("chupmock_{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    let now = now_unix();
    if let Ok(mut tokens) = app.tokens.lock() {
        tokens.retain(|_, exp| *exp > now);
        tokens.insert(token.clone(), now + TOKEN_TTL_SECS);
    }
    Json(json!({
        "token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL_SECS,
    }))
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct AlertRequest {
    live_queue_id: Option<Id>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The payload Chup sends when staff alert the visit of `last`.
fn alerted(last: &Payload) -> Option<Payload> {
    let Record::Visit(v) = &last.data else {
        return None;
    };
    let mut v = v.clone();
    let alerted = VisitState::ALERTED;
    v.state = match &v.state {
        StateField::Object { .. } => StateField::Object {
            name: alerted
                .object_name()
                .unwrap_or_else(|| "ALERTED".to_owned()),
            value: alerted.0,
        },
        StateField::Code(_) => StateField::Code(alerted.0),
    };
    v.state_name = alerted.name().unwrap_or("Alerted").to_owned();
    // Strictly after the last change, and never before now: a receiver
    // that orders by updated_at must apply it.
    let last_at = parse_timestamp(&v.updated_at).map_or(0, |p| p.instant.unix);
    let at = now_unix().max(last_at + 1);
    v.updated_at = format_myt(at);
    let mut p = Payload::new(
        EventName::LiveQueueUpdated,
        format_myt(at),
        Record::Visit(v),
    );
    p.extra = last.extra.clone();
    Some(p)
}

pub(crate) async fn alert(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let valid = bearer(&headers).is_some_and(|t| {
        app.tokens
            .lock()
            .map(|tokens| tokens.get(t).is_some_and(|exp| *exp > now_unix()))
            .unwrap_or(false)
    });
    if !valid {
        let mut r = error_response(
            StatusCode::UNAUTHORIZED,
            &format!(
                "missing, unknown or expired bearer token: get one from POST {}",
                app.api.auth_path
            ),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    let req: AlertRequest = match json_required(body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let Some(id) = req.live_queue_id else {
        return error_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad request body: live_queue_id is missing",
        );
    };
    let Some(id) = id.value() else {
        return error_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("bad request body at live_queue_id: {id:?} is not a numeric id"),
        );
    };
    let Some(last) = app.log.visit(id) else {
        return error_response(
            StatusCode::NOT_FOUND,
            &format!("no live queue visit {id}: this server has not sent it (or it was deleted)"),
        );
    };
    let state = match &last.data {
        Record::Visit(v) => VisitState(v.state.code()),
        _ => VisitState(0),
    };
    if !VisitAction::Alert.allowed_from().contains(&state) {
        return error_response(
            StatusCode::CONFLICT,
            &format!(
                "visit {id} is {}: only a visit In Queue or Alerted can be alerted",
                state.name().unwrap_or("in an unknown state")
            ),
        );
    }
    let Some(next) = alerted(&last) else {
        return error_response(StatusCode::NOT_FOUND, &format!("no live queue visit {id}"));
    };
    let value = serde_json::to_value(&next).expect("a payload serializes to JSON");
    let queued = app.send_value(&value, app.profile, Origin::Alert);
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "alerted",
            "live_queue_id": id,
            "delivery_id": queued.id,
        })),
    )
        .into_response()
}
