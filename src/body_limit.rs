//! Refusing oversized request bodies early, for the servers this crate runs
//! (the reference receiver and the mock Chup Online server). axum's body
//! limit trips only once that many bytes have arrived, so a client that
//! declares 100 MB and sends nothing would hold its request open; this layer
//! answers 413 at once when the declared length is far (16x) over the limit.
//! A body just over the limit is left to the limit: it is read up to the
//! limit and refused then, when the rest fits in the socket buffers, so a
//! sender still writing it reads the 413 rather than a reset.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// The middleware: `.layer(from_fn(move |req, next| refuse_declared_oversize(req, next, limit)))`.
pub async fn refuse_declared_oversize(
    req: axum::extract::Request,
    next: axum::middleware::Next,
    limit: usize,
) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > (limit as u64).saturating_mul(16) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(serde_json::json!({
                "error": format!("the body declares {n} bytes, over the {limit}-byte limit")
            })),
        )
            .into_response(),
        _ => next.run(req).await,
    }
}
