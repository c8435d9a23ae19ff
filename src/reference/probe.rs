//! `GET /{kind}/{id}`: the state probe of SPEC section 5, which lets the
//! harness see effects (a rejected delivery changed nothing, a redelivery
//! was not applied twice, the newer state stood, content was kept verbatim).

use super::{error_response, App};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Arc;

#[derive(Serialize)]
struct ProbeBody {
    kind: &'static str,
    id: i64,
    state: i64,
    state_name: String,
    updated_at: String,
    applied_count: i64,
    /// Stored JSON text, passed through without re-encoding.
    data: Box<RawValue>,
}

pub(super) async fn handle(
    State(app): State<Arc<App>>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    let kind = match kind.as_str() {
        "visits" => "visits",
        "appointments" => "appointments",
        other => {
            return error_response(StatusCode::NOT_FOUND, &format!("no record kind {other:?}"))
        }
    };
    let not_found = || {
        error_response(
            StatusCode::NOT_FOUND,
            &format!("no {kind} record with id {id:?}"),
        )
    };
    let Ok(number) = id.parse::<i64>() else {
        return not_found();
    };
    let probe = match app.store.probe(kind, number).await {
        Ok(Some(probe)) => probe,
        Ok(None) => return not_found(),
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let data = match RawValue::from_string(probe.data) {
        Ok(data) => data,
        Err(e) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("stored data is not JSON: {e}"),
            )
        }
    };
    let body = ProbeBody {
        kind,
        id: number,
        state: probe.state,
        state_name: probe.state_name,
        updated_at: probe.updated_at,
        applied_count: probe.applied_count,
        data,
    };
    (StatusCode::OK, Json(body)).into_response()
}
